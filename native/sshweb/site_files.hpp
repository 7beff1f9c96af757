#pragma once
// The files a site serves from its `root`: listed (regular files below a folder, in lexical order of
// their '/'-separated paths; a symbolic link that leads out of the root is left out) and read.
#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "core/sshweb/site_documents.hpp"

namespace sshrelay::sshweb {

// Every regular file below `root`/`sub` (sub "" or "/" for the whole root); paths relative to `root`.
Result<std::vector<SiteFile>> list_site_files(const std::string& root, const std::string& sub = "");
// `request` (a receive-pack PATH) inside `root`: an error naming it when it leaves the root or is missing.
Result<std::string> resolve_in_root(const std::string& root, const std::string& request);
Result<std::string> read_site_file(const std::string& root, const std::string& path);

}  // namespace sshrelay::sshweb
