#include "native/sshweb/site_pack.hpp"

#include <git2.h>
#include <git2/sys/mempack.h>

#include <map>
#include <memory>
#include <mutex>

#include "native/sshweb/site_files.hpp"

namespace sshrelay::sshweb {
namespace {

std::string last_git_error(const std::string& what) {
  const git_error* e = git_error_last();
  return what + (e && e->message ? std::string(": ") + e->message : std::string());
}

template <class T, void (*Free)(T*)>
struct GitFree {
  void operator()(T* p) const { Free(p); }
};
using Odb = std::unique_ptr<git_odb, GitFree<git_odb, git_odb_free>>;
using Repository = std::unique_ptr<git_repository, GitFree<git_repository, git_repository_free>>;
using TreeBuilder = std::unique_ptr<git_treebuilder, GitFree<git_treebuilder, git_treebuilder_free>>;
using PackBuilder = std::unique_ptr<git_packbuilder, GitFree<git_packbuilder, git_packbuilder_free>>;
using Signature = std::unique_ptr<git_signature, GitFree<git_signature, git_signature_free>>;
using Tree = std::unique_ptr<git_tree, GitFree<git_tree, git_tree_free>>;

std::string hex_of(const git_oid& oid) {
  char text[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(text, sizeof text, &oid);
  return text;
}

// A folder of the tree being built: its files (name -> blob) and subfolders.
struct Folder {
  std::map<std::string, git_oid> files;
  std::map<std::string, Folder> folders;
};

class Builder {
 public:
  Builder(git_repository* repo, std::vector<git_oid>& order) : repo_(repo), order_(order) {}

  Result<git_oid> write_tree(const Folder& folder) {
    git_treebuilder* raw = nullptr;
    if (git_treebuilder_new(&raw, repo_, nullptr) != 0) return local_error(last_git_error("tree"));
    TreeBuilder builder(raw);
    for (const auto& [name, sub] : folder.folders) {
      auto oid = write_tree(sub);
      if (!oid) return oid.error();
      if (git_treebuilder_insert(nullptr, builder.get(), name.c_str(), &*oid, GIT_FILEMODE_TREE) != 0) {
        return local_error(last_git_error("tree entry " + name));
      }
    }
    for (const auto& [name, oid] : folder.files) {
      if (git_treebuilder_insert(nullptr, builder.get(), name.c_str(), &oid, GIT_FILEMODE_BLOB) != 0) {
        return local_error(last_git_error("tree entry " + name));
      }
    }
    git_oid oid;
    if (git_treebuilder_write(&oid, builder.get()) != 0) return local_error(last_git_error("tree"));
    order_.push_back(oid);
    return oid;
  }

 private:
  git_repository* repo_;
  std::vector<git_oid>& order_;
};

int collect(void* buf, size_t size, void* payload) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(payload);
  const auto* bytes = static_cast<const std::uint8_t*>(buf);
  out->insert(out->end(), bytes, bytes + size);
  return 0;
}

}  // namespace

Result<SitePack> build_site_pack(const std::string& root, const std::string& under, const std::vector<SiteFile>& files,
                                 const std::set<std::string>& have) {
  static std::once_flag init;
  std::call_once(init, [] { git_libgit2_init(); });
  git_odb* raw_odb = nullptr;
  if (git_odb_new(&raw_odb) != 0) return local_error(last_git_error("object database"));
  Odb odb(raw_odb);
  git_odb_backend* mempack = nullptr;
  if (git_mempack_new(&mempack) != 0 || git_odb_add_backend(odb.get(), mempack, 1) != 0) {
    return local_error(last_git_error("in-memory object store"));
  }
  git_repository* raw_repo = nullptr;
  if (git_repository_wrap_odb(&raw_repo, odb.get()) != 0) return local_error(last_git_error("repository"));
  Repository repo(raw_repo);

  std::vector<git_oid> order;  // every object, blobs first, then trees bottom-up, then the commit
  std::vector<PackedFile> packed;
  Folder top;
  std::int64_t newest_ms = 0;
  const std::string prefix = under.empty() ? "" : under + "/";
  for (const auto& file : files) {
    auto content = read_site_file(root, file.path);
    if (!content) return content.error();
    git_oid oid;
    if (git_blob_create_from_buffer(&oid, repo.get(), content->data(), content->size()) != 0) {
      return local_error(last_git_error("blob " + file.path));
    }
    order.push_back(oid);
    newest_ms = std::max(newest_ms, file.modified_unix_ms);
    std::string path = file.path.starts_with(prefix) ? file.path.substr(prefix.size()) : file.path;
    packed.push_back({path, hex_of(oid), content->size()});
    Folder* folder = &top;
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/')) {
      folder = &folder->folders[path.substr(0, slash)];
      path = path.substr(slash + 1);
    }
    folder->files[path] = oid;
  }
  Builder builder(repo.get(), order);
  auto tree_oid = builder.write_tree(top);
  if (!tree_oid) return tree_oid.error();
  git_tree* raw_tree = nullptr;
  if (git_tree_lookup(&raw_tree, repo.get(), &*tree_oid) != 0) return local_error(last_git_error("tree"));
  Tree tree(raw_tree);
  git_signature* raw_sig = nullptr;
  if (git_signature_new(&raw_sig, "sshwebd", "sshwebd@localhost", newest_ms / 1000, 0) != 0) {
    return local_error(last_git_error("signature"));
  }
  Signature sig(raw_sig);
  git_oid commit;
  const git_commit* no_parents[1] = {nullptr};
  if (git_commit_create(&commit, repo.get(), nullptr, sig.get(), sig.get(), "UTF-8", "site content\n", tree.get(), 0,
                        no_parents) != 0) {
    return local_error(last_git_error("commit"));
  }
  order.push_back(commit);

  git_packbuilder* raw_pb = nullptr;
  if (git_packbuilder_new(&raw_pb, repo.get()) != 0) return local_error(last_git_error("pack builder"));
  PackBuilder pb(raw_pb);
  git_packbuilder_set_threads(pb.get(), 1);
  SitePack pack;
  pack.commit = hex_of(commit);
  pack.files = std::move(packed);
  std::set<std::string> inserted;
  for (const auto& oid : order) {
    const auto hex = hex_of(oid);
    if (!inserted.insert(hex).second) continue;  // the same content twice is one object
    ++pack.objects_total;
    if (have.count(hex)) continue;
    if (git_packbuilder_insert(pb.get(), &oid, nullptr) != 0) return local_error(last_git_error("pack " + hex));
    ++pack.objects;
  }
  if (git_packbuilder_foreach(pb.get(), collect, &pack.bytes) != 0) return local_error(last_git_error("pack"));
  return pack;
}

}  // namespace sshrelay::sshweb
