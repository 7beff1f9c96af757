#include "core/cluster/directory_schema.hpp"

#include "core/common/text.hpp"

namespace sshrelay::cluster {
namespace {

std::string key(std::string_view kind, std::string_view id) {
  std::string out(kKeyPrefix);
  out.append(kind).append(":").append(id);
  return out;
}

std::map<std::string, std::string> field_map(const std::vector<std::string>& fields) {
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) out[fields[i]] = fields[i + 1];
  return out;
}

}  // namespace

std::string nodes_key() { return std::string(kKeyPrefix) + "nodes"; }
std::string node_key(std::string_view node_id) { return key("node", node_id); }
std::string load_key(std::string_view node_id) { return key("load", node_id); }
std::string session_key(std::string_view sid) { return key("session", sid); }
std::string ended_key(std::string_view sid) { return key("ended", sid); }

std::vector<Command> publish_node(const NodeRecord& node, const std::map<std::string, std::uint64_t>& load,
                                  std::int64_t ttl_ms) {
  const auto ttl = std::to_string(ttl_ms);
  std::vector<Command> commands;
  commands.push_back({"MULTI"});
  commands.push_back({"SADD", nodes_key(), node.id});
  commands.push_back({"HSET", node_key(node.id), "address", node.address, "pid", std::to_string(node.pid), "started",
                      std::to_string(node.started_ms), "sessions", std::to_string(node.sessions)});
  commands.push_back({"PEXPIRE", node_key(node.id), ttl});
  // The load is replaced whole: a principal whose last session ended must not linger.
  commands.push_back({"DEL", load_key(node.id)});
  Command hset = {"HSET", load_key(node.id)};
  for (const auto& [principal, count] : load) {
    if (principal.empty() || count == 0) continue;
    hset.push_back(principal);
    hset.push_back(std::to_string(count));
  }
  if (hset.size() > 2) {
    commands.push_back(std::move(hset));
    commands.push_back({"PEXPIRE", load_key(node.id), ttl});
  }
  commands.push_back({"EXEC"});
  return commands;
}

std::vector<Command> withdraw_node(std::string_view node_id) {
  return {{"SREM", nodes_key(), std::string(node_id)}, {"DEL", node_key(node_id), load_key(node_id)}};
}

std::vector<Command> publish_session(std::string_view sid, const SessionRecord& record, std::int64_t ttl_ms) {
  return {{"HSET", session_key(sid), "owner", record.owner, "principal", record.principal, "kind", record.kind, "expires",
           std::to_string(record.expires_ms)},
          {"PEXPIRE", session_key(sid), std::to_string(ttl_ms)}};
}

Command remove_session(std::string_view sid) { return {"DEL", session_key(sid)}; }

std::vector<Command> publish_ending(std::string_view sid, const SessionEndingRecord& ending, std::int64_t ttl_ms) {
  return {remove_session(sid),
          {"HSET", ended_key(sid), "principal", ending.principal, "code", std::to_string(ending.code), "reason", ending.reason},
          {"PEXPIRE", ended_key(sid), std::to_string(ttl_ms)}};
}

Result<std::optional<SessionEndingRecord>> parse_ending_record(const std::vector<std::string>& fields) {
  if (fields.empty()) return std::optional<SessionEndingRecord>();
  auto map = field_map(fields);
  SessionEndingRecord ending;
  if (!map.contains("principal") || !parse_decimal(map["code"], ending.code)) {
    return protocol_error("an ended-session record without its principal or code");
  }
  ending.principal = map["principal"];
  ending.reason = map["reason"];
  return std::optional<SessionEndingRecord>(std::move(ending));
}

Result<std::optional<SessionRecord>> parse_session_record(const std::vector<std::string>& fields) {
  if (fields.empty()) return std::optional<SessionRecord>();
  auto map = field_map(fields);
  SessionRecord record;
  for (const char* name : {"owner", "principal", "kind", "expires"}) {
    if (!map.contains(name)) return protocol_error(std::string("a session record without its '") + name + "' field");
  }
  record.owner = map["owner"];
  record.principal = map["principal"];
  record.kind = map["kind"];
  if (!parse_decimal(map["expires"], record.expires_ms)) return protocol_error("a session record whose 'expires' is not a number");
  return std::optional<SessionRecord>(std::move(record));
}

Result<std::optional<NodeRecord>> parse_node_record(std::string_view node_id, const std::vector<std::string>& fields) {
  if (fields.empty()) return std::optional<NodeRecord>();
  auto map = field_map(fields);
  NodeRecord node;
  node.id = std::string(node_id);
  if (!map.contains("address") || map["address"].empty()) return protocol_error("a node record without its 'address'");
  node.address = map["address"];
  (void)parse_decimal(map["pid"], node.pid);
  (void)parse_decimal(map["started"], node.started_ms);
  (void)parse_decimal(map["sessions"], node.sessions);
  return std::optional<NodeRecord>(std::move(node));
}

std::map<std::string, std::uint64_t> parse_load(const std::vector<std::string>& fields) {
  std::map<std::string, std::uint64_t> load;
  for (const auto& [principal, text] : field_map(fields)) {
    std::uint64_t count = 0;
    if (parse_decimal(text, count)) load[principal] = count;
  }
  return load;
}

void ClusterLoad::add_node(const NodeRecord& node, const std::map<std::string, std::uint64_t>& load) {
  total += node.sessions;
  for (const auto& [principal, count] : load) per_principal[principal] += count;
}

std::uint64_t ClusterLoad::of(const std::string& principal) const {
  const auto it = per_principal.find(principal);
  return it == per_principal.end() ? 0 : it->second;
}

}  // namespace sshrelay::cluster
