#pragma once
// How a transfer keeps the line full without flooding memory. OpenSSH's sftp keeps 64 requests of
// 32 KiB outstanding; the same here, so throughput is bound by bandwidth, not by round trips.
#include <cstddef>
#include <cstdint>

namespace sshrelay::sftp {

struct TransferLimits {
  std::uint32_t chunk = 32 * 1024;        // bytes per READ or WRITE request
  std::uint32_t requests_in_flight = 64;  // outstanding READs or WRITEs per transfer
  // A download's bytes in flight, held out of order, or delivered and not yet consumed by the owner;
  // an upload's bytes queued or in flight. This bounds the memory a transfer takes, at any file size.
  std::size_t window = 4 * 1024 * 1024;
};

}  // namespace sshrelay::sftp
