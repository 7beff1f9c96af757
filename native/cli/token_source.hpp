#pragma once
// Where the relay credential comes from when it is not a fixed header:
// - --token-file PATH: read at every connect and reconnect attempt (another program may refresh it);
// - --token-cmd CMD: run through /bin/sh -c; its trimmed stdout is the token. The token is cached and the
//   command re-run only when the token's JWT `exp` is within `expiry_margin` of now, or when the relay
//   refused it. One run at a time: concurrent requests (listen mode) share it.
// - a producer function, run like the command: the saved login of `sshrelay auth`, renewed through the
//   identity provider when it has expired (native/cli/saved_login.hpp).
// The command runs on a worker thread so a slow `cloudflared access token` never blocks a session's
// event loop.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/common/result.hpp"
#include "native/cli/shell_command.hpp"

namespace sshrelay::cli {

class TokenSource {
 public:
  struct Config {
    std::string file;     // --token-file (exactly one of file, command and produce)
    std::string command;  // --token-cmd
    std::chrono::seconds command_timeout{60};
    std::chrono::seconds expiry_margin{30};
    std::function<std::int64_t()> unix_now;  // seconds since the epoch; empty = the system clock
    // Instead of file or command: blocking, on the worker thread; `refresh`: the relay refused the last token.
    std::function<Result<std::string>(bool refresh)> produce;
  };
  // error is empty on success.
  using Done = std::function<void(std::string error, std::string token)>;

  explicit TokenSource(Config config);
  // Calls shutdown().
  ~TokenSource();
  TokenSource(const TokenSource&) = delete;
  TokenSource& operator=(const TokenSource&) = delete;

  // A token, now (file, or a cached token still valid) on the caller's thread, or later from the worker
  // thread. `refresh`: the relay refused the last one, do not use the cache. Any thread.
  void async_get(bool refresh, Done done);

  // Kills a running command and joins the worker; pending requests are dropped without a call. After
  // this, requests fail. Call it before destroying whatever the callbacks post to.
  void shutdown();

  std::uint64_t command_runs() const;

  // Trimmed, and a single token (no whitespace or control characters inside), else an error naming it.
  static Result<std::string> clean_token(std::string_view raw, const std::string& source);

 private:
  void fetch(bool refresh);
  bool cached_is_fresh() const;  // mutex_ held

  Config config_;
  std::shared_ptr<ShellCommand> shell_;
  mutable std::mutex mutex_;
  std::optional<std::string> cached_;
  std::optional<std::int64_t> cached_expiry_;
  bool running_ = false;
  bool stopped_ = false;
  std::vector<Done> waiters_;
  std::thread worker_;
  std::uint64_t runs_ = 0;
};

}  // namespace sshrelay::cli
