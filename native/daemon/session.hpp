#pragma once
// What the daemon knows of any session, whatever its endpoint: the registry, /statz and shutdown hold
// sessions through this interface. A session runs on its own strand; every method here is safe from any
// thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>
#include <optional>
#include <string>
#include <string_view>

#include "core/audit/audit_event.hpp"

namespace sshrelay::daemon {

class ClientConnection;

// The far end of one WebSocket, for the log and the audit trail.
// The TCP peer of a connection, as accepted.
struct ConnectionPeer {
  std::string ip;
  std::uint16_t port = 0;
  std::string text;  // "ip:port", for log lines
};

struct ClientPeer {
  std::string address;     // the user's address: X-Forwarded-For from a trusted proxy, else the TCP peer
  std::uint16_t port = 0;  // the TCP peer's port when that is the user (0 behind a proxy)
  std::string text;        // the TCP peer "ip:port", for log lines
  std::string path;        // the request target (/v4/connect?...), for the audit trail, which redacts it
  std::string user_agent;  // its User-Agent header, for the audit trail
};

// Who vouched for the principal, for the audit trail: empty provider for a session nobody vouched for.
struct VouchedIdentity {
  std::string provider;  // --identity-provider
  std::string subject;   // the token's sub (or the trusted header's value)
  std::string email;     // the token's email, if any

  void put_into(AuditEvent& event) const {
    event.identity_provider = provider;
    event.identity_subject = subject;
    event.identity_email = email;
  }
};

// A session on its way to a successor process (sshrelayd --takeover, docs/cluster.md): what it is and
// where its stream stands (JSON), its unacknowledged bytes, and its target socket's descriptor, which
// this process no longer owns — and its client's socket too when that moves with it (plain TCP), with
// the bytes read from it but not yet parsed.
struct HandedSession {
  nlohmann::json state;
  std::vector<std::uint8_t> unacked;
  int target_fd = -1;
  int client_fd = -1;
  std::vector<std::uint8_t> client_unread;
};

class Session {
 public:
  virtual ~Session() = default;
  virtual const std::string& sid() const = 0;
  virtual const std::string& principal() const = 0;
  virtual std::string_view kind() const = 0;  // the endpoint's name: "v4", "relay"
  virtual bool attached() const = 0;
  // For a rendezvous leg, "<rendezvous id>/<slot>" (a resume must present a token for that slot); else empty.
  virtual const std::string& rendezvous_leg() const = 0;
  // The first socket, upgraded by the request that created the session.
  virtual void start(std::shared_ptr<ClientConnection> client, ClientPeer peer) = 0;
  // Ends the session with a close frame to the attached client (if any).
  virtual void shutdown(std::uint16_t code, std::string reason) = 0;
  // A reconnect's upgraded socket, for a session that can resume (v4): checked on the session's strand,
  // then attached, or refused with a close frame leaving the session as it was. Others refuse (4404).
  virtual void resume(std::shared_ptr<ClientConnection> client, std::uint64_t ack, ClientPeer peer) = 0;
  // Stops the session here for a successor: the client's socket goes with it (plain TCP) or is dropped
  // (it resumes on the successor, losslessly), bytes in flight are written, and `done` gets the session,
  // or nothing when this kind of session (or this one's state) cannot move; it then carries on here.
  // Runs `done` on the session's strand.
  virtual void hand_over(std::function<void(std::optional<HandedSession>)> done) { done(std::nullopt); }
};

}  // namespace sshrelay::daemon
