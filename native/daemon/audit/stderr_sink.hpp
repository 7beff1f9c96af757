#pragma once
// Audit events as JSON lines on stderr (or any stdio stream, for tests), one line per event. A batch is
// written with one fwrite, which stdio locks as a whole, so audit lines never interleave with the
// operational log's lines. Operational log lines start with a timestamp, audit lines with '{'.
#include <cstdio>

#include "native/daemon/audit/audit_sink.hpp"

namespace sshrelay::daemon::audit {

class StderrSink final : public ThreadedSink {
 public:
  explicit StderrSink(std::size_t capacity, std::FILE* stream = stderr);
  ~StderrSink() override;

 private:
  bool write_batch(const std::vector<RecordPtr>& batch) override;

  std::FILE* stream_;
};

}  // namespace sshrelay::daemon::audit
