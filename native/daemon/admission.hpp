#pragma once
// The one admission pipeline every WebSocket endpoint goes through, in this order:
//   origin -> relay stopping -> repeated parameters -> the endpoint's own parse -> per-source rate ->
//   identity -> (reconnect: the session and its owner | new: caps, then target policy and dial) ->
//   upgrade -> the session starts (or resumes) with the socket.
// A refusal is audited and answered the endpoint's way: v4 completes the upgrade and closes with a code
// (the close reason is the only text the Secure Shell extension shows), others answer an HTTP status
// with a readable body before any upgrade. Runs on the connection's strand; the HttpSession that read
// the request hands its stream over and is done.
#include <boost/beast/core.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>
#include <optional>
#include <string>

#include "core/cluster/forward_preamble.hpp"
#include "core/policy/target_policy.hpp"
#include "native/daemon/client_connection.hpp"
#include "native/daemon/identity/authenticator.hpp"
#include "native/daemon/relay_context.hpp"
#include "native/daemon/router.hpp"
#include "native/daemon/session_registry.hpp"
#include "native/daemon/target_dialer.hpp"
#include "native/daemon/cluster/session_directory.hpp"

namespace sshrelay::daemon {

// In a cluster, a reconnect for a session this node does not hold is looked up in the session directory
// and, after the same ownership check, handed whole to the owner over the internal link (the owner's
// Admission runs it again with `forwarded`: the identity and address this node vouched for, no second
// authentication). A directory that cannot be asked, or an owner that cannot be reached, is answered
// with 503 before any upgrade: the client retries, as after a drop, rather than give the session up.
template <class Stream>
class Admission : public std::enable_shared_from_this<Admission<Stream>> {
 public:
  // `leftover`: bytes read behind the request (the client may send frames at once).
  Admission(RelayContext& ctx, Stream&& stream, boost::beast::flat_buffer&& leftover, Request request, WsRequest ws,
            ConnectionPeer peer, std::optional<cluster::ForwardPreamble> forwarded = std::nullopt);
  void run();

 private:
  void on_authenticated(Result<identity::Principal> who);
  void resume_session();
  // Cluster: the session is not here; where is it?
  void look_up_elsewhere();
  void on_looked_up(Result<SessionDirectory::Lookup> found);
  void forward_to(const cluster::NodeRecord& owner);
  // Audits the refusal and answers 503 whatever the endpoint: the client is to try again.
  void refuse_for_now(std::string reason, std::string detail);
  // Rendezvous legs: the token decides the slot (identity, when there is one, is only recorded).
  void join_rendezvous();
  // Holds a place under the session caps, or refuses (audited) and returns false.
  bool reserve_slot(bool anonymous);
  // A session the relay hosts (a tunnel): no dial.
  void host_session();
  void resume_leg(const std::string& id, const std::string& token, const std::string& leg_sid, std::uint64_t ack);
  void move_to_context_of(const Strand& strand);
  void dial();
  void on_dialed(DialOutcome outcome);
  // Audits the refusal (principal, source, target, path; `detail` says why), then refuses.
  void deny(AuditEventType type, std::uint16_t code, std::string reason, std::string detail);
  void refuse(std::uint16_t code, std::string reason);
  void audit_refusal(AuditEventType type, std::uint16_t code, const std::string& reason, std::string detail);
  // Writes the 101, then calls then(connection) on this strand (a null connection if the write failed).
  template <class Then>
  void upgrade(Then then);
  ClientPeer client_peer() const;

  RelayContext& ctx_;
  Stream stream_;
  boost::beast::flat_buffer leftover_;
  Request request_;
  WsRequest ws_;
  ConnectionPeer peer_;
  std::string client_ip_;  // the user's address: the peer, or X-Forwarded-For from a trusted proxy
  EndpointRequest parsed_;
  PrincipalView principal_;
  VouchedIdentity identity_;   // for the audit trail
  std::chrono::steady_clock::time_point dial_started_;
  std::string target_;         // for the audit trail
  std::string requested_sid_;  // for the audit trail
  bool fixed_target_ = false;  // --relay-target: the operator's own choice, not checked by the policy
  bool anonymous_ = false;     // nobody in particular (provider none without a user header)
  std::optional<cluster::ForwardPreamble> forwarded_;  // handed over by another node of the cluster
  SessionSlot slot_;
  std::optional<Strand> session_strand_;
};

extern template class Admission<boost::beast::tcp_stream>;
extern template class Admission<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

}  // namespace sshrelay::daemon
