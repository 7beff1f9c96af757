#include "native/daemon/cluster/takeover.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <future>

#include "native/daemon/cluster/handover.hpp"
#include "native/daemon/cluster/session_directory.hpp"
#include "native/daemon/log.hpp"
#include "native/daemon/session_handover.hpp"

namespace sshrelay::daemon {
namespace {

constexpr auto kStepTimeout = std::chrono::seconds(30);
constexpr auto kSessionTimeout = std::chrono::seconds(15);  // a session's bytes in flight to its target

void close_all(const std::vector<int>& fds) {
  for (int fd : fds) ::close(fd);
}

// Runs `f` on the main context and waits for its result (bounded).
template <class F>
std::optional<std::invoke_result_t<F>> on_main(RelayContext& ctx, F f) {
  auto promise = std::make_shared<std::promise<std::invoke_result_t<F>>>();
  auto future = promise->get_future();
  net::post(ctx.ioc, [promise, f = std::move(f)]() mutable { promise->set_value(f()); });
  if (future.wait_for(kStepTimeout) != std::future_status::ready) return std::nullopt;
  return future.get();
}

// A socket received from the predecessor, on `strand` (the descriptor is the socket's now).
tcp::socket adopted_socket(const Strand& strand, int fd) {
  tcp::socket socket(strand);
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
  socket.assign(local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd);
  return socket;
}

}  // namespace

int Inherited::fd_for(const std::string& role, std::size_t index) const {
  std::size_t seen = 0;
  for (const auto& listener : listeners) {
    if (listener.role != role) continue;
    if (seen++ == index) return listener.fd;
  }
  return -1;
}

Result<Inherited> begin_takeover(const std::string& path) {
  auto socket = connect_handover_socket(path);
  if (!socket) return socket.error();
  Inherited inherited;
  inherited.socket = *socket;
  const auto fail = [&](const Error& error) -> Result<Inherited> {
    ::close(inherited.socket);
    return local_error("takeover from " + path + ": " + error.message);
  };
  if (auto sent = send_handover_message(*socket, {{{"takeover", 1}, {"pid", ::getpid()}}, {}, {}}, kStepTimeout); !sent) {
    return fail(sent.error());
  }
  auto offer = receive_handover_message(*socket, kStepTimeout);
  if (!offer) return fail(offer.error());
  const auto& listeners = offer->header.value("listeners", nlohmann::json::array());
  if (!listeners.is_array() || listeners.size() != offer->fds.size()) {
    close_all(offer->fds);
    return fail(protocol_error("the listeners and their descriptors do not match"));
  }
  inherited.node_id = offer->header.value("node_id", "");
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    inherited.listeners.push_back({listeners[i].value("role", ""), listeners[i].value("address", ""), offer->fds[i]});
  }
  return inherited;
}

Result<std::size_t> finish_takeover(RelayContext& ctx, Inherited& inherited) {
  std::size_t taken = 0;
  const auto finish = [&](Result<std::size_t> outcome) {
    ::close(inherited.socket);
    inherited.socket = -1;
    return outcome;
  };
  for (;;) {
    auto message = receive_handover_message(inherited.socket, std::chrono::seconds(120));
    if (!message) return finish(local_error("takeover: " + message.error().message));
    if (message->header.contains("done")) break;
    const bool with_client = message->header.contains("session") && message->header["session"].contains("client");
    if (!message->header.contains("session") || message->fds.size() != (with_client ? 2u : 1u)) {
      close_all(message->fds);
      return finish(protocol_error("takeover: a session message without its sockets"));
    }
    const auto& state = message->header["session"];
    try {
      auto strand = net::make_strand(ctx.pool.next());
      // Owned from here: closed if the session cannot be adopted.
      auto target = adopted_socket(strand, message->fds[0]);
      std::optional<tcp::socket> client_socket;
      if (with_client) client_socket = adopted_socket(strand, message->fds[1]);
      std::span<const std::uint8_t> unacked = message->blob;
      std::shared_ptr<ClientConnection> client;
      ClientPeer peer{state.value("source", ""), 0, "", "", ""};
      if (with_client) {
        const auto& info = state["client"];
        const auto unread = info.at("unread").get<std::size_t>();
        if (unread > unacked.size()) throw std::runtime_error("the unread bytes overrun the message");
        unacked = unacked.first(unacked.size() - unread);
        peer = {info.value("address", ""), info.value("port", std::uint16_t{0}), info.value("text", ""),
                info.value("path", ""), info.value("user_agent", "")};
        client = std::make_shared<ClientConnection>(PlainStream(std::move(*client_socket)),
                                                    info.at("max_message").get<std::size_t>(),
                                                    std::span(message->blob).last(unread));
      }
      auto session = adopt_v4_session(ctx, strand, state, unacked, std::move(target));
      ctx.registry.adopt(session, state.at("principal").get<std::string>(), state.value("source", ""));
      start_adopted_v4_session(session, state.value("reconnects", 0u), std::move(client), std::move(peer));
      ++taken;
    } catch (const std::exception& e) {
      log(LogLevel::error, std::string("takeover: a session could not be adopted: ") + e.what());
    }
  }
  if (auto sent = send_handover_message(inherited.socket, {{{"ok", true}, {"taken", taken}}, {}, {}}, kStepTimeout); !sent) {
    return finish(local_error("takeover: " + sent.error().message));
  }
  return finish(taken);
}

HandoverOffer::HandoverOffer(RelayContext& ctx, std::string path, Hooks hooks)
    : ctx_(ctx), path_(std::move(path)), hooks_(std::move(hooks)) {}

HandoverOffer::~HandoverOffer() { stop(); }

Status HandoverOffer::start(bool replace) {
  auto fd = listen_handover_socket(path_, replace);
  if (!fd) return fd.error();
  listen_fd_ = *fd;
  thread_ = std::thread([this] { serve(); });
  return Ok{};
}

void HandoverOffer::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void HandoverOffer::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    const int successor = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (successor < 0) continue;
    give_to(successor);
    ::close(successor);
  }
}

void HandoverOffer::give_to(int successor) {
  auto hello = receive_handover_message(successor, kStepTimeout);
  if (!hello || !hello->header.contains("takeover")) {
    if (hello) close_all(hello->fds);
    log(LogLevel::warn, "handover: a connection on " + path_ + " that is not a successor: " +
                            (hello ? std::string("no takeover request") : hello.error().message));
    return;
  }
  const auto successor_pid = hello->header.value("pid", 0);
  log(LogLevel::info, "handover: process " + std::to_string(successor_pid) + " takes over; passing the listening sockets");
  auto passed = on_main(ctx_, hooks_.pass_listeners);
  if (!passed) return log(LogLevel::error, "handover: the listeners could not be stopped in time");
  HandoverMessage offer;
  offer.header = {{"node_id", ctx_.directory ? ctx_.directory->node_id() : std::string()}, {"listeners", nlohmann::json::array()}};
  for (const auto& listener : *passed) {
    offer.header["listeners"].push_back({{"role", listener.role}, {"address", listener.address}});
    offer.fds.push_back(listener.fd);
  }
  auto sent = send_handover_message(successor, offer, kStepTimeout);
  close_all(offer.fds);
  if (!sent) {
    log(LogLevel::error, "handover: " + sent.error().message + "; accepting again");
    net::post(ctx_.ioc, hooks_.resume_listening);
    return;
  }
  std::size_t handed = 0;
  std::size_t stayed = 0;
  for (const auto& session : ctx_.registry.all()) {
    auto promise = std::make_shared<std::promise<std::optional<HandedSession>>>();
    auto future = promise->get_future();
    session->hand_over([promise](std::optional<HandedSession> h) { promise->set_value(std::move(h)); });
    if (future.wait_for(kSessionTimeout) != std::future_status::ready) {
      log(LogLevel::warn, "handover: sid=" + session->sid() + " did not become quiet in time; it stays");
      ++stayed;
      continue;
    }
    auto h = future.get();
    if (!h) {
      ++stayed;
      continue;
    }
    HandoverMessage message{{{"session", h->state}}, std::move(h->unacked), {h->target_fd}};
    if (h->client_fd >= 0) {
      message.blob.insert(message.blob.end(), h->client_unread.begin(), h->client_unread.end());
      message.fds.push_back(h->client_fd);
    }
    auto moved = send_handover_message(successor, message, kStepTimeout);
    close_all(message.fds);
    if (!moved) {
      log(LogLevel::error, "handover: sid=" + session->sid() + " lost: " + moved.error().message);
      continue;
    }
    ++handed;
  }
  if (auto done = send_handover_message(successor, {{{"done", true}, {"sessions", handed}, {"stayed", stayed}}, {}, {}}, kStepTimeout);
      !done) {
    log(LogLevel::error, "handover: " + done.error().message);
  }
  auto ok = receive_handover_message(successor, std::chrono::seconds(120));
  if (!ok || !ok->header.value("ok", false)) {
    log(LogLevel::error, "handover: the successor did not confirm: " + (ok ? ok->header.dump() : ok.error().message));
  }
  log(LogLevel::info, "handover: " + std::to_string(handed) + " sessions handed to process " + std::to_string(successor_pid) +
                          ", " + std::to_string(stayed) + " stay and end here; exiting");
  stopping_ = true;
  net::post(ctx_.ioc, [exit = hooks_.exit, handed, stayed] { exit(handed, stayed); });
}

}  // namespace sshrelay::daemon
