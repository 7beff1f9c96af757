#pragma once
// The operations that are one request and one reply (realpath, stat, mkdir, rmdir, remove, rename),
// and a folder listing (opendir, readdir until end of file, close).
#include <cstddef>
#include <string>
#include <vector>

#include "core/sftp/operation.hpp"

namespace sshrelay::sftp {

class PathOperation final : public Operation {
 public:
  enum class Kind { realpath, stat, mkdir, rmdir, remove, rename };
  PathOperation(OperationId id, Kind kind, std::string path, std::string to = {})
      : Operation(id), kind_(kind), path_(std::move(path)), to_(std::move(to)) {}

  void start(OperationContext& ctx) override;
  void on_reply(OperationContext& ctx, Reply& reply) override;

 private:
  std::string what() const;
  Kind kind_;
  std::string path_;
  std::string to_;
};

class ListOperation final : public Operation {
 public:
  ListOperation(OperationId id, std::string path, std::size_t max_entries)
      : Operation(id), path_(std::move(path)), max_entries_(max_entries) {}

  void start(OperationContext& ctx) override;
  void on_reply(OperationContext& ctx, Reply& reply) override;
  void cancel(OperationContext& ctx) override;

 private:
  void close_handle(OperationContext& ctx);
  std::string path_;
  std::size_t max_entries_;
  std::string handle_;
  bool closing_ = false;
  RequestId close_id_ = 0;
  std::vector<DirectoryEntry> entries_;
};

}  // namespace sshrelay::sftp
