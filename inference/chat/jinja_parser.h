#pragma once
// Jinja parser: tokens to syntax tree, following Jinja2's grammar and operator precedence
// (condexpr < or < and < not < compare < +,- < ~ < *,/,//,% < ** < unary < filters/tests < postfix).
#include <string_view>

#include "inference/chat/jinja_ast.h"
#include "inference/chat/jinja_lexer.h"

namespace glasswing::chat::jinja {

// Throws ChatTemplateError (Syntax) with the line:column of the offending token. Nesting deeper than
// kMaxNesting (blocks or parentheses) is rejected so that hostile templates cannot exhaust the stack.
Program parse(std::string_view source, const LexerOptions& options = {});

inline constexpr int kMaxNesting = 200;

}  // namespace glasswing::chat::jinja
