#pragma once
// Tree-walking evaluator for parsed Jinja templates, with Jinja2's scoping rules: `for`, `with` and macro
// bodies get their own scope (a `set` inside does not leak out), `if` does not, and namespace() objects are
// shared by reference so that loops can update them. Macros see their defining scope at call time.
//
// Every render is bounded: macro recursion depth, the number of executed statements and loop iterations, and
// the size of the output. Exceeding a bound is a ChatTemplateError, never a stack overflow or a hang.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "inference/chat/jinja_ast.h"
#include "inference/chat/jinja_value.h"

namespace glasswing::chat::jinja {

struct Scope {
  std::shared_ptr<Scope> parent;
  std::unordered_map<std::string, Value> vars;

  const Value* lookup(const std::string& name) const;
};
using ScopePtr = std::shared_ptr<Scope>;

struct Limits {
  int max_depth = 1500;             // nested statements + expressions + macro calls: bounds the C++ stack use
  int max_call_depth = 100;         // nested macro calls
  uint64_t max_steps = 2'000'000;   // statements executed + loop iterations
  size_t max_output = 64u << 20;    // bytes, per rendered string (output, macro result, set block)
  size_t max_sequence = 1'000'000;  // elements of range() or a repeated list/string
};

// raise_exception(msg) called by the template.
struct RaisedError : EvalError {
  using EvalError::EvalError;
};

class Interpreter {
 public:
  // `now` is what strftime_now() formats, in UTC; nullopt means the real clock, in local time (as Python's
  // datetime.now() in Hugging Face's renderer).
  Interpreter(const Program& program, Limits limits,
              std::optional<std::chrono::system_clock::time_point> now);

  // Renders the program with `globals` as the outermost scope. Throws ChatTemplateError.
  std::string render(const ScopePtr& globals);

  // Used by builtins.
  Value call(const Value& callee, CallArgs& args);
  std::chrono::system_clock::time_point now() const {
    return now_.value_or(std::chrono::system_clock::now());
  }
  bool now_is_local() const { return !now_.has_value(); }
  const Limits& limits() const { return limits_; }
  void step();  // counts one unit of work; throws when the step budget is spent

 private:
  enum class Flow { Normal, Break, Continue };

  struct DepthGuard {
    explicit DepthGuard(Interpreter& in);
    ~DepthGuard() { --in_.depth_; }
    Interpreter& in_;
  };

  Flow exec_body(const Body& body, const ScopePtr& scope, std::string& out);
  Flow exec(const Stmt& stmt, const ScopePtr& scope, std::string& out);
  Flow exec_for(const ForStmt& s, const ScopePtr& scope, std::string& out);
  void exec_set(const SetTarget& target, Value value, const ScopePtr& scope);
  Value make_macro(const std::string& name, const std::vector<MacroParam>& params, const Body& body,
                   const ScopePtr& scope);
  Value apply_filters(const std::vector<std::unique_ptr<FilterExpr>>& filters, Value value,
                      const ScopePtr& scope);

  Value eval(const Expr& expr, const ScopePtr& scope);
  Value eval_inner(const Expr& expr, const ScopePtr& scope);
  void eval_args(const Arguments& args, const ScopePtr& scope, CallArgs& out);
  Value eval_binary(const BinaryExpr& e, const ScopePtr& scope);
  Value eval_compare(const CompareExpr& e, const ScopePtr& scope);

  void append(std::string& out, std::string_view s) const;

  const Program& program_;
  Limits limits_;
  std::optional<std::chrono::system_clock::time_point> now_;
  uint64_t steps_ = 0;
  int call_depth_ = 0;
  int depth_ = 0;
};

// Operators and lookups with Python/Jinja semantics (also used by the builtins).
Value get_attr(const Value& object,
               const std::string& name);                // obj.name: attribute (method) first, then item
Value get_item(const Value& object, const Value& key);  // obj[key]: item first, then attribute
Value slice(const Value& object, const Value& start, const Value& stop, const Value& step);
bool contains(const Value& container, const Value& item);  // item in container
Value binary_op(const std::string& op, const Value& left, const Value& right, const Limits& limits);
std::vector<Value> iterate(const Value& value);  // for x in value

}  // namespace glasswing::chat::jinja
