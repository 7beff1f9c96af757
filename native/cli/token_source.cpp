#include "native/cli/token_source.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/identity/jwt.hpp"
#include "native/common/unix_time.hpp"

namespace sshrelay::cli {
namespace {

constexpr std::size_t kMaxTokenFile = 1 << 20;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

}  // namespace

TokenSource::TokenSource(Config config) : config_(std::move(config)) {
  if (!config_.unix_now) {
    config_.unix_now = unix_seconds_now;
  }
  if (!config_.command.empty()) shell_ = std::make_shared<ShellCommand>(config_.command);
}

TokenSource::~TokenSource() { shutdown(); }

Result<std::string> TokenSource::clean_token(std::string_view raw, const std::string& source) {
  while (!raw.empty() && is_space(raw.front())) raw.remove_prefix(1);
  while (!raw.empty() && is_space(raw.back())) raw.remove_suffix(1);
  if (raw.empty()) return local_error(source + " gave an empty token");
  for (const char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return local_error(source + " gave more than one token (whitespace or control characters inside)");
    }
  }
  return std::string(raw);
}

std::uint64_t TokenSource::command_runs() const {
  std::lock_guard lock(mutex_);
  return runs_;
}

bool TokenSource::cached_is_fresh() const {
  if (!cached_) return false;
  if (!cached_expiry_) return true;  // not a JWT, or no exp: good until the relay refuses it
  return config_.unix_now() + config_.expiry_margin.count() < *cached_expiry_;
}

void TokenSource::async_get(bool refresh, Done done) {
  if (!config_.file.empty()) {
    const std::string source = "--token-file '" + config_.file + "'";
    std::ifstream in(config_.file, std::ios::binary);
    if (!in) return done(source + ": cannot read it: " + std::strerror(errno), {});
    std::string content(kMaxTokenFile + 1, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    content.resize(static_cast<std::size_t>(in.gcount()));
    if (content.size() > kMaxTokenFile) return done(source + " is larger than 1 MiB", {});
    auto token = clean_token(content, source);
    if (!token) return done(token.error().message, {});
    return done({}, std::move(*token));
  }

  std::thread finished;
  std::optional<std::string> fresh;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return done("credentials: sshrelay is shutting down", {});
    if (!refresh && cached_is_fresh()) {
      fresh = *cached_;
    } else {
      waiters_.push_back(std::move(done));
      if (running_) return;  // the run in progress answers this request too
      running_ = true;
      finished = std::move(worker_);  // the previous run is over (running_ was false): join it below
      worker_ = std::thread([this, refresh] { fetch(refresh); });
    }
  }
  if (fresh) return done({}, std::move(*fresh));  // outside the lock: the callback may ask again
  if (finished.joinable()) {
    // A callback of the previous run asking again runs on that run's thread, which cannot join itself.
    if (finished.get_id() == std::this_thread::get_id()) {
      finished.detach();
    } else {
      finished.join();
    }
  }
}

void TokenSource::fetch(bool refresh) {
  const std::string source = config_.produce ? std::string("the saved login") : "--token-cmd '" + config_.command + "'";
  auto output = config_.produce ? config_.produce(refresh) : shell_->run(config_.command_timeout);
  std::string error;
  std::string token;
  if (!output && config_.produce) {
    error = output.error().message;
  } else if (!output) {
    error = source + " " + output.error().message;
  } else if (auto cleaned = clean_token(*output, source); !cleaned) {
    error = cleaned.error().message;
  } else {
    token = std::move(*cleaned);
  }
  std::vector<Done> waiters;
  {
    std::lock_guard lock(mutex_);
    ++runs_;
    running_ = false;
    if (error.empty()) {
      cached_ = token;
      cached_expiry_ = unverified_expiry(token);
    } else {
      cached_.reset();
      cached_expiry_.reset();
    }
    if (stopped_) return;  // shutdown(): nobody is listening any more
    waiters.swap(waiters_);
  }
  for (auto& waiter : waiters) waiter(error, token);
}

void TokenSource::shutdown() {
  std::thread worker;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    waiters_.clear();
    worker = std::move(worker_);
  }
  if (shell_) shell_->cancel();
  if (worker.joinable()) worker.join();
}

}  // namespace sshrelay::cli
