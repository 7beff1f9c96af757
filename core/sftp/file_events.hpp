#pragma once
// What a FileSession tells its owner about each operation: results, data, progress and endings. Every
// operation ends with exactly one of Done, Failed or Cancelled.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/sftp/sftp_wire.hpp"

namespace sshrelay::sftp {

using OperationId = std::uint32_t;

struct DirectoryEntry {
  std::string name;
  std::string longname;  // the server's ls -l style line
  FileAttributes attrs;
};

// list(): the folder's entries without "." and "..", in the server's order.
struct Listed {
  OperationId op = 0;
  std::vector<DirectoryEntry> entries;
};
// realpath(): the absolute, canonical path.
struct Resolved {
  OperationId op = 0;
  std::string path;
};
// stat(): the attributes (symbolic links followed).
struct Stated {
  OperationId op = 0;
  FileAttributes attrs;
};
// download(): the size when the server says (it may not), before any data.
struct DownloadStarted {
  OperationId op = 0;
  std::optional<std::uint64_t> size;
};
// download(): the next bytes, strictly in order from offset 0. The owner calls consumed() once it has
// stored them; until then they count against the download window.
struct DownloadData {
  OperationId op = 0;
  std::uint64_t offset = 0;
  std::vector<std::uint8_t> bytes;
};
// upload(): bytes the server has confirmed written (a prefix of the file). The first, with 0, says the
// file is open and upload_room() has room.
struct UploadProgress {
  OperationId op = 0;
  std::uint64_t written = 0;
};
struct Done {
  OperationId op = 0;
  std::uint64_t bytes = 0;  // transfers: bytes moved
};
struct Failed {
  OperationId op = 0;
  std::optional<StatusCode> code;  // the server's status, when the server said no
  std::string message;             // for a person: what failed, why, and what is left behind
};
struct Cancelled {
  OperationId op = 0;
  std::string message;  // what is left behind, if anything
};

using FileEvent =
    std::variant<Listed, Resolved, Stated, DownloadStarted, DownloadData, UploadProgress, Done, Failed, Cancelled>;

OperationId operation_of(const FileEvent& event);
// True for Done, Failed and Cancelled.
bool is_final(const FileEvent& event);

}  // namespace sshrelay::sftp
