#include "core/gateway/yaml_subset.hpp"

#include <optional>

#include "core/common/quote.hpp"

namespace sshrelay::gateway {
namespace {

constexpr std::string_view kMultiLine = " (multi-line values are not supported: write the value on one line)";

std::string_view trim_left(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  return first == std::string_view::npos ? text.substr(text.size()) : text.substr(first);
}

std::string_view trim_right(std::string_view text) {
  const auto last = text.find_last_not_of(" \t");
  return last == std::string_view::npos ? text.substr(0, 0) : text.substr(0, last + 1);
}

// What a line may not start with (a key) or a value may not start with, and why; nullopt when fine.
std::optional<std::string> unsupported_start(std::string_view text) {
  const char c = text.front();
  const bool alone = text.size() == 1 || text[1] == ' ' || text[1] == '\t';
  if (c == '-' && alone) return "lists ('- item') are not supported";
  if (c == '?' && alone) return "complex keys ('? key') are not supported";
  if (c == '[' || c == '{') return "flow collections ('[...]', '{...}') are not supported";
  if (c == '&') return "anchors ('&name') are not supported";
  if (c == '*') return "aliases ('*name') are not supported";
  if (c == '!') return "tags ('!tag') are not supported";
  if (c == '|' || c == '>') {
    return "block scalars ('|', '>') are not supported: write the value on one line, in double quotes with \\n "
           "for each line break";
  }
  if (c == '@' || c == '`') return std::string("'") + c + "' cannot start a plain value: put the value in quotes";
  return std::nullopt;
}

class Reader {
 public:
  explicit Reader(std::string_view file) : file_(file) {}

  Result<std::vector<YamlEntry>> read(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    std::vector<YamlEntry> top;
    bool marker_allowed = true;  // `---` only before the first entry, once
    bool open = false;           // the last top-level key had nothing after its colon
    std::size_t child_indent = 0;
    std::size_t number = 0;
    while (!text.empty()) {
      const auto newline = text.find('\n');
      auto line = text.substr(0, newline);
      text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
      ++number;
      if (line.ends_with('\r')) line.remove_suffix(1);

      const auto first = line.find_first_not_of(" \t");
      if (first == std::string_view::npos || line[first] == '#') continue;
      if (line.substr(0, first).find('\t') != std::string_view::npos) {
        return error(number, "a tab in the indentation (YAML indents with spaces only)");
      }
      const std::size_t indent = first;
      const auto rest = line.substr(indent);

      if (indent == 0) {
        if (rest.starts_with("---") && (rest.size() == 3 || rest[3] == ' ' || rest[3] == '\t')) {
          if (!marker_allowed) return error(number, "several documents ('---') are not supported");
          const auto after = trim_left(rest.substr(3));
          if (!after.empty() && after.front() != '#') return error(number, "nothing may follow '---' on its line");
          marker_allowed = false;
          continue;
        }
        if (rest.starts_with("...")) return error(number, "the document end marker ('...') is not supported");
        if (rest.front() == '%') return error(number, "directives ('%YAML', '%TAG') are not supported");
        marker_allowed = false;
        YamlEntry entry;
        auto read = this->entry(rest, number, entry, open);
        if (!read) return read.error();
        if (auto twice = duplicate(top, entry)) return *twice;
        top.push_back(std::move(entry));
        child_indent = 0;
        continue;
      }

      if (top.empty()) return error(number, "an indented line before any key (top-level keys start in column 1)");
      auto& parent = top.back();
      if (parent.kind == YamlEntry::Kind::scalar || (parent.kind == YamlEntry::Kind::null && !open)) {
        return error(number, "an indented line under '" + parent.key + "', which has a value on its own line" +
                                 std::string(kMultiLine));
      }
      if (parent.kind == YamlEntry::Kind::null) {
        parent.kind = YamlEntry::Kind::mapping;
        child_indent = indent;
      } else if (indent > child_indent) {
        return error(number, "deeper indentation than the line above: only one level of nesting ('" + parent.key +
                                 ":' and then indented 'key: value' lines) is supported");
      } else if (indent < child_indent) {
        return error(number, "indented by " + std::to_string(indent) + " spaces, the lines above it under '" +
                                 parent.key + "' by " + std::to_string(child_indent));
      }
      YamlEntry child;
      bool child_open = false;
      auto read = this->entry(rest, number, child, child_open);
      if (!read) return read.error();
      if (auto twice = duplicate(parent.entries, child)) return *twice;
      parent.entries.push_back(std::move(child));
    }
    return top;
  }

 private:
  Error error(std::size_t line, const std::string& what) const {
    return local_error(std::string(file_) + ":" + std::to_string(line) + ": " + what);
  }

  std::optional<Error> duplicate(const std::vector<YamlEntry>& entries, const YamlEntry& entry) const {
    for (const auto& other : entries) {
      if (other.key == entry.key) {
        return error(entry.line, "'" + entry.key + "' is given twice (also on line " + std::to_string(other.line) + ")");
      }
    }
    return std::nullopt;
  }

  // `key: value` without its indentation. `open`: nothing after the colon (a mapping may follow).
  Status entry(std::string_view rest, std::size_t line, YamlEntry& out, bool& open) const {
    out.line = line;
    open = false;
    if (auto why = unsupported_start(rest)) return error(line, *why);
    if (rest.front() == '"' || rest.front() == '\'') {
      auto key = quoted(rest, line);
      if (!key) return key.error();
      out.key = std::move(key).value();
      rest = trim_left(rest);
      if (!rest.starts_with(':')) return error(line, "expected ':' after the quoted key " + quote(out.key));
      rest.remove_prefix(1);
      if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') {
        return error(line, "expected a space after ':'");
      }
    } else {
      std::size_t colon = 0;
      while (colon < rest.size() && !(rest[colon] == ':' && (colon + 1 == rest.size() || rest[colon + 1] == ' ' ||
                                                               rest[colon + 1] == '\t'))) {
        if (colon > 0 && rest[colon] == '#' && (rest[colon - 1] == ' ' || rest[colon - 1] == '\t')) break;
        ++colon;
      }
      if (colon == rest.size() || rest[colon] != ':') {
        return error(line, quote(trim_right(rest)) + " is not a 'key: value' line");
      }
      out.key = std::string(trim_right(rest.substr(0, colon)));
      rest.remove_prefix(colon + 1);
    }
    if (out.key.empty()) return error(line, "a key is missing before ':'");

    rest = trim_left(rest);
    if (rest.empty() || rest.front() == '#') {
      out.kind = YamlEntry::Kind::null;
      open = true;
      return Ok{};
    }
    if (rest.front() == '"' || rest.front() == '\'') {
      auto text = quoted(rest, line);
      if (!text) return text.error();
      rest = trim_left(rest);
      if (!rest.empty() && rest.front() != '#') {
        return error(line, "text after the closing quote of '" + out.key + "': " + quote(rest));
      }
      out.kind = YamlEntry::Kind::scalar;
      out.text = std::move(text).value();
      out.quoted = true;
      return Ok{};
    }
    if (auto why = unsupported_start(rest)) return error(line, *why);
    std::size_t end = 0;
    while (end < rest.size() && !(rest[end] == '#' && (rest[end - 1] == ' ' || rest[end - 1] == '\t'))) ++end;
    const auto value = trim_right(rest.substr(0, end));
    if (value.find(": ") != std::string_view::npos || value.find(":\t") != std::string_view::npos ||
        value.ends_with(':')) {
      return error(line, "the value of '" + out.key + "' has ': ' in it: put the value in quotes" +
                             " (a nested mapping goes on the lines below its key)");
    }
    if (value == "~" || value == "null" || value == "Null" || value == "NULL") {
      out.kind = YamlEntry::Kind::null;
      return Ok{};
    }
    out.kind = YamlEntry::Kind::scalar;
    out.text = std::string(value);
    return Ok{};
  }

  // The quoted scalar at the start of `rest` (which starts with its quote); `rest` is left after the
  // closing quote.
  Result<std::string> quoted(std::string_view& rest, std::size_t line) const {
    const char q = rest.front();
    std::string out;
    for (std::size_t i = 1; i < rest.size(); ++i) {
      const char c = rest[i];
      if (q == '\'' && c == '\'') {
        if (i + 1 < rest.size() && rest[i + 1] == '\'') {
          out += '\'';
          ++i;
          continue;
        }
        rest.remove_prefix(i + 1);
        return out;
      }
      if (q == '"' && c == '"') {
        rest.remove_prefix(i + 1);
        return out;
      }
      if (q == '"' && c == '\\') {
        if (i + 1 == rest.size()) return error(line, "a '\\' at the end of the line" + std::string(kMultiLine));
        const char e = rest[++i];
        switch (e) {
          case '\\': case '"': case '/': out += e; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case '0': out += '\0'; break;
          default:
            return error(line, std::string("the escape '\\") + e +
                                   "' is not supported in double quotes (only \\\\ \\\" \\/ \\n \\r \\t \\0)");
        }
        continue;
      }
      out += c;
    }
    return error(line, std::string("no closing ") + (q == '"' ? "double" : "single") + " quote on this line" +
                           std::string(kMultiLine));
  }

  std::string_view file_;
};

}  // namespace

Result<std::vector<YamlEntry>> parse_yaml_subset(std::string_view text, std::string_view file) {
  return Reader(file).read(text);
}

}  // namespace sshrelay::gateway
