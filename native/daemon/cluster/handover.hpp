#pragma once
// A restart that loses no session (HAProxy's seamless reload, for a relay): the running process offers
// its state on a Unix socket (--handover-socket); a new process started with --takeover connects and
// receives, with SCM_RIGHTS, the listening sockets (so no connection is refused meanwhile), then every
// v4 session — its target socket and resume state (counters, unacknowledged bytes), and its client's
// socket when that is plain TCP (with how far the stream was written on it and the bytes read but not
// parsed), so the WebSocket carries on; a TLS client's socket is dropped and it resumes on the new
// process from what it received. Nothing is lost either way. Then the old process exits. Sessions that cannot move (other kinds, or ending) stay behind and
// end with the old process (1012). docs/cluster.md.
//
// The exchange, one message each way at a time ([u32 json][u32 blob] lengths, the JSON, the blob; file
// descriptors ride on the first bytes):
//   new -> old  {"takeover": 1, "pid": N}
//   old -> new  {"node_id": ..., "listeners": [{"role": "public"|"cluster"|"metrics", "address": ...}]}  + fds
//   old -> new  {"session": {...}}  + blob (unacknowledged bytes [+ the client's unparsed bytes])
//                                  + the target fd [+ the client's fd]               (one per session)
//   old -> new  {"done": true, "sessions": N, "stayed": M}
//   new -> old  {"ok": true, "taken": N}
#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay::daemon {

struct HandoverMessage {
  nlohmann::json header;
  std::vector<std::uint8_t> blob;
  std::vector<int> fds;  // received: owned by the receiver
};

// Blocking, bounded by `timeout`; errors name what failed.
Status send_handover_message(int socket, const HandoverMessage& message, std::chrono::milliseconds timeout);
Result<HandoverMessage> receive_handover_message(int socket, std::chrono::milliseconds timeout);

// A listening Unix socket at `path` (0600; a stale file from a dead process is replaced). `replace`: the
// process listening there is leaving (this one took over from it): take the path from it.
Result<int> listen_handover_socket(const std::string& path, bool replace = false);
Result<int> connect_handover_socket(const std::string& path);

}  // namespace sshrelay::daemon
