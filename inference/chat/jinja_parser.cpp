#include "inference/chat/jinja_parser.h"

#include <set>

#include "inference/chat/chat_template_error.h"

namespace glasswing::chat::jinja {

namespace {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  Program run() {
    Program p;
    std::string end;
    p.body = parse_body({}, end);
    return p;
  }

 private:
  // ---- token helpers ----
  const Token& cur() const { return toks_[pos_]; }
  const Token& peek(size_t n = 1) const { return toks_[std::min(pos_ + n, toks_.size() - 1)]; }
  void advance() {
    if (pos_ + 1 < toks_.size()) ++pos_;
  }
  bool is_op(std::string_view op) const { return cur().kind == TokenKind::Op && cur().text == op; }
  bool is_name(std::string_view name) const { return cur().kind == TokenKind::Name && cur().text == name; }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case TokenKind::Name:
      case TokenKind::Op:
      case TokenKind::Int:
      case TokenKind::Float:
        return "'" + t.text + "'";
      case TokenKind::String:
        return "string";
      default:
        return token_kind_name(t.kind);
    }
  }

  [[noreturn]] void fail(const std::string& message, const Token& at) const {
    throw ChatTemplateError(ChatTemplateError::Kind::Syntax, message, at.line, at.column);
  }
  [[noreturn]] void fail(const std::string& message) const { fail(message, cur()); }

  void expect_op(std::string_view op) {
    if (!is_op(op)) fail("expected '" + std::string(op) + "', got " + describe(cur()));
    advance();
  }
  void expect_name(std::string_view name) {
    if (!is_name(name)) fail("expected '" + std::string(name) + "', got " + describe(cur()));
    advance();
  }
  std::string expect_identifier() {
    if (cur().kind != TokenKind::Name) fail("expected a name, got " + describe(cur()));
    std::string n = cur().text;
    advance();
    return n;
  }
  void expect_block_end(std::string_view tag) {
    if (cur().kind != TokenKind::BlockEnd)
      fail("expected end of '" + std::string(tag) + "' tag ('%}'), got " + describe(cur()));
    advance();
  }

  template <class T>
  std::unique_ptr<T> make(const Token& at) {
    auto n = std::make_unique<T>();
    n->line = at.line;
    n->column = at.column;
    return n;
  }

  struct DepthGuard {
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxNesting)
        p_.fail("template nested too deeply (more than " + std::to_string(kMaxNesting) + " levels)");
    }
    ~DepthGuard() { --p_.depth_; }
    Parser& p_;
  };

  // ---- statements ----

  // Parses statements until one of `ends` opens a block tag; returns with that name consumed (in `end`).
  Body parse_body(const std::set<std::string>& ends, std::string& end) {
    DepthGuard guard(*this);
    Body body;
    while (true) {
      const Token& t = cur();
      switch (t.kind) {
        case TokenKind::Eof:
          if (!ends.empty()) {
            std::string list;
            for (const auto& e : ends) list += (list.empty() ? "'" : " or '") + e + "'";
            fail("unexpected end of template, expected " + list + " (a block was not closed)", t);
          }
          end.clear();
          return body;
        case TokenKind::Text: {
          auto s = make<TextStmt>(t);
          s->text = t.text;
          advance();
          body.push_back(std::move(s));
          break;
        }
        case TokenKind::VarBegin: {
          auto s = make<OutputStmt>(t);
          advance();
          s->expr = parse_tuple(true);
          if (cur().kind != TokenKind::VarEnd)
            fail("expected end of print statement ('}}'), got " + describe(cur()));
          advance();
          body.push_back(std::move(s));
          break;
        }
        case TokenKind::BlockBegin: {
          advance();
          const Token& name_tok = cur();
          if (name_tok.kind != TokenKind::Name)
            fail("expected a tag name after '{%', got " + describe(name_tok));
          if (ends.count(name_tok.text)) {
            end = name_tok.text;
            advance();
            return body;
          }
          body.push_back(parse_statement());
          break;
        }
        default:
          fail("unexpected " + describe(t));
      }
    }
  }

  StmtPtr parse_statement() {
    const Token& t = cur();
    const std::string tag = t.text;
    if (tag == "if") return parse_if();
    if (tag == "for") return parse_for();
    if (tag == "set") return parse_set();
    if (tag == "macro") return parse_macro();
    if (tag == "call") return parse_call_block();
    if (tag == "filter") return parse_filter_block();
    if (tag == "with") return parse_with();
    if (tag == "generation") return parse_generation();
    if (tag == "do") {
      auto s = make<DoStmt>(t);
      advance();
      s->expr = parse_tuple(true);
      expect_block_end("do");
      return s;
    }
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) fail("'" + tag + "' outside of a loop", t);
      advance();
      expect_block_end(tag);
      if (tag == "break") return make<BreakStmt>(t);
      return make<ContinueStmt>(t);
    }
    static const std::set<std::string> enders = {"endif",   "elif",          "else",    "endfor",
                                                 "endset",  "endmacro",      "endcall", "endfilter",
                                                 "endwith", "endgeneration", "endraw"};
    if (enders.count(tag)) fail("unexpected '" + tag + "' (no open block it could close)", t);
    fail("unknown tag '" + tag + "'", t);
  }

  StmtPtr parse_if() {
    auto s = make<IfStmt>(cur());
    advance();
    ExprPtr cond = parse_tuple(true);
    expect_block_end("if");
    while (true) {
      std::string end;
      Body body = parse_body({"elif", "else", "endif"}, end);
      s->branches.emplace_back(std::move(cond), std::move(body));
      if (end == "elif") {
        cond = parse_tuple(true);
        expect_block_end("elif");
        continue;
      }
      if (end == "else") {
        expect_block_end("else");
        s->otherwise = parse_body({"endif"}, end);
      }
      expect_block_end("endif");
      return s;
    }
  }

  std::vector<std::string> parse_target_names() {
    std::vector<std::string> names;
    const bool paren = is_op("(");
    if (paren) advance();
    names.push_back(expect_identifier());
    while (is_op(",")) {
      advance();
      if (cur().kind != TokenKind::Name) break;  // trailing comma
      names.push_back(expect_identifier());
    }
    if (paren) expect_op(")");
    return names;
  }

  StmtPtr parse_for() {
    auto s = make<ForStmt>(cur());
    advance();
    s->targets = parse_target_names();
    expect_name("in");
    s->iterable = parse_tuple(false);
    if (is_name("if")) {
      advance();
      s->filter = parse_expression(true);
    }
    if (is_name("recursive")) fail("recursive loops are not supported");
    expect_block_end("for");
    std::string end;
    ++loop_depth_;
    s->body = parse_body({"endfor", "else"}, end);
    --loop_depth_;
    if (end == "else") {
      expect_block_end("else");
      s->otherwise = parse_body({"endfor"}, end);
    }
    expect_block_end("endfor");
    return s;
  }

  SetTarget parse_set_target() {
    SetTarget target;
    target.names.push_back(expect_identifier());
    if (is_op(".")) {
      advance();
      target.attribute = expect_identifier();
      return target;
    }
    while (is_op(",")) {
      advance();
      target.names.push_back(expect_identifier());
    }
    return target;
  }

  std::vector<std::unique_ptr<FilterExpr>> parse_filter_chain(bool leading_pipe) {
    std::vector<std::unique_ptr<FilterExpr>> filters;
    bool first = true;
    while (true) {
      if (leading_pipe || !first) {
        if (!is_op("|")) break;
        advance();
      }
      first = false;
      filters.push_back(parse_filter_name_and_args(nullptr));
    }
    return filters;
  }

  StmtPtr parse_set() {
    const Token& at = cur();
    advance();
    SetTarget target = parse_set_target();
    if (is_op("=")) {
      advance();
      auto s = make<SetStmt>(at);
      s->target = std::move(target);
      s->value = parse_tuple(true);
      expect_block_end("set");
      return s;
    }
    auto s = make<SetBlockStmt>(at);
    if (target.names.size() != 1 || !target.attribute.empty())
      fail("a block 'set' assigns exactly one name", at);
    s->target = std::move(target);
    s->filters = parse_filter_chain(true);
    expect_block_end("set");
    std::string end;
    s->body = parse_body({"endset"}, end);
    expect_block_end("endset");
    return s;
  }

  std::vector<MacroParam> parse_params() {
    std::vector<MacroParam> params;
    expect_op("(");
    while (!is_op(")")) {
      if (!params.empty()) expect_op(",");
      if (is_op(")")) break;
      MacroParam p;
      p.name = expect_identifier();
      if (is_op("=")) {
        advance();
        p.default_value = parse_expression(true);
      } else if (!params.empty() && params.back().default_value) {
        fail("non-default argument '" + p.name + "' follows default argument");
      }
      params.push_back(std::move(p));
    }
    advance();
    return params;
  }

  StmtPtr parse_macro() {
    auto s = make<MacroStmt>(cur());
    advance();
    s->name = expect_identifier();
    s->params = parse_params();
    expect_block_end("macro");
    std::string end;
    const int saved_loops = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_body({"endmacro"}, end);
    loop_depth_ = saved_loops;
    if (cur().kind == TokenKind::Name) advance();  // {% endmacro name %}
    expect_block_end("endmacro");
    return s;
  }

  StmtPtr parse_call_block() {
    auto s = make<CallBlockStmt>(cur());
    advance();
    if (is_op("(")) s->caller_params = parse_params();
    const Token& call_at = cur();
    ExprPtr e = parse_expression(true);
    if (e->kind != ExprKind::Call) fail("expected a macro call after 'call'", call_at);
    s->call.reset(static_cast<CallExpr*>(e.release()));
    expect_block_end("call");
    std::string end;
    const int saved_loops = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_body({"endcall"}, end);
    loop_depth_ = saved_loops;
    expect_block_end("endcall");
    return s;
  }

  StmtPtr parse_filter_block() {
    auto s = make<FilterBlockStmt>(cur());
    advance();
    s->filters = parse_filter_chain(false);
    expect_block_end("filter");
    std::string end;
    s->body = parse_body({"endfilter"}, end);
    expect_block_end("endfilter");
    return s;
  }

  StmtPtr parse_with() {
    auto s = make<WithStmt>(cur());
    advance();
    while (cur().kind != TokenKind::BlockEnd) {
      if (!s->assignments.empty()) expect_op(",");
      std::string name = expect_identifier();
      expect_op("=");
      s->assignments.emplace_back(std::move(name), parse_expression(true));
    }
    expect_block_end("with");
    std::string end;
    s->body = parse_body({"endwith"}, end);
    expect_block_end("endwith");
    return s;
  }

  // {% generation %} (Hugging Face's assistant-mask extension) renders its body unchanged.
  StmtPtr parse_generation() {
    auto s = make<WithStmt>(cur());
    advance();
    expect_block_end("generation");
    std::string end;
    s->body = parse_body({"endgeneration"}, end);
    expect_block_end("endgeneration");
    return s;
  }

  // ---- expressions ----

  // An expression, or several separated by commas (a tuple without parentheses).
  ExprPtr parse_tuple(bool with_condexpr) {
    const Token& at = cur();
    ExprPtr first = parse_expression(with_condexpr);
    if (!is_op(",")) return first;
    auto t = make<ListExpr>(at);
    t->kind = ExprKind::Tuple;
    t->items.push_back(std::move(first));
    while (is_op(",")) {
      advance();
      if (cur().kind == TokenKind::BlockEnd || cur().kind == TokenKind::VarEnd || is_op(")")) break;
      t->items.push_back(parse_expression(with_condexpr));
    }
    return t;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    DepthGuard guard(*this);
    return with_condexpr ? parse_condexpr() : parse_or();
  }

  ExprPtr parse_condexpr() {
    ExprPtr expr = parse_or();
    while (is_name("if")) {
      auto c = make<CondExpr>(cur());
      advance();
      c->cond = parse_or();
      if (is_name("else")) {
        advance();
        c->otherwise = parse_condexpr();
      }
      c->then = std::move(expr);
      expr = std::move(c);
    }
    return expr;
  }

  ExprPtr binary(const Token& at, std::string op, ExprPtr l, ExprPtr r) {
    auto b = make<BinaryExpr>(at);
    b->op = std::move(op);
    b->left = std::move(l);
    b->right = std::move(r);
    return b;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      const Token& at = cur();
      advance();
      left = binary(at, "or", std::move(left), parse_and());
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      const Token& at = cur();
      advance();
      left = binary(at, "and", std::move(left), parse_not());
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      auto u = make<UnaryExpr>(cur());
      advance();
      u->op = "not";
      u->operand = parse_not();
      return u;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const Token& at = cur();
    ExprPtr first = parse_math1();
    std::unique_ptr<CompareExpr> cmp;
    while (true) {
      std::string op;
      if (cur().kind == TokenKind::Op && (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                                          cur().text == "<=" || cur().text == ">" || cur().text == ">=")) {
        op = cur().text;
        advance();
      } else if (is_name("in")) {
        op = "in";
        advance();
      } else if (is_name("not") && peek().kind == TokenKind::Name && peek().text == "in") {
        op = "not in";
        advance();
        advance();
      } else {
        break;
      }
      if (!cmp) {
        cmp = make<CompareExpr>(at);
        cmp->first = std::move(first);
      }
      cmp->rest.emplace_back(op, parse_math1());
    }
    if (cmp) return cmp;
    return first;
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token& at = cur();
      std::string op = at.text;
      advance();
      left = binary(at, op, std::move(left), parse_concat());
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_op("~")) {
      const Token& at = cur();
      advance();
      left = binary(at, "~", std::move(left), parse_math2());
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& at = cur();
      std::string op = at.text;
      advance();
      left = binary(at, op, std::move(left), parse_pow());
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      const Token& at = cur();
      advance();
      left = binary(at, "**", std::move(left), parse_unary(true));
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      auto u = make<UnaryExpr>(cur());
      u->op = cur().text;
      advance();
      u->operand = parse_unary(false);
      node = std::move(u);
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token& t = cur();
    switch (t.kind) {
      case TokenKind::Name: {
        auto lit = make<LiteralExpr>(t);
        if (t.text == "true" || t.text == "True")
          lit->value = Value(true);
        else if (t.text == "false" || t.text == "False")
          lit->value = Value(false);
        else if (t.text == "none" || t.text == "None")
          lit->value = Value::none();
        else {
          auto n = make<NameExpr>(t);
          n->name = t.text;
          advance();
          return n;
        }
        advance();
        return lit;
      }
      case TokenKind::String: {
        auto lit = make<LiteralExpr>(t);
        std::string s;
        while (cur().kind == TokenKind::String) {  // adjacent literals concatenate
          s += cur().text;
          advance();
        }
        lit->value = Value(std::move(s));
        return lit;
      }
      case TokenKind::Int: {
        auto lit = make<LiteralExpr>(t);
        lit->value = Value(t.int_value);
        advance();
        return lit;
      }
      case TokenKind::Float: {
        auto lit = make<LiteralExpr>(t);
        lit->value = Value(t.float_value);
        advance();
        return lit;
      }
      case TokenKind::Op:
        if (t.text == "(") {
          advance();
          if (is_op(")")) {
            advance();
            auto tup = make<ListExpr>(t);
            tup->kind = ExprKind::Tuple;
            return tup;
          }
          ExprPtr e = parse_expression(true);
          if (is_op(",")) {
            auto tup = make<ListExpr>(t);
            tup->kind = ExprKind::Tuple;
            tup->items.push_back(std::move(e));
            while (is_op(",")) {
              advance();
              if (is_op(")")) break;
              tup->items.push_back(parse_expression(true));
            }
            e = std::move(tup);
          }
          expect_op(")");
          return e;
        }
        if (t.text == "[") {
          auto l = make<ListExpr>(t);
          advance();
          while (!is_op("]")) {
            if (!l->items.empty()) expect_op(",");
            if (is_op("]")) break;
            l->items.push_back(parse_expression(true));
          }
          advance();
          return l;
        }
        if (t.text == "{") {
          auto d = make<DictExpr>(t);
          advance();
          while (!is_op("}")) {
            if (!d->items.empty()) expect_op(",");
            if (is_op("}")) break;
            ExprPtr k = parse_expression(true);
            expect_op(":");
            d->items.emplace_back(std::move(k), parse_expression(true));
          }
          advance();
          return d;
        }
        break;
      default:
        break;
    }
    fail("unexpected " + describe(t) + " in expression");
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      const Token& at = cur();
      if (is_op(".")) {
        advance();
        if (cur().kind == TokenKind::Name) {
          auto g = make<GetAttrExpr>(at);
          g->object = std::move(node);
          g->name = cur().text;
          advance();
          node = std::move(g);
        } else if (cur().kind == TokenKind::Int) {
          auto g = make<GetItemExpr>(at);
          g->object = std::move(node);
          auto lit = make<LiteralExpr>(cur());
          lit->value = Value(cur().int_value);
          g->index = std::move(lit);
          advance();
          node = std::move(g);
        } else {
          fail("expected an attribute name after '.', got " + describe(cur()));
        }
      } else if (is_op("[")) {
        advance();
        node = parse_subscript(at, std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(const Token& at, ExprPtr object) {
    ExprPtr parts[3];
    int colons = 0;
    while (!is_op("]")) {
      if (is_op(":")) {
        if (++colons > 2) fail("too many ':' in slice");
        advance();
        continue;
      }
      if (parts[colons]) fail("expected ':' or ']' in subscript, got " + describe(cur()));
      parts[colons] = parse_expression(true);
    }
    advance();
    if (colons == 0) {
      if (!parts[0]) fail("empty subscript", at);
      auto g = make<GetItemExpr>(at);
      g->object = std::move(object);
      g->index = std::move(parts[0]);
      return g;
    }
    auto s = make<SliceExpr>(at);
    s->object = std::move(object);
    s->start = std::move(parts[0]);
    s->stop = std::move(parts[1]);
    s->step = std::move(parts[2]);
    return s;
  }

  void parse_arguments(Arguments& args) {
    expect_op("(");
    while (!is_op(")")) {
      if (!args.positional.empty() || !args.named.empty()) expect_op(",");
      if (is_op(")")) break;
      if (cur().kind == TokenKind::Name && peek().kind == TokenKind::Op && peek().text == "=") {
        std::string name = cur().text;
        advance();
        advance();
        args.named.emplace_back(std::move(name), parse_expression(true));
      } else {
        if (!args.named.empty()) fail("positional argument follows keyword argument");
        args.positional.push_back(parse_expression(true));
      }
    }
    advance();
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto c = make<CallExpr>(cur());
    c->callee = std::move(callee);
    parse_arguments(c->args);
    return c;
  }

  std::string parse_dotted_name() {
    std::string name = expect_identifier();
    while (is_op(".") && peek().kind == TokenKind::Name) {
      advance();
      name += "." + cur().text;
      advance();
    }
    return name;
  }

  std::unique_ptr<FilterExpr> parse_filter_name_and_args(ExprPtr operand) {
    auto f = make<FilterExpr>(cur());
    f->operand = std::move(operand);
    f->name = parse_dotted_name();
    if (is_op("(")) parse_arguments(f->args);
    return f;
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        advance();
        node = parse_filter_name_and_args(std::move(node));
      } else if (is_name("is")) {
        auto t = make<TestExpr>(cur());
        advance();
        if (is_name("not")) {
          t->negated = true;
          advance();
        }
        t->operand = std::move(node);
        t->name = parse_dotted_name();
        if (is_op("(")) {
          parse_arguments(t->args);
        } else {
          const Token& c = cur();
          const bool starts_primary = c.kind == TokenKind::Name || c.kind == TokenKind::String ||
                                      c.kind == TokenKind::Int || c.kind == TokenKind::Float ||
                                      (c.kind == TokenKind::Op && (c.text == "[" || c.text == "{"));
          if (starts_primary && !is_name("else") && !is_name("or") && !is_name("and")) {
            if (is_name("is")) fail("tests cannot be chained with 'is'");
            t->args.positional.push_back(parse_postfix(parse_primary()));
          }
        }
        node = std::move(t);
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Program parse(std::string_view source, const LexerOptions& options) {
  return Parser(tokenize(source, options)).run();
}

}  // namespace glasswing::chat::jinja
