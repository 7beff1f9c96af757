#pragma once
// A loopback TCP proxy that can kill connections abruptly. Put it between a client and the relay (or the
// relay and sshd) to make the network fail the way it does in the field: a reset in the middle of a
// frame, with bytes already in flight, rather than a polite close.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sshrelay::testing {
namespace detail {
class CuttingProxyImpl;  // Asio lives in the .cpp only, to keep test compile times down
}

class CuttingProxy {
 public:
  // Listens on 127.0.0.1:<ephemeral> and forwards each accepted connection to target_host:target_port,
  // on its own thread and io_context. The target must resolve to a loopback address (tests never send
  // traffic elsewhere); otherwise std::invalid_argument. If the target refuses, the accepted client is
  // reset.
  CuttingProxy(const std::string& target_host, std::uint16_t target_port);
  // Stops accepting, resets any live connection and joins the thread.
  ~CuttingProxy();
  CuttingProxy(const CuttingProxy&) = delete;
  CuttingProxy& operator=(const CuttingProxy&) = delete;

  std::uint16_t port() const;

  // All methods below may be called from any thread. The mutating ones run on the proxy's thread and
  // return once done there (throwing std::runtime_error if that takes over 30 s).

  // Resets every live connection now: SO_LINGER 0 and close on both sides, so each peer sees a reset
  // (ECONNRESET) or EOF, and unsent bytes are dropped. Connections accepted afterwards work normally.
  void cut_all();

  // Cuts every live connection each time the bytes forwarded since this call (client->target plus
  // target->client, all connections) reach the next offset. Forwarding is clamped at each offset, so
  // exactly that many bytes have been handed to the kernel when the cut happens: offsets land at
  // arbitrary points inside frames. Offsets are sorted; zeros and duplicates are dropped. An empty vector
  // clears the plan. Bytes read past an offset belong to connections being cut and are discarded. If the
  // previous plan had just reached an offset, that cut happens first.
  void set_cut_plan(std::vector<std::uint64_t> offsets);

  // Cut events that reset at least one connection (by cut_all or by the plan).
  std::uint64_t cuts() const;
  // Connections reset by those events, in total.
  std::uint64_t connections_cut() const;
  std::uint64_t connections_accepted() const;
  std::uint64_t live_connections() const;
  // Bytes forwarded in both directions since construction.
  std::uint64_t bytes_forwarded() const;

 private:
  std::unique_ptr<detail::CuttingProxyImpl> impl_;
};

// `cuts` offsets for set_cut_plan(), one at a random point of the middle of each equal slice of
// [first, last): random, spread over the whole transfer, at least a quarter slice apart (so no cut lands
// in the reconnect the previous one caused), and (v4 frames being 16 KiB) practically always inside a
// frame. The same seed gives the same plan: print it, so a failing plan can be replayed.
std::vector<std::uint64_t> random_cut_plan(std::uint64_t seed, std::uint64_t first, std::uint64_t last, int cuts);

}  // namespace sshrelay::testing
