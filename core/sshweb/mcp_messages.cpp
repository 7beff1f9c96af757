#include "core/sshweb/mcp_messages.hpp"

namespace sshrelay::sshweb {
namespace {

using json = nlohmann::json;

// Arguments come from an SSH command line and need not be UTF-8; JSON text must be, and dump() would
// throw (the core is built without exceptions for WebAssembly). Bad bytes become U+FFFD instead.
std::string line_of(const json& message) { return message.dump(-1, ' ', false, json::error_handler_t::replace); }

json request(std::int64_t id, std::string_view method, json params) {
  json message = {{"jsonrpc", "2.0"}, {"id", id}, {"method", std::string(method)}};
  if (!params.is_null()) message["params"] = std::move(params);
  return message;
}

}  // namespace

std::string mcp_initialize_request(std::int64_t id, std::string_view client_name, std::string_view client_version) {
  return line_of(request(id, "initialize",
                         {{"protocolVersion", kMcpProtocolVersion},
                          {"capabilities", json::object()},
                          {"clientInfo", {{"name", std::string(client_name)}, {"version", std::string(client_version)}}}}));
}

std::string mcp_initialized_notification() {
  return line_of({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
}

std::string mcp_tools_list_request(std::int64_t id) { return line_of(request(id, "tools/list", nullptr)); }

std::string mcp_tools_call_request(std::int64_t id, std::string_view tool, const json& arguments) {
  return line_of(request(id, "tools/call", {{"name", std::string(tool)}, {"arguments", arguments}}));
}

Result<json> mcp_tool_arguments(const std::vector<std::string>& words) {
  json arguments = json::object();
  for (const auto& word : words) {
    const auto equals = word.find('=');
    if (equals == std::string::npos || equals == 0) return local_error("invalid mcp argument: " + word);
    arguments[word.substr(0, equals)] = word.substr(equals + 1);
  }
  return arguments;
}

McpReply read_mcp_reply(std::string_view line, std::int64_t id) {
  McpReply reply;
  const auto message = json::parse(line, nullptr, false);
  if (!message.is_object() || message.contains("method")) return reply;
  const auto found = message.find("id");
  if (found == message.end() || !found->is_number_integer() || found->get<std::int64_t>() != id) return reply;
  if (const auto error = message.find("error"); error != message.end() && !error->is_null()) {
    std::int64_t code = 0;
    std::string text;
    if (error->is_object()) {
      if (const auto c = error->find("code"); c != error->end() && c->is_number_integer()) code = c->get<std::int64_t>();
      if (const auto m = error->find("message"); m != error->end() && m->is_string()) text = m->get<std::string>();
    }
    reply.kind = McpReply::Kind::error;
    reply.error = "jsonrpc error " + std::to_string(code) + ": " + text;
    return reply;
  }
  reply.kind = McpReply::Kind::result;
  if (const auto result = message.find("result"); result != message.end()) reply.result = *result;
  return reply;
}

Result<json> mcp_listed_tools(const json& result) {
  const auto tools = result.is_object() ? result.find("tools") : result.end();
  if (!result.is_object() || tools == result.end() || !tools->is_array()) {
    return local_error("tools/list: the answer has no tools array");
  }
  json listed = json::array();
  for (const auto& tool : *tools) {
    const auto name = tool.is_object() ? tool.find("name") : tool.end();
    if (tool.is_object() && name != tool.end() && name->is_string()) listed.push_back(tool);
  }
  return listed;
}

Result<std::string> mcp_tool_output(const json& result) {
  if (!result.is_object()) return local_error("tools/call: the answer is not an object");
  std::string text;
  bool first = true;
  if (const auto content = result.find("content"); content != result.end() && content->is_array()) {
    for (const auto& item : *content) {
      if (!item.is_object()) continue;
      const auto type = item.find("type");
      const auto value = item.find("text");
      if (type == item.end() || *type != "text" || value == item.end() || !value->is_string()) continue;
      text += (first ? "" : "\n") + value->get<std::string>();
      first = false;
    }
  }
  if (const auto is_error = result.find("isError"); is_error != result.end() && *is_error == true) {
    return local_error("mcp tool error: " + text);
  }
  return text;
}

}  // namespace sshrelay::sshweb
