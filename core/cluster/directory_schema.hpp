#pragma once
// The session directory's layout in Redis: which keys hold what, the commands that write them and the
// parsing of what reads them back. The one place the layout is written down (docs/cluster.md shows it);
// the native directory (native/daemon/cluster/session_directory) only sends these commands.
//
//   sshrelay:nodes               SET   ids of nodes that registered (pruned of those whose record expired)
//   sshrelay:node:<id>           HASH  address (internal link host:port), pid, started, sessions; TTL
//   sshrelay:load:<id>           HASH  principal -> sessions of that principal on the node; same TTL
//   sshrelay:session:<sid>       HASH  owner, principal, kind, expires; TTL past its grace deadline
//   sshrelay:ended:<sid>         HASH  principal, code, reason: how a session ended, for the grace period
//                                      (a client whose close frame was lost learns it on any node)
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay::cluster {

using Command = std::vector<std::string>;

inline constexpr std::string_view kKeyPrefix = "sshrelay:";

std::string nodes_key();
std::string node_key(std::string_view node_id);
std::string load_key(std::string_view node_id);
std::string session_key(std::string_view sid);
std::string ended_key(std::string_view sid);

// A node as the others see it.
struct NodeRecord {
  std::string id;
  std::string address;           // where its internal link listens: host:port
  std::int64_t pid = 0;
  std::int64_t started_ms = 0;   // Unix ms
  std::uint64_t sessions = 0;    // all its sessions, of every kind
};

// A session as the directory holds it: enough for another node to forward a reconnect, or refuse it.
struct SessionRecord {
  std::string owner;      // the node id holding it
  std::string principal;  // only it may reconnect
  std::string kind;       // the endpoint's kind: "v4"
  std::int64_t expires_ms = 0;  // Unix ms of its grace deadline while detached; 0 while attached
};

// Commands that (re)write a node's record and load, refreshing their TTL, in one MULTI/EXEC so readers
// never see the load of a node without its record. `load`: sessions per principal (anonymous ones are
// not a principal's and are left out).
std::vector<Command> publish_node(const NodeRecord& node, const std::map<std::string, std::uint64_t>& load,
                                  std::int64_t ttl_ms);
// Removes a node's record, load and membership (a node that stops for good).
std::vector<Command> withdraw_node(std::string_view node_id);
// Writes a session's record with a TTL (the grace deadline plus a margin, or the node TTL while attached).
std::vector<Command> publish_session(std::string_view sid, const SessionRecord& record, std::int64_t ttl_ms);
Command remove_session(std::string_view sid);

// How a session ended, kept for `ttl_ms` after its record is removed.
struct SessionEndingRecord {
  std::string principal;
  std::uint16_t code = 0;
  std::string reason;
};
std::vector<Command> publish_ending(std::string_view sid, const SessionEndingRecord& ending, std::int64_t ttl_ms);
Result<std::optional<SessionEndingRecord>> parse_ending_record(const std::vector<std::string>& fields);

// HGETALL's reply (field, value, field, value...) as records. An empty reply (no such key) is nothing;
// a record missing a field it must have is a protocol error naming it.
Result<std::optional<SessionRecord>> parse_session_record(const std::vector<std::string>& fields);
Result<std::optional<NodeRecord>> parse_node_record(std::string_view node_id, const std::vector<std::string>& fields);
// A load hash: principal -> count. Counts that are not numbers are skipped.
std::map<std::string, std::uint64_t> parse_load(const std::vector<std::string>& fields);

// Sessions the other nodes hold: what the caps add to this node's own count.
struct ClusterLoad {
  std::uint64_t total = 0;
  std::map<std::string, std::uint64_t> per_principal;

  void add_node(const NodeRecord& node, const std::map<std::string, std::uint64_t>& load);
  std::uint64_t of(const std::string& principal) const;
};

}  // namespace sshrelay::cluster
