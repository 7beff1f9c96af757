#include "core/sftp/sftp_client.hpp"

#include <utility>

#include "core/common/take_front.hpp"

namespace sshrelay::sftp {

Client::Client(ClientLimits limits) : limits_(limits) {}

void Client::start() {
  auto init = PacketWriter(PacketType::init, 4).u32(kProtocolVersion);
  auto bytes = init.finish();
  out_.insert(out_.end(), bytes.begin(), bytes.end());
}

std::vector<std::uint8_t> Client::take_output() { return std::exchange(out_, {}); }

std::optional<Reply> Client::next_reply() { return take_front(replies_); }

Status Client::fail(std::string message) {
  if (!failure_) failure_ = std::move(message);
  in_.clear();
  in_head_ = 0;
  return protocol_error(*failure_);
}

Status Client::on_bytes(std::span<const std::uint8_t> bytes) {
  if (failure_) return protocol_error(*failure_);
  in_.insert(in_.end(), bytes.begin(), bytes.end());
  while (in_.size() - in_head_ >= 4) {
    const std::uint8_t* p = in_.data() + in_head_;
    const std::size_t length = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
    if (length == 0 || length > limits_.max_packet) {
      return fail("SFTP packet of " + std::to_string(length) + " bytes (the limit is " +
                  std::to_string(limits_.max_packet) + ")");
    }
    if (in_.size() - in_head_ - 4 < length) break;
    auto status = parse_packet({p + 4, length});
    if (!status) return status;
    in_head_ += 4 + length;
  }
  // Keep the buffer from growing: drop what was parsed once it is most of the buffer.
  if (in_head_ == in_.size()) {
    in_.clear();
    in_head_ = 0;
  } else if (in_head_ > in_.size() / 2) {
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(in_head_));
    in_head_ = 0;
  }
  return Ok{};
}

Status Client::parse_packet(std::span<const std::uint8_t> body) {
  PacketReader r(body);
  const auto type = static_cast<PacketType>(r.u8());
  if (type == PacketType::version) {
    if (version_) return fail("a second SFTP VERSION packet");
    const std::uint32_t version = r.u32();
    std::map<std::string, std::string> extensions;
    while (r.ok() && !r.at_end()) {
      std::string name = r.string();
      std::string data = r.string();
      extensions.emplace(std::move(name), std::move(data));
    }
    if (!r.ok()) return fail("a malformed SFTP VERSION packet");
    if (version < kProtocolVersion) {
      return fail("the server speaks SFTP version " + std::to_string(version) + "; version 3 is needed");
    }
    version_ = version;
    extensions_ = std::move(extensions);
    return Ok{};
  }
  if (!version_) return fail("an SFTP reply before the server's VERSION");

  Reply reply;
  reply.id = r.u32();
  switch (type) {
    case PacketType::status: {
      StatusReply s;
      s.code = static_cast<StatusCode>(r.u32());
      // Version 3 servers may leave out the message and language tag; both are optional here.
      if (!r.at_end()) s.message = r.string();
      if (!r.at_end()) r.string();
      reply.body = std::move(s);
      break;
    }
    case PacketType::handle: reply.body = HandleReply{r.string()}; break;
    case PacketType::data: {
      auto data = r.bytes();
      reply.body = DataReply{{data.begin(), data.end()}};
      break;
    }
    case PacketType::name: {
      const std::uint32_t count = r.u32();
      // Each entry takes at least 12 bytes (two empty strings and empty attributes).
      if (count > body.size() / 12) return fail("an SFTP NAME packet claiming " + std::to_string(count) + " entries");
      NameReply names;
      names.entries.reserve(count);
      for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
        NameReply::Entry entry;
        entry.filename = r.string();
        entry.longname = r.string();
        entry.attrs = r.attrs();
        names.entries.push_back(std::move(entry));
      }
      reply.body = std::move(names);
      break;
    }
    case PacketType::attrs: reply.body = AttrsReply{r.attrs()}; break;
    case PacketType::extended_reply: {
      auto data = body.subspan(5 <= body.size() ? 5 : body.size());
      reply.body = ExtendedReply{{data.begin(), data.end()}};
      break;
    }
    default: return fail("an SFTP packet of unknown type " + std::to_string(static_cast<int>(type)));
  }
  if (!r.ok()) return fail("a malformed SFTP reply (type " + std::to_string(static_cast<int>(type)) + ")");
  if (outstanding_.erase(reply.id) == 0) {
    return fail("an SFTP reply to request " + std::to_string(reply.id) + ", which is not outstanding");
  }
  replies_.push_back(std::move(reply));
  return Ok{};
}

PacketWriter Client::request(PacketType type, RequestId& id, std::size_t reserve) {
  id = next_id_++;
  if (next_id_ == 0) next_id_ = 1;  // wrapped after 2^32 requests; 0 stays unused
  PacketWriter writer(type, reserve);
  writer.u32(id);
  return writer;
}

RequestId Client::send(PacketWriter& writer, RequestId id) {
  auto bytes = writer.finish();
  if (out_.empty()) {
    out_ = std::move(bytes);
  } else {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }
  outstanding_.insert(id);
  return id;
}

RequestId Client::path_request(PacketType type, std::string_view path) {
  RequestId id;
  auto w = request(type, id, path.size() + 8);
  w.string(path);
  return send(w, id);
}

RequestId Client::open(std::string_view path, std::uint32_t flags, const FileAttributes& attrs) {
  RequestId id;
  auto w = request(PacketType::open, id, path.size() + 32);
  w.string(path).u32(flags).attrs(attrs);
  return send(w, id);
}

RequestId Client::close(std::string_view handle) { return path_request(PacketType::close, handle); }

RequestId Client::read(std::string_view handle, std::uint64_t offset, std::uint32_t length) {
  RequestId id;
  auto w = request(PacketType::read, id, handle.size() + 20);
  w.string(handle).u64(offset).u32(length);
  return send(w, id);
}

RequestId Client::write(std::string_view handle, std::uint64_t offset, std::span<const std::uint8_t> data) {
  RequestId id;
  auto w = request(PacketType::write, id, handle.size() + data.size() + 24);
  w.string(handle).u64(offset).string(data);
  return send(w, id);
}

RequestId Client::stat(std::string_view path) { return path_request(PacketType::stat, path); }
RequestId Client::lstat(std::string_view path) { return path_request(PacketType::lstat, path); }
RequestId Client::fstat(std::string_view handle) { return path_request(PacketType::fstat, handle); }

RequestId Client::setstat(std::string_view path, const FileAttributes& attrs) {
  RequestId id;
  auto w = request(PacketType::setstat, id, path.size() + 32);
  w.string(path).attrs(attrs);
  return send(w, id);
}

RequestId Client::opendir(std::string_view path) { return path_request(PacketType::opendir, path); }
RequestId Client::readdir(std::string_view handle) { return path_request(PacketType::readdir, handle); }
RequestId Client::remove(std::string_view path) { return path_request(PacketType::remove, path); }

RequestId Client::mkdir(std::string_view path, const FileAttributes& attrs) {
  RequestId id;
  auto w = request(PacketType::mkdir, id, path.size() + 16);
  w.string(path).attrs(attrs);
  return send(w, id);
}

RequestId Client::rmdir(std::string_view path) { return path_request(PacketType::rmdir, path); }
RequestId Client::realpath(std::string_view path) { return path_request(PacketType::realpath, path); }

RequestId Client::rename(std::string_view from, std::string_view to) {
  RequestId id;
  auto w = request(PacketType::rename, id, from.size() + to.size() + 16);
  w.string(from).string(to);
  return send(w, id);
}

RequestId Client::readlink(std::string_view path) { return path_request(PacketType::readlink, path); }

}  // namespace sshrelay::sftp
