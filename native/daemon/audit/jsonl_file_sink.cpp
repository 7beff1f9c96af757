#include "native/daemon/audit/jsonl_file_sink.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sshrelay::daemon::audit {
namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

JsonlFileSink::JsonlFileSink(JsonlFileOptions options, std::size_t capacity)
    : ThreadedSink("jsonl", capacity), options_(std::move(options)) {}

JsonlFileSink::~JsonlFileSink() {
  stop_now();
  close_file();
}

Status JsonlFileSink::open() {
  if (fd_ >= 0) return Ok{};
  const int fd = ::open(options_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return local_error("cannot open audit file \"" + options_.path + "\": " + errno_text());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const std::string why = errno_text();
    ::close(fd);
    return local_error("cannot stat audit file \"" + options_.path + "\": " + why);
  }
  fd_ = fd;
  size_ = static_cast<std::uint64_t>(st.st_size);
  return Ok{};
}

void JsonlFileSink::close_file() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void JsonlFileSink::finish() { close_file(); }

bool JsonlFileSink::write_all(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      set_healthy(false, "write to \"" + options_.path + "\": " + errno_text());
      close_file();  // reopened on the next batch
      return false;
    }
    done += static_cast<std::size_t>(n);
    size_ += static_cast<std::uint64_t>(n);
  }
  return true;
}

bool JsonlFileSink::rotate() {
  close_file();
  const std::string& path = options_.path;
  if (options_.keep == 0) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      set_healthy(false, "remove \"" + path + "\" for rotation: " + errno_text());
    }
  } else {
    for (unsigned i = options_.keep - 1; i >= 1; --i) {
      const std::string from = path + "." + std::to_string(i);
      const std::string to = path + "." + std::to_string(i + 1);
      if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
        set_healthy(false, "rotate \"" + from + "\": " + errno_text());
      }
    }
    if (::rename(path.c_str(), (path + ".1").c_str()) != 0 && errno != ENOENT) {
      set_healthy(false, "rotate \"" + path + "\": " + errno_text());
    }
  }
  if (auto opened = open(); !opened) {
    set_healthy(false, opened.error().message);
    return false;
  }
  return true;
}

bool JsonlFileSink::write_batch(const std::vector<RecordPtr>& batch) {
  if (fd_ < 0) {
    if (auto opened = open(); !opened) {
      set_healthy(false, opened.error().message);
      return false;
    }
  }
  std::string chunk;
  for (const auto& record : batch) {
    const std::size_t line_size = record->json().size() + 1;
    if (options_.max_bytes > 0 && size_ + chunk.size() > 0 && size_ + chunk.size() + line_size > options_.max_bytes) {
      if (!chunk.empty() && !write_all(chunk)) return false;
      chunk.clear();
      if (!rotate()) return false;
    }
    chunk += record->json();
    chunk += '\n';
  }
  if (!chunk.empty() && !write_all(chunk)) return false;
  if (options_.fsync && ::fdatasync(fd_) != 0) {
    set_healthy(false, "fdatasync \"" + options_.path + "\": " + errno_text());
    return false;
  }
  set_healthy(true);
  return true;
}

}  // namespace sshrelay::daemon::audit
