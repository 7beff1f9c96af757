// What sshwebd says to an MCP server, and how it reads the answers, as sshttpd does.
#include <gtest/gtest.h>

#include "core/sshweb/mcp_messages.hpp"

namespace sshrelay::sshweb {
namespace {

using json = nlohmann::json;

TEST(SshWebMcpMessages, WritesTheHandshakeAndCallsAsOneLineOfJsonEach) {
  const auto initialize = json::parse(mcp_initialize_request(1, "sshwebd", "1.2.3"));
  EXPECT_EQ(initialize["jsonrpc"], "2.0");
  EXPECT_EQ(initialize["id"], 1);
  EXPECT_EQ(initialize["method"], "initialize");
  EXPECT_EQ(initialize["params"]["protocolVersion"], "2024-11-05");
  EXPECT_EQ(initialize["params"]["clientInfo"], (json{{"name", "sshwebd"}, {"version", "1.2.3"}}));
  EXPECT_TRUE(initialize["params"]["capabilities"].is_object());

  const auto initialized = json::parse(mcp_initialized_notification());
  EXPECT_EQ(initialized, (json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}})) << "a notification has no id";

  EXPECT_EQ(json::parse(mcp_tools_list_request(2)), (json{{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}}));

  const auto line = mcp_tools_call_request(3, "search", json{{"q", "two words"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(json::parse(line)["params"], (json{{"name", "search"}, {"arguments", {{"q", "two words"}}}}));
  EXPECT_EQ(json::parse(mcp_tools_call_request(4, "t", json{{"k", "caf\xff"}}))["params"]["arguments"]["k"], "caf\xef\xbf\xbd")
      << "bytes that are not UTF-8 become U+FFFD";
}

TEST(SshWebMcpMessages, ArgumentsAreStringsSplitAtTheFirstEquals) {
  auto arguments = mcp_tool_arguments({"q=a=b", "limit=10", "empty=", "q=again"});
  ASSERT_TRUE(arguments);
  EXPECT_EQ(*arguments, (json{{"q", "again"}, {"limit", "10"}, {"empty", ""}})) << "every value a string; a later key wins";
  EXPECT_EQ(*mcp_tool_arguments({}), json::object());
  for (const char* bad : {"novalue", "=x"}) {
    auto refused = mcp_tool_arguments({"ok=1", bad});
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().message, std::string("invalid mcp argument: ") + bad);
  }
}

TEST(SshWebMcpMessages, ReadsOnlyTheAnswerToItsRequest) {
  EXPECT_EQ(read_mcp_reply("not json", 5).kind, McpReply::Kind::other);
  EXPECT_EQ(read_mcp_reply("", 5).kind, McpReply::Kind::other);
  EXPECT_EQ(read_mcp_reply(R"({"jsonrpc":"2.0","method":"notifications/message","params":{}})", 5).kind, McpReply::Kind::other);
  EXPECT_EQ(read_mcp_reply(R"({"jsonrpc":"2.0","id":5,"method":"ping"})", 5).kind, McpReply::Kind::other) << "the server's request";
  EXPECT_EQ(read_mcp_reply(R"({"jsonrpc":"2.0","id":4,"result":{}})", 5).kind, McpReply::Kind::other) << "another id";
  EXPECT_EQ(read_mcp_reply(R"({"jsonrpc":"2.0","id":"5","result":{}})", 5).kind, McpReply::Kind::other) << "ids are numbers";

  const auto result = read_mcp_reply(R"({"jsonrpc":"2.0","id":5,"result":{"tools":[]}})", 5);
  EXPECT_EQ(result.kind, McpReply::Kind::result);
  EXPECT_EQ(result.result, (json{{"tools", json::array()}}));

  const auto error = read_mcp_reply(R"({"jsonrpc":"2.0","id":5,"error":{"code":-32602,"message":"Unknown tool: x"}})", 5);
  EXPECT_EQ(error.kind, McpReply::Kind::error);
  EXPECT_EQ(error.error, "jsonrpc error -32602: Unknown tool: x");
  EXPECT_EQ(read_mcp_reply(R"({"id":5,"error":"odd"})", 5).error, "jsonrpc error 0: ");
}

TEST(SshWebMcpMessages, ListsToolsWithNames) {
  auto tools = mcp_listed_tools(json::parse(R"({"tools":[{"name":"a","description":"A","inputSchema":{"type":"object"}},
                                                          {"description":"nameless"},{"name":7},"x",{"name":"b"}]})"));
  ASSERT_TRUE(tools);
  ASSERT_EQ(tools->size(), 2u);
  EXPECT_EQ((*tools)[0]["inputSchema"], (json{{"type", "object"}}));
  EXPECT_EQ((*tools)[1], (json{{"name", "b"}}));
  EXPECT_EQ(mcp_listed_tools(json::object()).error().message, "tools/list: the answer has no tools array");
  EXPECT_FALSE(mcp_listed_tools(json::array()));
}

TEST(SshWebMcpMessages, AToolsOutputIsItsTextJoinedByNewlines) {
  auto text = mcp_tool_output(json::parse(R"({"content":[{"type":"text","text":"one"},{"type":"image","data":"AAAA"},
                                                         {"type":"text","text":"two"}]})"));
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "one\ntwo");
  EXPECT_EQ(*mcp_tool_output(json::object()), "");
  auto failed = mcp_tool_output(json::parse(R"({"isError":true,"content":[{"type":"text","text":"no such note"}]})"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "mcp tool error: no such note");
  EXPECT_TRUE(mcp_tool_output(json::parse(R"({"isError":false,"content":[]})")));
  EXPECT_EQ(mcp_tool_output(json::array()).error().message, "tools/call: the answer is not an object");
}

}  // namespace
}  // namespace sshrelay::sshweb
