#pragma once
// Answering a request the relay will not serve, then closing gently: the answer is written, sending is
// shut down, and whatever the client still sends is read and dropped for a moment, so the close does
// not reset the connection before the client has read the answer.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace sshrelay::daemon {

inline constexpr auto kRefusalLingerTime = std::chrono::seconds(2);
inline constexpr std::size_t kRefusalLingerBytes = 256 * 1024;

// A plain-text answer that closes the connection.
inline boost::beast::http::response<boost::beast::http::string_body> closing_response(boost::beast::http::status status,
                                                                                      std::string body) {
  boost::beast::http::response<boost::beast::http::string_body> res{status, 11};
  res.set(boost::beast::http::field::server, "sshrelayd");
  res.set(boost::beast::http::field::content_type, "text/plain; charset=utf-8");
  res.set(boost::beast::http::field::cache_control, "no-store");
  res.keep_alive(false);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// Writes `response` on `stream` (owned by `owner`, kept alive until done), then lingers and lets the
// stream's owner close it when the last reference goes.
namespace http_refusal_detail {

// After the answer: read (and drop) what the client still sends, bounded in bytes and by the stream's
// deadline, so closing does not reset the connection under the answer. The handlers hold this object
// and the owner (no self-reference): a daemon stopping mid-linger frees it with the handlers.
template <class Stream>
class Drain : public std::enable_shared_from_this<Drain<Stream>> {
 public:
  Drain(Stream& stream, std::shared_ptr<void> owner) : stream_(stream), owner_(std::move(owner)), buffer_(16 * 1024) {}
  void read() {
    boost::beast::get_lowest_layer(stream_).async_read_some(
        boost::asio::buffer(buffer_), [self = this->shared_from_this()](boost::beast::error_code e, std::size_t n) {
          self->drained_ += n;
          if (e || self->drained_ >= kRefusalLingerBytes) return;  // the owner closes the socket
          self->read();
        });
  }

 private:
  Stream& stream_;
  std::shared_ptr<void> owner_;
  std::vector<char> buffer_;
  std::size_t drained_ = 0;
};

}  // namespace http_refusal_detail

template <class Stream>
void answer_and_close(Stream& stream, boost::beast::http::response<boost::beast::http::string_body> response,
                      std::shared_ptr<void> owner) {
  namespace beast = boost::beast;
  auto res = std::make_shared<beast::http::response<beast::http::string_body>>(std::move(response));
  beast::get_lowest_layer(stream).expires_after(kRefusalLingerTime);
  beast::http::async_write(stream, *res, [&stream, res, owner](beast::error_code ec, std::size_t) {
    if (ec) return;
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    std::make_shared<http_refusal_detail::Drain<Stream>>(stream, owner)->read();
  });
}

}  // namespace sshrelay::daemon
