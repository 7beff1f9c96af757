#include "native/sshweb/site_commands.hpp"

#include <set>

#include "core/common/hex.hpp"
#include "core/common/text.hpp"
#include "core/sshweb/http_envelope.hpp"
#include "core/sshweb/mcp_messages.hpp"
#include "core/sshweb/site_documents.hpp"
#include "native/sshweb/backend_client.hpp"
#include "native/sshweb/site_files.hpp"
#include "native/sshweb/site_pack.hpp"

namespace sshrelay::sshweb {
namespace {

CommandResult failed(int status, const std::string& message, std::string summary) {
  return {status, "", "error: " + message + "\n", std::move(summary)};
}

std::string joined(const std::vector<std::string>& words, std::size_t from = 0) {
  std::string out;
  for (std::size_t i = from; i < words.size(); ++i) out += (out.empty() ? "" : " ") + words[i];
  return out;
}

}  // namespace

CommandResult SiteCommands::run(const ClientIdentity& client, const std::string& line, OutputForm form) {
  auto words = split_fields(line);
  if (words.empty()) return failed(2, "empty command", "(empty)");
  // A method is a method in any case, for the allow-lists too (sshttpd upper-cases it only to dispatch, so
  // `api-call get /x` is refused by an `api-call GET` rule there).
  if ((words[0] == "api-call" || words[0] == "proxy-call") && words.size() > 1) words[1] = ascii_upper(words[1]);
  // What the audit keeps: the verb and its first argument (a path), never a body.
  const std::string summary = words[0] + (words.size() > 1 ? " " + words[1] : "");
  switch (access_.admit(client.tier, words, std::chrono::steady_clock::now())) {
    case SiteAccess::Refusal::rate_limited:
      return failed(3, "rate limit exceeded for tier \"" + std::string(tier_name(client.tier)) + "\"", summary);
    case SiteAccess::Refusal::denied:
      return failed(1, "permission denied: \"" + joined(words) + "\" not allowed for tier \"" +
                           std::string(tier_name(client.tier)) + "\"",
                    summary);
    case SiteAccess::Refusal::none:
      break;
  }
  const auto& verb = words[0];
  Result<std::string> out = local_error("unknown command: " + verb);
  std::string detail = summary;
  if (verb == "capabilities") {
    out = capabilities_document(site_, mcp_ ? mcp_->tools() : nlohmann::json::array());
  } else if (verb == "sitemap") {
    out = sitemap();
  } else if (verb == "robots") {
    out = robots_document(site_);
  } else if (verb == "rss-feed") {
    out = rss_feed(words);
  } else if (verb == "receive-pack") {
    out = receive_pack(words, detail, form);
  } else if (verb == "api-call") {
    out = api_call(client, words);
    if (words.size() > 2) detail = "api-call " + ascii_upper(words[1]) + " " + words[2];
  } else if (verb == "mcp") {
    out = mcp(words);
  } else if (verb == "proxy-call") {
    out = proxy_call(words, form);
  }
  if (!out) return failed(1, out.error().message, detail);
  return {0, std::move(*out), "", detail};
}

Result<std::string> SiteCommands::sitemap() {
  std::vector<SiteFile> files;
  if (site_.sitemap && site_.sitemap->dynamic && !site_.root.empty()) {
    auto listed = list_site_files(site_.root);
    if (!listed) return listed.error();
    files = std::move(*listed);
  }
  return sitemap_document(site_, files);
}

Result<std::string> SiteCommands::rss_feed(const std::vector<std::string>& words) {
  const std::string path = words.size() > 1 ? words[1] : "/";
  std::vector<SiteFile> files;
  if (!site_.root.empty()) {
    auto listed = list_site_files(site_.root);
    if (!listed) return listed.error();
    files = std::move(*listed);
  }
  return feed_document(site_, path, files);
}

// api-call METHOD PATH [BODY…]: to the backend with the identity headers; the body of a 2xx or 3xx
// answer is the output, a 4xx or 5xx is an error with its status and body.
Result<std::string> SiteCommands::api_call(const ClientIdentity& client, const std::vector<std::string>& words) {
  if (words.size() < 3) return local_error("usage: api-call METHOD PATH [BODY]");
  const auto method = ascii_upper(words[1]);
  const auto& path = words[2];
  if (!path.starts_with("/")) return local_error("api-call: the path begins with '/': " + path);
  if (!site_.api_route_for(method, path)) return local_error("api-call " + method + " " + path + " not configured");
  if (site_.backend.empty()) return local_error("api-call has no backend configured");
  BackendRequest request{method, path, joined(words, 3), {{"X-SSHWeb-Tier", std::string(tier_name(client.tier))}}};
  if (!client.fingerprint.empty()) request.headers.emplace_back("X-SSHWeb-Fingerprint", client.fingerprint);
  if (!client.public_key.empty()) request.headers.emplace_back("X-SSHWeb-PubKey", client.public_key);
  auto response = call_backend(site_.backend, request, backend_timeout_);
  if (!response) return response.error();
  if (response->status >= 400) {
    return local_error("backend error (status " + std::to_string(response->status) + "): backend returned " +
                       std::to_string(response->status) + "; body=" + response->body);
  }
  return std::move(response->body);
}

// mcp TOOL [key=value…]: tools/call on the site's MCP server, every argument a string; the output is
// the text the tool returned. The client's identity is not passed on (as in sshttpd).
Result<std::string> SiteCommands::mcp(const std::vector<std::string>& words) {
  if (words.size() < 2) return local_error("usage: mcp TOOL_NAME [key=value...]");
  if (!mcp_) return local_error("mcp: no MCP server configured for this site");
  auto arguments = mcp_tool_arguments(std::vector<std::string>(words.begin() + 2, words.end()));
  if (!arguments) return arguments.error();
  return mcp_->call(words[1], *arguments);
}

// proxy-call GET URL: the upstream's answer in HTTP/1.1 wire form, whatever its status.
Result<std::string> SiteCommands::proxy_call(const std::vector<std::string>& words, OutputForm form) {
  if (words.size() < 3) return local_error("usage: proxy-call METHOD url");
  if (ascii_upper(words[1]) != "GET") return local_error("proxy-call: only GET is supported in this version");
  if (!proxy_ || !site_.proxy_cache.configured()) return local_error("proxy-call: proxy-cache not configured for this site");
  auto response = proxy_->fetch(words[2]);
  if (!response) return response.error();
  if (form == OutputForm::text) return (*response)->body;
  return http_envelope(**response);
}

// receive-pack [PATH] [--have OID[,OID…]]…: PATH defaults to "/".
Result<std::string> SiteCommands::receive_pack(const std::vector<std::string>& words, std::string& summary, OutputForm form) {
  std::string path = "/";
  std::set<std::string> have;
  for (std::size_t i = 1; i < words.size(); ++i) {
    if (words[i] == "--have") {
      if (i + 1 >= words.size()) return local_error("--have needs object ids (hex, comma-separated)");
      for (auto& oid : split_list(words[++i])) {
        if (oid.size() != 40 || oid.find_first_not_of("0123456789abcdef") != std::string::npos) {
          return local_error("--have: '" + oid + "' is not an object id (40 hex digits)");
        }
        have.insert(std::move(oid));
      }
    } else {
      path = words[i];
    }
  }
  if (site_.root.empty()) return local_error("receive-pack: no content root configured");
  auto files = list_site_files(site_.root, path);
  if (!files) return files.error();
  std::string under = path;
  while (!under.empty() && under.front() == '/') under.erase(under.begin());
  while (!under.empty() && under.back() == '/') under.pop_back();
  auto pack = build_site_pack(site_.root, under, *files, have);
  if (!pack) return pack.error();
  summary = "receive-pack " + path + " (" + std::to_string(pack->objects) + " of " + std::to_string(pack->objects_total) +
            " objects, " + std::to_string(pack->bytes.size()) + " bytes, commit " + pack->commit + ")";
  if (form == OutputForm::binary) return std::string(pack->bytes.begin(), pack->bytes.end());
  // The shell's summary, as sshttpd prints it; the checksum is the pack's trailing SHA-1.
  const std::size_t trailer = pack->bytes.size() >= 20 ? pack->bytes.size() - 20 : 0;
  const std::string checksum = lower_hex(std::span(pack->bytes).subspan(trailer));
  std::string text = "PACK v2 (" + std::to_string(pack->objects) + " objects, " + std::to_string(pack->bytes.size()) +
                     " bytes)\nchecksum: " + checksum + "\n";
  for (const auto& file : pack->files) {
    text += "blob " + file.blob.substr(0, 7) + "  " + file.path + " (" + std::to_string(file.size) + " bytes)\n";
  }
  return text;
}

}  // namespace sshrelay::sshweb
