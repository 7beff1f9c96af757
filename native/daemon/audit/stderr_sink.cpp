#include "native/daemon/audit/stderr_sink.hpp"

#include <cerrno>
#include <cstring>

namespace sshrelay::daemon::audit {

StderrSink::StderrSink(std::size_t capacity, std::FILE* stream) : ThreadedSink("stderr", capacity), stream_(stream) {}

StderrSink::~StderrSink() { stop_now(); }

bool StderrSink::write_batch(const std::vector<RecordPtr>& batch) {
  std::string text;
  for (const auto& record : batch) {
    text += record->json();
    text += '\n';
  }
  const bool ok = std::fwrite(text.data(), 1, text.size(), stream_) == text.size() && std::fflush(stream_) == 0;
  if (ok) {
    set_healthy(true);
  } else {
    set_healthy(false, std::string("write failed: ") + std::strerror(errno));
    std::clearerr(stream_);
  }
  return ok;
}

}  // namespace sshrelay::daemon::audit
