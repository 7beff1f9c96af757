#pragma once
// Result<T>: a value or an Error. libc++ 14 (Emscripten 3.1.6) has no std::expected, so the core
// carries this small stand-in; nothing crosses the core boundary as an exception.
#include <string>
#include <utility>
#include <variant>

namespace sshrelay {

// Who broke the rules: our own caller (LocalError) or the bytes the peer sent (RemoteProtocolError).
enum class ErrorKind { local, remote_protocol };

struct Error {
  ErrorKind kind;
  std::string message;
};

inline Error local_error(std::string message) { return {ErrorKind::local, std::move(message)}; }
inline Error protocol_error(std::string message) { return {ErrorKind::remote_protocol, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace sshrelay
