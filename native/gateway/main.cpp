// sshrelay-gateway: an SSH gateway in front of one remote host, whose WAN leg is MOSH (`--wan mosh`) or
// the remote's sshd through an sshrelayd with lossless resume (`--wan relay`). docs/gateway.md.
#include <netdb.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "core/common/hex.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/gateway/mosh_connect.hpp"
#include "native/cli/console.hpp"
#include "native/cli/listen_proxy.hpp"
#include "native/daemon/audit/audit_log.hpp"
#include "native/daemon/log.hpp"
#include "native/gateway/client_auth.hpp"
#include "native/gateway/mosh_session.hpp"
#include "native/libssh/host_key.hpp"
#include "native/libssh/ssh_listener.hpp"

extern char** environ;

namespace {

using namespace sshrelay;
using namespace sshrelay::gateway;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

constexpr const char* kName = "sshrelay-gateway";

std::string usage() {
  std::ostringstream out;
  out << "sshrelay-gateway: an SSH gateway in front of one remote host (docs/gateway.md)\n\n"
      << "  sshrelay-gateway [--config FILE] [flags]\n\n"
      << "Settings (environment variable / YAML key / flag):\n";
  for (const auto& s : gateway_settings()) {
    out << "  " << (s.env.empty() ? "-" : s.env) << " / " << (s.yaml.empty() ? "-" : s.yaml) << " / "
        << (s.flag.empty() ? "-" : s.flag) << "\n      " << s.meaning << "\n";
  }
  out << "\n" << precedence_text() << "\n";
  return out.str();
}

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

const GatewaySetting* setting_of_flag(std::string_view flag) {
  for (const auto& s : gateway_settings()) {
    if (s.flag == flag || (!s.short_flag.empty() && s.short_flag == flag)) return &s;
  }
  return nullptr;
}

// Defaults < environment < --config file < flags (core/gateway/gateway_config.hpp).
Result<GatewayConfig> configure(const std::vector<std::string>& args) {
  GatewayConfig config;
  if (auto applied = apply_environment(config, environment()); !applied) return applied.error();
  std::vector<std::pair<std::string, std::string>> flags;
  std::string config_file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool has_value = false;
    if (const auto eq = name.find('='); name.starts_with("--") && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "--config") {
      if (!has_value && i + 1 >= args.size()) return local_error("--config needs a file");
      config_file = has_value ? value : args[++i];
      continue;
    }
    const auto* setting = setting_of_flag(name);
    if (setting != nullptr && !setting->is_switch && !has_value) {
      if (i + 1 >= args.size()) return local_error(name + " needs a value");
      value = args[++i];
    }
    flags.emplace_back(name, value);  // an unknown flag is refused by apply_flag, with a hint
  }
  if (!config_file.empty()) {
    std::ifstream in(config_file, std::ios::binary);
    if (!in) return local_error(config_file + ": cannot be read (--config)");
    std::ostringstream text;
    text << in.rdbuf();
    if (auto applied = apply_yaml(config, text.str(), config_file); !applied) return applied.error();
  }
  for (const auto& [name, value] : flags) {
    if (auto applied = apply_flag(config, name, value); !applied) return applied.error();
  }
  if (auto valid = validate(config); !valid) return valid.error();
  return config;
}

// Hex digits from the system's random source: the session's exit-status file name.
std::string random_hex(std::size_t bytes) {
  std::random_device random;
  std::vector<std::uint8_t> raw(bytes);
  for (auto& b : raw) b = static_cast<std::uint8_t>(random());
  return lower_hex(raw);
}

// mosh-client wants an address, not a name.
Result<std::string> numeric_address(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    return local_error("cannot resolve " + host + ": " + gai_strerror(rc));
  }
  char text[NI_MAXHOST] = {};
  const int rc = getnameinfo(found->ai_addr, found->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST);
  freeaddrinfo(found);
  if (rc != 0) return local_error("cannot resolve " + host + ": " + gai_strerror(rc));
  return std::string(text);
}

int run_relay_leg(const GatewayConfig& config) {
  cli::ProxyOptions options;
  auto relay = client::parse_relay_url(config.relay_url);
  if (!relay) {
    std::cerr << kName << ": GATEWAY_RELAY_URL: " << relay.error().message << "\n";
    return 1;
  }
  options.relay = *relay;
  options.host = config.remote_host;
  options.port = config.remote_port;
  cli::ListenAddress listen;
  listen.address = config.host;
  listen.port = config.port;
  options.listen = listen;
  options.verbose = config.log_level == LogLevel::debug || config.log_level == LogLevel::info;
  cli::Console console(options.verbose, false);
  try {
    return cli::run_listen_proxy(options, console);
  } catch (const cli::UsageError& e) {
    std::cerr << kName << ": " << e.what() << "\n";
    return 1;
  }
}

int run_mosh_leg(const GatewayConfig& config) {
  std::unique_ptr<daemon::audit::AuditLog> audit;
  if (!config.audit_jsonl.empty()) {
    daemon::audit::AuditConfig audit_config;
    audit_config.jsonl_path = config.audit_jsonl;
    audit = std::make_unique<daemon::audit::AuditLog>(audit_config);
    if (auto started = audit->start(); !started) {
      std::cerr << kName << ": audit: " << started.error().message << "\n";
      return 1;
    }
  }
  auto key = libssh::load_or_create_host_key(config.host_key_path);
  if (!key) {
    std::cerr << kName << ": host key: " << key.error().message << "\n";
    return 1;
  }
  daemon::log(daemon::LogLevel::info, std::string("gateway: host key ") + key->fingerprint +
                                          (key->created ? " (new, written to " + config.host_key_path + ")" : ""));
  if (config.remote_ignore_host_key) {
    daemon::log(daemon::LogLevel::warn, "gateway: REMOTE_IGNORE_HOST_KEY is on: the remote's host key is NOT verified, "
                                        "anyone on the path can impersonate " + config.remote_host);
  }
  if (config.accept_any_key) daemon::log(daemon::LogLevel::warn, "gateway: GATEWAY_ACCEPT_ANY_KEY is on: every public key is accepted");
  RemoteHost remote{config.remote_host, config.remote_port, config.remote_known_hosts, config.remote_ignore_host_key,
                    config.gateway_ssh_key_path, config.gateway_ssh_key_content};
  if (auto checked = check_remote_settings(remote); !checked) {
    std::cerr << kName << ": " << checked.error().message << "\n";
    return 1;
  }
  ClientAuth auth(config, remote);
  const std::string remote_label = config.remote_host + ":" + std::to_string(config.remote_port);

  MoshSessionHooks hooks;
  hooks.remote_label = remote_label;
  hooks.key_accepted = [&](const std::string& user, const std::string& type, const std::string& blob) {
    return auth.key_accepted(user, type, blob);
  };
  if (config.password_auth) {
    hooks.password_accepted = [&](const std::string& user, const std::string& password) { return auth.password_accepted(user, password); };
  }
  hooks.start_mosh_server = [&](const std::string& user) -> Result<MoshEndpoint> {
    const std::string exit_file = ".sshrelay-gateway-exit-" + random_hex(8);
    const std::string server = config.mosh_server_command.empty() ? mosh_server_command() : config.mosh_server_command;
    auto output = run_on_remote(remote, user, mosh_session_command(server, exit_file), std::chrono::seconds(30));
    if (!output) return output.error();
    auto connect = parse_mosh_connect(output->out + output->err);
    if (!connect) return connect.error();
    auto address = numeric_address(config.remote_host);
    if (!address) return address.error();
    return MoshEndpoint{*address, connect->udp_port, connect->key, exit_file};
  };
  hooks.remote_exit_status = [&](const std::string& user, const std::string& exit_file) -> std::optional<int> {
    auto output = run_on_remote(remote, user, exit_status_command(exit_file), std::chrono::seconds(10));
    if (!output) {
      daemon::log(daemon::LogLevel::warn, "gateway: cannot read the exit status of " + user + "'s session: " + output.error().message);
      return std::nullopt;
    }
    return parse_exit_status(output->out);
  };
  hooks.report = [&](const std::string& what, const std::string& user, const std::string& detail) {
    daemon::log(what == "denied" ? daemon::LogLevel::warn : daemon::LogLevel::info,
                "gateway: " + what + " " + user + "@" + remote_label + ": " + detail);
    if (!audit) return;
    AuditEvent event;
    event.type = what == "start" ? AuditEventType::session_start
                 : what == "close" ? AuditEventType::session_close
                                   : AuditEventType::auth_denied;
    event.principal = user;
    event.identity_provider = "gateway";
    event.target = remote_label;
    event.target_user = user;
    event.endpoint = "gateway-mosh";
    event.reason = detail;
    audit->emit(std::move(event));
  };

  std::signal(SIGPIPE, SIG_IGN);
  ssh_init();
  libssh::SshListener listener("gateway", config.host, config.port, 256);
  if (auto started = listener.start(std::move(key->key), [&](libssh::SshSession session, const std::string& address) {
        serve_mosh_session(std::move(session), address, hooks);
      });
      !started) {
    std::cerr << kName << ": " << started.error().message << "\n";
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  daemon::log(daemon::LogLevel::info, "gateway: MOSH leg to " + remote_label + " ready");
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  daemon::log(daemon::LogLevel::info, "gateway: stopping");
  listener.stop();
  if (audit) audit->stop(daemon::audit::Clock::now() + std::chrono::seconds(2));
  ssh_finalize();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << usage();
      return 0;
    }
    if (a == "--version") {
      std::cout << kName << " " << SSHRELAY_VERSION << "\n";
      return 0;
    }
  }
  auto config = configure(args);
  if (!config) {
    std::cerr << kName << ": " << config.error().message << " (" << kName << " --help lists the settings)\n";
    return 2;
  }
  switch (config->log_level) {
    case LogLevel::debug: daemon::set_log_level(daemon::LogLevel::debug); break;
    case LogLevel::warning: daemon::set_log_level(daemon::LogLevel::warn); break;
    case LogLevel::error: daemon::set_log_level(daemon::LogLevel::error); break;
    case LogLevel::info: break;
  }
  return config->wan == WanLeg::relay ? run_relay_leg(*config) : run_mosh_leg(*config);
}
