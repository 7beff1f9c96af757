#pragma once
// A rendezvous pair (docs/rendezvous.md) as one Conn: the load client plays both parties.
//
//   near party ──v4 leg──▶ sshrelayd ◀──v4 leg── far party (answers as sshrelay_bench_target would)
//
// Opening one: POST /admin/sessions (sshrelayd --dev: the admin API is open), then both legs at once on
// /rendezvous/<id>?token=<that slot's token> (the first waits for the second). The near leg is the Conn
// the phases use; the far leg is served by a coroutine of its own with bench_target.cpp's modes (E, S n,
// G n), so every phase runs over a pair unchanged and crosses the relay twice, as socat chained to socat
// does for the baseline. The far party ACKs what it receives, as any v4 client must.
#include <cstdint>
#include <memory>

#include "tests/bench/conn.hpp"

namespace bench {

net::awaitable<std::unique_ptr<Conn>> open_rendezvous_pair(std::uint16_t relay_port);

}  // namespace bench
