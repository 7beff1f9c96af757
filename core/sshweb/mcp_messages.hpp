#pragma once
// What sshwebd says to a site's MCP server and how it reads the answers (docs/sshweb.md, `mcp`):
// JSON-RPC 2.0, one object per line, as sshttpd speaks it — `initialize` (protocol 2024-11-05), the
// `notifications/initialized` notification, `tools/list`, and `tools/call` with every argument a string.
// Sans-I/O: the native client (native/sshweb/mcp_client) moves the lines.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay::sshweb {

inline constexpr const char* kMcpProtocolVersion = "2024-11-05";

// The lines to send, without the '\n' that ends each.
std::string mcp_initialize_request(std::int64_t id, std::string_view client_name, std::string_view client_version);
std::string mcp_initialized_notification();
std::string mcp_tools_list_request(std::int64_t id);
std::string mcp_tools_call_request(std::int64_t id, std::string_view tool, const nlohmann::json& arguments);

// `key=value` words as tools/call's arguments: each value a string, split at the first '=' (a later
// key wins). A word without '=' or starting with it: "invalid mcp argument: <word>".
Result<nlohmann::json> mcp_tool_arguments(const std::vector<std::string>& words);

// One line from the server, read as the answer to request `id`. Everything else — notifications, the
// server's own requests, answers to other ids, lines that are not JSON — is `other`: read on.
struct McpReply {
  enum class Kind { other, result, error };
  Kind kind = Kind::other;
  nlohmann::json result;  // result
  std::string error;      // error: "jsonrpc error <code>: <message>"
};
McpReply read_mcp_reply(std::string_view line, std::int64_t id);

// tools/list's result: its `tools` array (entries without a string `name` left out).
Result<nlohmann::json> mcp_listed_tools(const nlohmann::json& result);

// tools/call's result: its `text` content items joined with "\n"; with `isError`, an error
// "mcp tool error: <that text>".
Result<std::string> mcp_tool_output(const nlohmann::json& result);

}  // namespace sshrelay::sshweb
