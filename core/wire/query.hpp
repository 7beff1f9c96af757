#pragma once
// Query strings of the relay's request targets: the one percent-encoding rule every client uses, and
// decoded parameters as the relay hands them to an endpoint's parser.
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace sshrelay {

// Percent-encodes every byte outside ALPHA / DIGIT / "-" / "." / "_" / "~", so no server can read a '+'
// as a space or a '&' in a user name as a new parameter.
std::string percent_encode_component(std::string_view value);

// Decoded query parameters, one value per name (a repeated name is refused by whoever made them: a proxy
// and the relay could otherwise each read a different one).
using QueryParams = std::map<std::string, std::string, std::less<>>;

}  // namespace sshrelay
