#pragma once
// Audit events as JSON lines in a local file with size-based rotation: when the next line would take the
// file past max_bytes, FILE is renamed FILE.1 (FILE.1 to FILE.2, ... up to FILE.<keep>; the oldest is
// overwritten) and a fresh FILE is started. A file never exceeds max_bytes unless one line alone does.
//
// Durability: each batch (everything queued when the worker wakes, up to 256 events) is one write(2) on an
// O_APPEND descriptor followed, unless fsync is off, by fdatasync(2). A crash loses at most the batch being
// written; a power failure loses nothing that was fdatasync'ed. Renames are not fsync'ed on the directory.
// The file is created 0640. External rotation (logrotate) should use copytruncate: the sink keeps its
// descriptor until it rotates itself.
#include <cstdint>
#include <string>

#include "core/common/result.hpp"
#include "native/daemon/audit/audit_sink.hpp"

namespace sshrelay::daemon::audit {

struct JsonlFileOptions {
  std::string path;
  std::uint64_t max_bytes = 0;  // 0: never rotate
  unsigned keep = 5;            // rotated files kept (FILE.1 .. FILE.keep); 0: rotation truncates
  bool fsync = true;            // fdatasync after every batch
};

class JsonlFileSink final : public ThreadedSink {
 public:
  JsonlFileSink(JsonlFileOptions options, std::size_t capacity);
  ~JsonlFileSink() override;

  // Opens (creates) the file; call before start() so a bad path is reported at startup. A sink that
  // starts without it opens the file on its first batch.
  Status open();

 private:
  bool write_batch(const std::vector<RecordPtr>& batch) override;
  void finish() override;
  bool write_all(const std::string& text);
  bool rotate();
  void close_file();

  JsonlFileOptions options_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace sshrelay::daemon::audit
