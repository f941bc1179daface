#pragma once
// Jinja lexer: splits a template into text and tag tokens, applying whitespace control as the chat templates
// are rendered everywhere (trim_blocks, lstrip_blocks, `{%-`/`-%}`/`{{-`/`-}}`/`{#-`/`-#}`, `{%+`), removing
// comments, passing `{% raw %}` bodies through, and dropping one trailing newline (keep_trailing_newline
// off).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace glasswing::chat::jinja {

enum class TokenKind {
  Text,        // literal template text, whitespace control already applied
  VarBegin,    // {{
  VarEnd,      // }}
  BlockBegin,  // {%
  BlockEnd,    // %}
  Name,
  String,  // text holds the decoded value
  Int,
  Float,
  Op,  // text holds the operator: + - * / // % ** ~ == != < <= > >= = ( ) [ ] { } , . : |
  Eof,
};

struct Token {
  TokenKind kind = TokenKind::Eof;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0;
  int line = 1;
  int column = 1;
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

// Throws ChatTemplateError (Syntax) with line:column on an unterminated tag, comment or string, or an
// unexpected character.
std::vector<Token> tokenize(std::string_view source, const LexerOptions& options = {});

const char* token_kind_name(TokenKind kind);

}  // namespace glasswing::chat::jinja
