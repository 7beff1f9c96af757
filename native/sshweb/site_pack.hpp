#pragma once
// `receive-pack`: a folder of the site as a Git PACK v2, built with libgit2 in memory (a mempack object
// database, nothing on disk). The pack holds a commit whose tree is the folder — blobs, trees and the
// commit — so a client recovers the files with their names (`git index-pack` + `git cat-file`, or the
// page's pack reader). libgit2 deltifies similar objects. `have`: object ids the client holds already
// (from an earlier pack); they are left out, so an update carries only what changed.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "core/sshweb/site_documents.hpp"

namespace sshrelay::sshweb {

// One file of the pack, for the shell's summary (`blob <sha7>  <name> (<size> bytes)`).
struct PackedFile {
  std::string path;  // relative to the requested folder
  std::string blob;  // hex object id
  std::size_t size = 0;
};

struct SitePack {
  std::vector<std::uint8_t> bytes;
  std::vector<PackedFile> files;  // in the order they were listed
  std::string commit;          // hex object id of the commit
  std::size_t objects = 0;     // objects in the pack
  std::size_t objects_total = 0;  // objects the commit reaches (those left out included)
};

// `files` relative to `root` (list_site_files), with `under` (the requested folder, relative to the
// root, '/'-separated; empty for the root) stripped from their paths in the tree. The commit's date is
// the newest file's, so the same content gives the same commit id.
Result<SitePack> build_site_pack(const std::string& root, const std::string& under, const std::vector<SiteFile>& files,
                                 const std::set<std::string>& have);

}  // namespace sshrelay::sshweb
