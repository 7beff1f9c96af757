#include "native/daemon/http_session_impl.hpp"

namespace sshrelay::daemon {
template class HttpSession<beast::ssl_stream<beast::tcp_stream>>;
}  // namespace sshrelay::daemon
