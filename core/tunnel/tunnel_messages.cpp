#include "core/tunnel/tunnel_messages.hpp"

#include <nlohmann/json.hpp>

#include "core/common/base64.hpp"

namespace sshrelay::tunnel {
namespace {

using nlohmann::json;

json headers_json(const HeaderList& headers) {
  json out = json::object();
  for (const auto& [name, value] : headers) out[name] = value;
  return out;
}

// An object of strings, in the order given, or nothing (Go's map[string]string refuses anything else).
std::optional<HeaderList> headers_from(const json& j) {
  HeaderList out;
  if (j.is_null()) return out;
  if (!j.is_object()) return std::nullopt;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string()) return std::nullopt;
    out.emplace_back(it.key(), it.value().get<std::string>());
  }
  return out;
}

// A string field, absent meaning "" (Go's zero value); nothing when present with another type.
std::optional<std::string> string_field(const json& j, const char* name) {
  if (!j.contains(name) || j[name].is_null()) return std::string();
  if (!j[name].is_string()) return std::nullopt;
  return j[name].get<std::string>();
}

std::optional<json> parse_object(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

}  // namespace

bool is_wire_id(std::string_view id) {
  if (id.size() != kWireIdLength) return false;
  for (const char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string to_json(const TunnelReady& m) {
  json j = {{"type", "tunnel_ready"}, {"tunnelUrl", m.tunnel_url}, {"rawPort", m.raw_port}};
  if (m.streams) j["streams"] = true;
  return j.dump();
}

std::string to_json(const HttpRequest& m) {
  json j = {{"type", "http_request"}, {"id", m.id}, {"method", m.method}, {"path", m.path}, {"headers", headers_json(m.headers)},
            {"body", ""}};
  if (!m.body.empty()) {
    j["body"] = base64_encode(m.body);
    j["bodyEncoding"] = "base64";
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string to_json(const TcpOpen& m) { return json{{"type", "tcp_open"}, {"connId", m.conn_id}}.dump(); }
std::string to_json(const TcpClose& m) { return json{{"type", "tcp_close"}, {"connId", m.conn_id}}.dump(); }

std::string to_json(const HttpResponse& m) {
  json j = {{"type", "http_response"}, {"id", m.id}, {"status", m.status}, {"headers", headers_json(m.headers)}, {"body", m.body}};
  if (!m.body_encoding.empty()) j["bodyEncoding"] = m.body_encoding;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<ClientMessage> parse_client_message(std::string_view text) {
  const auto j = parse_object(text);
  if (!j) return std::nullopt;
  const auto type = string_field(*j, "type");
  if (!type) return std::nullopt;
  if (*type == "tcp_close") {
    const auto id = string_field(*j, "connId");
    if (!id || !is_wire_id(*id)) return std::nullopt;
    return TcpClose{*id};
  }
  if (*type == "http_response") {
    HttpResponse r;
    const auto id = string_field(*j, "id");
    const auto body = string_field(*j, "body");
    const auto encoding = string_field(*j, "bodyEncoding");
    if (!id || !is_wire_id(*id) || !body || !encoding) return std::nullopt;
    if (j->contains("status") && !(*j)["status"].is_null()) {
      if (!(*j)["status"].is_number_integer()) return std::nullopt;
      r.status = (*j)["status"].get<std::int64_t>();
    }
    auto headers = headers_from(j->contains("headers") ? (*j)["headers"] : json());
    if (!headers) return std::nullopt;
    r.id = *id;
    r.body = *body;
    r.body_encoding = *encoding;
    r.headers = std::move(*headers);
    return r;
  }
  return std::nullopt;
}

std::optional<RelayMessage> parse_relay_message(std::string_view text) {
  const auto j = parse_object(text);
  if (!j) return std::nullopt;
  const auto type = string_field(*j, "type");
  if (!type) return std::nullopt;
  if (*type == "tunnel_ready") {
    TunnelReady r;
    const auto url = string_field(*j, "tunnelUrl");
    if (!url) return std::nullopt;
    r.tunnel_url = *url;
    if (j->contains("rawPort")) {
      const auto& port = (*j)["rawPort"];
      if (!port.is_number_integer() || port.get<std::int64_t>() < 0 || port.get<std::int64_t>() > 65535) return std::nullopt;
      r.raw_port = static_cast<std::uint16_t>(port.get<std::int64_t>());
    }
    r.streams = j->contains("streams") && (*j)["streams"].is_boolean() && (*j)["streams"].get<bool>();
    return r;
  }
  if (*type == "tcp_open" || *type == "tcp_close") {
    const auto id = string_field(*j, "connId");
    if (!id || !is_wire_id(*id)) return std::nullopt;
    if (*type == "tcp_open") return TcpOpen{*id};
    return TcpClose{*id};
  }
  if (*type == "http_request") {
    HttpRequest r;
    const auto id = string_field(*j, "id");
    const auto method = string_field(*j, "method");
    const auto path = string_field(*j, "path");
    const auto body = string_field(*j, "body");
    const auto encoding = string_field(*j, "bodyEncoding");
    auto headers = headers_from(j->contains("headers") ? (*j)["headers"] : json());
    if (!id || !is_wire_id(*id) || !method || !path || !body || !encoding || !headers) return std::nullopt;
    if (*encoding == "base64") {
      auto decoded = base64_decode(*body);
      if (!decoded) return std::nullopt;
      r.body.assign(decoded->begin(), decoded->end());
    } else if (encoding->empty()) {
      r.body = *body;
    } else {
      return std::nullopt;
    }
    r.id = *id;
    r.method = *method;
    r.path = *path;
    r.headers = std::move(*headers);
    return r;
  }
  return std::nullopt;
}

}  // namespace sshrelay::tunnel
