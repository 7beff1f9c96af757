#include "native/cli/dial_leg.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "native/cli/client_setup.hpp"
#include "native/cli/exit_status.hpp"
#include "native/cli/single_session.hpp"

namespace sshrelay::cli {
namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

int run_dial_leg(const ProxyOptions& options, Console& console) {
  asio::io_context ioc(1);
  ClientSetup setup = make_client_setup(options, console);
  const auto strand = asio::make_strand(ioc);
  const std::string target = options.dial_host + ":" + std::to_string(options.dial_port);

  // The local service first, within --connect-timeout: a wrong --target is reported before anyone waits
  // on the other side.
  tcp::socket socket(strand);
  tcp::resolver resolver(strand);
  asio::steady_timer timeout(strand);
  error_code failure = asio::error::timed_out;
  bool timed_out = false;
  resolver.async_resolve(options.dial_host, std::to_string(options.dial_port),
                         [&](error_code ec, const tcp::resolver::results_type& results) {
                           if (ec) {
                             failure = ec;
                             timeout.cancel();
                             return;
                           }
                           asio::async_connect(socket, results, [&](error_code e, const tcp::endpoint&) {
                             failure = e;
                             timeout.cancel();
                           });
                         });
  timeout.expires_after(options.connect_timeout);
  timeout.async_wait([&](error_code ec) {
    if (ec) return;  // cancelled: the connect finished first
    timed_out = true;
    resolver.cancel();
    error_code ignored;
    socket.close(ignored);
  });
  ioc.run();
  ioc.restart();
  if (failure) {
    console.error("--target " + target + ": cannot connect: " +
                  (timed_out ? "no answer within " + std::to_string(options.connect_timeout.count()) + " s" : failure.message()));
    if (setup.tokens) setup.tokens->shutdown();
    return kExitRelayError;
  }
  console.progress("connected to " + target + "; joining rendezvous " + options.rendezvous_id + " through " +
                   options.relay.to_string());
  return run_single_session(ioc, strand, setup, options, console,
                            std::make_unique<client::TcpLocalStream>(std::move(socket)), nullptr);
}

}  // namespace sshrelay::cli
