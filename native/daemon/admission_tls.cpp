#include "native/daemon/admission_impl.hpp"

namespace sshrelay::daemon {
template class Admission<boost::beast::ssl_stream<boost::beast::tcp_stream>>;
}  // namespace sshrelay::daemon
