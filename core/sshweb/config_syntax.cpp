#include "core/sshweb/config_syntax.hpp"

#include "core/common/text.hpp"

namespace sshrelay::sshweb {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

class Parser {
 public:
  Parser(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  Result<std::vector<ConfigStatement>> statements(bool in_block, std::size_t opened_at) {
    std::vector<ConfigStatement> out;
    ConfigStatement current;
    const auto finish = [&] {
      if (!current.words.empty()) out.push_back(std::move(current));
      current = ConfigStatement{};
    };
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        finish();
        ++pos_;
        ++line_;
      } else if (is_blank(c)) {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (c == '{' && brace_stands_alone()) {
        if (current.words.empty()) return error(line_, "'{' without a directive before it");
        const auto line = line_;
        ++pos_;
        auto block = statements(true, line);
        if (!block) return block.error();
        current.block = std::move(*block);
        finish();
      } else if (c == '}' && brace_stands_alone()) {
        if (!in_block) return error(line_, "'}' without a block to close");
        ++pos_;
        finish();
        return out;
      } else {
        if (current.words.empty()) current.line = line_;
        auto word = read_word();
        if (!word) return word.error();
        current.words.push_back(std::move(*word));
      }
    }
    if (in_block) return error(opened_at, "the block opened here is not closed ('}' missing)");
    finish();
    return out;
  }

 private:
  Error error(std::size_t line, const std::string& what) const {
    return local_error(std::string(file_) + ":" + std::to_string(line) + ": " + what);
  }

  // A brace is a block's only where a word would begin and nothing follows it but a blank: inside a
  // word it is the word's (a route's `{id}`).
  bool brace_stands_alone() const {
    const auto next = pos_ + 1;
    return next >= text_.size() || is_blank(text_[next]) || text_[next] == '\n' || text_[next] == '#';
  }

  Result<ConfigWord> read_word() {
    ConfigWord word;
    if (text_[pos_] == '"') {
      auto quoted = read_quoted();
      if (!quoted) return quoted.error();
      word.text = std::move(*quoted);
      word.quoted = true;
      return word;
    }
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (is_blank(c) || c == '\n') break;
      if (c == '[') {
        auto list = read_list();
        if (!list) return list.error();
        word.list = std::move(*list);
        break;
      }
      word.text.push_back(c);
      ++pos_;
    }
    return word;
  }

  Result<std::string> read_quoted() {
    const auto line = line_;
    ++pos_;  // the opening quote
    std::string out;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c == '\n') break;
      if (c == '\\' && pos_ < text_.size() && text_[pos_] != '\n') {
        out.push_back(text_[pos_++]);
        continue;
      }
      out.push_back(c);
    }
    return error(line, "a quoted word is not closed on its line");
  }

  Result<std::vector<std::string>> read_list() {
    const auto line = line_;
    ++pos_;  // '['
    std::string inside;
    while (pos_ < text_.size() && text_[pos_] != ']') {
      if (text_[pos_] == '\n') ++line_;
      inside.push_back(text_[pos_++]);
    }
    if (pos_ >= text_.size()) return error(line, "the list opened here is not closed (']' missing)");
    ++pos_;  // ']'
    std::vector<std::string> items;
    for (auto& item : split_list(inside)) {
      if (item.size() >= 2 && item.front() == '"' && item.back() == '"') item = item.substr(1, item.size() - 2);
      items.push_back(std::move(item));
    }
    return items;
  }

  std::string_view text_;
  std::string_view file_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

}  // namespace

Result<std::vector<ConfigStatement>> parse_config_syntax(std::string_view text, std::string_view file) {
  return Parser(text, file).statements(false, 0);
}

}  // namespace sshrelay::sshweb
