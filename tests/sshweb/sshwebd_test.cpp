// sshwebd against the real thing: OpenSSH's ssh runs the commands, git reads the packs, and the audit
// trail shows what ran (docs/sshweb.md).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sha256.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::sshweb {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

// A throwaway sshwebd with one site of a few pages, a trusted and a plain key.
class SshWebdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto root = dir_.file("public");
    fs::create_directories(root + "/notes");
    fs::create_directories(root + "/css");
    testing::write_file(root + "/index.html", "<h1>Hello over SSH</h1>\n");
    testing::write_file(root + "/css/site.css", "h1 { color: teal; }\n");
    testing::write_file(root + "/notes/a.txt", std::string(4000, 'a') + "\n");
    testing::write_file(root + "/notes/b.txt", "note b\n");
    fs::create_directories(root + "/img");
    testing::write_random_file(root + "/img/photo.bin", 256 * 1024, 7);  // what an update need not carry again
    fs::create_symlink("/etc", root + "/escape");
    fs::create_symlink("/etc/hostname", root + "/notes/leak.txt");  // never served: it leaves the root
    trusted_ = make_key("trusted");
    plain_ = make_key("plain");
    testing::write_file(dir_.file("authorized_keys"), "# the site's keys\ntier=trusted " + testing::read_file(trusted_ + ".pub"));
    port_ = testing::pick_free_loopback_port();
    backend_port_ = testing::pick_free_loopback_port();
    limited_port_ = testing::pick_free_loopback_port();
    testing::write_file(dir_.file("sshwebd.conf"), config());
    start();
  }

  std::string config() const {
    return "site localhost {\n"
           "  port " + std::to_string(port_) + "\n"
           "  host-key keys/host_ed25519\n"
           "  root ./public\n"
           "  authorized-keys ./authorized_keys\n"
           "  backend http://127.0.0.1:" + std::to_string(backend_port_) + "/\n"
           "  commands {\n    receive-pack /\n    receive-pack /notes/{path*}\n"
           "    api-call GET /api/notes/{id}\n    api-call POST /api/notes\n    api-call GET /api/fail\n    api-call GET /api/slow\n  }\n"
           "  meta {\n    rss-feed /feed\n    sitemap /sitemap dynamic=true\n    robots crawl-delay=3 allow=[\"/\", \"/notes/*\"]\n  }\n"
           "  auth {\n    anonymous [receive-pack, sitemap, robots, rss-feed, api-call GET]\n    identified [admin-*, api-call POST]\n    trusted [secret-report, report daily]\n  }\n"
           "}\n"
           "site limited.localhost {\n"
           "  port " + std::to_string(limited_port_) + "\n"
           "  host-key keys/limited_ed25519\n"
           "  limits {\n    anonymous 3/min\n  }\n"
           "}\n";
  }

  std::string make_key(const std::string& name) {
    const auto path = dir_.file(name);
    EXPECT_EQ(testing::run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name + "@test", "-f", path}, "", "", "", 30s), 0);
    return path;
  }

  void start() {
    testing::ProcessIo io;
    io.stderr_path = dir_.file("sshwebd.log");
    io.stdout_path = io.stderr_path;
    daemon_ = std::make_unique<testing::Process>(
        std::vector<std::string>{SSHWEBD_PATH, "--config", dir_.file("sshwebd.conf"), "--bind", "127.0.0.1", "--audit-jsonl",
                                 dir_.file("audit.jsonl"), "--backend-timeout-seconds", "2"},
        io);
    for (int i = 0; i < 200 && !(testing::loopback_port_accepts(port_) && testing::loopback_port_accepts(limited_port_)); ++i) {
      ASSERT_TRUE(daemon_->running()) << log();
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(testing::loopback_port_accepts(port_)) << log();
  }

  std::string log() const { return "\n--- sshwebd:\n" + testing::file_tail(dir_.file("sshwebd.log"), 4000); }

  // `ssh` as a user would type it: anonymous (user "anonymous", no key), or with a key file.
  Outcome ssh(const std::string& command, const std::string& key = "", std::uint16_t port = 0) {
    std::vector<std::string> argv = {"ssh", "-p", std::to_string(port ? port : port_), "-o", "StrictHostKeyChecking=no", "-o",
                                     "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-F", "/dev/null"};
    if (key.empty()) {
      argv.insert(argv.end(), {"-o", "PubkeyAuthentication=no", "anonymous@127.0.0.1"});
    } else {
      argv.insert(argv.end(), {"-i", key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "visitor@127.0.0.1"});
    }
    argv.push_back(command);
    Outcome outcome;
    const auto out = dir_.file("ssh.out"), err = dir_.file("ssh.err");
    outcome.status = testing::run(argv, "", out, err, 60s);
    outcome.out = testing::read_file(out);
    outcome.err = testing::read_file(err);
    return outcome;
  }

  Outcome git(const std::vector<std::string>& args, const std::string& stdin_path = "") {
    std::vector<std::string> argv = {"git", "-C", dir_.file("clone")};
    argv.insert(argv.end(), args.begin(), args.end());
    Outcome outcome;
    const auto out = dir_.file("git.out"), err = dir_.file("git.err");
    outcome.status = testing::run(argv, stdin_path, out, err, 60s);
    outcome.out = testing::read_file(out);
    outcome.err = testing::read_file(err);
    return outcome;
  }

  testing::TempDir dir_{"sshwebd-test"};
  std::uint16_t port_ = 0, limited_port_ = 0, backend_port_ = 0;
  std::string trusted_, plain_;
  std::unique_ptr<testing::Process> daemon_;
};

TEST_F(SshWebdTest, AnswersCapabilitiesSitemapRobotsAndFeedToOpenSsh) {
  auto caps = ssh("capabilities");
  ASSERT_EQ(caps.status, 0) << caps.err << log();
  const auto manifest = nlohmann::json::parse(caps.out, nullptr, false);
  ASSERT_TRUE(manifest.is_object()) << caps.out;
  EXPECT_EQ(manifest["protocol"], "ssh-web/0.1");
  EXPECT_EQ(manifest["site"]["host"], "localhost");
  EXPECT_EQ(manifest["commands"]["receive-pack"]["routes"], (nlohmann::json{"/", "/notes/{path*}"}));

  auto sitemap = ssh("sitemap");
  ASSERT_EQ(sitemap.status, 0) << sitemap.err;
  const auto entries = nlohmann::json::parse(sitemap.out)["entries"];
  ASSERT_EQ(entries.size(), 7u) << sitemap.out;  // two routes, five files (not the link out of the root)
  EXPECT_EQ(entries[2], (nlohmann::json{{"path", "/css/site.css"}, {"type", "static"}}));

  auto robots = ssh("robots");
  ASSERT_EQ(robots.status, 0) << robots.err;
  EXPECT_EQ(nlohmann::json::parse(robots.out)["crawl-delay"], 3);
  EXPECT_EQ(nlohmann::json::parse(robots.out)["allowed-paths"], (nlohmann::json{"/", "/notes/*"}));

  auto feed = ssh("rss-feed /feed");
  ASSERT_EQ(feed.status, 0) << feed.err;
  EXPECT_NE(feed.out.find("<id>ssh-web://localhost/notes/b.txt</id>"), std::string::npos) << feed.out;
  auto no_feed = ssh("rss-feed /elsewhere");
  EXPECT_EQ(no_feed.status, 1);
  EXPECT_EQ(no_feed.err, "error: no feed configured at /elsewhere\n");

  // The host key was made on first start, and the audit trail has each command.
  EXPECT_TRUE(fs::exists(dir_.file("keys/host_ed25519")));
  EXPECT_EQ(fs::status(dir_.file("keys/host_ed25519")).permissions() & fs::perms::group_all, fs::perms::none);
  std::ifstream audit(dir_.file("audit.jsonl"));
  std::size_t commands = 0;
  for (std::string line; std::getline(audit, line);) {
    const auto event = nlohmann::json::parse(line, nullptr, false);
    if (event.is_object() && event.value("event.action", "") == "sshweb.command") ++commands;
  }
  EXPECT_EQ(commands, 5u) << testing::read_file(dir_.file("audit.jsonl"));
}

// The pack is a real Git pack: index-pack and unpack-objects take it, and the files come back by name.
// An update that says what it has carries only the changed file.
TEST_F(SshWebdTest, ReceivePackIsAGitPackAndAnUpdateCarriesOnlyWhatChanged) {
  ASSERT_EQ(testing::run({"git", "init", "-q", "--bare", dir_.file("clone")}, "", "", "", 30s), 0);
  auto full = ssh("receive-pack /");
  ASSERT_EQ(full.status, 0) << full.err << log();
  ASSERT_EQ(full.out.substr(0, 4), "PACK");
  testing::write_file(dir_.file("full.pack"), full.out);
  auto indexed = git({"index-pack", "--stdin", "--strict"}, dir_.file("full.pack"));
  ASSERT_EQ(indexed.status, 0) << indexed.err;
  auto listed = git({"cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  std::string commit;
  std::vector<std::string> oids;
  std::istringstream lines(listed.out);
  for (std::string oid, type; lines >> oid >> type;) {
    oids.push_back(oid);
    if (type == "commit") commit = oid;
  }
  ASSERT_FALSE(commit.empty()) << listed.out;
  EXPECT_EQ(oids.size(), 10u) << listed.out;  // 5 blobs, 4 trees (the root, css, img, notes), 1 commit
  EXPECT_EQ(git({"show", commit + ":index.html"}).out, "<h1>Hello over SSH</h1>\n");
  EXPECT_EQ(git({"show", commit + ":notes/a.txt"}).out, std::string(4000, 'a') + "\n");

  // unpack-objects too, into an empty repository.
  ASSERT_EQ(testing::run({"git", "init", "-q", "--bare", dir_.file("unpacked")}, "", "", "", 30s), 0);
  EXPECT_EQ(testing::run({"git", "-C", dir_.file("unpacked"), "unpack-objects", "-q"}, dir_.file("full.pack"), "", "", 30s), 0);

  testing::write_file(dir_.file("public/notes/b.txt"), "note b, edited\n");
  std::string have;
  for (const auto& oid : oids) have += (have.empty() ? "" : ",") + oid;
  auto update = ssh("receive-pack / --have " + have);
  ASSERT_EQ(update.status, 0) << update.err;
  EXPECT_LT(update.out.size() * 4, full.out.size()) << "an update is a fraction of the full pack";
  testing::write_file(dir_.file("update.pack"), update.out);
  ASSERT_EQ(git({"index-pack", "--stdin"}, dir_.file("update.pack")).status, 0);
  auto listed_again = git({"cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)"});
  std::istringstream again(listed_again.out);
  std::string new_commit;
  for (std::string oid, type; again >> oid >> type;) {
    if (type == "commit" && oid != commit) new_commit = oid;
  }
  ASSERT_FALSE(new_commit.empty()) << listed_again.out;
  EXPECT_EQ(git({"show", new_commit + ":notes/b.txt"}).out, "note b, edited\n");
  EXPECT_EQ(git({"show", new_commit + ":index.html"}).out, "<h1>Hello over SSH</h1>\n") << "an unchanged file is the one the client has";

  auto sub = ssh("receive-pack /notes");
  ASSERT_EQ(sub.status, 0) << sub.err;
  auto outside = ssh("receive-pack ../etc");
  EXPECT_EQ(outside.status, 1);
  EXPECT_EQ(outside.err, "error: path outside content root\n");
  EXPECT_EQ(ssh("receive-pack /escape").err, "error: path outside content root\n") << "a link out of the root";
  EXPECT_EQ(ssh("receive-pack /../etc").err, "error: content not found: /../etc\n") << "'/..' is '/', as path.Clean has it";
  auto missing = ssh("receive-pack /nowhere");
  EXPECT_EQ(missing.err, "error: content not found: /nowhere\n");
  auto bad_have = ssh("receive-pack / --have xyz");
  EXPECT_EQ(bad_have.err, "error: --have: 'xyz' is not an object id (40 hex digits)\n");
}

// Anonymous, identified and trusted: each tier runs its list and the lists below; a key made trusted in
// authorized-keys is trusted at its next connection.
TEST_F(SshWebdTest, TiersFollowKeysAndAuthorizedKeysReloads) {
  // A command past the allow-list reaches the dispatcher, which does not know it: "unknown command".
  EXPECT_EQ(ssh("admin-stats").err, "error: permission denied: \"admin-stats\" not allowed for tier \"anonymous\"\n");
  EXPECT_EQ(ssh("admin-stats", plain_).err, "error: unknown command: admin-stats\n") << "identified: admin-* allowed";
  EXPECT_EQ(ssh("secret-report", plain_).err,
            "error: permission denied: \"secret-report\" not allowed for tier \"identified\"\n");
  EXPECT_EQ(ssh("secret-report", trusted_).err, "error: unknown command: secret-report\n") << "trusted";
  EXPECT_EQ(ssh("admin-stats", trusted_).err, "error: unknown command: admin-stats\n") << "trusted has what identified has";
  EXPECT_EQ(ssh("secret-report now", trusted_).err, "error: unknown command: secret-report\n") << "one word: any arguments";
  EXPECT_EQ(ssh("report daily html", trusted_).err, "error: unknown command: report\n") << "several words: word for word";
  EXPECT_EQ(ssh("report weekly", trusted_).err, "error: permission denied: \"report weekly\" not allowed for tier \"trusted\"\n");

  std::this_thread::sleep_for(1100ms);  // a new modification time, whatever the file system's resolution
  std::ofstream(dir_.file("authorized_keys"), std::ios::app) << "tier=trusted " << testing::read_file(plain_ + ".pub");
  EXPECT_EQ(ssh("secret-report", plain_).err, "error: unknown command: secret-report\n") << log();
  // A file that turns bad keeps the last good keys.
  std::this_thread::sleep_for(1100ms);
  std::ofstream(dir_.file("authorized_keys"), std::ios::app) << "tier=root ssh-ed25519 AAAA x\n";
  EXPECT_EQ(ssh("secret-report", plain_).err, "error: unknown command: secret-report\n");
  EXPECT_NE(log().find("keeping the previous authorized keys"), std::string::npos) << log();

  auto empty = ssh("   ");
  EXPECT_EQ(empty.status, 2);
  EXPECT_EQ(empty.err, "error: empty command\n");
  auto shell = ssh("");  // no command: a shell request, which nothing here grants
  EXPECT_NE(shell.status, 0);
}

// A real HTTP backend (Python's http.server) gets the method, path, body and identity headers; its
// errors and its silence come back as clear statuses.
TEST_F(SshWebdTest, ApiCallsReachTheBackendWithTheIdentityHeaders) {
  const auto requests = dir_.file("requests.jsonl");
  testing::write_file(dir_.file("backend.py"), R"(import json, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
class Handler(BaseHTTPRequestHandler):
    def answer(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0)).decode()
        with open(sys.argv[2], 'a') as log:
            log.write(json.dumps({'method': self.command, 'path': self.path, 'body': body,
                                  'headers': {k.lower(): v for k, v in self.headers.items()}}) + '\n')
        if self.path == '/api/slow':
            time.sleep(5)
        status, reply = (500, b'boom') if self.path == '/api/fail' else (200, json.dumps({'ok': True, 'path': self.path}).encode())
        self.send_response(status)
        self.send_header('Content-Length', str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
    do_GET = do_POST = answer
    def log_message(self, *args): pass
HTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
)");
  testing::Process backend({"python3", dir_.file("backend.py"), std::to_string(backend_port_), requests});
  for (int i = 0; i < 100 && !testing::loopback_port_accepts(backend_port_); ++i) std::this_thread::sleep_for(50ms);
  const auto last_request = [&] {
    std::ifstream in(requests);
    std::string line, last;
    while (std::getline(in, line)) last = line;
    return nlohmann::json::parse(last, nullptr, false);
  };

  auto got = ssh("api-call get /api/notes/7?full=1");
  ASSERT_EQ(got.status, 0) << got.err << log();
  EXPECT_EQ(nlohmann::json::parse(got.out)["path"], "/api/notes/7?full=1") << "the backend's body is the output";
  auto seen = last_request();
  EXPECT_EQ(seen["method"], "GET");
  EXPECT_EQ(seen["headers"]["x-sshweb-tier"], "anonymous");
  EXPECT_FALSE(seen["headers"].contains("x-sshweb-fingerprint"));

  auto posted = ssh("api-call POST /api/notes {\"text\": \"hello  there\"}", trusted_);
  ASSERT_EQ(posted.status, 0) << posted.err << log();
  seen = last_request();
  EXPECT_EQ(seen["method"], "POST");
  EXPECT_EQ(seen["body"], "{\"text\": \"hello there\"}") << "the words after the path, joined by single spaces";
  EXPECT_EQ(seen["headers"]["content-type"], "application/json");
  EXPECT_EQ(seen["headers"]["x-sshweb-tier"], "trusted");
  EXPECT_EQ(seen["headers"]["x-sshweb-fingerprint"].get<std::string>().substr(0, 7), "SHA256:");
  const auto pub = testing::read_file(trusted_ + ".pub");
  EXPECT_EQ(seen["headers"]["x-sshweb-pubkey"], pub.substr(0, pub.find('\n'))) << "with the comment from authorized-keys";

  EXPECT_EQ(ssh("api-call POST /api/notes {}").err,
            "error: permission denied: \"api-call POST /api/notes {}\" not allowed for tier \"anonymous\"\n");
  EXPECT_EQ(ssh("api-call GET /api/other").err, "error: api-call GET /api/other not configured\n");
  auto failed = ssh("api-call GET /api/fail");
  EXPECT_EQ(failed.status, 1);
  EXPECT_EQ(failed.err, "error: backend error (status 500): backend returned 500; body=boom\n");
  auto slow = ssh("api-call GET /api/slow");
  EXPECT_EQ(slow.status, 1);
  EXPECT_EQ(slow.err, "error: backend timeout after 2 s\n");
  backend.terminate();
  auto down = ssh("api-call GET /api/notes/1");
  EXPECT_EQ(down.status, 1);
  EXPECT_EQ(down.err, "error: backend unreachable (127.0.0.1:" + std::to_string(backend_port_) + "): Connection refused\n");
}

TEST_F(SshWebdTest, TheTiersBucketRefusesTheCallPastItsRate) {
  for (int i = 0; i < 3; ++i) {
    auto caps = ssh("capabilities", "", limited_port_);
    ASSERT_EQ(caps.status, 0) << i << caps.err << log();
  }
  auto refused = ssh("capabilities", "", limited_port_);
  EXPECT_EQ(refused.status, 3);
  EXPECT_EQ(refused.err, "error: rate limit exceeded for tier \"anonymous\"\n");
  EXPECT_EQ(ssh("capabilities").status, 0) << "another site has its own buckets";
}

TEST(SshWebdConfig, AMistakeNamesTheFileAndLine) {
  testing::TempDir dir("sshwebd-config");
  testing::write_file(dir.file("bad.conf"), "site x {\n  port 22443\n  roots /srv\n}\n");
  const auto log = dir.file("log");
  EXPECT_EQ(testing::run({SSHWEBD_PATH, "--config", dir.file("bad.conf")}, "", log, log, 30s), 1);
  EXPECT_EQ(testing::read_file(log), "sshwebd: " + dir.file("bad.conf") + ":3: unknown site directive 'roots' (did you mean 'root'?)\n");
  EXPECT_EQ(testing::run({SSHWEBD_PATH, "--config", dir.file("missing.conf")}, "", log, log, 30s), 1);
  EXPECT_EQ(testing::read_file(log), "sshwebd: " + dir.file("missing.conf") + ": cannot be read\n");
}

}  // namespace
}  // namespace sshrelay::sshweb
