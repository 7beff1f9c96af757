#include "native/cli/client_setup.hpp"

#include <future>

#include <boost/asio/ip/address.hpp>
#include <boost/system/system_error.hpp>

#include "core/policy/origin_policy.hpp"
#include "native/cli/auth_headers.hpp"
#include "native/cli/saved_login.hpp"
#include "native/client/tls_context.hpp"

namespace sshrelay::cli {
namespace {

bool is_loopback(const client::RelayUrl& relay) {
  if (relay.host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(relay.host, ec);
  return !ec && address.is_loopback();
}

}  // namespace

const char* cli_user_agent() {
  return "sshrelay/" SSHRELAY_VERSION;
}

Result<client::HeaderList> credential_headers(ClientSetup& setup) {
  if (!setup.connection.refresh_headers) return client::HeaderList{};
  std::promise<std::pair<std::string, client::HeaderList>> fetched;
  setup.connection.refresh_headers(false, [&fetched](std::string error, client::HeaderList headers) {
    fetched.set_value({std::move(error), std::move(headers)});
  });
  auto [error, headers] = fetched.get_future().get();
  if (!error.empty()) return local_error("credentials: " + error);
  return headers;
}

ClientSetup make_client_setup(const ProxyOptions& options, Console& console) {
  ClientSetup setup;
  auto& c = setup.connection;
  auto& t = c.transport;
  t.relay = options.relay;
  if (options.relay.tls) {
    try {
      t.tls = client::make_client_tls_context(client::TlsOptions{options.insecure, options.ca_file});
    } catch (const boost::system::system_error& e) {
      throw UsageError("--ca-file '" + options.ca_file + "': cannot load it: " + e.code().message());
    }
    if (options.insecure) {
      console.error("WARNING: --insecure: the relay's TLS certificate and name are NOT verified. Anyone on the "
                    "network path can impersonate " + options.relay.to_string() +
                    " and capture your credentials. Use --ca-file instead.");
    }
  }
  auto saved = saved_login(options, console);
  const bool sends_credentials =
      !options.headers.empty() || !options.token_file.empty() || !options.token_cmd.empty() || saved.has_value();
  if (!options.relay.tls && sends_credentials && !is_loopback(options.relay)) {
    console.error("WARNING: credentials are sent unencrypted to " + options.relay.to_string() + " (ws://); use wss://");
  }
  t.insecure = options.insecure;
  t.tls_server_name = options.tls_server_name;
  // The relay's own origin unless told otherwise: a relay that requires an Origin (--require-origin)
  // accepts it, and it names what the request is for.
  t.origin = !options.origin.empty() ? options.origin
                                     : origin_of(options.relay.tls ? "https" : "http", options.relay.host, options.relay.port);
  t.headers = options.headers;
  t.user_agent = cli_user_agent();
  t.connect_timeout = options.connect_timeout;
  t.handshake_timeout = options.connect_timeout;

  c.target = client::TargetSpec{options.host, options.port, options.user, options.rendezvous_id, options.rendezvous_token};
  c.reconnect.budget = options.reconnect_timeout;
  c.shape = options.shape;

  if (!options.token_file.empty() || !options.token_cmd.empty()) {
    TokenSource::Config config;
    config.file = options.token_file;
    config.command = options.token_cmd;
    config.command_timeout = options.token_cmd_timeout;
    setup.tokens = std::make_shared<TokenSource>(std::move(config));
    c.refresh_headers = token_refresh_hook(setup.tokens, options.token_header);
  } else if (saved) {
    console.progress("credentials: the saved login in " + saved->path);
    setup.tokens = std::make_shared<TokenSource>(std::move(saved->tokens));
    c.refresh_headers = token_refresh_hook(setup.tokens, saved->header);
  }
  if (options.verbose) {
    c.log = [&console](const std::string& line) { console.progress(line); };
  }
  return setup;
}

}  // namespace sshrelay::cli
