// sshwebd: serves SSH-Web sites (docs/sshweb.md). `sshwebd --config FILE`; one listener per site.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>

#include "core/sshweb/site_config.hpp"
#include "native/daemon/audit/audit_log.hpp"
#include "native/daemon/log.hpp"
#include "native/sshweb/site_server.hpp"

namespace {

using namespace sshrelay;
using namespace sshrelay::sshweb;
namespace po = boost::program_options;
namespace fs = std::filesystem;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// Paths in the file are relative to the file's folder (so a config and its site travel together).
void resolve_paths(SiteConfig& site, const fs::path& folder) {
  for (auto* path : {&site.host_key, &site.root, &site.authorized_keys}) {
    if (!path->empty() && fs::path(*path).is_relative()) *path = (folder / *path).lexically_normal().string();
  }
}

int run(int argc, char** argv) {
  std::string config_path = "/etc/sshwebd/config";
  ServerLimits limits;
  daemon::audit::AuditConfig audit_config;
  std::string log_level = "info";
  po::options_description options("sshwebd: serves SSH-Web sites (docs/sshweb.md)");
  options.add_options()("help,h", "this text")("version", "print the version")(
      "config", po::value(&config_path), "the configuration file (sshttpd's grammar); default /etc/sshwebd/config")(
      "bind", po::value(&limits.bind_address), "the address every site listens on; default 0.0.0.0")(
      "max-connections", po::value(&limits.max_connections), "connections per site at once; default 256")(
      "backend-timeout-seconds", po::value<unsigned>()->notifier([&](unsigned s) { limits.backend_timeout = std::chrono::seconds(s); }),
      "an api-call's whole exchange with the backend, a proxy-call's, and each exchange with an MCP server; default 30")(
      "audit-jsonl", po::value(&audit_config.jsonl_path), "append audit events (docs/audit.md) to this JSONL file")(
      "audit-stderr", po::bool_switch(&audit_config.to_stderr), "audit events on stderr")(
      "log-level", po::value(&log_level), "debug, info, warn or error; default info");
  po::variables_map vm;
  try {
    // Go's flag style too (sshttpd -config PATH).
    po::store(po::command_line_parser(argc, argv).options(options).style(po::command_line_style::default_style |
                                                                          po::command_line_style::allow_long_disguise).run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "sshwebd: " << e.what() << " (sshwebd --help lists the flags)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "sshwebd " << SSHRELAY_VERSION << " (ssh-web/0.1)\n";
    return 0;
  }
  if (log_level == "debug") daemon::set_log_level(daemon::LogLevel::debug);
  else if (log_level == "warn") daemon::set_log_level(daemon::LogLevel::warn);
  else if (log_level == "error") daemon::set_log_level(daemon::LogLevel::error);

  std::ifstream in(config_path, std::ios::binary);
  if (!in) {
    std::cerr << "sshwebd: " << config_path << ": cannot be read\n";
    return 1;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto config = parse_sshweb_config(text.str(), config_path);
  if (!config) {
    std::cerr << "sshwebd: " << config.error().message << "\n";
    return 1;
  }
  const auto folder = fs::absolute(config_path).parent_path();
  for (auto& site : config->sites) resolve_paths(site, folder);

  std::unique_ptr<daemon::audit::AuditLog> audit;
  if (audit_config.any_sink()) {
    audit = std::make_unique<daemon::audit::AuditLog>(audit_config);
    if (auto started = audit->start(); !started) {
      std::cerr << "sshwebd: audit: " << started.error().message << "\n";
      return 1;
    }
  }
  // Before the sites start: a site's MCP server that exits makes our next write to it fail with EPIPE,
  // which must not end the daemon.
  std::signal(SIGPIPE, SIG_IGN);
  ssh_init();
  std::vector<std::unique_ptr<SiteServer>> servers;
  for (auto& site : config->sites) {
    auto server = std::make_unique<SiteServer>(site, limits, audit.get());
    if (auto started = server->start(); !started) {
      std::cerr << "sshwebd: " << started.error().message << "\n";
      return 1;
    }
    servers.push_back(std::move(server));
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  daemon::log(daemon::LogLevel::info, "sshwebd: " + std::to_string(servers.size()) + " site(s) up");
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  daemon::log(daemon::LogLevel::info, "sshwebd: stopping");
  for (auto& server : servers) server->stop();
  if (audit) audit->stop(daemon::audit::Clock::now() + std::chrono::seconds(2));
  ssh_finalize();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
