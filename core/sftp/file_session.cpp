#include "core/sftp/file_session.hpp"

#include <algorithm>
#include <vector>

#include "core/common/take_front.hpp"
#include "core/sftp/download.hpp"
#include "core/sftp/path_operations.hpp"
#include "core/sftp/upload.hpp"

namespace sshrelay::sftp {
namespace {

TransferLimits sane(TransferLimits limits) {
  limits.chunk = std::clamp<std::uint32_t>(limits.chunk, 512, 255 * 1024);  // OpenSSH caps a READ at 255 KiB
  limits.requests_in_flight = std::max<std::uint32_t>(limits.requests_in_flight, 1);
  limits.window = std::max<std::size_t>(limits.window, limits.chunk);
  return limits;
}

}  // namespace

FileSession::FileSession(FileSessionConfig config) : config_(config), client_(config.client) {
  config_.transfer = sane(config_.transfer);
}

void FileSession::start() { client_.start(); }

std::optional<FileEvent> FileSession::next_event() { return take_front(events_); }

Status FileSession::on_bytes(std::span<const std::uint8_t> bytes) {
  if (failure_) return protocol_error(*failure_);
  auto status = client_.on_bytes(bytes);
  route_replies();  // replies parsed before a bad packet still count
  if (!status) {
    fail_all("the server broke the SFTP protocol (" + status.error().message + ")");
    return status;
  }
  return Ok{};
}

void FileSession::on_channel_lost(const std::string& why) {
  if (!failure_) fail_all(why);
}

void FileSession::fail_all(const std::string& why) {
  failure_ = why;
  auto ctx = context();
  for (auto& [id, operation] : operations_) operation->lost(ctx, why);
  operations_.clear();
  owners_.clear();
}

void FileSession::route_replies() {
  auto ctx = context();
  while (auto reply = client_.next_reply()) {
    auto owner = owners_.find(reply->id);
    if (owner == owners_.end()) continue;
    const OperationId op = owner->second;
    owners_.erase(owner);
    if (Operation* operation = find(op)) {
      operation->on_reply(ctx, *reply);
      retire(op);
    }
  }
}

// An operation is dropped once it has ended and no reply is still due to it.
void FileSession::retire(OperationId op) {
  auto it = operations_.find(op);
  if (it == operations_.end() || !it->second->ended()) return;
  const bool awaiting = std::any_of(owners_.begin(), owners_.end(), [op](const auto& entry) { return entry.second == op; });
  if (!awaiting) operations_.erase(it);
}

OperationId FileSession::add(std::unique_ptr<Operation> operation) {
  const OperationId op = operation->id();
  Operation* raw = operation.get();
  operations_.emplace(op, std::move(operation));
  auto ctx = context();
  if (failure_) {
    raw->lost(ctx, *failure_);
    operations_.erase(op);
  } else {
    raw->start(ctx);
  }
  return op;
}

Operation* FileSession::find(OperationId op) const {
  auto it = operations_.find(op);
  return it == operations_.end() ? nullptr : it->second.get();
}

OperationId FileSession::list(const std::string& path) {
  return add(std::make_unique<ListOperation>(next_op_++, path, config_.max_listing));
}

OperationId FileSession::realpath(const std::string& path) {
  return add(std::make_unique<PathOperation>(next_op_++, PathOperation::Kind::realpath, path));
}

OperationId FileSession::stat(const std::string& path) {
  return add(std::make_unique<PathOperation>(next_op_++, PathOperation::Kind::stat, path));
}

OperationId FileSession::mkdir(const std::string& path) {
  return add(std::make_unique<PathOperation>(next_op_++, PathOperation::Kind::mkdir, path));
}

OperationId FileSession::rmdir(const std::string& path) {
  return add(std::make_unique<PathOperation>(next_op_++, PathOperation::Kind::rmdir, path));
}

OperationId FileSession::remove(const std::string& path) {
  return add(std::make_unique<PathOperation>(next_op_++, PathOperation::Kind::remove, path));
}

OperationId FileSession::rename(const std::string& from, const std::string& to) {
  return add(std::make_unique<PathOperation>(next_op_++, PathOperation::Kind::rename, from, to));
}

OperationId FileSession::download(const std::string& path, std::uint64_t limit) {
  return add(std::make_unique<Download>(next_op_++, path, limit, config_.transfer));
}

Status FileSession::consumed(OperationId op, std::uint64_t n) {
  auto* download = find_as<Download>(op);
  if (download == nullptr) return local_error("consumed(): operation " + std::to_string(op) + " is not a running download");
  auto ctx = context();
  download->consumed(ctx, n);
  return Ok{};
}

OperationId FileSession::upload(const std::string& path) {
  return add(std::make_unique<Upload>(next_op_++, path, config_.transfer));
}

std::size_t FileSession::upload_room(OperationId op) const {
  const auto* upload = find_as<Upload>(op);
  return upload == nullptr ? 0 : upload->room();
}

Status FileSession::upload_push(OperationId op, std::span<const std::uint8_t> bytes) {
  auto* upload = find_as<Upload>(op);
  if (upload == nullptr) return local_error("upload_push(): operation " + std::to_string(op) + " is not a running upload");
  auto ctx = context();
  return upload->push(ctx, bytes);
}

Status FileSession::upload_finish(OperationId op) {
  auto* upload = find_as<Upload>(op);
  if (upload == nullptr) return local_error("upload_finish(): operation " + std::to_string(op) + " is not a running upload");
  auto ctx = context();
  auto status = upload->finish(ctx);
  retire(op);
  return status;
}

void FileSession::cancel(OperationId op) {
  Operation* operation = find(op);
  if (operation == nullptr || operation->ended()) return;
  auto ctx = context();
  operation->cancel(ctx);
  retire(op);
}

}  // namespace sshrelay::sftp
