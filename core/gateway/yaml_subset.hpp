#pragma once
// The part of YAML a gateway configuration file uses (ssh-mosh-wan-optimizer's config.yaml.example):
//
//   # comment                      blank lines and comments anywhere
//   host: "0.0.0.0"                top-level `key: value`, the value plain, 'single' or "double" quoted
//   port: 2222   # comment         a comment after a value
//   remote_known_hosts:            nothing, `~` or `null`: no value
//   passwords:                     a key with no value and indented lines under it: ONE level of
//     alice: "s3cr3t"              mapping, `key: value` scalars only
//
// Keys may be quoted too. A leading `---` is allowed. "Double quotes" take the escapes \\ \" \/ \n \r \t
// and \0 (others are refused). Scalars are the text as written, without YAML's number or boolean typing
// (PyYAML reads a password `1234` as a number; here it stays the text "1234"): the reader of a value
// decides what it means.
//
// Everything else is refused with "<file>:<line>: <what is not supported>": lists, flow collections
// ([…], {…}), anchors, aliases, tags, block and multi-line scalars, deeper nesting, tabs in indentation,
// directives, several documents, and a key given twice.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay::gateway {

struct YamlEntry {
  enum class Kind { null, scalar, mapping };

  std::string key;
  std::size_t line = 0;
  Kind kind = Kind::null;
  std::string text;               // Kind::scalar: quotes removed, escapes resolved
  bool quoted = false;            // Kind::scalar: written in quotes
  std::vector<YamlEntry> entries; // Kind::mapping: each null or scalar, in file order
};

// The top-level entries in file order. Errors are local errors reading "<file>:<line>: <what>".
Result<std::vector<YamlEntry>> parse_yaml_subset(std::string_view text, std::string_view file);

}  // namespace sshrelay::gateway
