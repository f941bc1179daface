#include "inference/chat/jinja_lexer.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "inference/chat/chat_template_error.h"
#include "inference/chat/jinja_text.h"

namespace glasswing::chat::jinja {

const char* token_kind_name(TokenKind kind) {
  switch (kind) {
    case TokenKind::Text:
      return "template text";
    case TokenKind::VarBegin:
      return "'{{'";
    case TokenKind::VarEnd:
      return "'}}'";
    case TokenKind::BlockBegin:
      return "'{%'";
    case TokenKind::BlockEnd:
      return "'%}'";
    case TokenKind::Name:
      return "name";
    case TokenKind::String:
      return "string";
    case TokenKind::Int:
      return "integer";
    case TokenKind::Float:
      return "float";
    case TokenKind::Op:
      return "operator";
    case TokenKind::Eof:
      return "end of template";
  }
  return "token";
}

namespace {

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

class Lexer {
 public:
  Lexer(std::string source, const LexerOptions& options) : src_(std::move(source)), opt_(options) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i)
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
  }

  std::vector<Token> run() {
    size_t pos = 0;
    bool strip_next = false;  // the previous tag ended with '-': strip leading whitespace of the next text
    while (pos < src_.size()) {
      const size_t at = find_tag(pos);
      std::string text = src_.substr(pos, at - pos);
      const bool line_starting = pos == 0 || src_[pos - 1] == '\n';
      if (strip_next) {
        size_t k = 0;
        while (k < text.size() && is_ws(text[k])) ++k;
        text.erase(0, k);
      }
      strip_next = false;
      if (at >= src_.size()) {
        push_text(std::move(text), pos);
        break;
      }
      const char type = src_[at + 1];  // '{', '%' or '#'
      const char marker = at + 2 < src_.size() ? src_[at + 2] : '\0';
      if (marker == '-') {
        while (!text.empty() && is_ws(text.back())) text.pop_back();
      } else if (type != '{' && marker != '+' && opt_.lstrip_blocks) {
        lstrip_line(text, line_starting);
      }
      push_text(std::move(text), pos);
      size_t p = at + 2 + ((marker == '-' || (marker == '+' && type != '{')) ? 1 : 0);

      if (type == '#') {
        const size_t end = src_.find("#}", p);
        if (end == std::string::npos) fail("missing end of comment tag", at);
        pos = end + 2;
        if (end > p && src_[end - 1] == '-')
          strip_next = true;
        else if (opt_.trim_blocks)
          pos = skip_newline(pos);
        continue;
      }
      if (type == '%' && try_raw(p, at, pos, strip_next)) continue;

      Token begin;
      begin.kind = type == '{' ? TokenKind::VarBegin : TokenKind::BlockBegin;
      locate(begin, at);
      tokens_.push_back(begin);
      pos = lex_tag(p, type == '{' ? '}' : '%', at, strip_next);
      if (type == '%' && !strip_next && opt_.trim_blocks) pos = skip_newline(pos);
    }
    Token eof;
    eof.kind = TokenKind::Eof;
    locate(eof, src_.size());
    tokens_.push_back(eof);
    return std::move(tokens_);
  }

 private:
  size_t find_tag(size_t pos) const {
    while (true) {
      const size_t at = src_.find('{', pos);
      if (at == std::string::npos || at + 1 >= src_.size()) return src_.size();
      const char n = src_[at + 1];
      if (n == '{' || n == '%' || n == '#') return at;
      pos = at + 1;
    }
  }

  // lstrip_blocks: spaces and tabs between the start of the line and a block or comment tag go away.
  static void lstrip_line(std::string& text, bool line_starting) {
    const size_t nl = text.rfind('\n');
    if (nl == std::string::npos && !line_starting) return;
    const size_t from = nl == std::string::npos ? 0 : nl + 1;
    for (size_t k = from; k < text.size(); ++k)
      if (text[k] != ' ' && text[k] != '\t') return;
    text.erase(from);
  }

  size_t skip_newline(size_t pos) const {
    if (pos < src_.size() && src_[pos] == '\n') return pos + 1;
    return pos;
  }

  void push_text(std::string text, size_t pos) {
    if (text.empty()) return;
    Token t;
    t.kind = TokenKind::Text;
    t.text = std::move(text);
    locate(t, pos);
    tokens_.push_back(std::move(t));
  }

  void locate(Token& t, size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    const size_t line = static_cast<size_t>(it - line_starts_.begin());
    t.line = static_cast<int>(line);
    t.column = static_cast<int>(text::length(
                   std::string_view(src_).substr(line_starts_[line - 1], offset - line_starts_[line - 1]))) +
               1;
  }

  [[noreturn]] void fail(const std::string& message, size_t offset) const {
    Token t;
    locate(t, offset);
    throw ChatTemplateError(ChatTemplateError::Kind::Syntax, message, t.line, t.column);
  }

  // {% raw %}...{% endraw %}: the body is text, untouched by the lexer.
  bool try_raw(size_t p, size_t tag_start, size_t& pos, bool& strip_next) {
    size_t q = p;
    while (q < src_.size() && is_ws(src_[q])) ++q;
    if (src_.compare(q, 3, "raw") != 0 || (q + 3 < src_.size() && is_name_char(src_[q + 3]))) return false;
    q += 3;
    while (q < src_.size() && is_ws(src_[q])) ++q;
    bool strip_body_start = false;
    if (q < src_.size() && src_[q] == '-') {
      strip_body_start = true;
      ++q;
    }
    if (src_.compare(q, 2, "%}") != 0) fail("expected '%}' after 'raw'", q);
    size_t body = q + 2;
    // Find {% endraw %} (with optional whitespace control).
    size_t search = body;
    while (true) {
      const size_t e = src_.find("{%", search);
      if (e == std::string::npos) fail("missing '{% endraw %}' for this raw block", tag_start);
      size_t r = e + 2;
      const bool strip_before = r < src_.size() && src_[r] == '-';
      if (r < src_.size() && (src_[r] == '-' || src_[r] == '+')) ++r;
      while (r < src_.size() && is_ws(src_[r])) ++r;
      if (src_.compare(r, 6, "endraw") != 0) {
        search = e + 2;
        continue;
      }
      r += 6;
      while (r < src_.size() && is_ws(src_[r])) ++r;
      bool strip_after = false;
      if (r < src_.size() && src_[r] == '-') {
        strip_after = true;
        ++r;
      }
      if (src_.compare(r, 2, "%}") != 0) fail("expected '%}' after 'endraw'", r);
      std::string text = src_.substr(body, e - body);
      if (strip_body_start) {
        size_t k = 0;
        while (k < text.size() && is_ws(text[k])) ++k;
        text.erase(0, k);
      } else if (opt_.trim_blocks && !text.empty() && text[0] == '\n') {
        text.erase(0, 1);
      }
      if (strip_before) {
        while (!text.empty() && is_ws(text.back())) text.pop_back();
      } else if (opt_.lstrip_blocks) {
        lstrip_line(text, false);
      }
      push_text(std::move(text), body);
      pos = r + 2;
      strip_next = strip_after;
      if (!strip_after && opt_.trim_blocks) pos = skip_newline(pos);
      return true;
    }
  }

  // Tokenizes the inside of {{ }} or {% %} starting at p; returns the offset after the closing delimiter.
  size_t lex_tag(size_t p, char closer, size_t tag_start, bool& strip_next) {
    int depth = 0;  // open ( [ {: a '}}' inside a dict literal does not close the tag
    while (true) {
      while (p < src_.size() && is_ws(src_[p])) ++p;
      if (p >= src_.size()) fail(std::string("missing '") + closer + "}' to close this tag", tag_start);
      const char c = src_[p];
      if (depth == 0) {
        const bool dash = c == '-' && p + 2 < src_.size() && src_[p + 1] == closer && src_[p + 2] == '}';
        if (dash || (c == closer && p + 1 < src_.size() && src_[p + 1] == '}')) {
          Token end;
          end.kind = closer == '}' ? TokenKind::VarEnd : TokenKind::BlockEnd;
          locate(end, p);
          tokens_.push_back(end);
          strip_next = dash;
          return p + (dash ? 3 : 2);
        }
      }
      Token t;
      locate(t, p);
      if (is_name_start(c)) {
        size_t e = p;
        while (e < src_.size() && is_name_char(src_[e])) ++e;
        t.kind = TokenKind::Name;
        t.text = src_.substr(p, e - p);
        p = e;
      } else if (is_digit(c)) {
        p = lex_number(p, t);
      } else if (c == '\'' || c == '"') {
        p = lex_string(p, t);
      } else {
        static const char* ops2[] = {"**", "//", "==", "!=", "<=", ">="};
        std::string op;
        for (const char* o : ops2)
          if (src_.compare(p, 2, o) == 0) op = o;
        if (op.empty()) {
          if (std::string_view("+-*/%~<>=()[]{},.:|").find(c) == std::string_view::npos)
            fail(std::string("unexpected character '") + c + "'", p);
          op = std::string(1, c);
        }
        if (op == "(" || op == "[" || op == "{") ++depth;
        if (op == ")" || op == "]" || op == "}") {
          if (depth == 0) fail("unexpected '" + op + "'", p);
          --depth;
        }
        t.kind = TokenKind::Op;
        t.text = op;
        p += op.size();
      }
      tokens_.push_back(std::move(t));
    }
  }

  size_t lex_number(size_t p, Token& t) {
    size_t e = p;
    auto digits = [&] {
      while (e < src_.size() &&
             (is_digit(src_[e]) || (src_[e] == '_' && e + 1 < src_.size() && is_digit(src_[e + 1]))))
        ++e;
    };
    digits();
    bool is_float = false;
    if (e + 1 < src_.size() && src_[e] == '.' && is_digit(src_[e + 1])) {
      is_float = true;
      ++e;
      digits();
    }
    if (e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
      size_t k = e + 1;
      if (k < src_.size() && (src_[k] == '+' || src_[k] == '-')) ++k;
      if (k < src_.size() && is_digit(src_[k])) {
        is_float = true;
        e = k;
        digits();
      }
    }
    std::string s;
    for (size_t k = p; k < e; ++k)
      if (src_[k] != '_') s.push_back(src_[k]);
    t.text = s;
    if (is_float) {
      t.kind = TokenKind::Float;
      t.float_value = std::strtod(s.c_str(), nullptr);
    } else {
      t.kind = TokenKind::Int;
      errno = 0;
      char* end = nullptr;
      t.int_value = std::strtoll(s.c_str(), &end, 10);
      if (errno == ERANGE) fail("integer literal too large: " + s, p);
    }
    return e;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Python string-literal escapes, as Jinja decodes them.
  size_t lex_string(size_t p, Token& t) {
    const char quote = src_[p];
    std::string out;
    size_t i = p + 1;
    while (true) {
      if (i >= src_.size()) fail("unterminated string literal", p);
      const char c = src_[i];
      if (c == quote) {
        ++i;
        break;
      }
      if (c != '\\') {
        out.push_back(c);
        ++i;
        continue;
      }
      if (i + 1 >= src_.size()) fail("unterminated string literal", p);
      const char e = src_[i + 1];
      i += 2;
      switch (e) {
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '\'':
          out.push_back('\'');
          break;
        case '"':
          out.push_back('"');
          break;
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case '0':
          out.push_back('\0');
          break;
        case '\n':
          break;  // line continuation
        case 'x':
        case 'u':
        case 'U': {
          const int n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          char32_t cp = 0;
          for (int k = 0; k < n; ++k) {
            const int h = i + k < src_.size() ? hex_value(src_[i + k]) : -1;
            if (h < 0) fail(std::string("truncated \\") + e + " escape in string literal", i - 2);
            cp = cp * 16 + static_cast<char32_t>(h);
          }
          if (cp > 0x10FFFF) fail("invalid unicode escape in string literal", i - 2);
          i += static_cast<size_t>(n);
          text::append_utf8(out, cp);
          break;
        }
        default:
          out.push_back('\\');
          out.push_back(e);
      }
    }
    t.kind = TokenKind::String;
    t.text = std::move(out);
    return i;
  }

  std::string src_;
  LexerOptions opt_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
};

std::string normalize_newlines(std::string_view source, bool keep_trailing_newline) {
  std::string s;
  s.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      s.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      s.push_back(source[i]);
    }
  }
  if (!keep_trailing_newline && !s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

}  // namespace

std::vector<Token> tokenize(std::string_view source, const LexerOptions& options) {
  return Lexer(normalize_newlines(source, options.keep_trailing_newline), options).run();
}

}  // namespace glasswing::chat::jinja
