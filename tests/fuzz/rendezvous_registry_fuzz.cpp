// core/rendezvous's Registry driven by an input-chosen sequence of creates, attaches (right, wrong and
// empty tokens), detaches, resumes, leg ends, revokes and clock jumps. Checks, against the harness's own
// account of which legs hold which slot: an attach succeeds only for a free slot of a live, unexpired
// session with its own token; Paired comes exactly when the second slot is taken; CloseLeg names only a
// held slot; a removed or revoked session refuses every attach with 410 (it expired or was revoked) within
// the hour it is remembered, 404 after; every Removed session is gone.
#include <array>
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <map>
#include <string>
#include <vector>

#include "core/rendezvous/rendezvous_registry.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::rendezvous {
namespace {

class PrefixDigester final : public TokenDigester {
 public:
  std::string digest(std::string_view token) const override { return "d" + std::string(token); }
};

struct Known {
  Created created;
  std::array<bool, 2> held{false, false};
  bool removed = false;
};

}  // namespace
}  // namespace sshrelay::rendezvous

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay::rendezvous;
  using namespace std::chrono_literals;
  FuzzedDataProvider in(data, size);
  Registry registry({.default_ttl = 60s, .max_ttl = 600s, .peer_wait = 10s, .max_sessions = 6, .max_sessions_per_principal = 3});
  PrefixDigester digester;
  std::vector<Known> known;
  sshrelay::TimePoint now{std::chrono::hours(1)};
  std::uint32_t creates = 0;  // makes each session's random bytes (so its id and tokens) unique

  auto drain = [&] {
    while (auto event = registry.next_event()) {
      if (const auto* close = std::get_if<CloseLeg>(&*event)) {
        bool found = false;
        for (auto& k : known) {
          if (k.created.id == close->id) {
            FUZZ_CHECK(k.held[slot_index(close->slot)]);
            found = true;
          }
        }
        FUZZ_CHECK(found);
      } else if (const auto* removed = std::get_if<Removed>(&*event)) {
        FUZZ_CHECK(!registry.status(removed->id));
        for (auto& k : known) {
          if (k.created.id == removed->id) {
            k.removed = true;
            k.held = {false, false};
          }
        }
      } else {
        const auto& id = std::get<Paired>(*event).id;
        FUZZ_CHECK(registry.paired(id));
      }
    }
  };

  for (int step = 0; step < 200 && in.remaining_bytes() > 0; ++step) {
    const auto action = in.ConsumeIntegralInRange<int>(0, 7);
    Known* k = known.empty() ? nullptr : &known[in.ConsumeIntegralInRange<std::size_t>(0, known.size() - 1)];
    const Slot slot = in.ConsumeBool() ? Slot::initiator : Slot::responder;
    switch (action) {
      case 0: {
        std::vector<std::uint8_t> random(kRandomBytesPerSession);
        ++creates;
        for (std::size_t i = 0; i < random.size(); ++i) {
          random[i] = i % 16 < 4 ? static_cast<std::uint8_t>(creates >> (8 * (i % 4))) : static_cast<std::uint8_t>(i);
        }
        auto created = registry.create(now, in.ConsumeBool() ? "p" : "", std::chrono::seconds(in.ConsumeIntegralInRange<int>(-5, 700)), random, digester);
        if (created) known.push_back({*created});
        break;
      }
      case 1: {
        if (!k) break;
        const int which = in.ConsumeIntegralInRange<int>(0, 2);
        const std::string token = which == 0 ? k->created.initiator_token : which == 1 ? k->created.responder_token : "";
        const auto before = registry.status(k->created.id);
        const auto result = registry.attach(k->created.id, token, now, digester);
        if (const auto* got = std::get_if<Slot>(&result)) {
          FUZZ_CHECK(!k->removed && before);
          FUZZ_CHECK(which == static_cast<int>(slot_index(*got)));
          FUZZ_CHECK(!k->held[slot_index(*got)]);
          FUZZ_CHECK(now < k->created.expires_at);
          k->held[slot_index(*got)] = true;
        } else {
          const auto& refusal = std::get<Refusal>(result);
          if (k->removed) FUZZ_CHECK(refusal.http_status == 410 || refusal.http_status == 404);
          if (!k->removed && which < 2 && now < k->created.expires_at) FUZZ_CHECK(k->held[which] && refusal.http_status == 409);
        }
        break;
      }
      case 2: if (k) registry.leg_detached(k->created.id, slot, now); break;
      case 3: if (k) registry.leg_resumed(k->created.id, slot, now); break;
      case 4:
        if (k) {
          registry.leg_ended(k->created.id, slot, now);
          k->held[slot_index(slot)] = false;
        }
        break;
      case 5:
        if (k) {
          const bool existed = registry.status(k->created.id).has_value();
          FUZZ_CHECK(registry.revoke(k->created.id, now) == existed);
        }
        break;
      case 6: now += std::chrono::seconds(in.ConsumeIntegralInRange<int>(0, 120)); break;
      default:
        if (auto deadline = registry.next_deadline(); deadline && *deadline <= now + 30s) {
          now = std::max(now, *deadline);
          registry.on_timeout(now);
        }
    }
    drain();
    for (auto& known_session : known) {
      const auto status = registry.status(known_session.created.id);
      FUZZ_CHECK(status.has_value() != known_session.removed);
      if (status) FUZZ_CHECK((status->state == State::open) == (known_session.held[0] && known_session.held[1]));
    }
  }
  return 0;
}
