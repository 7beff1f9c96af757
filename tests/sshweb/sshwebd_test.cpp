// sshwebd against the real thing: OpenSSH's ssh runs the commands, git reads the packs, and the audit
// trail shows what ran (docs/sshweb.md).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
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

  virtual std::string config() {
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
                                 dir_.file("audit.jsonl"), "--backend-timeout-seconds", std::to_string(timeout_seconds())},
        io);
    const auto all_accept = [&] {
      for (const auto port : site_ports()) {
        if (!testing::loopback_port_accepts(port)) return false;
      }
      return true;
    };
    for (int i = 0; i < 200 && !all_accept(); ++i) {
      ASSERT_TRUE(daemon_->running()) << log();
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(all_accept()) << log();
  }

  // --backend-timeout-seconds: short, so that a test of silence is short too.
  virtual int timeout_seconds() const { return 2; }
  // The ports of the sites config() writes: start() waits until each accepts.
  virtual std::vector<std::uint16_t> site_ports() const { return {port_, limited_port_}; }

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

// sshttpd's line mode: `ssh -T` without a command; each line runs with the text forms (a pack's summary),
// refusals as `error:` lines, `quit` ends it.
TEST_F(SshWebdTest, TheShellRunsOneCommandPerLineWithTextForms) {
  testing::write_file(dir_.file("typed"), "robots\n\nreceive-pack /\nsecret-report\nquit\nrobots\n");
  const auto out = dir_.file("shell.out"), err = dir_.file("shell.err");
  const int status = testing::run({"ssh", "-T", "-p", std::to_string(port_), "-o", "StrictHostKeyChecking=no", "-o",
                                   "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-F",
                                   "/dev/null", "-o", "PubkeyAuthentication=no", "anonymous@127.0.0.1"},
                                  dir_.file("typed"), out, err, 60s);
  ASSERT_EQ(status, 0) << testing::read_file(err) << log();
  const auto text = testing::read_file(out);
  EXPECT_TRUE(text.starts_with("ssh-web/0.1 ready (tier: anonymous)\n> {")) << text;
  EXPECT_NE(text.find("\"crawl-delay\": 3"), std::string::npos) << text;
  // The whole site's summary: the pack line, its checksum, one line per file with git's blob id.
  const auto hashed = dir_.file("hash.out");
  ASSERT_EQ(testing::run({"git", "hash-object", dir_.file("public/index.html")}, "", hashed, "", 30s), 0);
  const auto blob = testing::read_file(hashed).substr(0, 7);
  EXPECT_NE(text.find("blob " + blob + "  index.html (24 bytes)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n> PACK v2 ("), std::string::npos) << text;
  EXPECT_NE(text.find(" bytes)\nchecksum: "), std::string::npos) << text;
  EXPECT_EQ(text.find("notes/leak.txt"), std::string::npos) << text;
  EXPECT_NE(text.find("error: permission denied: \"secret-report\" not allowed for tier \"anonymous\"\n> bye\n"), std::string::npos)
      << text;
  EXPECT_TRUE(text.ends_with("> bye\n")) << text;  // nothing ran after quit
}

// One login, several commands: each on its own channel (OpenSSH's connection sharing opens them on
// the master's connection), as the browser runs capabilities, receive-pack and its api-calls.
TEST_F(SshWebdTest, OneConnectionRunsACommandOnEachOfItsChannels) {
  const auto socket = dir_.file("mux.sock");
  const std::vector<std::string> common = {"-p", std::to_string(port_), "-S", socket, "-o", "StrictHostKeyChecking=no", "-o",
                                           "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-F",
                                           "/dev/null", "-o", "PubkeyAuthentication=no"};
  auto argv = [&](std::vector<std::string> head, std::vector<std::string> tail) {
    head.insert(head.end(), common.begin(), common.end());
    head.push_back("anonymous@127.0.0.1");
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  };
  ASSERT_EQ(testing::run(argv({"ssh", "-M", "-f", "-N", "-o", "ControlPersist=no"}, {}), "", "", dir_.file("master.err"), 60s), 0)
      << testing::read_file(dir_.file("master.err")) << log();
  // ProxyCommand=false: a client that could not share the master's connection fails instead of dialling.
  for (const std::string command : {"robots", "capabilities", "sitemap"}) {
    const auto out = dir_.file("mux.out");
    ASSERT_EQ(testing::run(argv({"ssh", "-o", "ControlMaster=no", "-o", "ProxyCommand=false"}, {command}), "", out,
                           dir_.file("mux.err"), 60s),
              0)
        << command << ": " << testing::read_file(dir_.file("mux.err")) << log();
    EXPECT_EQ(testing::read_file(out).substr(0, 1), "{") << command;
  }
  EXPECT_EQ(testing::run(argv({"ssh", "-O", "check"}, {}), "", "", "", 30s), 0) << "the master's connection ended" << log();
  testing::run(argv({"ssh", "-O", "exit"}, {}), "", "", "", 30s);
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
  auto shell = ssh("");  // no command: the line mode (stdin empty, so it ends at once)
  EXPECT_EQ(shell.status, 0) << shell.err;
  EXPECT_EQ(shell.out, "ssh-web/0.1 ready (tier: anonymous)\n> ");
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


// How many lines of the file at `path` are `line` (0 when there is no file yet).
std::size_t lines_equal_to(const std::string& path, const std::string& line) {
  std::ifstream in(path);
  std::size_t count = 0;
  for (std::string text; std::getline(in, text);) count += text == line ? 1 : 0;
  return count;
}

// A stdio MCP server in plain Python (json and sys only), as a site's `mcp` block starts it. It notes
// every message it receives in a file, sends a notification before each answer (which must be read past),
// and has a tool for each outcome: text, isError, a JSON-RPC error, an exit mid-call, silence.
constexpr const char* kMcpServer = R"(import json, sys, time
received = open(sys.argv[1], 'a')
tools = [
    {'name': 'echo', 'description': 'Says the words back',
     'inputSchema': {'type': 'object', 'properties': {'who': {'type': 'string'}}}},
    {'name': 'fail'}, {'name': 'crash'}, {'name': 'slow'}, {'name': 'deploy', 'description': 'Ships it'},
]
def send(message):
    sys.stdout.write(json.dumps(message) + '\n')
    sys.stdout.flush()
for line in sys.stdin:
    message = json.loads(line)
    received.write(json.dumps(message) + '\n')
    received.flush()
    if 'id' not in message:
        continue
    method, id = message['method'], message['id']
    if method == 'initialize':
        send({'jsonrpc': '2.0', 'id': id, 'result': {'protocolVersion': '2024-11-05', 'capabilities': {'tools': {}},
                                                     'serverInfo': {'name': 'notes', 'version': '1'}}})
    elif method == 'tools/list':
        send({'jsonrpc': '2.0', 'id': id, 'result': {'tools': tools}})
    elif method == 'tools/call':
        name, args = message['params']['name'], message['params']['arguments']
        send({'jsonrpc': '2.0', 'method': 'notifications/message', 'params': {'level': 'info', 'data': 'working'}})
        if name == 'echo':
            send({'jsonrpc': '2.0', 'id': id, 'result': {'content': [
                {'type': 'text', 'text': 'hello ' + args.get('who', 'nobody')},
                {'type': 'image', 'data': 'AAAA', 'mimeType': 'image/png'},
                {'type': 'text', 'text': json.dumps(args, sort_keys=True)}]}})
        elif name == 'fail':
            send({'jsonrpc': '2.0', 'id': id, 'result': {'isError': True, 'content': [{'type': 'text', 'text': 'no such note'}]}})
        elif name == 'deploy':
            send({'jsonrpc': '2.0', 'id': id, 'result': {'content': [{'type': 'text', 'text': 'deployed'}]}})
        elif name == 'crash':
            sys.exit(3)
        elif name == 'slow':
            time.sleep(30)
        else:
            send({'jsonrpc': '2.0', 'id': id, 'error': {'code': -32602, 'message': 'Unknown tool: ' + name}})
)";

// One site whose `mcp` block starts kMcpServer, with per-tool tiers for the manifest.
class SshWebdMcpTest : public SshWebdTest {
 protected:
  std::string config() override {
    testing::write_file(dir_.file("mcp_server.py"), kMcpServer);
    return "site tools.localhost {\n"
           "  port " + std::to_string(port_) + "\n"
           "  host-key keys/host_ed25519\n"
           "  authorized-keys ./authorized_keys\n"
           "  mcp {\n"
           "    server stdio \"python3 " + dir_.file("mcp_server.py") + " " + received() + "\"\n"
           "    auth {\n      identified [fail]\n      trusted [deploy, fail]\n    }\n"
           "  }\n"
           "  auth {\n    anonymous [mcp echo, mcp fail, mcp missing, mcp crash, mcp slow, proxy-call]\n    trusted [mcp]\n  }\n"
           "}\n";
  }
  std::vector<std::uint16_t> site_ports() const override { return {port_}; }
  // Each start of the server (Python's, on a busy machine) must fit in one exchange's deadline.
  int timeout_seconds() const override { return 4; }
  std::string received() const { return dir_.file("mcp_received.jsonl"); }
  std::vector<nlohmann::json> messages(const std::string& method) const {
    std::vector<nlohmann::json> found;
    std::ifstream in(received());
    for (std::string line; std::getline(in, line);) {
      auto message = nlohmann::json::parse(line, nullptr, false);
      if (message.is_object() && message.value("method", "") == method) found.push_back(std::move(message));
    }
    return found;
  }
};

TEST_F(SshWebdMcpTest, CallsToolsOnAStdioServerAndListsThemWithTheirTiers) {
  auto caps = ssh("capabilities");
  ASSERT_EQ(caps.status, 0) << caps.err << log();
  const auto manifest = nlohmann::json::parse(caps.out, nullptr, false);
  ASSERT_TRUE(manifest.is_object()) << caps.out;
  EXPECT_EQ(manifest["mcp"]["version"], "1.0");
  const auto& tools = manifest["mcp"]["tools"];
  ASSERT_EQ(tools.size(), 5u) << caps.out;
  EXPECT_EQ(tools[0]["name"], "echo");
  EXPECT_EQ(tools[0]["description"], "Says the words back");
  EXPECT_EQ(tools[0]["inputSchema"]["properties"]["who"]["type"], "string") << "as the server gave it";
  EXPECT_EQ(tools[0]["auth"], "anonymous") << "in no list: anonymous";
  EXPECT_EQ(tools[1]["name"], "fail");
  EXPECT_EQ(tools[1]["auth"], "identified") << "the first list naming it";
  EXPECT_FALSE(tools[1].contains("description"));
  EXPECT_EQ(tools[4]["auth"], "trusted");

  auto echo = ssh("mcp echo who=world extra=a=b");
  ASSERT_EQ(echo.status, 0) << echo.err << log();
  EXPECT_EQ(echo.out, "hello world\n{\"extra\": \"a=b\", \"who\": \"world\"}") << "the text items joined with newlines";
  auto failed = ssh("mcp fail id=7");
  EXPECT_EQ(failed.status, 1);
  EXPECT_EQ(failed.err, "error: mcp tool error: no such note\n");
  EXPECT_EQ(ssh("mcp missing").err, "error: jsonrpc error -32602: Unknown tool: missing\n");
  EXPECT_EQ(ssh("mcp echo who").err, "error: invalid mcp argument: who\n");
  EXPECT_EQ(ssh("mcp echo =x").err, "error: invalid mcp argument: =x\n");

  // The site's allow-list decides who runs which tool; the tiers in the manifest only say so.
  EXPECT_EQ(ssh("mcp deploy").err, "error: permission denied: \"mcp deploy\" not allowed for tier \"anonymous\"\n");
  auto deployed = ssh("mcp deploy", trusted_);
  EXPECT_EQ(deployed.status, 0) << deployed.err;
  EXPECT_EQ(deployed.out, "deployed");
  EXPECT_EQ(ssh("mcp", trusted_).err, "error: usage: mcp TOOL_NAME [key=value...]\n");
  EXPECT_EQ(ssh("proxy-call GET http://example.org/").err, "error: proxy-call: proxy-cache not configured for this site\n");

  // What the server was sent: the handshake once, then the calls with every argument a string.
  const auto initialize = messages("initialize");
  ASSERT_EQ(initialize.size(), 1u);
  EXPECT_EQ(initialize[0]["jsonrpc"], "2.0");
  EXPECT_EQ(initialize[0]["params"]["protocolVersion"], "2024-11-05");
  EXPECT_EQ(initialize[0]["params"]["clientInfo"]["name"], "sshwebd");
  EXPECT_EQ(messages("notifications/initialized").size(), 1u);
  EXPECT_FALSE(messages("notifications/initialized")[0].contains("id"));
  EXPECT_EQ(messages("tools/list").size(), 1u) << "listed once, at start";
  const auto calls = messages("tools/call");
  ASSERT_GE(calls.size(), 2u);
  EXPECT_EQ(calls[1]["params"], (nlohmann::json{{"name", "fail"}, {"arguments", {{"id", "7"}}}}));
}

TEST_F(SshWebdMcpTest, AServerThatExitsOrHangsIsStartedAgainAtTheNextCall) {
  auto crashed = ssh("mcp crash");
  EXPECT_EQ(crashed.status, 1);
  EXPECT_EQ(crashed.err, "error: mcp: the MCP server exited with status 3 during tools/call (it is started again at the next call)\n")
      << log();
  auto again = ssh("mcp echo who=again");
  ASSERT_EQ(again.status, 0) << again.err << log();
  EXPECT_EQ(again.out.substr(0, 11), "hello again");

  auto slow = ssh("mcp slow");
  EXPECT_EQ(slow.status, 1);
  EXPECT_EQ(slow.err, "error: mcp: the MCP server did not answer tools/call within 4 s (it is started again at the next call)\n");
  auto after = ssh("mcp echo who=after");
  ASSERT_EQ(after.status, 0) << after.err << log();
  EXPECT_EQ(after.out.substr(0, 11), "hello after");
  EXPECT_EQ(messages("initialize").size(), 3u) << "started at daemon start, after the exit, after the silence";
  EXPECT_EQ(messages("tools/list").size(), 1u);
}

TEST(SshWebdConfig, AnMcpServerThatCannotStartStopsTheDaemon) {
  testing::TempDir dir("sshwebd-config");
  const auto port = std::to_string(testing::pick_free_loopback_port());
  const auto log = dir.file("log");
  const auto site = [&](const std::string& server) {
    return "site x {\n  port " + port + "\n  host-key " + dir.file("host_ed25519") + "\n  mcp {\n    server " + server + "\n  }\n}\n";
  };
  testing::write_file(dir.file("http.conf"), site("http http://127.0.0.1:1/mcp"));
  EXPECT_EQ(testing::run({SSHWEBD_PATH, "--config", dir.file("http.conf"), "--bind", "127.0.0.1"}, "", log, log, 30s), 1);
  EXPECT_NE(testing::read_file(log).find("sshwebd: site x (port " + port + "): mcp: the http transport is not supported\n"),
            std::string::npos)
      << testing::read_file(log);
  testing::write_file(dir.file("missing.conf"), site("stdio \"sshwebd-test-no-such-program --flag\""));
  EXPECT_EQ(testing::run({SSHWEBD_PATH, "--config", dir.file("missing.conf"), "--bind", "127.0.0.1"}, "", log, log, 30s), 1);
  EXPECT_NE(testing::read_file(log).find("sshwebd: site x (port " + port +
                                         "): mcp: cannot start 'sshwebd-test-no-such-program': No such file or directory\n"),
            std::string::npos)
      << testing::read_file(log);
}

// An upstream on loopback (Python's http.server), reached through three sites: one that may reach
// private addresses (as a test must, on 127.0.0.1), one that may not, and one that does not follow
// redirects. The upstream notes every path it is asked for.
constexpr const char* kUpstream = R"(import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port = sys.argv[1]
class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do_GET(self):
        with open(sys.argv[2], 'a') as seen:
            seen.write(self.path + '\n')
        if self.path.startswith('/hello'):
            self.reply(200, b'hello from upstream\n', [('Content-Type', 'text/plain'), ('X-Upstream', 'yes'), ('Keep-Alive', 'timeout=5')])
        elif self.path == '/redirect':
            self.reply(302, b'', [('Location', '/hello?via=redirect')])
        elif self.path == '/redirect-away':
            self.reply(302, b'', [('Location', 'http://localhost:' + port + '/hello')])
        elif self.path == '/loop':
            self.reply(302, b'', [('Location', '/loop')])
        elif self.path == '/big':
            self.reply(200, b'x' * 4096, [])
        elif self.path == '/chunked':
            self.send_response(200)
            self.send_header('Content-Type', 'text/plain')
            self.send_header('Transfer-Encoding', 'chunked')
            self.end_headers()
            for part in (b'chunk one, ', b'chunk two'):
                self.wfile.write(b'%x\r\n%s\r\n' % (len(part), part))
            self.wfile.write(b'0\r\n\r\n')
        else:
            self.reply(404, b'not here', [('Content-Type', 'text/plain')])
    def reply(self, status, body, headers):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
ThreadingHTTPServer(('127.0.0.1', int(port)), Handler).serve_forever()
)";

class SshWebdProxyTest : public SshWebdTest {
 protected:
  std::string config() override {
    upstream_port_ = testing::pick_free_loopback_port();
    strict_port_ = testing::pick_free_loopback_port();
    direct_port_ = testing::pick_free_loopback_port();
    const auto upstream = "127.0.0.1:" + std::to_string(upstream_port_);
    const auto site = [&](const std::string& name, std::uint16_t port, const std::string& proxy) {
      return "site " + name + " {\n  port " + std::to_string(port) + "\n  host-key keys/" + name + "_ed25519\n" +
             "  proxy-cache {\n" + proxy + "  }\n  auth {\n    anonymous [proxy-call, mcp]\n  }\n}\n";
    };
    return site("localhost", port_,
                "    allow " + upstream + "\n    allow-private-ips true\n    max-size 1k\n    max-redirects 3\n    ttl 1h\n") +
           site("strict.localhost", strict_port_,
                "    allow " + upstream + "\n    allow localhost:" + std::to_string(upstream_port_) + "\n") +
           site("direct.localhost", direct_port_, "    allow " + upstream + "\n    allow-private-ips yes\n    allow-redirects false\n");
  }
  std::vector<std::uint16_t> site_ports() const override { return {port_, strict_port_, direct_port_}; }

  void start_upstream() {
    testing::write_file(dir_.file("upstream.py"), kUpstream);
    upstream_ = std::make_unique<testing::Process>(
        std::vector<std::string>{"python3", dir_.file("upstream.py"), std::to_string(upstream_port_), seen()});
    for (int i = 0; i < 100 && !testing::loopback_port_accepts(upstream_port_); ++i) std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(testing::loopback_port_accepts(upstream_port_));
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(upstream_port_) + path; }
  std::string seen() const { return dir_.file("upstream_seen.txt"); }

  std::uint16_t upstream_port_ = 0, strict_port_ = 0, direct_port_ = 0;
  std::unique_ptr<testing::Process> upstream_;
};

TEST_F(SshWebdProxyTest, AnswersWithTheUpstreamsHttpEnvelopeAndKeepsIt) {
  start_upstream();
  auto hello = ssh("proxy-call GET " + url("/hello"));
  ASSERT_EQ(hello.status, 0) << hello.err << log();
  EXPECT_EQ(hello.out.substr(0, 17), "HTTP/1.1 200 OK\r\n") << hello.out;
  EXPECT_NE(hello.out.find("\r\nContent-Type: text/plain\r\n"), std::string::npos) << hello.out;
  EXPECT_NE(hello.out.find("\r\nX-Upstream: yes\r\n"), std::string::npos) << hello.out;
  EXPECT_NE(hello.out.find("\r\nContent-Length: 20\r\nConnection: close\r\n\r\nhello from upstream\n"), std::string::npos) << hello.out;
  EXPECT_EQ(hello.out.find("Keep-Alive"), std::string::npos) << "hop-by-hop headers stay behind";
  EXPECT_TRUE(hello.out.ends_with("\r\n\r\nhello from upstream\n"));

  auto kept = ssh("proxy-call GET " + url("/hello"));
  ASSERT_EQ(kept.status, 0) << kept.err;
  EXPECT_EQ(kept.out, hello.out);
  EXPECT_EQ(lines_equal_to(seen(), "/hello"), 1u) << "the second answer came from the cache";
  auto other = ssh("proxy-call get " + url("/hello?v=2"));
  ASSERT_EQ(other.status, 0) << other.err;
  EXPECT_EQ(lines_equal_to(seen(), "/hello?v=2"), 1u) << "kept per exact URL";

  auto chunked = ssh("proxy-call GET " + url("/chunked"));
  ASSERT_EQ(chunked.status, 0) << chunked.err;
  EXPECT_EQ(chunked.out.find("Transfer-Encoding"), std::string::npos) << chunked.out;
  EXPECT_TRUE(chunked.out.ends_with("\r\nContent-Length: 20\r\nConnection: close\r\n\r\nchunk one, chunk two")) << chunked.out;

  auto missing = ssh("proxy-call GET " + url("/nothing"));
  EXPECT_EQ(missing.status, 0) << "a status is passed on, not an error";
  EXPECT_EQ(missing.out.substr(0, 24), "HTTP/1.1 404 Not Found\r\n");
  EXPECT_TRUE(missing.out.ends_with("\r\n\r\nnot here"));

  auto big = ssh("proxy-call GET " + url("/big"));
  EXPECT_EQ(big.status, 1);
  EXPECT_EQ(big.err, "error: upstream response exceeded max-size (1024 bytes)\n");
  EXPECT_EQ(big.out, "");
  EXPECT_EQ(ssh("proxy-call POST " + url("/hello")).err, "error: proxy-call: only GET is supported in this version\n");
  EXPECT_EQ(ssh("proxy-call GET").err, "error: usage: proxy-call METHOD url\n");
  EXPECT_EQ(ssh("mcp echo").err, "error: mcp: no MCP server configured for this site\n");
}

TEST_F(SshWebdProxyTest, FollowsRedirectsCheckingEveryHopOrReturnsThemAsTheyAre) {
  start_upstream();
  auto followed = ssh("proxy-call GET " + url("/redirect"));
  ASSERT_EQ(followed.status, 0) << followed.err << log();
  EXPECT_EQ(followed.out.substr(0, 17), "HTTP/1.1 200 OK\r\n") << followed.out;
  EXPECT_TRUE(followed.out.ends_with("\r\n\r\nhello from upstream\n"));
  EXPECT_EQ(lines_equal_to(seen(), "/hello?via=redirect"), 1u);

  EXPECT_EQ(ssh("proxy-call GET " + url("/redirect-away")).err,
            "error: redirect host not in allowlist: localhost:" + std::to_string(upstream_port_) + "\n");
  EXPECT_EQ(lines_equal_to(seen(), "/hello"), 0u) << "the refused hop was not fetched";
  EXPECT_EQ(ssh("proxy-call GET " + url("/loop")).err, "error: redirect chain exceeded 3 hops\n");
  EXPECT_EQ(lines_equal_to(seen(), "/loop"), 4u) << "the first request and three redirects";

  auto as_is = ssh("proxy-call GET " + url("/redirect"), "", direct_port_);
  ASSERT_EQ(as_is.status, 0) << as_is.err << log();
  EXPECT_EQ(as_is.out.substr(0, 20), "HTTP/1.1 302 Found\r\n") << as_is.out;
  EXPECT_NE(as_is.out.find("\r\nLocation: /hello?via=redirect\r\n"), std::string::npos) << as_is.out;
  EXPECT_TRUE(as_is.out.ends_with("\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")) << as_is.out;
  EXPECT_EQ(lines_equal_to(seen(), "/hello?via=redirect"), 1u) << "not followed";
}

TEST_F(SshWebdProxyTest, RefusesOriginsOffTheListAndPrivateAddresses) {
  start_upstream();
  const auto port = std::to_string(upstream_port_);
  EXPECT_EQ(ssh("proxy-call GET http://localhost:" + port + "/hello").err, "error: origin not in allowlist: localhost:" + port + "\n");
  EXPECT_EQ(ssh("proxy-call GET http://127.0.0.1:" + std::to_string(port_) + "/").err,
            "error: origin not in allowlist: 127.0.0.1:" + std::to_string(port_) + "\n");
  EXPECT_EQ(ssh("proxy-call GET ftp://127.0.0.1:" + port + "/hello").err, "error: disallowed URL scheme: ftp\n");
  EXPECT_EQ(ssh("proxy-call GET http://me@127.0.0.1:" + port + "/hello").err, "error: URL with userinfo rejected\n");
  EXPECT_EQ(ssh("proxy-call GET 127.0.0.1:" + port + "/hello").err,
            "error: invalid URL: '127.0.0.1:" + port + "/hello' has no scheme (write http://host/path)\n");

  // Without allow-private-ips, loopback is refused whether written as an address or reached by a name.
  auto literal = ssh("proxy-call GET " + url("/hello"), "", strict_port_);
  EXPECT_EQ(literal.status, 1);
  EXPECT_EQ(literal.err, "error: blocked: URL resolves to non-public address 127.0.0.1\n");
  auto named = ssh("proxy-call GET http://localhost:" + port + "/hello", "", strict_port_);
  EXPECT_EQ(named.status, 1);
  const std::string refused = "error: blocked: localhost:" + port + " resolves to non-public address ";
  EXPECT_EQ(named.err.substr(0, refused.size()), refused) << "127.0.0.1 or ::1";
  EXPECT_EQ(testing::file_tail(seen()).find("/hello"), std::string::npos) << "nothing reached the upstream";
}

}  // namespace
}  // namespace sshrelay::sshweb
