#pragma once
// One file operation of a FileSession (a listing, a download, ...): a small machine over SFTP requests.
// It sends requests through its context, which routes their replies back to it, and reports FileEvents.
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include "core/sftp/file_events.hpp"
#include "core/sftp/sftp_client.hpp"

namespace sshrelay::sftp {

class OperationContext {
 public:
  OperationContext(Client& client, std::unordered_map<RequestId, OperationId>& owners, std::deque<FileEvent>& events)
      : client_(client), owners_(owners), events_(events) {}

  Client& client() { return client_; }
  // Routes the reply to `id` back to operation `op`.
  void track(OperationId op, RequestId id) { owners_.emplace(id, op); }
  void emit(FileEvent event) { events_.push_back(std::move(event)); }

 private:
  Client& client_;
  std::unordered_map<RequestId, OperationId>& owners_;
  std::deque<FileEvent>& events_;
};

class Operation {
 public:
  explicit Operation(OperationId id) : id_(id) {}
  virtual ~Operation() = default;
  Operation(const Operation&) = delete;
  Operation& operator=(const Operation&) = delete;

  OperationId id() const { return id_; }
  // The final event (Done, Failed or Cancelled) has been emitted. Replies may still be due; the
  // session keeps the operation until they have come.
  bool ended() const { return ended_; }

  virtual void start(OperationContext& ctx) = 0;
  virtual void on_reply(OperationContext& ctx, Reply& reply) = 0;
  // The owner gave up on it: stop, tidy up on the server, end with Cancelled.
  virtual void cancel(OperationContext& ctx);
  // The SFTP channel is gone: end with Failed now, saying what is left behind.
  virtual void lost(OperationContext& ctx, const std::string& why);

 protected:
  void end(OperationContext& ctx, FileEvent final_event);
  void fail(OperationContext& ctx, const StatusReply& status, const std::string& what);
  // The request, tracked for this operation.
  RequestId track(OperationContext& ctx, RequestId id) {
    ctx.track(id_, id);
    return id;
  }

 private:
  OperationId id_;
  bool ended_ = false;
};

// "<what>: <status words>" with the server's message when it says more than the code does.
std::string status_message(const std::string& what, const StatusReply& status);

}  // namespace sshrelay::sftp
