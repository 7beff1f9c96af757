#include "native/sshweb/site_commands.hpp"

#include <set>

#include "core/sshweb/site_documents.hpp"
#include "core/common/text.hpp"
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

CommandResult SiteCommands::run(const ClientIdentity& client, const std::string& line) {
  const auto words = split_fields(line);
  if (words.empty()) return failed(2, "empty command", "(empty)");
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
    out = capabilities_document(site_);
  } else if (verb == "sitemap") {
    out = sitemap();
  } else if (verb == "robots") {
    out = robots_document(site_);
  } else if (verb == "rss-feed") {
    out = rss_feed(words);
  } else if (verb == "receive-pack") {
    out = receive_pack(words, detail);
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

// receive-pack [PATH] [--have OID[,OID…]]…: PATH defaults to "/".
Result<std::string> SiteCommands::receive_pack(const std::vector<std::string>& words, std::string& summary) {
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
  return std::string(pack->bytes.begin(), pack->bytes.end());
}

}  // namespace sshrelay::sshweb
