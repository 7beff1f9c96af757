#pragma once
// A site's MCP server (docs/sshweb.md, `mcp`): the `mcp { server stdio "<command>" }` command, started
// at daemon start and spoken to in newline-delimited JSON-RPC 2.0 over its stdin and stdout
// (core/sshweb/mcp_messages.hpp). At start: initialize, notifications/initialized, and tools/list, kept
// for the capabilities manifest. Then one tools/call per `mcp TOOL key=value…`.
//
// Calls are serialized (connections run on threads of their own, and the pipe carries one exchange at a
// time), and each exchange has a deadline. A server that exited, or did not answer in time, is stopped;
// the next call starts it again (once per call: a server that cannot start makes that call fail).
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "core/common/result.hpp"
#include "core/sshweb/site_config.hpp"
#include "native/sshweb/stdio_process.hpp"

namespace sshrelay::sshweb {

class McpClient {
 public:
  // Starts the server and lists its tools. `label` begins the log lines ("site docs.example"). Errors
  // begin "mcp: " ("mcp: the http transport is not supported", "mcp: cannot start 'x': …").
  static Result<std::unique_ptr<McpClient>> start(const McpConfig& config, std::chrono::milliseconds timeout, std::string label);
  ~McpClient();

  // tools/list's entries as the server gave them at start: {"name", "description"?, "inputSchema"?}.
  const nlohmann::json& tools() const { return tools_; }

  // tools/call: the text the tool returned. Errors in sshttpd's words where it has them ("jsonrpc
  // error -32602: …", "mcp tool error: …"), else beginning "mcp: ".
  Result<std::string> call(const std::string& tool, const nlohmann::json& arguments);

 private:
  McpClient(const McpConfig& config, std::chrono::milliseconds timeout, std::string label)
      : config_(config), timeout_(timeout), label_(std::move(label)) {}
  Status launch();
  // One request and its answer. When the server fails (exits, is silent past the deadline, writes a
  // line too long), it is stopped and process_ is empty afterwards.
  Result<nlohmann::json> exchange(const std::string& method, std::int64_t id, const std::string& line);
  // Logs `what`, stops the server; returns `what` as the error.
  Error broken(const std::string& what);

  McpConfig config_;
  std::chrono::milliseconds timeout_;
  std::string label_;
  std::mutex mutex_;
  std::unique_ptr<StdioProcess> process_;
  std::int64_t next_id_ = 1;
  nlohmann::json tools_ = nlohmann::json::array();
};

}  // namespace sshrelay::sshweb
