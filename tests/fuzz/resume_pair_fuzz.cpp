// Resumable streams (core/resume_stream.hpp, core/replay_buffer.hpp): a client and a server driven by a
// script of up to 64 operations read from the input, honest ones (send: copied, or read in place into
// DATA frame buffers as the daemon does; write, carry, confirm delivery, drop the transport with part
// of what is in flight delivered, reconnect) and adversarial ones (a forged ACK into either side, a
// forged RECONNECT_SUCCESS into the client, a reconnect with any ack into the server). ResumePair
// (resume_pair.hpp) checks every call against its own account of both streams:
//  (a) each side's application receives the sender's bytes at their absolute offsets, exactly once, in
//      order, and after the script settles everything sent has arrived;
//  (b) an ACK or a reconnect ack is accepted iff acked <= value <= the write cursor (tracked here from
//      the frames next_message() returned since the last resume);
//  (c) a refused reconnect or check_resume changes no counter, and a valid reconnect still works after;
//  (d) after a refused ACK the stream is failed() and next_message() returns nothing;
//  (e) next_message() returns only frames that decode, DATA carrying the bytes at the write cursor.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>

#include "tests/fuzz/resume_pair.hpp"

namespace sshrelay::fuzz {
namespace {

constexpr int kMaxOperations = 64;

enum class Operation {
  client_sends, server_sends, client_writes, server_writes, carry_to_server, carry_to_client,
  applications_consume, drop_transport, reconnect, pump, forge_ack_to_server, forge_ack_to_client,
  forge_reconnect_ack, forge_reconnect_success, kMaxValue = forge_reconnect_success
};

// 1-192 bytes most of the time, else 1-64 KiB in KiB steps.
std::size_t send_size(FuzzedDataProvider& in) {
  const auto b = in.ConsumeIntegral<std::uint8_t>();
  return b < 192 ? std::size_t{b} + 1u : std::size_t{b - 191u} * 1024u;
}

// A value an attacker might send: arbitrary, or near one of the bounds that decide acceptance.
std::uint64_t forged_value(FuzzedDataProvider& in, const Side& target, const Side& peer) {
  const auto delta = static_cast<std::uint64_t>(static_cast<std::int64_t>(in.ConsumeIntegralInRange<int>(-3, 3)));
  switch (in.ConsumeIntegralInRange<int>(0, 7)) {
    case 0: return in.ConsumeIntegral<std::uint64_t>();
    case 1: return target.acked + delta;
    case 2: return target.cursor + delta;
    case 3: return target.high_water + delta;  // above the cursor after a rewind: issue #10 F1
    case 4: return target.queued + delta;
    case 5: return peer.received + delta;
    case 6: return target.acked + in.ConsumeIntegralInRange<std::uint64_t>(0, target.cursor - target.acked);
    default: return target.cursor + in.ConsumeIntegralInRange<std::uint64_t>(0, target.high_water - target.cursor);
  }
}

void consume(ResumePair& pair, Side& side, FuzzedDataProvider& in) {
  const std::uint64_t waiting = side.received - side.delivered;
  pair.deliver_to_application(side, in.ConsumeIntegralInRange<std::uint64_t>(0, waiting + 2));
}

void run_operation(ResumePair& pair, Operation op, FuzzedDataProvider& in) {
  Side& client = pair.client();
  Side& server = pair.server();
  const int count = in.ConsumeIntegralInRange<int>(1, 8);
  switch (op) {
    case Operation::client_sends: pair.send(client, send_size(in)); break;
    case Operation::server_sends: {  // in place (as the daemon reads a target) or copied
      const std::size_t n = send_size(in);
      pair.send(server, n, in.ConsumeBool());
      break;
    }
    case Operation::client_writes: pair.write(client, count); break;
    case Operation::server_writes: pair.write(server, count); break;
    case Operation::carry_to_server: pair.carry(client, count); break;
    case Operation::carry_to_client: pair.carry(server, count); break;
    case Operation::applications_consume:
      consume(pair, client, in);
      consume(pair, server, in);
      break;
    case Operation::drop_transport:  // some of what is in flight arrives, the rest is lost
      pair.carry(client, count);
      pair.carry(server, in.ConsumeIntegralInRange<int>(0, 8));
      if (pair.connected()) pair.lose_transport();  // before CONNECT_SUCCESS the client could not resume
      break;
    case Operation::reconnect: pair.reconnect(client.received); break;
    case Operation::pump:
      for (int round = 0; round < count; ++round) {
        pair.write(client, 64);
        pair.write(server, 64);
        pair.carry(client, 64);
        pair.carry(server, 64);
        pair.deliver_to_application(client, client.received - client.delivered);
        pair.deliver_to_application(server, server.received - server.delivered);
      }
      break;
    case Operation::forge_ack_to_server: pair.inject(server, v4::Ack{forged_value(in, server, client)}); break;
    case Operation::forge_ack_to_client: pair.inject(client, v4::Ack{forged_value(in, client, server)}); break;
    case Operation::forge_reconnect_ack: pair.reconnect(forged_value(in, server, client)); break;
    case Operation::forge_reconnect_success:
      pair.inject(client, v4::ReconnectSuccess{forged_value(in, client, server)});
      break;
  }
}

}  // namespace
}  // namespace sshrelay::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay::fuzz;
  FuzzedDataProvider in(data, size);
  ResumePair pair;
  for (int i = 0; i < kMaxOperations && in.remaining_bytes() > 0 && pair.running(); ++i) {
    run_operation(pair, in.ConsumeEnum<Operation>(), in);
    if (pair.running()) pair.check_accounts();
  }
  pair.settle();
  return 0;
}
