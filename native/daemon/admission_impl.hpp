#pragma once
// Admission's member definitions. Each stream type is instantiated in its own .cpp (admission_plain.cpp,
// admission_tls.cpp): one TLS instantiation per translation unit keeps the compiler's memory in bounds.
#include "native/daemon/admission.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <openssl/rand.h>
#include <unistd.h>

#include <memory>

#include "core/policy/client_address.hpp"
#include "core/session/session_id.hpp"
#include "core/wire/close_code.hpp"
#include "native/common/unix_time.hpp"
#include "native/daemon/cluster/byte_splice.hpp"
#include "native/daemon/cluster/forward_mac.hpp"
#include "native/daemon/http_refusal.hpp"
#include "core/rendezvous/rendezvous_api.hpp"
#include "native/daemon/log.hpp"
#include "native/daemon/rendezvous/rendezvous_hub.hpp"
#include "native/daemon/rendezvous/rendezvous_pair.hpp"
#include "native/daemon/websocket_upgrade.hpp"

namespace sshrelay::daemon {
namespace admission_detail {

// 128 random bits from OpenSSL, or nothing if it has none to give.
inline std::optional<std::string> new_session_id() {
  std::array<std::uint8_t, 16> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) return std::nullopt;
  auto sid = make_session_id(random);
  if (!sid) return std::nullopt;
  return *sid;
}

// What the client is told, and what the audit trail's event.reason says.
struct CapRefusal {
  std::string reason;
  std::string detail;
};
inline CapRefusal cap_refusal(SessionRegistry::Refusal refusal) {
  switch (refusal) {
    case SessionRegistry::Refusal::total_full: return {"too many sessions on this relay", std::string(kRelaySessionCapReason)};
    case SessionRegistry::Refusal::principal_full:
      return {"you have too many sessions open on this relay", std::string(kPrincipalSessionCapReason)};
    case SessionRegistry::Refusal::source_full:
      return {"too many connections from your address", "per-source connection cap"};
    case SessionRegistry::Refusal::none: break;
  }
  return {};
}

}  // namespace admission_detail

template <class Stream>
Admission<Stream>::Admission(RelayContext& ctx, Stream&& stream, boost::beast::flat_buffer&& leftover, Request request,
                             WsRequest ws, ConnectionPeer peer, std::optional<cluster::ForwardPreamble> forwarded)
    : ctx_(ctx),
      stream_(std::move(stream)),
      leftover_(std::move(leftover)),
      request_(std::move(request)),
      ws_(std::move(ws)),
      peer_(std::move(peer)),
      forwarded_(std::move(forwarded)) {}

template <class Stream>
void Admission<Stream>::run() {
  client_ip_ = forwarded_ ? forwarded_->client_ip : client_address(ctx_, request_, peer_);
  const auto origin = request_[http::field::origin];
  if (!ctx_.origins.allows(origin, request_[http::field::host])) {
    return deny(AuditEventType::policy_denied, close_code::denied, "origin " + std::string(origin) + " is not allowed",
                "origin not allowed");
  }
  if (ctx_.stopping) return deny(AuditEventType::policy_denied, close_code::service_restart, "relay is restarting", "stopping");
  if (!ws_.repeated.empty()) {
    const std::string why = ws_.repeated + "= is given more than once";
    return deny(AuditEventType::policy_denied, close_code::protocol_error, why, why);
  }
  fixed_target_ = ctx_.config.relay_target && ws_.endpoint->kind == "relay";
  auto parsed = ws_.endpoint->parse(ws_.params, fixed_target_ ? ctx_.config.relay_target : std::nullopt);
  if (auto* refusal = std::get_if<RequestRefusal>(&parsed)) {
    return deny(AuditEventType::policy_denied, refusal->code, refusal->reason, refusal->reason);
  }
  parsed_ = std::get<EndpointRequest>(std::move(parsed));
  if (parsed_.target) target_ = parsed_.target->to_string();
  if (forwarded_) {
    // The internal link carries only the reconnect its line names; the forwarding node did the rest.
    if (ws_.endpoint->kind != "v4" || !parsed_.resume_sid || *parsed_.resume_sid != forwarded_->sid) {
      return deny(AuditEventType::policy_denied, close_code::protocol_error, "a forwarded request must be the reconnect it names",
                  "forwarded request from node " + forwarded_->from_node + " is not the reconnect its line names");
    }
    return on_authenticated(identity::Principal{forwarded_->principal, nlohmann::json::object(),
                                                "forwarded by node " + forwarded_->from_node, forwarded_->anonymous});
  }
  if (!ctx_.connect_rate.allow(client_ip_, std::chrono::steady_clock::now())) {
    log(LogLevel::warn, "connection attempts from " + client_ip_ + " over the rate limit");
    return deny(AuditEventType::policy_denied, close_code::session_cap,
                "too many connection attempts; try again in a minute", "connection rate limit");
  }
  ctx_.authenticator->async_authenticate(request_, [self = this->shared_from_this()](Result<identity::Principal> who) {
    net::post(self->stream_.get_executor(),
              [self, who = std::move(who)]() mutable { self->on_authenticated(std::move(who)); });
  });
}

template <class Stream>
void Admission<Stream>::on_authenticated(Result<identity::Principal> who) {
  if (!who && ws_.endpoint->make_leg) {
    // A leg's credential is its slot token: the host side behind NAT often has no identity at all. One
    // that was vouched for is recorded in the audit trail; one that was not is nobody in particular.
    log(LogLevel::debug, "rendezvous leg from " + client_ip_ + " without a verified identity: " + who.error().message);
    who = identity::Principal{std::string(), nlohmann::json::object(), std::string(), true};
  }
  if (!who) {
    // The log and the audit trail get the check that failed; the client learns as much when its token is
    // at fault, and only that the relay could not check it otherwise.
    log(LogLevel::warn, "request from " + client_ip_ + " refused: " + who.error().message);
    const bool relay_side = who.error().kind == ErrorKind::local;
    return deny(AuditEventType::auth_denied, close_code::identity_invalid,
                relay_side ? "identity could not be verified; try again later" : "identity: " + who.error().message,
                who.error().message);
  }
  principal_ = identity::principal_view(*who);
  anonymous_ = who->anonymous;
  if (forwarded_) {
    identity_ = {forwarded_->identity_provider, forwarded_->identity_subject, forwarded_->identity_email};
  } else if (!who->anonymous) {
    const auto claim = [&](const char* name) {
      const auto it = who->claims.find(name);
      return it != who->claims.end() && it->is_string() ? it->template get<std::string>() : std::string();
    };
    identity_ = {ctx_.config.identity.provider, claim("sub"), claim("email")};
    if (identity_.subject.empty() && who->claims.empty()) identity_.subject = who->name;  // a trusted header's value
  }
  if (ws_.endpoint->make_leg) return join_rendezvous();
  if (ws_.endpoint->make_hosted) return host_session();
  if (parsed_.resume_sid) return resume_session();
  if (reserve_slot(who->anonymous)) dial();
}

// Sessions without an identity are not one principal's: only the total and per-address caps apply to
// them (as in the Python relay), or one user could use up the anonymous share for everyone.
template <class Stream>
bool Admission<Stream>::reserve_slot(bool anonymous) {
  SessionRegistry::Refusal refusal{};
  slot_ = ctx_.registry.reserve(anonymous ? std::string() : principal_.name, client_ip_, refusal);
  if (slot_) return true;
  auto cap = admission_detail::cap_refusal(refusal);
  deny(AuditEventType::policy_denied, close_code::session_cap, std::move(cap.reason), std::move(cap.detail));
  return false;
}

template <class Stream>
void Admission<Stream>::resume_session() {
  requested_sid_ = *parsed_.resume_sid;
  auto session = ctx_.registry.find(requested_sid_);
  if (!session && ctx_.directory && !forwarded_ && !ctx_.registry.ending_of(requested_sid_, std::chrono::steady_clock::now())) {
    return look_up_elsewhere();
  }
  // Another principal's session is reported exactly like a missing one: sids are not to be probed.
  if (!session || session->principal() != principal_.name) {
    if (!session) {
      // A session that ended cleanly while the client was away (its close frame lost in the drop): the
      // client learns how it ended rather than "unknown session".
      auto ending = ctx_.registry.ending_of(requested_sid_, std::chrono::steady_clock::now());
      if (ending && ending->principal == principal_.name) {
        log(LogLevel::info, "reconnect from " + peer_.text + " to an ended session: " + std::to_string(ending->code));
        return upgrade([code = ending->code, reason = ending->reason](std::shared_ptr<ClientConnection> client) {
          if (client) close_client(std::move(client), code, reason);
        });
      }
    }
    const std::string why = session ? "reconnect to a session owned by " + session->principal() : "unknown session";
    if (session) log(LogLevel::warn, "sid=" + session->sid() + " reconnect by " + principal_.name + " refused: not the owner");
    return deny(AuditEventType::policy_denied, close_code::unknown_session, "unknown session", why);
  }
  upgrade([session, ack = parsed_.resume_ack, peer = client_peer()](std::shared_ptr<ClientConnection> client) {
    if (client) session->resume(std::move(client), ack, peer);
  });
}

template <class Stream>
void Admission<Stream>::look_up_elsewhere() {
  ctx_.directory->lookup(requested_sid_, [self = this->shared_from_this()](Result<SessionDirectory::Lookup> found) {
    net::post(self->stream_.get_executor(), [self, found = std::move(found)]() mutable { self->on_looked_up(std::move(found)); });
  });
}

template <class Stream>
void Admission<Stream>::on_looked_up(Result<SessionDirectory::Lookup> found) {
  if (!found) {
    log(LogLevel::warn, "reconnect from " + peer_.text + " for sid=" + requested_sid_ + " cannot be looked up: " + found.error().message);
    return refuse_for_now("the session directory is unreachable; try again shortly", "session directory unreachable: " + found.error().message);
  }
  const auto& record = found->record;
  if (!record) {
    // Ended while the client was away (on whichever node): the client learns how, as on one relay.
    if (found->ending && found->ending->principal == principal_.name) {
      log(LogLevel::info, "reconnect from " + peer_.text + " to an ended session: " + std::to_string(found->ending->code));
      return upgrade([code = found->ending->code, reason = found->ending->reason](std::shared_ptr<ClientConnection> client) {
        if (client) close_client(std::move(client), code, reason);
      });
    }
    return deny(AuditEventType::policy_denied, close_code::unknown_session, "unknown session", "unknown session (in the cluster too)");
  }
  // The ownership check comes before anything is forwarded; another principal's session is reported
  // exactly like a missing one.
  if (record->principal != principal_.name) {
    log(LogLevel::warn, "sid=" + requested_sid_ + " reconnect by " + principal_.name + " refused: not the owner (node " + record->owner + ")");
    return deny(AuditEventType::policy_denied, close_code::unknown_session, "unknown session",
                "reconnect to a session owned by " + record->principal + " (on node " + record->owner + ")");
  }
  if (record->owner == ctx_.directory->node_id() || !found->owner) {
    const std::string why = record->owner == ctx_.directory->node_id() ? "the directory's record is stale (the session is not on this node)"
                                                                        : "its node " + record->owner + " is gone";
    return deny(AuditEventType::policy_denied, close_code::unknown_session, "unknown session", why);
  }
  forward_to(*found->owner);
}

namespace admission_detail {

// "host:port" or "[v6]:port" split; nothing when malformed.
inline std::optional<std::pair<std::string, std::string>> split_host_port(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return std::nullopt;
  std::string host = address.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::make_pair(host, address.substr(colon + 1));
}

}  // namespace admission_detail

template <class Stream>
void Admission<Stream>::forward_to(const cluster::NodeRecord& owner) {
  target_ = "node " + owner.id + " " + owner.address;
  const auto where = admission_detail::split_host_port(owner.address);
  if (!where) return refuse_for_now("the relay holding this session cannot be reached", "bad internal address " + owner.address);
  auto link = std::make_shared<boost::beast::tcp_stream>(stream_.get_executor());
  link->expires_after(std::chrono::seconds(3));
  auto resolver = std::make_shared<tcp::resolver>(stream_.get_executor());
  resolver->async_resolve(where->first, where->second, [self = this->shared_from_this(), link, resolver, owner](
                                                           boost::system::error_code ec, tcp::resolver::results_type results) {
    if (ec) {
      return self->refuse_for_now("the relay holding this session cannot be reached; try again shortly",
                                  "cannot resolve node " + owner.id + " at " + owner.address + ": " + ec.message());
    }
    link->async_connect(results, [self, link, owner](boost::system::error_code e, const tcp::endpoint&) {
      if (e) {
        log(LogLevel::warn, "cluster: node " + owner.id + " at " + owner.address + " cannot be reached: " + e.message());
        return self->refuse_for_now("the relay holding this session cannot be reached; try again shortly",
                                    "node " + owner.id + " at " + owner.address + " unreachable: " + e.message());
      }
      cluster::ForwardPreamble preamble;
      preamble.from_node = self->ctx_.directory->node_id();
      preamble.at_ms = unix_millis_now();
      preamble.nonce = random_nonce().value_or("");
      preamble.sid = self->requested_sid_;
      preamble.principal = self->principal_.name;
      preamble.anonymous = self->anonymous_;
      const auto peer = self->client_peer();
      preamble.client_ip = peer.address;
      preamble.client_port = peer.port;
      preamble.identity_provider = self->identity_.provider;
      preamble.identity_subject = self->identity_.subject;
      preamble.identity_email = self->identity_.email;
      auto line = signed_forward_line(self->ctx_.config.cluster.secret, preamble);
      if (!line || preamble.nonce.empty()) return self->refuse(close_code::internal_error, "the relay could not sign the forwarded reconnect");
      std::ostringstream request;
      request << self->request_;
      std::string head = std::move(*line) + request.str();
      const auto pending = self->leftover_.cdata();
      if (pending.size() > 0) head.append(static_cast<const char*>(pending.data()), pending.size());

      AuditEvent event = session_audit_event(AuditEventType::session_forward, {}, peer);
      event.principal = self->principal_.name;
      self->identity_.put_into(event);
      event.sid = self->requested_sid_;
      event.endpoint = std::string(self->ws_.endpoint->kind);
      event.target = self->target_;
      event.path = std::string(self->request_.target());
      self->ctx_.audit(std::move(event));
      log(LogLevel::info, "sid=" + self->requested_sid_ + " reconnect from " + self->peer_.text + " forwarded to node " + owner.id +
                              " (" + owner.address + ")");
      std::make_shared<ByteSplice<Stream>>(std::move(self->stream_), link->release_socket(), std::move(head))->run();
    });
  });
}

template <class Stream>
void Admission<Stream>::refuse_for_now(std::string reason, std::string detail) {
  audit_refusal(AuditEventType::policy_denied, close_code::service_restart, reason, std::move(detail));
  answer_and_close(stream_, closing_response(http::status::service_unavailable, close_reason_text(reason) + "\n"),
                   this->shared_from_this());
}

namespace admission_detail {

// The registry's refusal of a leg as a close code (the HTTP status follows from it for plain legs).
inline std::uint16_t leg_refusal_code(const rendezvous::Refusal& refusal) {
  switch (refusal.http_status) {
    case 401: return close_code::wrong_token;
    case 409: return close_code::slot_taken;
    case 410: return close_code::session_expired;
    case 404: return close_code::unknown_rendezvous;
    default: return close_code::denied;
  }
}

// "Authorization: Bearer <token>" (swsrs's plain legs may send the slot token so), else empty.
inline std::string bearer_token(const Request& request) {
  const auto value = request[http::field::authorization];
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() || value.substr(0, kBearer.size()) != kBearer) return {};
  return std::string(value.substr(kBearer.size()));
}

}  // namespace admission_detail

template <class Stream>
void Admission<Stream>::join_rendezvous() {
  if (!ctx_.rendezvous) {
    return deny(AuditEventType::policy_denied, close_code::unknown_rendezvous, "no such rendezvous session",
                "rendezvous is not enabled");
  }
  const bool resumable = ws_.endpoint->resumable_leg;
  auto leg = rendezvous::parse_leg_request(ws_.rendezvous_id, ws_.params, admission_detail::bearer_token(request_), resumable);
  if (!leg) {
    const auto code = leg.error().message == "missing session token" ? close_code::wrong_token : close_code::protocol_error;
    return deny(AuditEventType::policy_denied, code, leg.error().message, leg.error().message);
  }
  target_ = "rendezvous " + leg->id;
  if (leg->resume_sid) return resume_leg(leg->id, leg->token, *leg->resume_sid, leg->resume_ack);
  if (!reserve_slot(principal_.name.empty() || identity_.provider.empty())) return;
  auto& home = static_cast<net::io_context&>(
      net::query(boost::beast::get_lowest_layer(stream_).get_executor(), net::execution::context));
  auto joined = ctx_.rendezvous->join(leg->id, leg->token, net::make_strand(home));
  if (auto* refusal = std::get_if<rendezvous::Refusal>(&joined)) {
    slot_ = SessionSlot{};
    return deny(AuditEventType::policy_denied, admission_detail::leg_refusal_code(*refusal), refusal->reason,
                "rendezvous " + leg->id + ": " + refusal->reason);
  }
  auto& [slot, pair] = std::get<RendezvousHub::Joined>(joined);
  move_to_context_of(pair->strand());
  auto sid = admission_detail::new_session_id();
  if (!sid) {
    ctx_.rendezvous->leg_ended(leg->id, slot);
    return refuse(close_code::internal_error, "the relay has no randomness for a session id");
  }
  SessionDescription description{*sid, principal_.name, {}, Target{}, std::string(ws_.endpoint->kind), identity_, 0,
                                 leg->id + "/" + rendezvous::slot_name(slot)};
  auto session = ws_.endpoint->make_leg(ctx_, pair, slot, std::move(description));
  ctx_.registry.add(std::move(slot_), session);
  upgrade([session, peer = client_peer()](std::shared_ptr<ClientConnection> client) {
    if (client) return session->start(std::move(client), peer);
    session->shutdown(close_code::normal, "WebSocket upgrade failed");
  });
}

// Both legs of a pair run on the pair's strand; a leg accepted on another I/O thread would have every
// read and write of its socket cross threads (bench: about 1.5x the CPU per byte at --threads 2). A
// plain TCP socket is handed to the pair's io_context before the upgrade (no operation is pending on it
// now). A TLS stream keeps its context: its OpenSSL state cannot be moved.
template <class Stream>
void Admission<Stream>::move_to_context_of(const Strand& strand) {
  if constexpr (std::is_same_v<Stream, boost::beast::tcp_stream>) {
    auto& target = static_cast<net::io_context&>(net::query(strand.get_inner_executor(), net::execution::context));
    auto& socket = stream_.socket();
    auto& current = static_cast<net::io_context&>(net::query(socket.get_executor(), net::execution::context));
    if (&current == &target) return;
    boost::system::error_code ec;
    const auto protocol = socket.local_endpoint(ec).protocol();
    if (ec) return;
    const auto fd = socket.release(ec);
    if (ec) return;
    tcp::socket moved(target);
    moved.assign(protocol, fd, ec);
    if (ec) {
      ::close(fd);
      return;
    }
    // A tcp_stream cannot be assigned (its timer lives on the old context too): a new one takes the place
    // of the old, whose socket no longer owns the descriptor.
    std::destroy_at(&stream_);
    std::construct_at(&stream_, std::move(moved));
  } else {
    (void)strand;
  }
}

template <class Stream>
void Admission<Stream>::resume_leg(const std::string& id, const std::string& token, const std::string& leg_sid,
                                   std::uint64_t ack) {
  requested_sid_ = leg_sid;
  const auto slot = ctx_.rendezvous->slot_of(id, token);
  auto session = ctx_.registry.find(leg_sid);
  // A token that opens no slot, or a leg of another slot or session, is reported like a missing leg.
  if (!slot || !session || session->rendezvous_leg() != id + "/" + rendezvous::slot_name(*slot)) {
    const std::string why = !slot ? "rendezvous resume with a token for no slot of " + id : "unknown leg";
    return deny(AuditEventType::policy_denied, close_code::unknown_session, "unknown session", why);
  }
  if (auto pair = ctx_.rendezvous->pair_of(id)) move_to_context_of(pair->strand());
  upgrade([session, ack, peer = client_peer()](std::shared_ptr<ClientConnection> client) {
    if (client) session->resume(std::move(client), ack, peer);
  });
}

template <class Stream>
void Admission<Stream>::host_session() {
  if (ws_.endpoint->kind == "tunnel" && !ctx_.tunnels) {
    return deny(AuditEventType::policy_denied, close_code::denied, "tunnels are not enabled on this relay (--tunnels)",
                "tunnels are not enabled");
  }
  // A tunnel counts as a session: the same caps, per principal and per address (wsproxy counts /relay
  // and /tunnel together too).
  if (!reserve_slot(principal_.name.empty() || identity_.provider.empty())) return;
  auto sid = admission_detail::new_session_id();
  if (!sid) return refuse(close_code::internal_error, "the relay has no randomness for a session id");
  auto& home = static_cast<net::io_context&>(
      net::query(boost::beast::get_lowest_layer(stream_).get_executor(), net::execution::context));
  SessionDescription description{*sid, principal_.name, {}, Target{}, std::string(ws_.endpoint->kind), identity_, 0, {}};
  description.tunnel_streams = parsed_.tunnel_streams;
  description.tunnel_stable_subdomain = parsed_.tunnel_stable_subdomain;
  auto session = ws_.endpoint->make_hosted(ctx_, net::make_strand(home), std::move(description));
  ctx_.registry.add(std::move(slot_), session);
  upgrade([session, peer = client_peer()](std::shared_ptr<ClientConnection> client) {
    if (client) return session->start(std::move(client), peer);
    session->shutdown(close_code::normal, "WebSocket upgrade failed");
  });
}

template <class Stream>
void Admission<Stream>::dial() {
  // The session's strand exists before its target socket, so the socket lives on it from birth, on the
  // io_context (thread) of this connection.
  auto& home = static_cast<net::io_context&>(
      net::query(boost::beast::get_lowest_layer(stream_).get_executor(), net::execution::context));
  session_strand_.emplace(net::make_strand(home));
  dial_started_ = std::chrono::steady_clock::now();
  DialRequest dial{*parsed_.target, principal_, fixed_target_ ? nullptr : &ctx_.policy, ctx_.source_ports,
                   std::chrono::duration_cast<std::chrono::milliseconds>(ctx_.config.connect_timeout)};
  async_dial(*session_strand_, std::move(dial), [self = this->shared_from_this()](DialOutcome outcome) mutable {
    net::post(self->stream_.get_executor(),
              [self, outcome = std::move(outcome)]() mutable { self->on_dialed(std::move(outcome)); });
  });
}

template <class Stream>
void Admission<Stream>::on_dialed(DialOutcome outcome) {
  if (outcome.error) {
    slot_ = SessionSlot{};
    log(LogLevel::info, "connect from " + peer_.text + " to " + target_ + " refused: " + outcome.reason);
    // A target the policy forbids, or no pinned port left, is a denial to audit; an unreachable target
    // is the network's doing.
    if (outcome.close_code == close_code::denied || outcome.close_code == close_code::port_pool_exhausted) {
      return deny(AuditEventType::policy_denied, outcome.close_code, outcome.reason, outcome.reason);
    }
    return refuse(outcome.close_code, std::move(outcome.reason));
  }
  auto sid = admission_detail::new_session_id();
  if (!sid) return refuse(close_code::internal_error, "the relay has no randomness for a session id");
  // From the start of the dial to connected, the name lookup included (the Python relay times the TCP
  // connect alone).
  const auto dial_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - dial_started_);
  SessionDescription description{*sid, principal_.name, parsed_.target_user, *parsed_.target,
                                 std::string(ws_.endpoint->kind), identity_, static_cast<std::uint64_t>(dial_ms.count()), {}};
  auto session = ws_.endpoint->make_session(ctx_, *session_strand_, std::move(outcome), std::move(description));
  ctx_.registry.add(std::move(slot_), session);
  upgrade([session, peer = client_peer()](std::shared_ptr<ClientConnection> client) {
    if (client) return session->start(std::move(client), peer);
    session->shutdown(close_code::normal, "WebSocket upgrade failed");
  });
}

template <class Stream>
ClientPeer Admission<Stream>::client_peer() const {
  const auto port = forwarded_ ? forwarded_->client_port : client_ip_ == peer_.ip ? peer_.port : std::uint16_t{0};
  return ClientPeer{client_ip_, port, peer_.text,
                    std::string(request_.target()), std::string(request_[http::field::user_agent])};
}

template <class Stream>
void Admission<Stream>::deny(AuditEventType type, std::uint16_t code, std::string reason, std::string detail) {
  audit_refusal(type, code, reason, std::move(detail));
  refuse(code, std::move(reason));
}

template <class Stream>
void Admission<Stream>::audit_refusal(AuditEventType type, std::uint16_t code, const std::string& reason, std::string detail) {
  AuditEvent event;
  event.type = type;
  event.principal = principal_.name;
  identity_.put_into(event);
  const auto peer = client_peer();
  event.user_agent = peer.user_agent;
  event.source_ip = peer.address;
  event.source_port = peer.port;
  event.target = target_;
  event.sid = requested_sid_;
  event.endpoint = std::string(ws_.endpoint->kind);
  event.path = std::string(request_.target());
  event.close_code = code;
  event.close_reason = close_reason_text(reason);
  event.reason = std::move(detail);
  ctx_.audit(std::move(event));
}

template <class Stream>
void Admission<Stream>::refuse(std::uint16_t code, std::string reason) {
  if (ws_.endpoint->refusals_as_close_frames) {
    return upgrade([code, reason = std::move(reason)](std::shared_ptr<ClientConnection> client) {
      if (client) close_client(std::move(client), code, reason);
    });
  }
  answer_and_close(stream_,
                   closing_response(static_cast<http::status>(http_status_for(code)), close_reason_text(reason) + "\n"),
                   this->shared_from_this());
}

template <class Stream>
template <class Then>
void Admission<Stream>::upgrade(Then then) {
  const auto key = request_[http::field::sec_websocket_key];
  const auto offered = request_[http::field::sec_websocket_protocol];
  const bool echo = offers_subprotocol(offered, ws_.endpoint->subprotocol);
  auto response = std::make_shared<std::string>(upgrade_response(key, echo ? ws_.endpoint->subprotocol : ""));
  boost::beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
  net::async_write(stream_, net::buffer(*response),
                   [self = this->shared_from_this(), response, then = std::move(then)](boost::system::error_code ec,
                                                                                      std::size_t) mutable {
                     if (ec) {
                       log(LogLevel::debug, "WebSocket upgrade for " + self->peer_.text + " failed: " + ec.message());
                       return then(nullptr);
                     }
                     boost::beast::get_lowest_layer(self->stream_).expires_never();  // the session's liveness rules now
                     const auto pending = self->leftover_.cdata();
                     auto client = std::make_shared<ClientConnection>(
                         std::move(self->stream_), self->ws_.endpoint->max_message,
                         std::span(static_cast<const std::uint8_t*>(pending.data()), pending.size()));
                     client->set_packs_frames(self->parsed_.pack_frames);
                     then(std::move(client));
                   });
}

}  // namespace sshrelay::daemon
