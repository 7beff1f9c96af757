#pragma once
// One SSH-Web command line run for a client, as sshttpd runs an `exec` (docs/sshweb.md): split into
// words (no quoting), an empty line is exit 2, a spent rate exit 3, a refusal or failure exit 1 with
// `error: <message>` on stderr, success exit 0 with the output on stdout. Only configured commands run;
// nothing reaches a shell.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/sshweb/site_config.hpp"
#include "native/sshweb/mcp_client.hpp"
#include "native/sshweb/proxy_fetcher.hpp"
#include "native/sshweb/site_access.hpp"

namespace sshrelay::sshweb {

struct CommandResult {
  int exit_status = 0;
  std::string out;  // stdout: the document, or a pack's bytes
  std::string err;  // stderr: "error: …\n"
  std::string summary;  // for the audit trail and the log: what ran, briefly
};

class SiteCommands {
 public:
  // `mcp` and `proxy` are the site's (none when it has no `mcp` block or no `proxy-cache` allow list).
  SiteCommands(const SiteConfig& site, SiteAccess& access, std::chrono::milliseconds backend_timeout, McpClient* mcp = nullptr,
               ProxyFetcher* proxy = nullptr)
      : site_(site), access_(access), backend_timeout_(backend_timeout), mcp_(mcp), proxy_(proxy) {}
  // How a command writes its result: `binary` over exec (a pack's bytes, proxy-call's HTTP message),
  // `text` in the shell's line mode (a pack's summary, proxy-call's body).
  enum class OutputForm { binary, text };
  CommandResult run(const ClientIdentity& client, const std::string& line, OutputForm form = OutputForm::binary);

 private:
  Result<std::string> receive_pack(const std::vector<std::string>& words, std::string& summary, OutputForm form);
  Result<std::string> rss_feed(const std::vector<std::string>& words);
  Result<std::string> sitemap();
  Result<std::string> api_call(const ClientIdentity& client, const std::vector<std::string>& words);
  Result<std::string> mcp(const std::vector<std::string>& words);
  Result<std::string> proxy_call(const std::vector<std::string>& words, OutputForm form);

  const SiteConfig& site_;
  SiteAccess& access_;
  std::chrono::milliseconds backend_timeout_;
  McpClient* mcp_;
  ProxyFetcher* proxy_;
};

}  // namespace sshrelay::sshweb
