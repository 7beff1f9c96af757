#include "native/sshweb/mcp_client.hpp"

#include "core/sshweb/mcp_messages.hpp"
#include "core/sshweb/tier.hpp"
#include "native/daemon/log.hpp"

namespace sshrelay::sshweb {
namespace {

using daemon::log;
using daemon::LogLevel;
using Outcome = StdioProcess::Outcome;

constexpr std::size_t kMaxMcpLine = 16 << 20;  // one JSON-RPC message; a tool's answer may be large
constexpr auto kMcpStopGrace = std::chrono::milliseconds(500);

}  // namespace

Result<std::unique_ptr<McpClient>> McpClient::start(const McpConfig& config, std::chrono::milliseconds timeout, std::string label) {
  if (config.transport == McpConfig::Transport::http) return local_error("mcp: the http transport is not supported");
  std::unique_ptr<McpClient> client(new McpClient(config, timeout, std::move(label)));
  if (auto launched = client->launch(); !launched) return local_error("mcp: " + launched.error().message);
  const auto id = client->next_id_++;
  auto listed = client->exchange("tools/list", id, mcp_tools_list_request(id));
  if (!listed) return local_error("mcp: tools/list: " + listed.error().message);
  auto tools = mcp_listed_tools(*listed);
  if (!tools) return local_error("mcp: " + tools.error().message);
  client->tools_ = std::move(*tools);
  log(LogLevel::info, client->label_ + ": mcp: started '" + config.target + "' (pid " + std::to_string(client->process_->pid()) +
                          "), " + std::to_string(client->tools_.size()) + " tool(s)");
  return client;
}

McpClient::~McpClient() {
  std::lock_guard lock(mutex_);
  if (process_) process_->stop(kMcpStopGrace);
}

Result<std::string> McpClient::call(const std::string& tool, const nlohmann::json& arguments) {
  std::lock_guard lock(mutex_);
  if (process_ && !process_->running()) {
    log(LogLevel::warn, label_ + ": mcp: the server " + process_->how_it_ended(std::chrono::milliseconds(0)) + "; starting it again");
    process_->stop(std::chrono::milliseconds(0));
    process_.reset();
  }
  if (!process_) {
    if (auto launched = launch(); !launched) {
      return local_error("mcp: the MCP server could not be started again: " + launched.error().message);
    }
    log(LogLevel::info, label_ + ": mcp: started '" + config_.target + "' again (pid " + std::to_string(process_->pid()) + ")");
  }
  const auto id = next_id_++;
  auto result = exchange("tools/call", id, mcp_tools_call_request(id, tool, arguments));
  if (!result) {
    if (!process_) return local_error("mcp: " + result.error().message + " (it is started again at the next call)");
    return result.error();  // the server's own JSON-RPC error: it is well
  }
  return mcp_tool_output(*result);
}

// The handshake: initialize, then the notification that we are ready. The tool list is not asked for
// again: the manifest keeps the one listed at daemon start.
Status McpClient::launch() {
  auto process = StdioProcess::start(split_fields(config_.target));
  if (!process) return process.error();
  process_ = std::move(*process);
  const auto id = next_id_++;
  auto initialized = exchange("initialize", id, mcp_initialize_request(id, "sshwebd", SSHRELAY_VERSION));
  if (!initialized) {
    if (process_) broken("initialize refused");
    return local_error("initialize: " + initialized.error().message);
  }
  if (process_->write_line(mcp_initialized_notification(), StdioProcess::Clock::now() + timeout_) != Outcome::done) {
    return broken("the MCP server " + process_->how_it_ended(std::chrono::seconds(1)) + " after initialize");
  }
  return Ok{};
}

Result<nlohmann::json> McpClient::exchange(const std::string& method, std::int64_t id, const std::string& line) {
  const auto deadline = StdioProcess::Clock::now() + timeout_;
  const auto failed = [&](Outcome outcome) {
    if (outcome == Outcome::timeout) {
      return broken("the MCP server did not answer " + method + " within " + std::to_string(timeout_.count() / 1000) + " s");
    }
    if (outcome == Outcome::too_long) return broken("the MCP server wrote a line over 16 MiB in answer to " + method);
    return broken("the MCP server " + process_->how_it_ended(std::chrono::seconds(1)) + " during " + method);
  };
  if (const auto written = process_->write_line(line, deadline); written != Outcome::done) return failed(written);
  std::string text;
  while (true) {
    // Lines that are not the answer (notifications, log lines) do not extend the deadline.
    if (StdioProcess::Clock::now() >= deadline) return failed(Outcome::timeout);
    if (const auto read = process_->read_line(text, deadline, kMaxMcpLine); read != Outcome::done) return failed(read);
    auto reply = read_mcp_reply(text, id);
    if (reply.kind == McpReply::Kind::other) continue;
    if (reply.kind == McpReply::Kind::error) return local_error(reply.error);
    return std::move(reply.result);
  }
}

Error McpClient::broken(const std::string& what) {
  log(LogLevel::warn, label_ + ": mcp: " + what + "; stopping it");
  process_->stop(kMcpStopGrace);
  process_.reset();
  return local_error(what);
}

}  // namespace sshrelay::sshweb
