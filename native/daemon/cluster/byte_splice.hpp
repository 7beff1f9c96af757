#pragma once
// A forwarded reconnect's bytes after the node has decided to forward it: the client's connection and
// the internal link to the session's owner, copied both ways untouched (the owner speaks WebSocket
// with the client end to end: its 101, frames, pings and close). First the line, request and early
// bytes (`head`) go to the owner. An end or error on either side ends both: the session's own liveness
// (the owner's pings) notices a client that vanished, and the client's reconnect logic a link that broke.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <array>
#include <memory>
#include <string>

namespace sshrelay::daemon {

template <class ClientStream>
class ByteSplice : public std::enable_shared_from_this<ByteSplice<ClientStream>> {
 public:
  static constexpr std::size_t kBufferSize = 64 * 1024;

  ByteSplice(ClientStream&& client, boost::asio::ip::tcp::socket&& owner, std::string head)
      : client_(std::move(client)), owner_(std::move(owner)), head_(std::move(head)) {}

  void run() {
    boost::beast::get_lowest_layer(client_).expires_never();
    boost::asio::async_write(owner_, boost::asio::buffer(head_),
                             [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                               if (ec) return self->end();
                               self->head_.clear();
                               self->head_.shrink_to_fit();
                               self->client_to_owner();
                               self->owner_to_client();
                             });
  }

 private:
  void client_to_owner() { pump(client_, owner_, up_, &ByteSplice::client_to_owner); }
  void owner_to_client() { pump(owner_, client_, down_, &ByteSplice::owner_to_client); }

  // One direction: read what `from` has, write it all to `to`, then `again`; any end or error ends both.
  template <class From, class To>
  void pump(From& from, To& to, std::array<char, kBufferSize>& buffer, void (ByteSplice::*again)()) {
    from.async_read_some(boost::asio::buffer(buffer),
                         [self = this->shared_from_this(), &to, &buffer, again](boost::system::error_code ec, std::size_t n) {
                           if (n == 0) return self->end();
                           boost::asio::async_write(to, boost::asio::buffer(buffer.data(), n),
                                                    [self, ec, again](boost::system::error_code wec, std::size_t) {
                                                      if (wec || ec) return self->end();
                                                      ((*self).*again)();
                                                    });
                         });
  }

  // Both sockets closed: pending operations on the other direction complete with an error and end too.
  void end() {
    if (ended_) return;
    ended_ = true;
    boost::system::error_code ignored;
    owner_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    owner_.close(ignored);
    auto& socket = boost::beast::get_lowest_layer(client_).socket();
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  ClientStream client_;
  boost::asio::ip::tcp::socket owner_;
  std::string head_;
  std::array<char, kBufferSize> up_{};
  std::array<char, kBufferSize> down_{};
  bool ended_ = false;
};

}  // namespace sshrelay::daemon
