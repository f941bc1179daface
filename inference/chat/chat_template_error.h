#pragma once
// The one error type of the chat-template engine. Every failure of parsing or rendering a template (bad
// syntax, a runtime type error, an undefined variable used where Jinja would fail, raise_exception() called
// by the template, a runaway loop or recursion) surfaces as a ChatTemplateError; nothing else escapes.
#include <stdexcept>
#include <string>

namespace glasswing::chat {

class ChatTemplateError : public std::runtime_error {
 public:
  enum class Kind {
    Syntax,   // the template does not parse
    Runtime,  // evaluation failed (type error, undefined used, limit exceeded)
    Raised,   // the template called raise_exception(msg)
  };

  // line/column are 1-based; 0 means "unknown".
  ChatTemplateError(Kind kind, std::string detail, int line = 0, int column = 0)
      : std::runtime_error(format(kind, detail, line, column)),
        kind_(kind),
        detail_(std::move(detail)),
        line_(line),
        column_(column) {}

  Kind kind() const { return kind_; }
  // The bare message, as Jinja words it (for raise_exception: exactly the template's message).
  const std::string& detail() const { return detail_; }
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  static std::string format(Kind kind, const std::string& detail, int line, int column) {
    std::string where = line > 0 ? " at line " + std::to_string(line) + ":" + std::to_string(column) : "";
    switch (kind) {
      case Kind::Syntax:
        return "chat template syntax error" + where + ": " + detail;
      case Kind::Runtime:
        return "chat template error" + where + ": " + detail;
      case Kind::Raised:
        return "chat template raised an exception" + where + ": " + detail;
    }
    return detail;
  }

  Kind kind_;
  std::string detail_;
  int line_;
  int column_;
};

}  // namespace glasswing::chat
