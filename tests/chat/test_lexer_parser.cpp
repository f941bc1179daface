// Lexer and parser: tokens, positions, string escapes, whitespace control, syntax errors with line:column.
#include <catch2/catch.hpp>

#include "inference/chat/jinja_lexer.h"
#include "inference/chat/jinja_parser.h"
#include "tests/chat/chat_test_util.h"

using glasswing::chat::ChatTemplateError;
using glasswing::chat::test::error_of;
using glasswing::chat::test::render;
namespace jinja = glasswing::chat::jinja;
using jinja::TokenKind;

namespace {
ChatTemplateError syntax_error(const std::string& source) {
  try {
    jinja::parse(source);
  } catch (const ChatTemplateError& e) {
    return e;
  }
  FAIL("expected a syntax error for: " << source);
  throw;
}
}  // namespace

TEST_CASE("lexer splits text, tags and expression tokens with positions", "[chat][lexer]") {
  const auto toks = jinja::tokenize("ab{{ x.y|f(1, 2.5) }}\n{% if a >= 'q' %}");
  std::vector<TokenKind> kinds;
  for (const auto& t : toks) kinds.push_back(t.kind);
  const std::vector<TokenKind> want = {
      TokenKind::Text,  TokenKind::VarBegin, TokenKind::Name,   TokenKind::Op,     TokenKind::Name,
      TokenKind::Op,    TokenKind::Name,     TokenKind::Op,     TokenKind::Int,    TokenKind::Op,
      TokenKind::Float, TokenKind::Op,       TokenKind::VarEnd, TokenKind::Text,   TokenKind::BlockBegin,
      TokenKind::Name,  TokenKind::Name,     TokenKind::Op,     TokenKind::String, TokenKind::BlockEnd,
      TokenKind::Eof};
  REQUIRE(kinds == want);
  CHECK(toks[0].text == "ab");
  CHECK(toks[8].int_value == 1);
  CHECK(toks[10].float_value == 2.5);
  CHECK(toks[17].text == ">=");
  CHECK(toks[18].text == "q");
  CHECK(toks[14].line == 2);
  CHECK(toks[14].column == 1);
  CHECK(toks[16].column == 7);  // 'a'
}

TEST_CASE("lexer decodes Python string escapes", "[chat][lexer]") {
  const auto toks = jinja::tokenize(R"({{ 'a\n\t\'\\\x41\u00e9\U0001F30A\q' "it's" }})");
  REQUIRE(toks[1].kind == TokenKind::String);
  CHECK(toks[1].text == "a\n\t'\\A\xC3\xA9\xF0\x9F\x8C\x8A\\q");
  CHECK(toks[2].text == "it's");
  CHECK(render("{{ 'a' \"b\" }}") == "ab");  // adjacent literals concatenate
}

TEST_CASE("a '}}' inside a dict literal does not close the tag", "[chat][lexer]") {
  CHECK(render("{{ {'a': {'b': 1}} }}") == "{'a': {'b': 1}}");
  CHECK(render("{{ {'a': 1}['a']}}") == "1");
}

TEST_CASE("whitespace control: trim_blocks, lstrip_blocks and dashes", "[chat][whitespace]") {
  // trim_blocks drops the newline after a block tag; lstrip_blocks drops the indentation before it.
  CHECK(render("  {% if true %}\n    indented\n  {% endif %}\nafter") == "    indented\nafter");
  // ...but not around {{ }}.
  CHECK(render("x{{ 'y' }}\nz") == "xy\nz");
  // Only whitespace at the start of a line is stripped.
  CHECK(render("a {% if true %} b {% endif %} c") == "a  b  c");
  // Dashes strip all whitespace, newlines included, on their side.
  CHECK(render("{%- if true -%}   x   {%- endif -%}  \n  y  {{- ' z ' -}}  w") == "xy z w");
  CHECK(render("a  \n  {{- 'b' }}") == "ab");
  // {%+ disables lstrip_blocks for that tag.
  CHECK(render("  {%+ if true %}x{% endif %}") == "  x");
  // Comments vanish, with the same rules.
  CHECK(render("{# c #}a{#- c -#}   b {# c #}\nc") == "ab c");
  CHECK(render("  {# comment #}\nx") == "x");
  // One trailing newline of the template is dropped (keep_trailing_newline off).
  CHECK(render("x\n") == "x");
  CHECK(render("x\n\n") == "x\n");
  // CRLF is normalized.
  CHECK(render("a\r\nb") == "a\nb");
}

TEST_CASE("raw blocks are not evaluated", "[chat][lexer]") {
  CHECK(render("{% raw %}{{ not evaluated }}{% endraw %}") == "{{ not evaluated }}");
  CHECK(render("{%- raw -%}  {% x %}  {%- endraw %}") == "{% x %}");
}

TEST_CASE("operator precedence follows Jinja", "[chat][parser]") {
  CHECK(render("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 2 - 3 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }}") ==
        "7 9 5 64 4");
  // ~ binds tighter than + (so 'a' ~ 1 + 2 is ('a' ~ 1) + 2, an error) and looser than *; filters bind
  // tighter than every operator.
  CHECK(render("{{ 'a' ~ 2 * 3 }}") == "a6");
  CHECK(error_of("{{ 'a' ~ 1 + 2 }}").detail() == "can only concatenate str (not \"int\") to str");
  CHECK(render("{{ 'x' + ' y '|trim + 'z' }}") == "xyz");
  CHECK(render("{{ not x is defined }}") == "True");
  CHECK(render("{{ 1 < 2 < 3 }} {{ 1 < 2 > 3 }}") == "True False");
  CHECK(render("{{ 1 if 0 else 2 if 0 else 3 }}") == "3");
  CHECK(render("{{ 'a' if false }}|") == "|");
  CHECK(render("{{ 5 is divisibleby 3 }} {{ 6 is divisibleby(3) }} {{ 'a' is not none }}") ==
        "False True True");
}

TEST_CASE("syntax errors carry line and column", "[chat][parser][errors]") {
  auto e = syntax_error("line one\n{% if x %}\n  {{ 1 + }}\n{% endif %}");
  CHECK(e.kind() == ChatTemplateError::Kind::Syntax);
  CHECK(e.line() == 3);
  CHECK(e.column() == 10);
  CHECK(std::string(e.what()).find("line 3:10") != std::string::npos);

  e = syntax_error("{% if true %}never closed");
  CHECK(e.detail().find("'endif'") != std::string::npos);
  e = syntax_error("{% for x in y %}{% endif %}");
  CHECK(e.detail().find("endif") != std::string::npos);
  CHECK(e.column() == 20);
  CHECK(syntax_error("{% bogus %}").detail() == "unknown tag 'bogus'");
  CHECK(syntax_error("{{ 'abc }}").detail() == "unterminated string literal");
  CHECK(syntax_error("{{ x").detail().find("missing") != std::string::npos);
  CHECK(syntax_error("{# open comment").detail() == "missing end of comment tag");
  CHECK(syntax_error("{% break %}").detail().find("outside of a loop") != std::string::npos);
  CHECK(syntax_error("{{ a ? b }}").detail().find("unexpected character") != std::string::npos);
  CHECK(syntax_error("{{ }}").line() == 1);
  CHECK(syntax_error("{% macro m(a=1, b) %}{% endmacro %}").detail().find("non-default") !=
        std::string::npos);
}

TEST_CASE("nesting is bounded so hostile templates cannot overflow the stack", "[chat][parser][limits]") {
  std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  CHECK(syntax_error(deep).detail().find("nested too deeply") != std::string::npos);
  std::string blocks;
  for (int i = 0; i < 1000; ++i) blocks += "{% if true %}";
  CHECK(syntax_error(blocks).detail().find("nested too deeply") != std::string::npos);
  std::string nots = "{{ ";
  for (int i = 0; i < 5000; ++i) nots += "not ";
  CHECK(syntax_error(nots + "x }}").detail().find("nested too deeply") != std::string::npos);
  // Moderate nesting is fine.
  CHECK(render("{{ " + std::string(50, '(') + "7" + std::string(50, ')') + " }}") == "7");
}
