#include "tests/bench/rendezvous_pair.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <exception>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/bench/pattern.hpp"

namespace bench {
namespace {

namespace http = boost::beast::http;
using net::awaitable;
using net::use_awaitable;
using tcp = net::ip::tcp;
using namespace net::experimental::awaitable_operators;

// How long the far party may take to see the relay's close after the near leg closed.
constexpr auto kFarPartyEnd = std::chrono::seconds(5);

struct Slots {
  std::string id, initiator_token, responder_token;
};

// POST /admin/sessions with an empty body: one session, both slots' tokens.
awaitable<Slots> create_session(std::uint16_t relay_port) {
  auto executor = co_await net::this_coro::executor;
  tcp::socket socket(executor);
  co_await socket.async_connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), relay_port), use_awaitable);
  http::request<http::empty_body> req{http::verb::post, "/admin/sessions", 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(relay_port));
  req.set(http::field::user_agent, "sshrelay-bench");
  req.keep_alive(false);
  req.prepare_payload();
  co_await http::async_write(socket, req, use_awaitable);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  co_await http::async_read(socket, buffer, res, use_awaitable);
  if (res.result() != http::status::created) {
    throw std::runtime_error("POST /admin/sessions answered " + std::to_string(res.result_int()) + ": " + res.body());
  }
  const auto created = nlohmann::json::parse(res.body());
  co_return Slots{created.at("id").get<std::string>(), created.at("initiator_token").get<std::string>(),
                  created.at("responder_token").get<std::string>()};
}

std::string leg_target(const std::string& id, const std::string& token) { return "/rendezvous/" + id + "?token=" + token; }

std::uint64_t get_be64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// (The co_await stands in a statement of its own: in the loop's condition, GCC 12.2 compiled this into
// an illegal instruction.)
awaitable<void> until_closed(Conn& leg) {
  for (;;) {
    const auto bytes = co_await leg.recv();
    if (bytes.empty()) co_return;
  }
}

awaitable<void> write_pattern(Conn& leg, std::uint64_t n) {
  const auto& block = pattern_block();  // a whole number of periods: offsets stay aligned
  while (n > 0) {
    const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(n, block.size()));
    co_await leg.send(std::span(block.data(), k));
    n -= k;
  }
}

// bench_target.cpp's serve() over the far leg: the first byte the near party sends picks the mode. Then
// the leg is held until the relay closes it (the near leg ended), as the target holds its connection.
awaitable<void> serve_as_target(Conn& leg) {
  std::vector<std::uint8_t> head;  // the mode byte, its argument, and whatever came with them
  auto read_head = [&](std::size_t n) -> awaitable<bool> {
    while (head.size() < n) {
      auto bytes = co_await leg.recv();
      if (bytes.empty()) co_return false;
      head.insert(head.end(), bytes.begin(), bytes.end());
    }
    co_return true;
  };
  const bool have_mode = co_await read_head(1);
  if (!have_mode) co_return;
  const std::uint8_t mode = head[0];
  const std::uint8_t ready = 'R';
  if (mode == 'E') {
    co_await leg.send(std::span(&ready, 1));
    if (head.size() > 1) co_await leg.send(std::span(head).subspan(1));
    for (;;) {
      auto bytes = co_await leg.recv();
      if (bytes.empty()) co_return;
      co_await leg.send(bytes);
    }
  }
  if (mode != 'S' && mode != 'G') co_return;
  const bool have_count = co_await read_head(9);
  if (!have_count) co_return;
  const std::uint64_t n = get_be64(head.data() + 1);
  const std::size_t extra = head.size() - 9;
  co_await leg.send(std::span(&ready, 1));
  if (mode == 'S') {
    for (std::uint64_t got = extra; got < n;) {
      auto bytes = co_await leg.recv();
      if (bytes.empty()) co_return;
      got += bytes.size();
    }
    const std::uint8_t done = 'K';
    co_await leg.send(std::span(&done, 1));
    co_await until_closed(leg);
  } else {
    if (extra == 0) {  // the go byte
      const auto go = co_await leg.recv();
      if (go.empty()) co_return;
    }
    leg.set_auto_ack(false);  // the writer owns the write side; the relay's ACKs are read meanwhile
    co_await (write_pattern(leg, n) && until_closed(leg));
  }
}

awaitable<void> far_party(std::shared_ptr<Conn> leg) {
  co_await serve_as_target(*leg);
  co_await leg->close();
}

// The far party's leg and how it ended. `ended` is cancelled when far_party() returns.
struct FarParty {
  FarParty(const net::any_io_executor& executor, std::shared_ptr<Conn> l)
      : leg(std::move(l)), ended(executor, Clock::time_point::max()) {}
  std::shared_ptr<Conn> leg;
  net::steady_timer ended;
  bool done = false;
  std::string error;  // why it failed, if it did
};

// The near leg, with the far party's lifetime tied to it.
class PairConn final : public Conn {
 public:
  PairConn(std::unique_ptr<Conn> near, std::shared_ptr<FarParty> far) : near_(std::move(near)), far_(std::move(far)) {}
  // Dropped without close(): the far leg goes too, or the relay would hold it for the near leg's grace
  // period and this phase's io_context would wait for it.
  ~PairConn() override {
    if (!far_->done) far_->leg->abort();
  }

  net::awaitable<void> send(std::span<const std::uint8_t> bytes) override {
    check_far();
    co_await near_->send(bytes);
  }

  net::awaitable<std::span<const std::uint8_t>> recv() override {
    check_far();
    auto bytes = co_await near_->recv();
    last_arrival = near_->last_arrival;
    co_return bytes;
  }

  // The near leg's close handshake; the relay then closes the far leg (1000 peer disconnected).
  net::awaitable<void> close() override {
    co_await near_->close();
    if (!far_->done) {
      far_->ended.expires_after(kFarPartyEnd);
      boost::system::error_code ec;
      co_await far_->ended.async_wait(net::redirect_error(use_awaitable, ec));
    }
    if (!far_->done) far_->leg->abort();
  }

  void set_auto_ack(bool on) override { near_->set_auto_ack(on); }

  void abort() override {
    near_->abort();
    far_->leg->abort();
  }

 private:
  void check_far() const {
    if (!far_->error.empty()) throw std::runtime_error("the rendezvous pair's far party failed: " + far_->error);
  }

  std::unique_ptr<Conn> near_;
  std::shared_ptr<FarParty> far_;
};

}  // namespace

net::awaitable<std::unique_ptr<Conn>> open_rendezvous_pair(std::uint16_t relay_port) {
  const Slots slots = co_await create_session(relay_port);
  auto near_leg = open_websocket(relay_port, leg_target(slots.id, slots.initiator_token), true);
  auto far_leg = open_websocket(relay_port, leg_target(slots.id, slots.responder_token), true);
  auto [near, far] = co_await (std::move(near_leg) && std::move(far_leg));
  auto executor = co_await net::this_coro::executor;
  auto party = std::make_shared<FarParty>(executor, std::shared_ptr<Conn>(std::move(far)));
  net::co_spawn(executor, far_party(party->leg), [party](std::exception_ptr e) {
    if (e) {
      party->error = describe(e);
      party->leg->abort();
    }
    party->done = true;
    party->ended.cancel();
  });
  co_return std::make_unique<PairConn>(std::move(near), std::move(party));
}

}  // namespace bench
