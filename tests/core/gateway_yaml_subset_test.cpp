// The YAML a gateway configuration uses: top-level scalars, quoting, comments, one level of mapping; the
// rest of YAML refused with the file, the line and what is not supported.
#include <gtest/gtest.h>

#include <string>

#include "core/gateway/yaml_subset.hpp"

namespace sshrelay::gateway {
namespace {

using Kind = YamlEntry::Kind;

std::string error_of(std::string_view text) {
  auto parsed = parse_yaml_subset(text, "gw.yaml");
  if (parsed) return "(parsed)";
  EXPECT_EQ(parsed.error().kind, ErrorKind::local);
  return parsed.error().message;
}

TEST(GatewayYamlSubset, ReadsScalarsCommentsAndOneMapping) {
  auto parsed = parse_yaml_subset(R"(# a comment
---
host: "0.0.0.0"
port: 2222   # trailing comment

path: /etc/gateway/host_key#not-a-comment
single: 'it''s # not a comment'
nothing:
tilde: ~
null_word: null
passwords:    # users
  alice: "s3cr3t"
  # a comment inside the mapping
  bob: p4ss word
    
  carol: ''
  dave:
last: x
)",
                                  "gw.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message;
  const auto& e = *parsed;
  ASSERT_EQ(e.size(), 9u);
  EXPECT_EQ(e[0].key, "host");
  EXPECT_EQ(e[0].kind, Kind::scalar);
  EXPECT_EQ(e[0].text, "0.0.0.0");
  EXPECT_TRUE(e[0].quoted);
  EXPECT_EQ(e[0].line, 3u);
  EXPECT_EQ(e[1].text, "2222");
  EXPECT_FALSE(e[1].quoted);
  EXPECT_EQ(e[2].text, "/etc/gateway/host_key#not-a-comment");
  EXPECT_EQ(e[3].text, "it's # not a comment");
  EXPECT_EQ(e[4].kind, Kind::null);
  EXPECT_EQ(e[5].kind, Kind::null);
  EXPECT_EQ(e[6].kind, Kind::null);
  EXPECT_EQ(e[7].key, "passwords");
  ASSERT_EQ(e[7].kind, Kind::mapping);
  ASSERT_EQ(e[7].entries.size(), 4u);
  EXPECT_EQ(e[7].entries[0].key, "alice");
  EXPECT_EQ(e[7].entries[0].text, "s3cr3t");
  EXPECT_EQ(e[7].entries[0].line, 12u);
  EXPECT_EQ(e[7].entries[1].text, "p4ss word");
  EXPECT_EQ(e[7].entries[2].text, "");
  EXPECT_EQ(e[7].entries[2].kind, Kind::scalar);
  EXPECT_EQ(e[7].entries[3].kind, Kind::null);
  EXPECT_EQ(e[8].key, "last");
  EXPECT_EQ(e[8].line, 18u);
}

TEST(GatewayYamlSubset, ResolvesDoubleQuoteEscapes) {
  auto parsed = parse_yaml_subset(R"(a: "x\"y\\z\/\n\r\t#")" "\n" R"("quoted key": 'v')" "\n", "gw.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ((*parsed)[0].text, "x\"y\\z/\n\r\t#");
  EXPECT_EQ((*parsed)[1].key, "quoted key");
  EXPECT_EQ((*parsed)[1].text, "v");
  auto nul = parse_yaml_subset("a: \"x\\0y\"", "gw.yaml");
  ASSERT_TRUE(nul);
  EXPECT_EQ((*nul)[0].text, std::string("x\0y", 3));
}

TEST(GatewayYamlSubset, ReadsCrLfAByteOrderMarkAndAnEmptyFile) {
  auto parsed = parse_yaml_subset("\xEF\xBB\xBFhost: a\r\nport: 1\r\n", "gw.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].text, "a");
  EXPECT_EQ((*parsed)[1].text, "1");
  auto empty = parse_yaml_subset("# only comments\n\n", "gw.yaml");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(GatewayYamlSubset, RefusesWhatItDoesNotReadNamingFileAndLine) {
  EXPECT_EQ(error_of("a: 1\n- item\n"), "gw.yaml:2: lists ('- item') are not supported");
  EXPECT_EQ(error_of("a:\n  - item\n"), "gw.yaml:2: lists ('- item') are not supported");
  EXPECT_EQ(error_of("a: [1, 2]\n"), "gw.yaml:1: flow collections ('[...]', '{...}') are not supported");
  EXPECT_EQ(error_of("a: {b: 1}\n"), "gw.yaml:1: flow collections ('[...]', '{...}') are not supported");
  EXPECT_EQ(error_of("a: &x 1\n"), "gw.yaml:1: anchors ('&name') are not supported");
  EXPECT_EQ(error_of("a: *x\n"), "gw.yaml:1: aliases ('*name') are not supported");
  EXPECT_EQ(error_of("a: !!str 1\n"), "gw.yaml:1: tags ('!tag') are not supported");
  EXPECT_EQ(error_of("? a\n"), "gw.yaml:1: complex keys ('? key') are not supported");
  EXPECT_EQ(error_of("a: @x\n"), "gw.yaml:1: '@' cannot start a plain value: put the value in quotes");
  EXPECT_EQ(error_of("authorized_keys_content: |\n  ssh-ed25519 AAAA alice\n"),
            "gw.yaml:1: block scalars ('|', '>') are not supported: write the value on one line, in double quotes "
            "with \\n for each line break");
  EXPECT_EQ(error_of("a: >-\n  folded\n"),
            "gw.yaml:1: block scalars ('|', '>') are not supported: write the value on one line, in double quotes "
            "with \\n for each line break");
  EXPECT_EQ(error_of("a: one\n  two\n"),
            "gw.yaml:2: an indented line under 'a', which has a value on its own line (multi-line values are not "
            "supported: write the value on one line)");
  EXPECT_EQ(error_of("a: ~\n  b: 1\n"),
            "gw.yaml:2: an indented line under 'a', which has a value on its own line (multi-line values are not "
            "supported: write the value on one line)");
  EXPECT_EQ(error_of("a: \"one\n  two\"\n"),
            "gw.yaml:1: no closing double quote on this line (multi-line values are not supported: write the value "
            "on one line)");
  EXPECT_EQ(error_of("a: 'one\n"),
            "gw.yaml:1: no closing single quote on this line (multi-line values are not supported: write the value "
            "on one line)");
  EXPECT_EQ(error_of("a: \"x\\\n"),
            "gw.yaml:1: a '\\' at the end of the line (multi-line values are not supported: write the value on one "
            "line)");
  EXPECT_EQ(error_of("a: \"\\u00e9\"\n"),
            "gw.yaml:1: the escape '\\u' is not supported in double quotes (only \\\\ \\\" \\/ \\n \\r \\t \\0)");
  EXPECT_EQ(error_of("a: \"x\" y\n"), "gw.yaml:1: text after the closing quote of 'a': \"y\"");
  EXPECT_EQ(error_of("a:\n\tb: 1\n"), "gw.yaml:2: a tab in the indentation (YAML indents with spaces only)");
  EXPECT_EQ(error_of("a:\n  \tb: 1\n"), "gw.yaml:2: a tab in the indentation (YAML indents with spaces only)");
  EXPECT_EQ(error_of("a:\n  b:\n    c: 1\n"),
            "gw.yaml:3: deeper indentation than the line above: only one level of nesting ('a:' and then indented "
            "'key: value' lines) is supported");
  EXPECT_EQ(error_of("a:\n    b: 1\n  c: 2\n"), "gw.yaml:3: indented by 2 spaces, the lines above it under 'a' by 4");
  EXPECT_EQ(error_of("  a: 1\n"), "gw.yaml:1: an indented line before any key (top-level keys start in column 1)");
  EXPECT_EQ(error_of("just a word\n"), "gw.yaml:1: \"just a word\" is not a 'key: value' line");
  EXPECT_EQ(error_of("a # b: c\n"), "gw.yaml:1: \"a # b: c\" is not a 'key: value' line");
  EXPECT_EQ(error_of("a:b\n"), "gw.yaml:1: \"a:b\" is not a 'key: value' line");
  EXPECT_EQ(error_of(": x\n"), "gw.yaml:1: a key is missing before ':'");
  EXPECT_EQ(error_of("'k' x\n"), "gw.yaml:1: expected ':' after the quoted key \"k\"");
  EXPECT_EQ(error_of("'k':x\n"), "gw.yaml:1: expected a space after ':'");
  EXPECT_EQ(error_of("a: b: c\n"),
            "gw.yaml:1: the value of 'a' has ': ' in it: put the value in quotes (a nested mapping goes on the lines "
            "below its key)");
  EXPECT_EQ(error_of("port: 1\nport: 2\n"), "gw.yaml:2: 'port' is given twice (also on line 1)");
  EXPECT_EQ(error_of("p:\n  alice: 1\n  alice: 2\n"), "gw.yaml:3: 'alice' is given twice (also on line 2)");
  EXPECT_EQ(error_of("a: 1\n---\nb: 2\n"), "gw.yaml:2: several documents ('---') are not supported");
  EXPECT_EQ(error_of("--- a: 1\n"), "gw.yaml:1: nothing may follow '---' on its line");
  EXPECT_EQ(error_of("a: 1\n...\n"), "gw.yaml:2: the document end marker ('...') is not supported");
  EXPECT_EQ(error_of("%YAML 1.2\n---\na: 1\n"), "gw.yaml:1: directives ('%YAML', '%TAG') are not supported");
}

TEST(GatewayYamlSubset, KeepsColonsAndHashesInsidePlainValues) {
  auto parsed = parse_yaml_subset("url: wss://relay.example.com:443/x#frag\ntime: 12:30\n", "gw.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ((*parsed)[0].text, "wss://relay.example.com:443/x#frag");
  EXPECT_EQ((*parsed)[1].text, "12:30");
}

}  // namespace
}  // namespace sshrelay::gateway
