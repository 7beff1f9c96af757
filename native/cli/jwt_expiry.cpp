#include "native/cli/jwt_expiry.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "core/base64url.hpp"

namespace sshrelay::cli {

std::optional<std::int64_t> jwt_expiry(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  const auto claims = nlohmann::json::parse(payload->begin(), payload->end(), nullptr, /*allow_exceptions=*/false);
  if (!claims.is_object()) return std::nullopt;
  const auto exp = claims.find("exp");
  if (exp == claims.end()) return std::nullopt;
  if (exp->is_number_integer()) return exp->get<std::int64_t>();
  if (exp->is_number_float()) {
    const double value = exp->get<double>();
    if (!std::isfinite(value) || std::fabs(value) > 1e15) return std::nullopt;
    return static_cast<std::int64_t>(value);
  }
  return std::nullopt;
}

}  // namespace sshrelay::cli
