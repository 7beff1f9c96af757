#include "tests/support/relay_daemon.hpp"

#include <algorithm>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "tests/support/files.hpp"

namespace sshrelay::testing {
namespace {

// Generous: an ASan build starting on a loaded machine is slow, and the bound only costs time on failure.
constexpr auto kReadyTimeout = std::chrono::seconds(60);

// The ready file's addresses, or nullopt while it is absent or not (yet) the expected JSON. The daemon
// renames it into place, but tolerating a partial file costs nothing and keeps the wait robust.
std::optional<std::vector<std::string>> parse_ready_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  const auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("listen") || !json["listen"].is_array() || json["listen"].empty())
    return std::nullopt;
  std::vector<std::string> addresses;
  for (const auto& entry : json["listen"]) {
    if (!entry.is_string()) return std::nullopt;
    addresses.push_back(entry.get<std::string>());
  }
  return addresses;
}

// "127.0.0.1:41234" or "[::1]:41234" -> 41234.
std::uint16_t port_of(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("ready file address without a port: " + address);
  const std::string digits = address.substr(colon + 1);
  std::size_t used = 0;
  unsigned long value = 0;
  try {
    value = std::stoul(digits, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != digits.size() || value == 0 || value > 65535)
    throw std::runtime_error("ready file address with a bad port: " + address);
  return static_cast<std::uint16_t>(value);
}

}  // namespace

RelayDaemon::~RelayDaemon() {
  if (!process_) return;
  try {
    stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[sshrelay test support] stopping sshrelayd: %s\n", e.what());
  }
}

void RelayDaemon::start(const std::string& binary, std::vector<std::string> extra_args,
                        std::vector<std::pair<std::string, std::string>> env) {
  if (dir_) throw std::logic_error("RelayDaemon::start called twice");
  dir_.emplace("sshrelay-relayd");
  dir_path_ = dir_->path().string();
  log_path_ = dir_->file("relayd.log");
  const std::string ready_path = dir_->file("ready.json");

  std::vector<std::string> argv = {binary, "--listen", "127.0.0.1:0", "--ready-file", ready_path};
  const bool chooses_identity =
      std::any_of(extra_args.begin(), extra_args.end(),
                  [](const std::string& a) { return a.starts_with("--identity-provider") || a == "--dev"; }) ||
      std::any_of(env.begin(), env.end(), [](const auto& kv) { return kv.first == "RELAY_IDENTITY_PROVIDER"; });
  argv.insert(argv.end(), std::make_move_iterator(extra_args.begin()), std::make_move_iterator(extra_args.end()));
  // After the caller's arguments, so theirs come first in the command line a failure message shows.
  if (!chooses_identity) argv.insert(argv.end(), {"--identity-provider=none", "--identity-upstream-enforces-auth"});
  process_.emplace(std::move(argv), ProcessIo{"", log_path_, log_path_, std::move(env)});

  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  for (;;) {
    if (auto addresses = parse_ready_file(ready_path)) {
      listen_ = std::move(*addresses);
      port_ = port_of(listen_.front());
      return;
    }
    if (!process_->running()) {
      exit_code_ = process_->exit_code();
      throw std::runtime_error("sshrelayd exited with " + std::to_string(*exit_code_) +
                               " before writing its ready file: " + process_->command_line() + "\nlog " +
                               log_path_ + ":\n" + file_tail(log_path_));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      const std::string command = process_->command_line();
      exit_code_ = process_->terminate(SIGKILL, std::chrono::milliseconds(0));
      throw std::runtime_error("sshrelayd wrote no complete ready file " + ready_path + " within " +
                               std::to_string(kReadyTimeout.count()) + " s: " +
                               command + "\nlog " + log_path_ + ":\n" + file_tail(log_path_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int RelayDaemon::stop(std::chrono::milliseconds grace) {
  if (exit_code_) return *exit_code_;
  if (!process_) throw std::logic_error("RelayDaemon::stop before start");
  exit_code_ = process_->terminate(SIGTERM, grace);
  return *exit_code_;
}

bool RelayDaemon::running() { return process_ && !exit_code_ && process_->running(); }

int RelayDaemon::pid() const {
  if (!process_) throw std::logic_error("RelayDaemon::pid before start");
  return process_->pid();
}

std::string RelayDaemon::log_text() const { return log_path_.empty() ? std::string() : read_file(log_path_); }

std::uint64_t RelayDaemon::rss_kib() const {
  const std::string path = "/proc/" + std::to_string(pid()) + "/status";
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    // "VmRSS:\t   12345 kB"
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  // A zombie (exited, not yet reaped) has a status file without VmRSS.
  throw std::runtime_error("no VmRSS in " + path + ": sshrelayd (pid " + std::to_string(pid()) +
                           ") is not running");
}

}  // namespace sshrelay::testing
