// Several sshrelayd nodes sharing a session directory in a real redis-server (docs/cluster.md), with
// Debian's haproxy round-robin in front: reconnects that land on any node resume the session through
// the owner, real ssh survives cuts that move it across every node, the directory going away and coming
// back, the internal link refusing strangers, the ownership check on both nodes, and caps that count
// the whole cluster.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "core/cluster/forward_preamble.hpp"
#include "core/wire/v4_url.hpp"
#include "native/common/unix_time.hpp"
#include "native/daemon/cluster/forward_mac.hpp"
#include "tests/integration/cluster_harness.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_wire.hpp"
#include "tests/support/cutting_proxy.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sha256.hpp"
#include "tests/support/sshd_fixture.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_certificate.hpp"

namespace sshrelay::itest {
namespace {

using Kind = RawV4Socket::Message::Kind;
constexpr int kClusterCuts = 21;

std::string tail_of(const std::string& text, std::size_t n) { return text.size() <= n ? text : text.substr(text.size() - n); }

std::string reconnect_target(const std::string& sid, std::uint64_t ack) { return v4::reconnect_request_target("", sid, ack); }

// Reads the CONNECT_SUCCESS: the sid, or "".
std::string sid_of(RawV4Socket& ws) {
  auto connected = frame_of(ws.read());
  return std::holds_alternative<v4::ConnectSuccess>(connected) ? std::get<v4::ConnectSuccess>(connected).session_id : "";
}

// The upgrade's failure text (RawV4Socket throws with the HTTP status), or "upgraded".
std::string upgrade_failure(std::uint16_t port, const std::string& target, const RawV4Socket::Headers& headers = {}) {
  try {
    RawV4Socket ws(port, target, "", 30s, headers);
    return "upgraded";
  } catch (const std::runtime_error& e) {
    return e.what();
  }
}

nlohmann::json statz_of(std::uint16_t port) { return nlohmann::json::parse(http_get(port, "/statz", 10s).body); }

// Sends `bytes` to 127.0.0.1:port and reads until the peer closes (bounded): the raw answer.
std::string send_and_read(std::uint16_t port, const std::string& bytes) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(socket, asio::buffer(bytes));
  timeval timeout{10, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string answer;
  error_code ec;
  std::array<char, 4096> chunk{};
  while (answer.size() < 64 * 1024) {
    const auto n = socket.read_some(asio::buffer(chunk), ec);
    if (ec) break;
    answer.append(chunk.data(), n);
  }
  return answer;
}

std::string websocket_request(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra_headers + "\r\n";
}

cluster::ForwardPreamble preamble_for(const std::string& sid, const std::string& principal) {
  cluster::ForwardPreamble p;
  p.from_node = "test";
  p.at_ms = unix_millis_now();
  p.nonce = daemon::random_nonce().value();
  p.sid = sid;
  p.principal = principal;
  p.client_ip = "192.0.2.1";
  return p;
}

// ssh through `sshrelay proxy` through a cutting proxy through haproxy over three nodes.
class ClusterSshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sshd_.start();
    nodes_.emplace(redis_, 3);
    nodes_->wait_until_formed();
    front_.emplace(std::vector<std::uint16_t>{nodes_->node(0).port(), nodes_->node(1).port(), nodes_->node(2).port()});
    cutter_.emplace("127.0.0.1", front_->port());
  }

  std::vector<std::string> ssh(const std::string& command) const {
    std::vector<std::string> words = {SSHRELAY_CLI_PATH, "proxy", "-v", "--relay", "ws://127.0.0.1:" + std::to_string(cutter_->port()),
                                      "%h", "%p"};
    return sshd_.ssh_argv(sshd_.port(), {"-o", "ProxyCommand=" + testing::format_command_line(words), "-o", "LogLevel=ERROR"},
                          command);
  }

  std::string diagnostics() const {
    return "\n--- ssh + sshrelay stderr:\n" + testing::file_tail(scratch_.file("ssh.err"), 4000) + nodes_->logs() +
           "\n--- haproxy:\n" + tail_of(front_->log_text(), 2000);
  }

  // Runs `command` with kClusterCuts cuts; returns the connections haproxy made for it (in order).
  std::vector<std::string> transfer_with_cuts(const std::string& command, const std::string& stdin_path, std::uint64_t seed) {
    const auto before = front_->servers_used().size();
    const auto cuts_before = cutter_->cuts();
    cutter_->set_cut_plan(testing::random_cut_plan(seed, 1 * kMiB, 60 * kMiB, kClusterCuts));
    EXPECT_EQ(testing::run(ssh(command), stdin_path, scratch_.file("ssh.out"), scratch_.file("ssh.err"), 280s), 0) << diagnostics();
    EXPECT_EQ(cutter_->cuts() - cuts_before, static_cast<std::uint64_t>(kClusterCuts)) << diagnostics();
    // Round-robin skips nothing, so the transfer can succeed with a node gone: check each is still there
    // (a forwarding node once died of SIGPIPE here, and the transfer did not notice).
    for (int i = 0; i < nodes_->size(); ++i) EXPECT_TRUE(nodes_->node(i).running()) << "node" << i << diagnostics();
    const auto all = front_->servers_used();
    return std::vector<std::string>(all.begin() + static_cast<std::ptrdiff_t>(before), all.end());
  }

  // Events of `action` in node i's audit trail so far.
  std::size_t events(int i, const std::string& action) const { return read_audit_events(nodes_->audit_path(i), action).size(); }
  struct AuditCounts {
    std::array<std::size_t, 3> starts{}, closes{}, forwards{}, reconnects{};
  };
  AuditCounts audit_counts() const {
    AuditCounts counts;
    for (int i = 0; i < 3; ++i) {
      counts.starts[i] = events(i, "session.start");
      counts.closes[i] = events(i, "session.close");
      counts.forwards[i] = events(i, "session.forward");
      counts.reconnects[i] = events(i, "session.reconnect");
    }
    return counts;
  }

  // What the nodes' audit trails say about the session of `connections`, since `before`.
  void expect_reconnects_through_the_owner(const std::vector<std::string>& connections, const AuditCounts& before) {
    ASSERT_GE(connections.size(), static_cast<std::size_t>(kClusterCuts + 1)) << diagnostics();
    // Round-robin: every reconnect landed on another node than the connection before it.
    for (std::size_t i = 1; i < connections.size(); ++i) EXPECT_NE(connections[i], connections[i - 1]) << i;
    // The owner: the node that audited the session's start.
    int owner = -1;
    for (int i = 0; i < 3; ++i) {
      if (events(i, "session.start") > before.starts[i]) owner = i;
    }
    ASSERT_GE(owner, 0) << diagnostics();
    std::string sequence;
    for (const auto& c : connections) sequence += c + " ";
    SCOPED_TRACE("connections: " + sequence + "owner node" + std::to_string(owner));
    std::size_t landed_elsewhere = 0;
    for (std::size_t i = 1; i < connections.size(); ++i) landed_elsewhere += connections[i].back() - '0' != owner;
    ASSERT_TRUE(wait_until([&] { return events(owner, "session.close") > before.closes[owner]; }, 60s)) << diagnostics();
    // Every node's audit sink writes in the background: wait (bounded) for the forwards to show.
    const auto forwards_logged = [&] {
      std::size_t n = 0;
      for (int i = 0; i < 3; ++i) n += events(i, "session.forward") - before.forwards[i];
      return n;
    };
    (void)wait_until([&] { return forwards_logged() >= landed_elsewhere; }, 10s);
    std::size_t forwards = 0;
    for (int i = 0; i < 3; ++i) {
      const auto added = events(i, "session.forward") - before.forwards[i];
      if (i == owner) {
        EXPECT_EQ(added, 0u) << "the owner forwarded its own session";
      }
      forwards += added;
    }
    // A reconnect attempt the cut plan broke during its handshake (the CLI says "reconnect attempt
    // failed" and tries again) was a connection that landed but neither forwarded nor resumed anything.
    const auto failed = count_occurrences(testing::read_file(scratch_.file("ssh.err")), "reconnect attempt failed");
    EXPECT_LE(forwards, landed_elsewhere) << diagnostics();
    EXPECT_GE(forwards + failed, landed_elsewhere) << diagnostics();
    EXPECT_GE(landed_elsewhere, static_cast<std::size_t>(kClusterCuts) / 2);
    // The owner resumed the session once per reconnect that got through, whichever node it landed on.
    const auto resumed = events(owner, "session.reconnect") - before.reconnects[owner];
    EXPECT_LE(resumed, connections.size() - 1) << diagnostics();
    EXPECT_GE(resumed + failed, connections.size() - 1) << diagnostics();
  }

  testing::TempDir scratch_{"sshrelay-cluster-ssh"};
  testing::SshdFixture sshd_;
  RedisServer redis_;
  std::optional<ClusterNodes> nodes_;
  std::optional<HaproxyFront> front_;
  std::optional<testing::CuttingProxy> cutter_;
};

TEST_F(ClusterSshTest, SshMoves64MiBEachWayWhileCutsMoveItAcrossEveryNode) {
  const auto source = scratch_.file("source.bin");
  const auto remote = scratch_.file("remote.bin");
  testing::write_random_file(source, kBulkSize, 17);
  const auto source_hash = testing::sha256_file_hex(source);
  const std::uint64_t seed = std::random_device{}();
  SCOPED_TRACE("cut plan seed " + std::to_string(seed));

  const auto before_up = audit_counts();
  const auto up = transfer_with_cuts("cat > '" + remote + "'", source, seed);
  EXPECT_EQ(testing::sha256_file_hex(remote), source_hash) << diagnostics();
  expect_reconnects_through_the_owner(up, before_up);

  const auto before_down = audit_counts();
  const auto down = transfer_with_cuts("cat '" + remote + "'", "", seed + 1);
  EXPECT_EQ(testing::sha256_file_hex(scratch_.file("ssh.out")), source_hash) << diagnostics();
  expect_reconnects_through_the_owner(down, before_down);
}

class ClusterTest : public ::testing::Test {
 protected:
  void start(int count, std::vector<std::string> extra_args = {}) {
    nodes_.emplace(redis_, count, std::move(extra_args));
    nodes_->wait_until_formed();
  }
  std::uint16_t port(int i) { return nodes_->node(i).port(); }
  std::string connect_target() const {
    return "/v4/connect?host=127.0.0.1&port=" + std::to_string(echo_.port()) + "&dstUsername=tester";
  }
  // The session's record has reached the directory (a reconnect elsewhere can find it).
  void wait_for_record(const std::string& sid) {
    ASSERT_TRUE(wait_until([&] { return redis_.cli({"EXISTS", "sshrelay:session:" + sid}) == "1\n"; }, 30s)) << nodes_->logs();
  }
  std::string logs() const { return nodes_->logs(); }

  RedisServer redis_;
  TcpTarget echo_{TcpTarget::echo()};
  std::optional<ClusterNodes> nodes_;
};

// The Secure Shell protocol path: our v4 client, through haproxy, resumes on another node.
TEST_F(ClusterTest, SecureShellReconnectThroughHaproxyResumesOnAnotherNode) {
  start(3);
  HaproxyFront front({port(0), port(1), port(2)});
  const auto before = front.servers_used().size();
  std::string sid;
  {
    RawV4Socket first(front.port(), connect_target());
    sid = sid_of(first);
    ASSERT_FALSE(sid.empty()) << logs();
    ASSERT_TRUE(first.write_frame(v4::Data{bytes_of("hello")}));
    ASSERT_EQ(read_payload(first, 5), "hello") << logs();
    wait_for_record(sid);
    first.reset();
  }
  RawV4Socket second(front.port(), reconnect_target(sid, 5));
  auto resumed = frame_of(second.read());
  ASSERT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(resumed)) << logs();
  EXPECT_EQ(std::get<v4::ReconnectSuccess>(resumed).ack, 5u);
  ASSERT_TRUE(second.write_frame(v4::Data{bytes_of("across-nodes")}));
  EXPECT_EQ(read_payload(second, 12), "across-nodes") << logs();

  // haproxy's lines may trail the connections (and its own start-up probe's line may come late): the
  // session's two connections are the last two.
  ASSERT_TRUE(wait_until([&] { return front.servers_used().size() >= before + 2; }, 10s)) << front.log_text();
  const auto servers = front.servers_used();
  const int owner = servers[servers.size() - 2].back() - '0';
  const int landed = servers.back().back() - '0';
  ASSERT_NE(owner, landed);
  // The audit sinks write in the background: wait (bounded) for the events.
  ASSERT_TRUE(wait_until([&] { return read_audit_events(nodes_->audit_path(landed), "session.forward").size() == 1 &&
                                      read_audit_events(nodes_->audit_path(owner), "session.reconnect").size() == 1; },
                         10s))
      << logs();
  const auto forwards = read_audit_events(nodes_->audit_path(landed), "session.forward");
  EXPECT_EQ(forwards[0].value("sshrelay.sid", ""), sid);
  EXPECT_NE(forwards[0].value("sshrelay.target", "").find("node" + std::to_string(owner)), std::string::npos) << forwards[0].dump();
  EXPECT_EQ(echo_.accepted(), 1u);  // one target connection: the session itself moved nowhere
}

// Redis killed mid-run: the node keeps its own sessions, refuses cross-node reconnects with 503 (the
// client retries), /healthz and /statz say so; Redis back: the node republishes and forwards again.
TEST_F(ClusterTest, DirectoryDownKeepsLocalSessionsAndRecovers) {
  start(2);
  auto first = std::make_unique<RawV4Socket>(port(0), connect_target());
  const auto sid = sid_of(*first);
  ASSERT_FALSE(sid.empty()) << logs();
  wait_for_record(sid);

  redis_.kill();
  ASSERT_TRUE(wait_until([&] { return !statz_of(port(1))["cluster"]["directory_reachable"].get<bool>(); }, 30s)) << logs();
  const auto health = nlohmann::json::parse(http_get(port(1), "/healthz", 10s).body);
  EXPECT_TRUE(health["ok"].get<bool>());
  EXPECT_FALSE(health["cluster"]["directory_reachable"].get<bool>()) << health.dump();

  // The local session is unaffected.
  ASSERT_TRUE(first->write_frame(v4::Data{bytes_of("still-here")}));
  ASSERT_EQ(read_payload(*first, 10), "still-here") << logs();
  first->reset();
  first.reset();
  // A reconnect landing on the other node is refused for now (503, before any upgrade)...
  const auto refused = upgrade_failure(port(1), reconnect_target(sid, 10));
  EXPECT_NE(refused.find("HTTP 503"), std::string::npos) << refused;
  EXPECT_NE(refused.find("session directory is unreachable"), std::string::npos) << refused;
  // ... while the owner itself resumes it.
  {
    RawV4Socket local(port(0), reconnect_target(sid, 10));
    ASSERT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(frame_of(local.read()))) << logs();
    local.reset();
  }
  // Once per interval, not once per beat: one warning per node for the whole outage so far.
  EXPECT_EQ(count_occurrences(nodes_->node(1).log_text(), "refuses reconnects for other nodes' sessions until it is back"), 1u) << logs();

  redis_.start();
  ASSERT_TRUE(wait_until([&] { return statz_of(port(1))["cluster"]["directory_reachable"].get<bool>(); }, 30s)) << logs();
  wait_for_record(sid);  // republished by its owner
  RawV4Socket moved(port(1), reconnect_target(sid, 10));
  ASSERT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(frame_of(moved.read()))) << logs();
  ASSERT_TRUE(moved.write_frame(v4::Data{bytes_of("back")}));
  EXPECT_EQ(read_payload(moved, 4), "back") << logs();
  EXPECT_NE(nodes_->node(1).log_text().find("reached the session directory"), std::string::npos) << logs();
}

// A node drained for good (SIGTERM) withdraws from the directory before its sessions end, ends them with
// 1012 and says why in the audit; a reconnect landing elsewhere is answered at once (4404), not forwarded.
TEST_F(ClusterTest, ADrainedNodeWithdrawsAndSaysWhy) {
  start(2);
  RawV4Socket first(port(0), connect_target());
  const auto sid = sid_of(first);
  ASSERT_FALSE(sid.empty()) << logs();
  wait_for_record(sid);
  // Read while the node stops: its close frame must be read before the process is gone (a close with
  // unread bytes may reset the connection and drop what was sent).
  RawV4Socket::Message closed;
  std::thread reader([&] { closed = first.read_until_not_ack(30s); });
  EXPECT_EQ(nodes_->node(0).stop(), 0) << logs();
  reader.join();
  ASSERT_EQ(closed.kind, Kind::closed) << closed.describe();
  EXPECT_EQ(closed.close_code, 1012);
  EXPECT_NE(closed.close_reason.find("leaving the cluster"), std::string::npos) << closed.close_reason;
  const auto ends = read_audit_events(nodes_->audit_path(0), "session.close");
  ASSERT_EQ(ends.size(), 1u) << logs();
  EXPECT_EQ(ends[0].value("sshrelay.close.reason", ""), "relay node is leaving the cluster");
  EXPECT_EQ(redis_.cli({"EXISTS", "sshrelay:node:node0"}), "0\n");
  EXPECT_EQ(redis_.cli({"EXISTS", "sshrelay:session:" + sid}), "0\n");
  RawV4Socket elsewhere(port(1), reconnect_target(sid, 0));
  auto refused = elsewhere.read();
  ASSERT_EQ(refused.kind, Kind::closed) << refused.describe();
  EXPECT_EQ(refused.close_code, 4404);
  EXPECT_TRUE(read_audit_events(nodes_->audit_path(1), "session.forward").empty());
}

// rediss:// with a private CA and AUTH: the node joins; with a wrong password it says why and serves on.
TEST(ClusterDirectoryTls, RedissWithAuthJoinsAndAWrongPasswordIsReported) {
  testing::TempDir certs("sshrelay-redis-tls");
  const auto cert = testing::make_test_certificate(certs);
  RedisServer redis({cert.cert, cert.key, "directory-password"});
  ClusterNodes nodes(redis, 1, {"--cluster-redis-ca", cert.cert});
  nodes.wait_until_formed();
  EXPECT_EQ(redis.cli({"SISMEMBER", "sshrelay:nodes", "node0"}), "1\n");

  testing::RelayDaemon wrong;
  wrong.start(relayd_path(), {"--cluster-redis", "rediss://:not-the-password@localhost:" + std::to_string(redis.port()),
                              "--cluster-redis-ca", cert.cert, "--cluster-listen", "127.0.0.1:0", "--cluster-secret-file",
                              nodes.secret_path(), "--cluster-node-id", "wrong"});
  ASSERT_TRUE(wait_until([&] { return wrong.log_text().find("AUTH refused") != std::string::npos; }, 30s)) << wrong.log_text();
  const auto statz = statz_of(wrong.port());
  EXPECT_FALSE(statz["cluster"]["directory_reachable"].get<bool>()) << statz.dump();
  EXPECT_NE(statz["cluster"].value("directory_error", "").find("AUTH"), std::string::npos) << statz.dump();
  EXPECT_EQ(wrong.log_text().find("not-the-password"), std::string::npos) << "the password must not reach the log";
  EXPECT_EQ(http_get(wrong.port(), "/healthz", 10s).status, 200u);
}

// The internal link answers only a fresh line signed with the cluster's secret.
TEST_F(ClusterTest, InternalLinkRefusesClientsForgeriesAndReplays) {
  start(1);
  const auto link = nodes_->internal_port(0);
  // A client that found the port: a plain WebSocket request.
  const auto plain = send_and_read(link, websocket_request(reconnect_target("AAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0)));
  EXPECT_EQ(plain.rfind("HTTP/1.1 403", 0), 0u) << plain;
  EXPECT_NE(plain.find("internal link"), std::string::npos) << plain;
  // A line signed with another secret.
  const auto preamble = preamble_for("AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "anonymous");
  const auto forged = daemon::signed_forward_line(std::string(40, 'x'), preamble).value();
  EXPECT_EQ(send_and_read(link, forged + websocket_request(reconnect_target(preamble.sid, 0))).rfind("HTTP/1.1 403", 0), 0u);
  // The right secret: the owner's admission answers (an unknown session: 101, then close 4404).
  const auto line = daemon::signed_forward_line(nodes_->secret(), preamble).value();
  const auto answered = send_and_read(link, line + websocket_request(reconnect_target(preamble.sid, 0)));
  EXPECT_EQ(answered.rfind("HTTP/1.1 101", 0), 0u) << answered;
  // The same line again: a replay.
  EXPECT_EQ(send_and_read(link, line + websocket_request(reconnect_target(preamble.sid, 0))).rfind("HTTP/1.1 403", 0), 0u);
  // A signed line whose request is something else than the reconnect it names.
  auto other = preamble_for("BBBBBBBBBBBBBBBBBBBBBBBBBBBB", "anonymous");
  const auto mismatched = send_and_read(link, daemon::signed_forward_line(nodes_->secret(), other).value() +
                                             websocket_request(reconnect_target(preamble.sid, 0)));
  EXPECT_EQ(mismatched.find("HTTP/1.1 101"), 0u) << mismatched;  // v4: refused by a close frame
  const auto log = nodes_->node(0).log_text();
  EXPECT_NE(log.find("MAC is wrong"), std::string::npos) << logs();
  EXPECT_NE(log.find("nonce was used before"), std::string::npos) << logs();
  EXPECT_NE(log.find("not a forwarded reconnect"), std::string::npos) << logs();
  // And the public port knows nothing of forwarded lines.
  const auto on_public = send_and_read(port(0), line + websocket_request(reconnect_target(preamble.sid, 0)));
  EXPECT_EQ(on_public.rfind("HTTP/1.1 400", 0), 0u) << on_public;
}

// Another principal's reconnect is refused by the node it lands on, and by the owner if a node were to
// forward it anyway.
TEST_F(ClusterTest, AnotherPrincipalsReconnectIsRefusedOnBothNodes) {
  start(2, {"--identity-user-header", "X-Test-User"});
  const RawV4Socket::Headers alice = {{"X-Test-User", "alice@example.com"}};
  const RawV4Socket::Headers bob = {{"X-Test-User", "bob@example.com"}};
  RawV4Socket first(port(0), connect_target(), "", 30s, alice);
  const auto sid = sid_of(first);
  ASSERT_FALSE(sid.empty()) << logs();
  wait_for_record(sid);

  RawV4Socket stolen(port(1), reconnect_target(sid, 0), "", 30s, bob);
  auto refused = stolen.read();
  ASSERT_EQ(refused.kind, Kind::closed) << refused.describe();
  EXPECT_EQ(refused.close_code, 4404);
  ASSERT_TRUE(wait_until([&] { return !read_audit_events(nodes_->audit_path(1), "policy.denied").empty(); }, 10s)) << logs();
  const auto denials = read_audit_events(nodes_->audit_path(1), "policy.denied");
  ASSERT_EQ(denials.size(), 1u) << logs();
  EXPECT_NE(denials[0].value("event.reason", "").find("owned by alice@example.com"), std::string::npos) << denials[0].dump();
  EXPECT_TRUE(read_audit_events(nodes_->audit_path(1), "session.forward").empty());

  // A forwarded reconnect for bob reaching the owner is refused there too.
  const auto line = daemon::signed_forward_line(nodes_->secret(), preamble_for(sid, "bob@example.com")).value();
  const auto answer = send_and_read(nodes_->internal_port(0), line + websocket_request(reconnect_target(sid, 0)));
  EXPECT_EQ(answer.rfind("HTTP/1.1 101", 0), 0u) << answer;
  EXPECT_NE(answer.find("unknown session"), std::string::npos) << answer;  // in the close frame
  EXPECT_NE(nodes_->node(0).log_text().find("reconnect by bob@example.com refused: not the owner"), std::string::npos) << logs();
  // Alice's session is untouched.
  ASSERT_TRUE(first.write_frame(v4::Data{bytes_of("mine")}));
  EXPECT_EQ(read_payload(first, 4), "mine") << logs();
}

// --max-sessions-per-principal and --max-sessions-total count every node's sessions.
TEST_F(ClusterTest, CapsCountTheWholeCluster) {
  start(2, {"--identity-user-header", "X-Test-User", "--max-sessions-per-principal", "2"});
  const RawV4Socket::Headers alice = {{"X-Test-User", "alice@example.com"}};
  auto one = std::make_unique<RawV4Socket>(port(0), connect_target(), "", 30s, alice);
  ASSERT_FALSE(sid_of(*one).empty()) << logs();
  RawV4Socket two(port(0), connect_target(), "", 30s, alice);
  ASSERT_FALSE(sid_of(two).empty()) << logs();
  // Node 1 learns node 0's load within a few beats; then alice's third session is refused there.
  ASSERT_TRUE(wait_until([&] { return redis_.cli({"HGET", "sshrelay:load:node0", "alice@example.com"}) == "2\n"; }, 30s));
  std::this_thread::sleep_for(1s);  // node 1 reads the others' load every beat (200 ms)
  RawV4Socket three(port(1), connect_target(), "", 30s, alice);
  auto refused = three.read();
  ASSERT_EQ(refused.kind, Kind::closed) << refused.describe();
  EXPECT_EQ(refused.close_code, 4429) << refused.close_reason;
  // Another principal is not held to alice's cap.
  RawV4Socket bobs(port(1), connect_target(), "", 30s, {{"X-Test-User", "bob@example.com"}});
  EXPECT_FALSE(sid_of(bobs).empty()) << logs();
  // One of alice's ends: the cap has room again on node 1.
  ASSERT_TRUE(one->close_with(4000, "done"));
  one.reset();
  ASSERT_TRUE(wait_until([&] { return redis_.cli({"HGET", "sshrelay:load:node0", "alice@example.com"}) == "1\n"; }, 30s));
  std::this_thread::sleep_for(1s);
  RawV4Socket again(port(1), connect_target(), "", 30s, alice);
  EXPECT_FALSE(sid_of(again).empty()) << logs();
}

}  // namespace
}  // namespace sshrelay::itest

namespace sshrelay::itest {
namespace {

// A restart that loses no session: while ssh moves 64 MiB, the relay is handed over to a new process
// twice (sshrelayd --takeover) with the client's socket; each old process exits, the transfer never
// notices (not even a reconnect), and the audit trail says which process handed what to which.
class HandoverTest : public ::testing::Test {
 protected:
  void SetUp() override { sshd_.start(); }

  std::vector<std::string> relay_args() const {
    return {"--unsafe-allow-loopback", "--handover-socket", scratch_.file("handover.sock"), "--audit-jsonl",
            scratch_.file("audit.jsonl")};
  }
  std::unique_ptr<testing::RelayDaemon> start_relay(bool takeover) {
    auto relay = std::make_unique<testing::RelayDaemon>();
    auto args = relay_args();
    if (takeover) args.push_back("--takeover");
    relay->start(relayd_path(), args);
    return relay;
  }
  std::vector<std::string> ssh(std::uint16_t port, const std::string& command) const {
    std::vector<std::string> words = {SSHRELAY_CLI_PATH, "proxy", "-v", "--relay", "ws://127.0.0.1:" + std::to_string(port), "%h", "%p"};
    return sshd_.ssh_argv(sshd_.port(), {"-o", "ProxyCommand=" + testing::format_command_line(words), "-o", "LogLevel=ERROR"},
                          command);
  }
  // A remote command copying `from` to `to` (Python file expressions) 256 KiB every 40 ms.
  static std::string paced_copy(const std::string& from, const std::string& to) {
    return "python3 -c \"import sys, time\nsrc = " + from + "\ndst = " + to +
           "\nwhile True:\n    block = src.read(262144)\n    if not block: break\n    dst.write(block); dst.flush(); "
           "time.sleep(0.04)\ndst.close()\"";
  }
  static std::uint64_t size_of(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : size;
  }
  std::string diagnostics(const std::vector<std::unique_ptr<testing::RelayDaemon>>& relays) const {
    std::string out = "\n--- ssh + sshrelay stderr:\n" + testing::file_tail(scratch_.file("ssh.err"), 4000);
    for (std::size_t i = 0; i < relays.size(); ++i) {
      out += "\n--- relay process " + std::to_string(i) + ":\n" + testing::file_tail(relays[i]->log_path(), 3000);
    }
    return out;
  }

  // Runs `command` and hands the relay over twice while `progress` (a file's size) grows past 1/4 and 1/2
  // of the bulk size.
  void transfer_with_handovers(const std::string& command, const std::string& stdin_path, const std::string& progress) {
    std::vector<std::unique_ptr<testing::RelayDaemon>> relays;
    relays.push_back(start_relay(false));
    const auto port = relays[0]->port();
    testing::ProcessIo io;
    io.stdin_path = stdin_path;
    io.stdout_path = scratch_.file("ssh.out");
    io.stderr_path = scratch_.file("ssh.err");
    testing::Process transfer(ssh(port, command), io);
    for (const std::uint64_t mark : {kBulkSize / 4, kBulkSize / 2}) {
      ASSERT_TRUE(wait_until([&] { return size_of(progress) >= mark || !transfer.running(); }, 120s)) << diagnostics(relays);
      ASSERT_TRUE(transfer.running()) << "the transfer ended before the handover" << diagnostics(relays);
      relays.push_back(start_relay(true));
      EXPECT_EQ(relays.back()->port(), port) << "the successor listens where its predecessor did";
      // The predecessor exits by itself once the successor has everything.
      auto& old = *relays[relays.size() - 2];
      ASSERT_TRUE(wait_until([&] { return !old.running(); }, 60s)) << diagnostics(relays);
      EXPECT_EQ(old.stop(), 0) << diagnostics(relays);
      EXPECT_NE(old.log_text().find("sessions handed to process"), std::string::npos) << diagnostics(relays);
    }
    const auto status = transfer.wait_for(240s);
    ASSERT_TRUE(status.has_value()) << diagnostics(relays);
    EXPECT_EQ(*status, 0) << diagnostics(relays);
    // One session from start to close, across three processes.
    EXPECT_EQ(read_audit_events(scratch_.file("audit.jsonl"), "session.start").size(), 1u);
    ASSERT_TRUE(wait_until([&] { return read_audit_events(scratch_.file("audit.jsonl"), "session.close").size() == 1; }, 60s))
        << diagnostics(relays);
    const auto handovers = read_audit_events(scratch_.file("audit.jsonl"), "session.handover");
    std::size_t handed = 0, taken = 0;
    for (const auto& event : handovers) {
      const auto reason = event.value("event.reason", "");
      handed += reason == "handed to a new process with its connection";
      taken += reason == "taken over from the previous process with its connection";
    }
    EXPECT_EQ(handed, 2u) << diagnostics(relays);
    EXPECT_EQ(taken, 2u) << diagnostics(relays);
    // The client's WebSocket itself moved each time: it never had to reconnect.
    EXPECT_EQ(read_audit_events(scratch_.file("audit.jsonl"), "session.reconnect").size(), 0u) << diagnostics(relays);
  }

  testing::TempDir scratch_{"sshrelay-handover"};
  testing::SshdFixture sshd_;
};

TEST_F(HandoverTest, SshUploadAndDownloadSurviveTwoHandoversEach) {
  const auto source = scratch_.file("source.bin");
  const auto remote = scratch_.file("remote.bin");
  testing::write_random_file(source, kBulkSize, 23);
  const auto source_hash = testing::sha256_file_hex(source);
  // Paced on the far side (about 6 MiB/s), so each handover falls inside the transfer on any machine.
  transfer_with_handovers(paced_copy("sys.stdin.buffer", "open('" + remote + "', 'wb')"), source, remote);
  EXPECT_EQ(testing::sha256_file_hex(remote), source_hash);
  std::filesystem::remove(scratch_.file("audit.jsonl"));
  transfer_with_handovers(paced_copy("open('" + remote + "', 'rb')", "sys.stdout.buffer"), "", scratch_.file("ssh.out"));
  EXPECT_EQ(testing::sha256_file_hex(scratch_.file("ssh.out")), source_hash);
}

}  // namespace
}  // namespace sshrelay::itest

namespace sshrelay::itest {
namespace {

// SIGUSR2 starts the successor itself (the same command line plus --takeover). An attached session goes
// on on the same WebSocket — its socket moved to the successor, with half a frame the old process had
// read and the new one completes — and a detached one resumes on the successor.
TEST(HandoverSignal, Sigusr2StartsASuccessorThatKeepsTheSessions) {
  testing::TempDir scratch("sshrelay-sigusr2");
  TcpTarget echo(TcpTarget::echo());
  testing::RelayDaemon relay;
  relay.start(relayd_path(), {"--unsafe-allow-loopback", "--handover-socket", scratch.file("handover.sock"), "--audit-jsonl",
                              scratch.file("audit.jsonl")});
  const auto port = relay.port();
  const auto first_pid = relay.pid();
  const auto connect = "/v4/connect?host=127.0.0.1&port=" + std::to_string(echo.port()) + "&dstUsername=t";
  RawV4Socket attached(port, connect);
  const auto attached_sid = sid_of(attached);
  ASSERT_FALSE(attached_sid.empty()) << relay.log_text();
  ASSERT_TRUE(attached.write_frame(v4::Data{bytes_of("before")}));
  ASSERT_EQ(read_payload(attached, 6), "before");
  std::string detached_sid;
  {
    RawV4Socket detached(port, connect);
    detached_sid = sid_of(detached);
    ASSERT_TRUE(detached.write_frame(v4::Data{bytes_of("early")}));
    ASSERT_EQ(read_payload(detached, 5), "early");
    detached.reset();
  }
  ASSERT_TRUE(wait_until([&] { return relay.log_text().find("sid=" + detached_sid + " detached") != std::string::npos; }, 30s))
      << relay.log_text();
  // The first half of a message reaches the old process; nothing says when it has read it (if it has
  // not, the bytes wait in the kernel and move with the socket: the check below holds either way).
  const std::string split = "a message split across two processes";
  const auto wire = client_frame(2, v4::encode(v4::Data{bytes_of(split)}));
  ASSERT_TRUE(attached.write_raw(std::span(wire).first(wire.size() / 2)));
  std::this_thread::sleep_for(300ms);

  ::kill(relay.pid(), SIGUSR2);
  ASSERT_TRUE(wait_until([&] { return !relay.running(); }, 60s)) << relay.log_text();
  EXPECT_EQ(relay.stop(), 0);
  // The successor rewrote the ready file with its own pid; it is not this test's child.
  int successor = 0;
  ASSERT_TRUE(wait_until([&] {
    const auto ready = nlohmann::json::parse(testing::read_file(relay.dir() + "/ready.json"), nullptr, false);
    successor = ready.is_object() ? ready.value("pid", 0) : 0;
    return successor != 0 && successor != first_pid;
  }, 30s)) << relay.log_text();
  // Not this test's child: stopped here whatever the checks below say.
  const std::unique_ptr<int, void (*)(int*)> stop_successor(&successor, [](int* pid) {
    ::kill(*pid, SIGTERM);
    wait_until([&] { return ::kill(*pid, 0) != 0; }, 30s);
  });

  // The same WebSocket, now served by the successor.
  ASSERT_TRUE(attached.write_raw(std::span(wire).subspan(wire.size() / 2)));
  EXPECT_EQ(read_payload(attached, split.size()), split) << relay.log_text();
  ASSERT_TRUE(attached.write_frame(v4::Data{bytes_of("after")}));
  EXPECT_EQ(read_payload(attached, 5), "after") << relay.log_text();
  EXPECT_NE(relay.log_text().find("sid=" + attached_sid + " taken over with its client's socket"), std::string::npos)
      << relay.log_text();

  RawV4Socket resumed(port, reconnect_target(detached_sid, 5));
  auto success = frame_of(resumed.read());
  ASSERT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(success)) << relay.log_text();
  ASSERT_TRUE(resumed.write_frame(v4::Data{bytes_of("later")}));
  EXPECT_EQ(read_payload(resumed, 5), "later") << relay.log_text();

  EXPECT_NE(relay.log_text().find("SIGUSR2: started process " + std::to_string(successor)), std::string::npos) << relay.log_text();
  std::map<std::string, std::string> handed;
  for (const auto& event : read_audit_events(scratch.file("audit.jsonl"), "session.handover")) {
    handed[event.value("event.reason", "") + " " + event.value("sshrelay.sid", "")] = event.value("sshrelay.sid", "");
  }
  EXPECT_TRUE(handed.count("handed to a new process with its connection " + attached_sid)) << nlohmann::json(handed).dump();
  EXPECT_TRUE(handed.count("taken over from the previous process with its connection " + attached_sid));
  EXPECT_TRUE(handed.count("handed to a new process " + detached_sid));
  EXPECT_TRUE(handed.count("taken over from the previous process " + detached_sid));
}

}  // namespace
}  // namespace sshrelay::itest
