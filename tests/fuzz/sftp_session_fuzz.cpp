// core/sftp's FileSession with a server the input scripts: every operation kind is started, then each
// input step answers an outstanding request (with a status, handle, data, name or attrs reply of sizes
// the input picks, in any order), feeds raw bytes, cancels, consumes or pushes upload bytes. Checks:
// each operation ends at most once and says nothing after its end; download data comes in order from
// offset 0 and never past the preview limit; outstanding requests stay under the transfer bounds; a
// session whose protocol failed says so and fails every later operation at once.
//
// Input: read with libFuzzer's FuzzedDataProvider, one step at a time (an action, then what it needs).
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <map>
#include <span>
#include <vector>

#include "core/sftp/file_session.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::sftp {
namespace {

using Bytes = std::vector<std::uint8_t>;


std::vector<std::uint8_t> take_bytes(FuzzedDataProvider& in, std::size_t n) { return in.ConsumeBytes<std::uint8_t>(n); }

// The request ids the session has sent and not had answered, read back from its output.
std::vector<RequestId> sent_ids(const Bytes& output) {
  std::vector<RequestId> ids;
  std::size_t at = 0;
  while (output.size() - at >= 9) {
    PacketReader r({output.data() + at, output.size() - at});
    const std::uint32_t length = r.u32();
    const auto type = static_cast<PacketType>(r.u8());
    const std::uint32_t id = r.u32();
    if (type != PacketType::init) ids.push_back(id);
    at += 4 + length;
  }
  return ids;
}

struct OperationLog {
  bool ended = false;
  std::uint64_t next_offset = 0;
  std::uint64_t limit = UINT64_MAX;
};

}  // namespace
}  // namespace sshrelay::sftp

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay::sftp;
  FuzzedDataProvider in(data, size);
  FileSessionConfig config;
  config.transfer.chunk = 512;
  config.transfer.requests_in_flight = 4;
  config.transfer.window = 4096;
  config.max_listing = 64;
  FileSession session(config);
  session.start();
  std::map<OperationId, OperationLog> ops;
  ops[session.list("/d")];
  ops[session.realpath(".")];
  ops[session.stat("/s")];
  ops[session.rename("/a", "/b")];
  ops[session.download("/whole")];
  const OperationId preview = session.download("/head", 700);
  ops[preview].limit = 700;
  const OperationId upload = session.upload("/up");
  ops[upload];
  std::vector<RequestId> outstanding;
  const Bytes version = PacketWriter(PacketType::version).u32(3).finish();
  (void)session.on_bytes(version);

  const std::size_t bound = 4 * 2 + 8 + 8;  // two downloads' reads, an upload's writes, the others' few
  for (int step = 0; step < 400 && in.remaining_bytes() > 0; ++step) {
    auto out = session.take_output();
    for (auto id : sent_ids(out)) outstanding.push_back(id);
    FUZZ_CHECK(session.requests_in_flight() <= bound + 8);
    const std::uint8_t action = in.ConsumeIntegral<std::uint8_t>();
    const std::size_t pick = outstanding.empty() ? 0 : in.ConsumeIntegral<std::uint8_t>() % outstanding.size();
    const RequestId id = outstanding.empty() ? in.ConsumeIntegral<std::uint8_t>() : outstanding[pick];
    bool answered = true;
    switch (action % 9) {
      case 0: {
        const auto code = static_cast<std::uint32_t>(in.ConsumeIntegral<std::uint8_t>() % 10);
        (void)session.on_bytes(PacketWriter(PacketType::status).u32(id).u32(code).string("m").string("").finish());
        break;
      }
      case 1: (void)session.on_bytes(PacketWriter(PacketType::handle).u32(id).string(take_bytes(in, in.ConsumeIntegral<std::uint8_t>() % 8)).finish()); break;
      case 2: {
        const std::size_t n = std::size_t{in.ConsumeIntegral<std::uint8_t>()} * 4;
        (void)session.on_bytes(PacketWriter(PacketType::data).u32(id).string(Bytes(n, 0x61)).finish());
        break;
      }
      case 3: {
        PacketWriter w(PacketType::name);
        const std::uint32_t count = in.ConsumeIntegral<std::uint8_t>() % 40;
        w.u32(id).u32(count);
        for (std::uint32_t i = 0; i < count; ++i) w.string(take_bytes(in, in.ConsumeIntegral<std::uint8_t>() % 4)).string("").u32(0);
        (void)session.on_bytes(w.finish());
        break;
      }
      case 4: {
        FileAttributes a;
        if (in.ConsumeIntegral<std::uint8_t>() & 1) a.size = in.ConsumeIntegral<std::uint8_t>() * 97;
        (void)session.on_bytes(PacketWriter(PacketType::attrs).u32(id).attrs(a).finish());
        break;
      }
      case 5: (void)session.on_bytes(take_bytes(in, in.ConsumeIntegral<std::uint8_t>() % 16)); answered = false; break;
      case 6: session.cancel(static_cast<OperationId>(1 + in.ConsumeIntegral<std::uint8_t>() % 7)); answered = false; break;
      case 7: (void)session.consumed(static_cast<OperationId>(1 + in.ConsumeIntegral<std::uint8_t>() % 7), std::uint64_t{in.ConsumeIntegral<std::uint8_t>()} * 64); answered = false; break;
      default: {
        const std::size_t room = session.upload_room(upload);
        const std::size_t n = std::min<std::size_t>(room, std::size_t{in.ConsumeIntegral<std::uint8_t>()} * 16);
        if (n > 0) FUZZ_CHECK(session.upload_push(upload, Bytes(n, 0x62)).ok());
        if (in.ConsumeIntegral<std::uint8_t>() == 0xff) (void)session.upload_finish(upload);
        answered = false;
      }
    }
    if (answered && !outstanding.empty()) outstanding.erase(outstanding.begin() + static_cast<std::ptrdiff_t>(pick));
    while (auto event = session.next_event()) {
      auto it = ops.find(operation_of(*event));
      FUZZ_CHECK(it != ops.end());
      FUZZ_CHECK(!it->second.ended);  // nothing after the end
      if (is_final(*event)) it->second.ended = true;
      if (const auto* d = std::get_if<DownloadData>(&*event)) {
        FUZZ_CHECK(d->offset == it->second.next_offset);
        FUZZ_CHECK(!d->bytes.empty());
        it->second.next_offset += d->bytes.size();
        FUZZ_CHECK(it->second.next_offset <= it->second.limit);
      }
    }
  }
  if (session.failed()) {
    const OperationId late = session.stat("/late");
    auto event = session.next_event();
    FUZZ_CHECK(event && std::holds_alternative<Failed>(*event) && operation_of(*event) == late);
  }
  return 0;
}
