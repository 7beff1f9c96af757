// Two-party rendezvous end to end, with the shipped binaries: `sshrelay create` mints a session through
// the admin API, `sshrelay tcp-dial` connects a real sshd behind it, `sshrelay tcp-listen` gives real
// OpenSSH `ssh` a local port, and a cutting proxy on EACH leg resets it at random points while 64 MiB
// go each way — both legs resume and the bytes arrive intact. Then every refusal a user can meet (wrong
// token, unknown session, a slot already taken, expired, revoked, the other side never came, the admin
// API without the admin rule), each with a clear message and an audit event; swsrs's plain data plane;
// and the admin API's JSON.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "native/client/relay_http.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_wire.hpp"
#include "tests/support/cutting_proxy.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/sha256.hpp"
#include "tests/support/sshd_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

using testing::CuttingProxy;
using testing::Process;
using testing::ProcessIo;
using testing::RelayDaemon;
using testing::SshdFixture;
using testing::TempDir;

constexpr auto kTransferTimeout = 300s;
constexpr int kCutsPerLeg = 20;

struct Session {
  std::string id, initiator, responder;
};

// Audit events of one action ("rendezvous.pair", "policy.denied") in the daemon's stderr.
std::vector<nlohmann::json> audit_events(const RelayDaemon& relay, const std::string& action) {
  std::vector<nlohmann::json> out;
  std::istringstream log(relay.log_text());
  for (std::string line; std::getline(log, line);) {
    if (line.empty() || line.front() != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.value("event.action", "") == action) out.push_back(std::move(j));
  }
  return out;
}

// Whether some audit event of `action` has `reason` in its event.reason, waiting for it a while: the
// relay answers the request before its audit line reaches the log (a clean-clone run under load caught
// the check reading the log just before the line arrived).
bool audited(const RelayDaemon& relay, const std::string& action, const std::string& reason) {
  return testing::wait_until(
      [&] {
        for (const auto& e : audit_events(relay, action)) {
          if (e.value("event.reason", "").find(reason) != std::string::npos) return true;
        }
        return false;
      },
      std::chrono::seconds(10));
}

class RendezvousTest : public ::testing::Test {
 protected:
  std::string relay_url(std::uint16_t port) const { return "ws://127.0.0.1:" + std::to_string(port); }

  // `sshrelay create --output env`, parsed.
  Session create(const std::vector<std::string>& flags = {}) {
    std::vector<std::string> argv = {SSHRELAY_CLI_PATH, "create", "--relay", relay_url(relay_.port()), "--output", "env"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    const auto out = scratch_.file("create.out");
    const auto err = scratch_.file("create.err");
    const int code = testing::run(argv, "", out, err, 60s);
    if (code != 0) throw std::runtime_error("sshrelay create failed: " + testing::read_file(err));
    std::map<std::string, std::string> vars;
    std::istringstream lines(testing::read_file(out));
    for (std::string line; std::getline(lines, line);) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return {vars["SSHRELAY_SESSION"], vars["SSHRELAY_INITIATOR_TOKEN"], vars["SSHRELAY_RESPONDER_TOKEN"]};
  }

  // A rendezvous command (tcp-dial, tcp-listen, raw) against relay port `port`, in the background.
  std::unique_ptr<Process> leg(const std::string& command, std::uint16_t port, const Session& s, const std::string& token,
                               const std::vector<std::string>& extra, const std::string& name,
                               const std::string& stdin_path = "") {
    std::vector<std::string> argv = {SSHRELAY_CLI_PATH, command, "--relay", relay_url(port), "--session", s.id, "--token", token};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Process>(argv, ProcessIo{stdin_path, scratch_.file(name + ".out"), scratch_.file(name + ".err"), {}});
  }
  // Runs a command to its end; returns its exit code, its stderr in `err`.
  int run_leg(const std::string& command, const Session& s, const std::string& token, std::string& err,
              const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {SSHRELAY_CLI_PATH, command, "--relay", relay_url(relay_.port()), "--session", s.id,
                                     "--token", token};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const int code = testing::run(argv, "", scratch_.file("leg.out"), scratch_.file("leg.err"), 60s);
    err = testing::read_file(scratch_.file("leg.err"));
    return code;
  }
  std::string text(const std::string& name) const { return testing::read_file(scratch_.file(name)); }
  std::string diagnostics() const {
    std::string out = "\n--- relayd log:\n" + testing::file_tail(relay_.log_path(), 8000);
    for (const auto* name : {"dial.err", "listen.err", "ssh.err", "leg.err"}) {
      if (std::filesystem::exists(scratch_.file(name))) out += "\n--- " + std::string(name) + ":\n" + testing::file_tail(scratch_.file(name), 4000);
    }
    return out;
  }

  TempDir scratch_{"sshrelay-rendezvous-itest"};
  RelayDaemon relay_;
};

// The whole point: ssh to a machine that opened no port. tcp-dial (next to sshd) and tcp-listen (next to
// ssh) each reach the relay through their own cutting proxy; 20 resets on each leg land inside the 64 MiB
// upload and the 64 MiB download of one ssh session. Both legs resume and both files hash as they should.
TEST_F(RendezvousTest, SshThroughTcpListenAndTcpDialMoves64MiBEachWayThroughCutsOnBothLegs) {
  SshdFixture sshd;
  sshd.start();
  relay_.start(relayd_path(), {"--dev"});
  const Session s = create({"--ttl", "30m"});
  ASSERT_EQ(s.id.size(), 22u);

  const auto seed = std::random_device{}();
  SCOPED_TRACE("cut plan seed " + std::to_string(seed));
  CuttingProxy dial_proxy("127.0.0.1", relay_.port());
  CuttingProxy listen_proxy("127.0.0.1", relay_.port());
  // Each leg carries both transfers (128 MiB) plus SSH and v4 framing; the plans end before that.
  dial_proxy.set_cut_plan(testing::random_cut_plan(seed, 2 * kMiB, 120 * kMiB, kCutsPerLeg));
  listen_proxy.set_cut_plan(testing::random_cut_plan(seed + 1, 2 * kMiB, 120 * kMiB, kCutsPerLeg));

  auto dial = leg("tcp-dial", dial_proxy.port(), s, s.responder,
                  {"--target", "127.0.0.1:" + std::to_string(sshd.port()), "-v", "--stats-interval", "3600"}, "dial");
  auto listen = leg("tcp-listen", listen_proxy.port(), s, s.initiator,
                    {"--listen", "127.0.0.1:0", "-v", "--stats-interval", "3600"}, "listen");
  const std::regex waiting("tcp-listen: waiting for TCP on 127\\.0\\.0\\.1:([0-9]+)");
  std::uint16_t listen_port = 0;
  ASSERT_TRUE(wait_until([&] {
    const auto err = text("listen.err");
    std::smatch match;
    if (!std::regex_search(err, match, waiting)) return false;
    listen_port = static_cast<std::uint16_t>(std::stoi(match[1].str()));
    return true;
  }, 30s)) << diagnostics();

  const auto up_source = scratch_.file("up.bin");
  const auto uploaded = scratch_.file("uploaded.bin");
  const auto down_source = scratch_.file("down.bin");
  const auto downloaded = scratch_.file("downloaded.bin");
  testing::write_random_file(up_source, kBulkSize, seed + 2);
  testing::write_random_file(down_source, kBulkSize, seed + 3);
  // One ssh session: a command that takes 64 MiB in and sends 64 MiB back.
  const auto ssh = sshd.ssh_argv(listen_port, {"-o", "LogLevel=ERROR"}, "cat > '" + uploaded + "' && cat '" + down_source + "'");
  ASSERT_EQ(testing::run(ssh, up_source, downloaded, scratch_.file("ssh.err"), kTransferTimeout), 0) << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(uploaded), testing::sha256_file_hex(up_source)) << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(downloaded), testing::sha256_file_hex(down_source)) << diagnostics();

  EXPECT_GE(dial_proxy.cuts(), static_cast<std::uint64_t>(kCutsPerLeg)) << diagnostics();
  EXPECT_GE(listen_proxy.cuts(), static_cast<std::uint64_t>(kCutsPerLeg)) << diagnostics();
  // Both commands end with the ssh session, exit 0.
  ASSERT_TRUE(listen->wait_for(60s)) << diagnostics();
  ASSERT_TRUE(dial->wait_for(60s)) << diagnostics();
  EXPECT_EQ(listen->exit_code(), 0) << diagnostics();
  EXPECT_EQ(dial->exit_code(), 0) << diagnostics();
  // Every cut was resumed: one rendezvous.resume per cut, one pairing, no loss.
  ASSERT_TRUE(wait_until([&] { return audit_events(relay_, "rendezvous.close").size() >= 2; }, 30s)) << diagnostics();
  EXPECT_EQ(audit_events(relay_, "rendezvous.pair").size(), 1u) << diagnostics();
  EXPECT_EQ(audit_events(relay_, "rendezvous.resume").size(), dial_proxy.cuts() + listen_proxy.cuts()) << diagnostics();
  EXPECT_EQ(audit_events(relay_, "rendezvous.create").size(), 1u) << diagnostics();
}

// What a user gets wrong, and what the relay tells them (and its audit trail says).
TEST_F(RendezvousTest, WrongTokenUnknownSessionTakenSlotAndExpiryAreRefusedClearlyAndAudited) {
  relay_.start(relayd_path(), {"--dev", "--rendezvous-peer-wait", "60s"});
  const Session s = create();
  TcpTarget echo(TcpTarget::echo());
  std::string err;

  EXPECT_NE(run_leg("raw", s, "AAAAAAAAAAAAAAAAAAAAAA", err), 0);
  EXPECT_NE(err.find("wrong token for this session"), std::string::npos) << err;
  EXPECT_TRUE(audited(relay_, "policy.denied", "wrong token for this session")) << diagnostics();

  Session unknown = s;
  unknown.id = "BBBBBBBBBBBBBBBBBBBBBB";
  EXPECT_NE(run_leg("raw", unknown, s.initiator, err), 0);
  EXPECT_NE(err.find("no such rendezvous session"), std::string::npos) << err;
  EXPECT_TRUE(audited(relay_, "policy.denied", "no such rendezvous session")) << diagnostics();

  // The initiator's slot held by one leg; a second party with the same token is refused.
  auto holder = leg("tcp-dial", relay_.port(), s, s.initiator, {"--target", "127.0.0.1:" + std::to_string(echo.port())}, "dial");
  ASSERT_TRUE(wait_until([&] { return audit_events(relay_, "session.start").size() >= 1; }, 30s)) << diagnostics();
  EXPECT_NE(run_leg("raw", s, s.initiator, err), 0);
  EXPECT_NE(err.find("slot already connected"), std::string::npos) << err;
  EXPECT_TRUE(audited(relay_, "policy.denied", "slot already connected")) << diagnostics();
  holder->terminate();

  const Session brief = create({"--ttl", "1s"});
  std::this_thread::sleep_for(1500ms);
  EXPECT_NE(run_leg("raw", brief, brief.responder, err), 0);
  EXPECT_NE(err.find("session expired"), std::string::npos) << err;
  EXPECT_TRUE(audited(relay_, "policy.denied", "session expired")) << diagnostics();
}

// A lone leg is closed once the peer-wait passes (1001); a revoked session closes its legs (1008) and
// is gone for new ones.
TEST_F(RendezvousTest, PeerThatNeverCameAndRevokedSessionCloseTheLegsWithTheirReason) {
  relay_.start(relayd_path(), {"--dev", "--rendezvous-peer-wait", "2s"});
  TcpTarget echo(TcpTarget::echo());
  const Session lonely = create();
  std::string err;
  EXPECT_NE(run_leg("tcp-dial", lonely, lonely.responder, err, {"--target", "127.0.0.1:" + std::to_string(echo.port())}), 0);
  EXPECT_NE(err.find("peer did not connect in time"), std::string::npos) << err << diagnostics();
  EXPECT_TRUE(wait_until([&] {
    for (const auto& e : audit_events(relay_, "rendezvous.close")) {
      if (e.value("sshrelay.close.reason", "") == "peer did not connect in time") return true;
    }
    return false;
  }, 10s)) << diagnostics();

  const Session doomed = create();
  auto a = leg("tcp-dial", relay_.port(), doomed, doomed.responder, {"--target", "127.0.0.1:" + std::to_string(echo.port())}, "dial");
  auto b = leg("tcp-dial", relay_.port(), doomed, doomed.initiator, {"--target", "127.0.0.1:" + std::to_string(echo.port())}, "listen");
  ASSERT_TRUE(wait_until([&] { return !audit_events(relay_, "rendezvous.pair").empty(); }, 30s)) << diagnostics();
  client::TransportOptions transport;
  transport.relay = *client::parse_relay_url(relay_url(relay_.port()));
  auto revoked = client::relay_http_request(transport, boost::beast::http::verb::delete_, "/admin/sessions/" + doomed.id, "", {});
  ASSERT_TRUE(revoked) << revoked.error().message;
  EXPECT_EQ(revoked->status, 204u);
  ASSERT_TRUE(a->wait_for(30s)) << diagnostics();
  ASSERT_TRUE(b->wait_for(30s)) << diagnostics();
  EXPECT_NE(text("dial.err").find("session revoked"), std::string::npos) << diagnostics();
  EXPECT_TRUE(audited(relay_, "rendezvous.close", "revoked")) << diagnostics();
  EXPECT_NE(run_leg("raw", doomed, doomed.initiator, err), 0);
  EXPECT_NE(err.find("session revoked"), std::string::npos) << err;
}

// Without --dev the admin API needs the policy file's admin rule: everyone else gets 403, audited.
TEST_F(RendezvousTest, AdminApiWithoutTheAdminRuleIsRefusedAndAudited) {
  const auto policy = scratch_.file("policy.json");
  testing::write_file(policy, R"({"rendezvous_admins":["group:sre"]})");
  relay_.start(relayd_path(), {"--policy-file", policy});
  client::TransportOptions transport;
  transport.relay = *client::parse_relay_url(relay_url(relay_.port()));
  auto refused = client::relay_http_request(transport, boost::beast::http::verb::post, "/admin/sessions", "", {});
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(refused->status, 403u);
  EXPECT_NE(refused->body.find("is not a rendezvous admin"), std::string::npos) << refused->body;
  EXPECT_TRUE(audited(relay_, "policy.denied", "is not a rendezvous admin")) << diagnostics();
  auto listed = client::relay_http_request(transport, boost::beast::http::verb::get, "/admin/sessions", "", {});
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->status, 403u);
  // The CLI says the same.
  const int code = testing::run({SSHRELAY_CLI_PATH, "create", "--relay", relay_url(relay_.port())}, "",
                                scratch_.file("create.out"), scratch_.file("create.err"), 60s);
  EXPECT_EQ(code, 1);
  EXPECT_NE(text("create.err").find("HTTP 403"), std::string::npos) << text("create.err");
}

// swsrs's admin API and data plane: the JSON it documents, and two plain legs (/relay/<id>, token as
// Bearer and as ?token=) exchanging binary messages.
TEST_F(RendezvousTest, SwsrsAdminApiAndPlainLegsWork) {
  relay_.start(relayd_path(), {"--dev"});
  client::TransportOptions transport;
  transport.relay = *client::parse_relay_url(relay_url(relay_.port()));
  auto created = client::relay_http_request(transport, boost::beast::http::verb::post, "/admin/sessions", R"({"ttl":"10m"})", {});
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201u) << created->body;
  const auto j = nlohmann::json::parse(created->body);
  for (const auto* field : {"id", "initiator_token", "responder_token", "created_at", "expires_at"}) {
    EXPECT_TRUE(j.contains(field)) << field << " in " << created->body;
  }
  const std::string id = j["id"];
  auto bad = client::relay_http_request(transport, boost::beast::http::verb::post, "/admin/sessions", R"({"ttl":"10x"})", {});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400u);
  EXPECT_NE(bad->body.find("\"x\" is not a unit of time"), std::string::npos) << bad->body;

  // Raw sockets, so the test sees exactly the frames a swsrs SDK would.
  RawConnection a(relay_.port());
  RawConnection b(relay_.port());
  ASSERT_TRUE(a.send(upgrade_request(relay_.port(), "/relay/" + id + "?token=" + j["initiator_token"].get<std::string>())));
  ASSERT_TRUE(b.send(upgrade_request(relay_.port(), "/relay/" + id,
                                     {"Authorization: Bearer " + j["responder_token"].get<std::string>()})));
  ASSERT_EQ(a.read_http_response()->status, 101u);
  ASSERT_EQ(b.read_http_response()->status, 101u);
  const std::vector<std::uint8_t> hello{'h', 'e', 'l', 'l', 'o'};
  ASSERT_TRUE(a.send(client_frame(2, hello)));
  auto got = b.read_frame();
  ASSERT_TRUE(got) << diagnostics();
  EXPECT_EQ(got->opcode, 2);
  EXPECT_EQ(got->payload, hello);
  const std::vector<std::uint8_t> back{'o', 'k'};
  ASSERT_TRUE(b.send(client_frame(2, back)));
  got = a.read_frame();
  ASSERT_TRUE(got) << diagnostics();
  EXPECT_EQ(got->payload, back);

  auto status = client::relay_http_request(transport, boost::beast::http::verb::get, "/admin/sessions/" + id, "", {});
  ASSERT_TRUE(status);
  const auto st = nlohmann::json::parse(status->body);
  EXPECT_EQ(st["state"], "open") << status->body;
  EXPECT_EQ(st["bytes_in"], 5) << status->body;
  EXPECT_EQ(st["bytes_out"], 2) << status->body;
  EXPECT_FALSE(st.contains("initiator_token"));
  auto list = client::relay_http_request(transport, boost::beast::http::verb::get, "/admin/sessions", "", {});
  ASSERT_TRUE(list);
  EXPECT_EQ(nlohmann::json::parse(list->body)["sessions"].size(), 1u);

  // One side leaves: the other is closed 1000 "peer disconnected" (swsrs's words).
  const std::vector<std::uint8_t> normal{0x03, 0xe8};
  ASSERT_TRUE(a.send(client_frame(8, normal)));
  auto close = b.read_close();
  ASSERT_TRUE(close) << diagnostics();
  EXPECT_EQ(close->close_code(), 1000);
  EXPECT_EQ(close->close_reason(), "peer disconnected");
}

}  // namespace
}  // namespace sshrelay::itest
