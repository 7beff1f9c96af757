// The /cookie and /endpoint answers for the Secure Shell extension (core/nassh_cookie.hpp). Checks:
// - a redirect is "chrome-extension://" + the request's ext (32 letters a-p) + "/" + one of the two allowed
//   pages (the requested path, kNasshRelayPagePath when none) + "#" + a fragment, for method js-redirect
//   only; the fragment read the way the extension reads it (v1 when version is "1":
//   /@([^:]+)(?::(\d+))?/; v2 otherwise: base64url JSON whose endpoint is split at ':') yields exactly the
//   configured public host and port, whatever the user name holds;
// - a JSON answer (method direct) is the XSSI prefix and {"endpoint": host:port} naming the public host
//   and port; a close answer comes only for method close;
// - refusals: a local error only for an unusable public endpoint, else a protocol error;
// - the HTML pages keep their markup whatever text goes in: the same number of '<' and '>' as with
//   harmless text, and html_escape leaves no < > " ' and only entity ampersands.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/common/base64.hpp"
#include "core/nassh/nassh_cookie.hpp"
#include "core/policy/target.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::fuzz {
namespace {

std::optional<std::string> maybe_one_of(FuzzedDataProvider& in, std::initializer_list<const char*> usual) {
  const int choice = in.ConsumeIntegralInRange<int>(0, static_cast<int>(usual.size()) + 1);
  if (choice == 0) return std::nullopt;
  if (choice == 1) return in.ConsumeRandomLengthString(64);
  return std::string(usual.begin()[choice - 2]);
}

// A valid extension id made of input bytes, or any text.
std::optional<std::string> extension_id(FuzzedDataProvider& in) {
  const int choice = in.ConsumeIntegralInRange<int>(0, 2);
  if (choice == 0) return std::nullopt;
  if (choice == 1) return in.ConsumeRandomLengthString(40);
  std::string id(32, 'a');
  for (auto& c : id) c = static_cast<char>('a' + in.ConsumeIntegralInRange<int>(0, 15));
  return id;
}

std::size_t count_markup(std::string_view page) {
  return static_cast<std::size_t>(std::count_if(page.begin(), page.end(), [](char c) { return c == '<' || c == '>'; }));
}

void check_endpoint(std::string_view host, std::string_view port, const CookieRequest& request) {
  const auto expected_host = normalize_host(request.public_host);
  FUZZ_CHECK(expected_host.ok() && host == *expected_host && port == std::to_string(request.public_port));
}

void check_redirect(const std::string& url, const CookieRequest& request) {
  FUZZ_CHECK(!request.method || *request.method == "js-redirect");
  const std::string page = request.path.value_or(std::string(kNasshRelayPagePath));
  FUZZ_CHECK(page == kNasshRelayPagePath || page == kNasshMainPagePath);
  const std::string page_prefix = "chrome-extension://" + request.ext.value_or("") + "/" + page + "#";
  FUZZ_CHECK(request.ext && is_extension_id(*request.ext) && url.rfind(page_prefix, 0) == 0);
  const std::string fragment = url.substr(page_prefix.size());
  for (const char c : fragment) FUZZ_CHECK(c > 0x20 && c < 0x7f && c != '#' && c != '"' && c != '<' && c != '>');
  if (request.version != "1") {
    auto decoded = base64url_decode(fragment);
    FUZZ_CHECK(decoded.ok());
    const auto json = nlohmann::json::parse(decoded->begin(), decoded->end(), nullptr, false);
    FUZZ_CHECK(json.is_object() && json.contains("endpoint") && json["endpoint"].is_string());
    const auto endpoint = json["endpoint"].get<std::string>();
    const auto colon = endpoint.find(':');
    FUZZ_CHECK(colon != std::string::npos && endpoint.find(':', colon + 1) == std::string::npos);
    check_endpoint(std::string_view(endpoint).substr(0, colon), std::string_view(endpoint).substr(colon + 1), request);
    return;
  }
  const auto at = fragment.find('@');  // the regex /@([^:]+)(?::(\d+))?/
  FUZZ_CHECK(at != std::string::npos);
  const auto host_end = fragment.find(':', at + 1);
  FUZZ_CHECK(host_end != std::string::npos && host_end > at + 1);
  const std::string_view port = std::string_view(fragment).substr(host_end + 1);
  FUZZ_CHECK(!port.empty() && std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }));
  check_endpoint(std::string_view(fragment).substr(at + 1, host_end - at - 1), port, request);
}

void check_json(const std::string& body, const CookieRequest& request) {
  FUZZ_CHECK(request.method == "direct" && body.rfind(kXssiPrefix, 0) == 0);
  const auto json = nlohmann::json::parse(body.substr(kXssiPrefix.size()), nullptr, false);
  FUZZ_CHECK(json.is_object() && json.contains("endpoint") && json["endpoint"].is_string());
  auto target = parse_target(json["endpoint"].get<std::string>(), 1);
  FUZZ_CHECK(target.ok());
  check_endpoint(target->host, std::to_string(target->port), request);
}

void check_pages(std::string_view text, std::string_view nonce) {
  const std::string escaped = html_escape(text);
  FUZZ_CHECK(escaped.find_first_of("<>\"'") == std::string::npos);
  for (std::size_t at = escaped.find('&'); at != std::string::npos; at = escaped.find('&', at + 1)) {
    const auto entity = std::string_view(escaped).substr(at);
    FUZZ_CHECK(entity.rfind("&amp;", 0) == 0 || entity.rfind("&lt;", 0) == 0 || entity.rfind("&gt;", 0) == 0 ||
               entity.rfind("&quot;", 0) == 0 || entity.rfind("&#39;", 0) == 0);
  }
  const std::string_view harmless_nonce = nonce.empty() ? "" : "n";
  FUZZ_CHECK(count_markup(render_redirect_page(text, nonce)) == count_markup(render_redirect_page("x", harmless_nonce)));
  FUZZ_CHECK(count_markup(render_close_page(nonce)) == count_markup(render_close_page(harmless_nonce)));
  FUZZ_CHECK(count_markup(render_error_page(text)) == count_markup(render_error_page("x")));
  const auto error = error_json_body(text);
  FUZZ_CHECK(error.rfind(kXssiPrefix, 0) == 0);
  FUZZ_CHECK(nlohmann::json::parse(error.substr(kXssiPrefix.size()), nullptr, false).is_object());
}

}  // namespace
}  // namespace sshrelay::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay;
  using namespace sshrelay::fuzz;
  FuzzedDataProvider in(data, size);
  CookieRequest request;
  request.ext = extension_id(in);
  request.path = maybe_one_of(in, {kNasshRelayPagePath.data(), kNasshMainPagePath.data()});
  request.version = maybe_one_of(in, {"1", "2"});
  request.method = maybe_one_of(in, {"js-redirect", "direct", "close"});
  request.user = maybe_one_of(in, {"alice@example.com"});
  request.public_port = in.ConsumeIntegral<std::uint16_t>();
  request.public_host = in.ConsumeRandomLengthString(300);

  auto answer = answer_cookie(request);
  if (answer) {
    if (const auto* redirect = std::get_if<CookieRedirect>(&*answer)) check_redirect(redirect->url, request);
    if (const auto* json = std::get_if<CookieJson>(&*answer)) check_json(json->body, request);
    if (std::holds_alternative<CookieClose>(*answer)) FUZZ_CHECK(request.method == "close");
  } else if (answer.error().kind == ErrorKind::local) {
    FUZZ_CHECK(!validate_public_endpoint(request.public_host, request.public_port).ok());
  }
  if (auto body = endpoint_json_body(request.public_host, request.public_port)) {
    request.method = "direct";
    check_json(*body, request);
  }
  check_pages(in.ConsumeRandomLengthString(200), in.ConsumeRandomLengthString(40));
  return 0;
}
