#include "tests/support/sshd_fixture.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"

namespace sshrelay::testing {
namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";
constexpr auto kStartTimeout = std::chrono::seconds(60);  // generous: only costs time on failure
constexpr auto kKeygenTimeout = std::chrono::seconds(30);

std::string current_user() {
  const passwd* pw = ::getpwuid(::geteuid());
  if (pw == nullptr) throw std::runtime_error("getpwuid(geteuid()) found no user name");
  return pw->pw_name;
}

// sshd refuses to start as root without its privilege-separation directory; containers often lack it.
void ensure_privsep_dir() {
  if (::geteuid() != 0) return;
  struct stat st {};
  if (::stat("/run/sshd", &st) == 0) return;
  if (::mkdir("/run/sshd", 0755) != 0 && errno != EEXIST)
    throw std::runtime_error(std::string("cannot create /run/sshd: ") + std::strerror(errno));
  ::chmod("/run/sshd", 0755);  // mkdir applies the umask
}

void keygen(const std::string& key_path, const std::string& comment, const std::string& log) {
  const int code = run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key_path}, "",
                       log, log,
                       std::chrono::duration_cast<std::chrono::milliseconds>(kKeygenTimeout));
  if (code != 0)
    throw std::runtime_error("ssh-keygen for " + key_path + " exited " + std::to_string(code) + ":\n" +
                             file_tail(log));
}

// "ssh-ed25519 AAAA... comment" -> "ssh-ed25519 AAAA...", for the known_hosts line.
std::string key_type_and_blob(const std::string& public_key_line) {
  std::istringstream in(public_key_line);
  std::string type;
  std::string blob;
  if (!(in >> type >> blob)) throw std::runtime_error("malformed public key: " + public_key_line);
  return type + " " + blob;
}

// Tells "port stolen between pick and bind" (worth a retry) from every other early exit.
bool bind_failed(const std::string& log) {
  return log.find("Address already in use") != std::string::npos ||
         log.find("Cannot bind any address") != std::string::npos;
}

}  // namespace

SshdFixture::~SshdFixture() {
  try {
    stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[sshrelay test support] stopping sshd: %s\n", e.what());
  }
}

void SshdFixture::start() {
  if (dir_) throw std::logic_error("SshdFixture::start called twice");
  user_ = current_user();
  ensure_privsep_dir();
  dir_.emplace("sshrelay-sshd");
  dir_path_ = dir_->path().string();
  write_files();
  // The free port is only free when picked; another test process may grab it first. Three picks make
  // that race irrelevant without hiding a real failure.
  for (int attempt = 1;; ++attempt) {
    if (launch()) return;
    if (attempt == 3)
      throw std::runtime_error("sshd could not bind a free port after 3 attempts; log " + log_path_ +
                               ":\n" + file_tail(log_path_));
  }
}

void SshdFixture::write_files() {
  host_key_ = dir_->file("ssh_host_ed25519_key");
  client_key_ = dir_->file("id_ed25519");
  authorized_keys_ = dir_->file("authorized_keys");
  known_hosts_ = dir_->file("known_hosts");
  config_path_ = dir_->file("sshd_config");
  log_path_ = dir_->file("sshd.log");
  const std::string keygen_log = dir_->file("ssh-keygen.log");
  keygen(host_key_, "sshrelay-test-host", keygen_log);
  keygen(client_key_, "sshrelay-test-client", keygen_log);
  write_file(authorized_keys_, read_file(client_key_ + ".pub"), 0600);
  host_public_key_ = key_type_and_blob(read_file(host_key_ + ".pub"));
  write_file(known_hosts_, std::string(kHostKeyAlias) + " " + host_public_key_ + "\n", 0600);
}

bool SshdFixture::launch() {
  port_ = pick_free_loopback_port();
  // Absolute paths throughout: sshd chdirs to / and re-executes itself. StrictModes no because the temp
  // dir is not under the user's home; PidFile none because the fixture tracks the pid itself. MaxStartups
  // and MaxSessions are high so stress tests that open many connections at once are not throttled.
  // PrintMotd/PrintLastLog off so a pty session's output is only what the test's command prints.
  std::ostringstream config;
  config << "ListenAddress 127.0.0.1:" << port_ << "\n"
         << "HostKey " << host_key_ << "\n"
         << "AuthorizedKeysFile " << authorized_keys_ << "\n"
         << "PidFile none\n"
         << "UsePAM no\n"
         << "StrictModes no\n"
         << "PasswordAuthentication no\n"
         << "KbdInteractiveAuthentication no\n"
         << "PermitRootLogin prohibit-password\n"
         << "LogLevel VERBOSE\n"
         << "Subsystem sftp internal-sftp\n"
         << "AcceptEnv none\n"
         << "MaxStartups 100\n"
         << "MaxSessions 50\n"
         << "PrintMotd no\n"
         << "PrintLastLog no\n"
         << extra_config_;
  write_file(config_path_, config.str(), 0600);

  sshd_.emplace(std::vector<std::string>{kSshd, "-D", "-e", "-f", config_path_},
                ProcessIo{"", log_path_, log_path_, {}});

  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!sshd_->running()) {
      const int code = *sshd_->exit_code();
      const std::string log = read_file(log_path_);
      sshd_.reset();
      if (bind_failed(log)) return false;
      throw std::runtime_error("sshd exited with " + std::to_string(code) + " before accepting on 127.0.0.1:" +
                               std::to_string(port_) + "; log " + log_path_ + ":\n" + file_tail(log_path_));
    }
    // The banner, not just an open port, proves it is our sshd that answers.
    if (!read_greeting(port_, "SSH-", std::chrono::milliseconds(500)).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sshd_->terminate(SIGKILL, std::chrono::milliseconds(0));
  sshd_.reset();
  throw std::runtime_error("sshd did not answer on 127.0.0.1:" + std::to_string(port_) + " within " +
                           std::to_string(kStartTimeout.count()) + " s; log " +
                           log_path_ + ":\n" + file_tail(log_path_));
}

void SshdFixture::stop() {
  if (!sshd_) return;
  sshd_->terminate(SIGTERM, std::chrono::seconds(30));
  sshd_.reset();
  // A per-connection child forked just before the SIGTERM still holds the listening socket until it
  // closes it a moment later; wait for that, so a test that stops the target can count on dials failing.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (loopback_port_accepts(port_, std::chrono::milliseconds(200))) {
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("127.0.0.1:" + std::to_string(port_) + " still accepts 30 s after sshd exited");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool SshdFixture::running() { return sshd_ && sshd_->running(); }

std::vector<std::string> SshdFixture::ssh_argv(std::uint16_t port,
                                               const std::vector<std::string>& extra_options,
                                               const std::string& remote_command) const {
  if (client_key_.empty()) throw std::logic_error("SshdFixture::ssh_argv before start()");
  std::vector<std::string> argv = {"ssh",
                                   "-F", "/dev/null",  // the machine's ssh_config must not change behaviour
                                   "-i", client_key_,
                                   "-o", "IdentitiesOnly=yes",
                                   "-o", "UserKnownHostsFile=" + known_hosts_,
                                   "-o", "StrictHostKeyChecking=yes",
                                   "-o", std::string("HostKeyAlias=") + kHostKeyAlias,
                                   "-o", "BatchMode=yes",
                                   "-o", "ConnectTimeout=60",  // also bounds the banner: slow under load
                                   "-o", "ServerAliveInterval=0",
                                   "-p", std::to_string(port)};
  for (std::size_t i = 0; i < extra_options.size(); ++i) {
    const std::string& word = extra_options[i];
    const bool is_flag = !word.empty() && word[0] == '-';
    const bool follows_short_flag = i > 0 && extra_options[i - 1].size() == 2 && extra_options[i - 1][0] == '-';
    if (!is_flag && !follows_short_flag)
      throw std::invalid_argument("ssh_argv: extra option '" + word +
                                  "' must follow its flag, e.g. {\"-o\", \"" + word + "\"}");
    argv.push_back(word);
  }
  argv.push_back(user_ + "@127.0.0.1");
  if (!remote_command.empty()) argv.push_back(remote_command);
  return argv;
}

}  // namespace sshrelay::testing
