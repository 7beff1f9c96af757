#include "native/sshweb/site_files.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sshrelay::sshweb {
namespace fs = std::filesystem;

namespace {

std::int64_t unix_ms_of(fs::file_time_type when) {
  const auto system = std::chrono::file_clock::to_sys(when);
  return std::chrono::duration_cast<std::chrono::milliseconds>(system.time_since_epoch()).count();
}

}  // namespace

Result<std::string> resolve_in_root(const std::string& root, const std::string& request) {
  const auto relative = fs::path(request.empty() ? "/" : request).lexically_normal().relative_path();
  if (!relative.empty() && *relative.begin() == "..") return local_error("path outside content root");
  std::error_code ec;
  const auto base = fs::weakly_canonical(root, ec);
  const auto full = fs::weakly_canonical(base / relative, ec);
  const auto inside = full.lexically_relative(base);
  if (ec || inside.empty() || *inside.begin() == "..") return local_error("path outside content root");
  if (!fs::exists(full, ec)) return local_error("content not found: " + (request.empty() ? std::string("/") : request));
  return full.string();
}

Result<std::vector<SiteFile>> list_site_files(const std::string& root, const std::string& sub) {
  auto start = resolve_in_root(root, sub);
  if (!start) return start.error();
  std::error_code ec;
  const auto base = fs::weakly_canonical(root, ec);
  std::vector<SiteFile> files;
  const auto add = [&](const fs::path& file) {
    std::error_code e;
    const auto real = fs::weakly_canonical(file, e).lexically_relative(base);
    if (e || real.empty() || *real.begin() == "..") return;  // a link out of the root is not the site's
    SiteFile entry;
    entry.path = file.lexically_relative(base).generic_string();
    entry.size = fs::file_size(file, e);
    entry.modified_unix_ms = unix_ms_of(fs::last_write_time(file, e));
    files.push_back(std::move(entry));
  };
  if (fs::is_regular_file(*start, ec)) {
    add(*start);
    return files;
  }
  for (fs::recursive_directory_iterator it(*start, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file(ec)) add(it->path());
  }
  if (ec) return local_error("cannot list " + sub + ": " + ec.message());
  std::sort(files.begin(), files.end(), [](const SiteFile& a, const SiteFile& b) { return a.path < b.path; });
  return files;
}

Result<std::string> read_site_file(const std::string& root, const std::string& path) {
  std::ifstream in(fs::path(root) / path, std::ios::binary);
  if (!in) return local_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace sshrelay::sshweb
