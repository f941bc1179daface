#include "inference/chat/jinja_interpreter.h"

#include <cmath>
#include <limits>

#include "inference/chat/chat_template_error.h"
#include "inference/chat/jinja_builtins.h"
#include "inference/chat/jinja_text.h"

namespace glasswing::chat::jinja {

const Value* Scope::lookup(const std::string& name) const {
  for (const Scope* s = this; s; s = s->parent.get()) {
    auto it = s->vars.find(name);
    if (it != s->vars.end()) return &it->second;
  }
  return nullptr;
}

namespace {

ScopePtr child_scope(const ScopePtr& parent) {
  auto s = std::make_shared<Scope>();
  s->parent = parent;
  return s;
}

std::string missing_attribute(const Value& object, const std::string& name) {
  return text::repr_string(object.object_type_repr()) + " has no attribute " + text::repr_string(name);
}

std::string missing_element(const Value& object, const Value& key) {
  if (key.is_string()) return missing_attribute(object, key.str());
  return object.object_type_repr() + " has no element " + key.repr();
}

// Python's slice.indices(): clamps start/stop for a sequence of `len` items.
void slice_indices(int64_t len, const Value& start, const Value& stop, const Value& step, int64_t& b,
                   int64_t& e, int64_t& st) {
  auto as_index = [](const Value& v, const char* what) -> std::optional<int64_t> {
    if (v.is_undefined() || v.is_none()) return std::nullopt;
    if (v.is_int()) return v.as_int();
    if (v.is_bool()) return int64_t{v.as_bool()};
    throw EvalError(std::string("slice ") + what + " must be an integer or None, got " + v.type_name());
  };
  st = as_index(step, "step").value_or(1);
  if (st == 0) throw EvalError("slice step cannot be zero");
  const auto sb = as_index(start, "start");
  const auto se = as_index(stop, "stop");
  auto clamp = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v) return dflt;
    int64_t x = *v;
    if (x < 0) {
      x += len;
      if (x < 0) x = st < 0 ? -1 : 0;
    } else if (x >= len) {
      x = st < 0 ? len - 1 : len;
    }
    return x;
  };
  b = clamp(sb, st < 0 ? len - 1 : 0);
  e = clamp(se, st < 0 ? -1 : len);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Lookups and operators

Value get_attr(const Value& object, const std::string& name) {
  switch (object.kind()) {
    case Value::Kind::Undefined:
      object.fail_undefined();
    case Value::Kind::Dict: {
      const auto& d = *object.dict();
      if (!d.is_namespace)
        if (auto m = get_method(object, name)) return *m;
      if (const Value* v = d.find(std::string_view(name))) return *v;
      return Value::undefined(missing_attribute(object, name));
    }
    default:
      if (auto m = get_method(object, name)) return *m;
      return Value::undefined(missing_attribute(object, name));
  }
}

Value get_item(const Value& object, const Value& key) {
  switch (object.kind()) {
    case Value::Kind::Undefined:
      object.fail_undefined();
    case Value::Kind::Dict:
      if (const Value* v = object.dict()->find(key)) return *v;
      break;
    case Value::Kind::List:
    case Value::Kind::String:
      if (key.is_int() || key.is_bool()) {
        int64_t i = key.is_int() ? key.as_int() : int64_t{key.as_bool()};
        if (object.is_list()) {
          const auto& items = object.list()->items;
          const auto n = static_cast<int64_t>(items.size());
          if (i < 0) i += n;
          if (i >= 0 && i < n) return items[static_cast<size_t>(i)];
        } else {
          const std::u32string u = text::decode(object.str());
          const auto n = static_cast<int64_t>(u.size());
          if (i < 0) i += n;
          if (i >= 0 && i < n)
            return Value(text::encode(std::u32string_view(u).substr(static_cast<size_t>(i), 1)));
        }
        return Value::undefined(missing_element(object, key));
      }
      break;
    default:
      break;
  }
  if (key.is_string())
    if (auto m = get_method(object, key.str())) return *m;
  return Value::undefined(missing_element(object, key));
}

Value slice(const Value& object, const Value& start, const Value& stop, const Value& step) {
  if (object.is_undefined()) object.fail_undefined();
  int64_t b, e, st;
  if (object.is_list()) {
    const auto& items = object.list()->items;
    slice_indices(static_cast<int64_t>(items.size()), start, stop, step, b, e, st);
    std::vector<Value> out;
    for (int64_t i = b; st > 0 ? i < e : i > e; i += st) out.push_back(items[static_cast<size_t>(i)]);
    return Value::new_list(std::move(out), object.list()->tuple);
  }
  if (object.is_string()) {
    const std::u32string u = text::decode(object.str());
    slice_indices(static_cast<int64_t>(u.size()), start, stop, step, b, e, st);
    std::u32string out;
    for (int64_t i = b; st > 0 ? i < e : i > e; i += st) out.push_back(u[static_cast<size_t>(i)]);
    return Value(text::encode(out));
  }
  throw EvalError("'" + object.type_name() + "' object is not subscriptable");
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::Undefined:
      return false;  // Jinja's Undefined iterates as empty
    case Value::Kind::String:
      if (item.is_undefined()) item.fail_undefined();
      if (!item.is_string())
        throw EvalError("'in <string>' requires string as left operand, not " + item.type_name());
      return container.str().find(item.str()) != std::string::npos;
    case Value::Kind::List:
      for (const auto& v : container.list()->items)
        if (v.equals(item)) return true;
      return false;
    case Value::Kind::Dict:
      if (container.dict()->is_namespace) break;
      return container.dict()->find(item) != nullptr;
    default:
      break;
  }
  throw EvalError("argument of type '" + container.type_name() + "' is not iterable");
}

std::vector<Value> iterate(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::Undefined:
      return {};
    case Value::Kind::List:
      return value.list()->items;
    case Value::Kind::Dict: {
      if (value.dict()->is_namespace) break;
      std::vector<Value> keys;
      for (const auto& [k, v] : value.dict()->items) keys.push_back(k);
      return keys;
    }
    case Value::Kind::String: {
      std::vector<Value> chars;
      for (char32_t c : text::decode(value.str())) chars.emplace_back(text::encode(std::u32string(1, c)));
      return chars;
    }
    default:
      break;
  }
  throw EvalError("'" + value.type_name() + "' object is not iterable");
}

namespace {

int64_t int_of(const Value& v) {
  return v.is_int() ? v.as_int() : int64_t{v.as_bool()};
}
bool intlike(const Value& v) {
  return v.is_int() || v.is_bool();
}

[[noreturn]] void unsupported(const std::string& op, const Value& l, const Value& r) {
  throw EvalError("unsupported operand type(s) for " + op + ": '" + l.type_name() + "' and '" +
                  r.type_name() + "'");
}

Value repeat(const Value& seq, int64_t n, const Limits& limits) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    if (static_cast<double>(seq.str().size()) * static_cast<double>(n) >
        static_cast<double>(limits.max_output))
      throw EvalError("string repetition result too large");
    std::string out;
    out.reserve(seq.str().size() * static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out += seq.str();
    return Value(std::move(out));
  }
  const auto& items = seq.list()->items;
  if (static_cast<double>(items.size()) * static_cast<double>(n) > static_cast<double>(limits.max_sequence))
    throw EvalError("list repetition result too large");
  std::vector<Value> out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return Value::new_list(std::move(out));
}

}  // namespace

Value binary_op(const std::string& op, const Value& l, const Value& r, const Limits& limits) {
  if (op == "~") {
    std::string s = l.to_str() + r.to_str();
    if (s.size() > limits.max_output) throw EvalError("string too large");
    return Value(std::move(s));
  }
  if (l.is_undefined()) l.fail_undefined();
  if (r.is_undefined()) r.fail_undefined();
  if (op == "+") {
    if (intlike(l) && intlike(r)) {
      int64_t out;
      if (__builtin_add_overflow(int_of(l), int_of(r), &out)) throw EvalError("integer overflow in '+'");
      return Value(out);
    }
    if (l.is_number() && r.is_number()) return Value(l.to_double() + r.to_double());
    if (l.is_string() && r.is_string()) {
      if (l.str().size() + r.str().size() > limits.max_output) throw EvalError("string too large");
      if (l.is_markup() || r.is_markup())  // Markup + str escapes the plain side
        return Value::markup((l.is_markup() ? l.str() : escape_html(l.str())) +
                             (r.is_markup() ? r.str() : escape_html(r.str())));
      return Value(l.str() + r.str());
    }
    if (l.is_list() && r.is_list()) {
      if (l.list()->tuple != r.list()->tuple)
        throw EvalError("can only concatenate " + l.type_name() + " (not \"" + r.type_name() + "\") to " +
                        l.type_name());
      std::vector<Value> items = l.list()->items;
      items.insert(items.end(), r.list()->items.begin(), r.list()->items.end());
      if (items.size() > limits.max_sequence) throw EvalError("list too large");
      return Value::new_list(std::move(items), l.list()->tuple);
    }
    if (l.is_string() || l.is_list())
      throw EvalError("can only concatenate " + l.type_name() + " (not \"" + r.type_name() + "\") to " +
                      l.type_name());
    unsupported("+", l, r);
  }
  if (op == "*") {
    if (intlike(l) && intlike(r)) {
      int64_t out;
      if (__builtin_mul_overflow(int_of(l), int_of(r), &out)) throw EvalError("integer overflow in '*'");
      return Value(out);
    }
    if (l.is_number() && r.is_number()) return Value(l.to_double() * r.to_double());
    if ((l.is_string() || l.is_list()) && intlike(r)) return repeat(l, int_of(r), limits);
    if ((r.is_string() || r.is_list()) && intlike(l)) return repeat(r, int_of(l), limits);
    if (l.is_string() || l.is_list() || r.is_string() || r.is_list())
      throw EvalError("can't multiply sequence by non-int of type '" +
                      ((l.is_string() || l.is_list()) ? r : l).type_name() + "'");
    unsupported("*", l, r);
  }
  if (op == "%" && l.is_string()) {
    if (r.is_list() && r.list()->tuple) return Value(percent_format(l.str(), r.list()->items));
    return Value(percent_format(l.str(), {r}));
  }
  if (!l.is_number() || !r.is_number()) unsupported(op, l, r);
  const bool ints = intlike(l) && intlike(r);
  if (op == "-") {
    if (ints) {
      int64_t out;
      if (__builtin_sub_overflow(int_of(l), int_of(r), &out)) throw EvalError("integer overflow in '-'");
      return Value(out);
    }
    return Value(l.to_double() - r.to_double());
  }
  if (op == "/") {
    if (r.to_double() == 0) throw EvalError("division by zero");
    return Value(l.to_double() / r.to_double());
  }
  if (op == "//" || op == "%") {
    if (r.to_double() == 0)
      throw EvalError(op == "//" ? "integer division or modulo by zero" : "modulo by zero");
    if (ints) {
      const int64_t a = int_of(l), b = int_of(r);
      if (a == std::numeric_limits<int64_t>::min() && b == -1) throw EvalError("integer overflow");
      int64_t q = a / b, m = a % b;
      if (m != 0 && ((m < 0) != (b < 0))) {  // Python floors toward negative infinity
        q -= 1;
        m += b;
      }
      return op == "//" ? Value(q) : Value(m);
    }
    const double a = l.to_double(), b = r.to_double();
    if (op == "//") return Value(std::floor(a / b));
    double m = std::fmod(a, b);
    if (m != 0 && ((m < 0) != (b < 0))) m += b;
    return Value(m);
  }
  if (op == "**") {
    if (ints && int_of(r) >= 0) {
      int64_t base = int_of(l), e = int_of(r), out = 1;
      while (e > 0) {
        if (e & 1)
          if (__builtin_mul_overflow(out, base, &out)) throw EvalError("integer overflow in '**'");
        e >>= 1;
        if (e > 0 && __builtin_mul_overflow(base, base, &base)) throw EvalError("integer overflow in '**'");
      }
      return Value(out);
    }
    return Value(std::pow(l.to_double(), r.to_double()));
  }
  unsupported(op, l, r);
}

// ---------------------------------------------------------------------------------------------------------
// Interpreter

Interpreter::Interpreter(const Program& program, Limits limits,
                         std::optional<std::chrono::system_clock::time_point> now)
    : program_(program), limits_(limits), now_(now) {}

Interpreter::DepthGuard::DepthGuard(Interpreter& in) : in_(in) {
  if (++in_.depth_ > in_.limits_.max_depth) {
    --in_.depth_;
    throw EvalError("template evaluation nested too deeply (more than " +
                    std::to_string(in_.limits_.max_depth) +
                    " levels of statements, expressions and macro calls)");
  }
}

void Interpreter::step() {
  if (++steps_ > limits_.max_steps)
    throw EvalError("template exceeded its budget of " + std::to_string(limits_.max_steps) +
                    " steps (runaway loop?)");
}

void Interpreter::append(std::string& out, std::string_view s) const {
  if (out.size() + s.size() > limits_.max_output)
    throw EvalError("template output exceeds " + std::to_string(limits_.max_output) + " bytes");
  out.append(s);
}

std::string Interpreter::render(const ScopePtr& globals) {
  steps_ = 0;
  call_depth_ = 0;
  depth_ = 0;
  ScopePtr root = child_scope(globals);
  std::string out;
  exec_body(program_.body, root, out);
  return out;
}

Interpreter::Flow Interpreter::exec_body(const Body& body, const ScopePtr& scope, std::string& out) {
  for (const auto& s : body) {
    const Flow f = exec(*s, scope, out);
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::exec(const Stmt& stmt, const ScopePtr& scope, std::string& out) {
  try {
    DepthGuard guard(*this);
    step();
    switch (stmt.kind) {
      case StmtKind::Text:
        append(out, static_cast<const TextStmt&>(stmt).text);
        return Flow::Normal;
      case StmtKind::Output: {
        const Value v = eval(*static_cast<const OutputStmt&>(stmt).expr, scope);
        append(out, v.to_str());
        return Flow::Normal;
      }
      case StmtKind::If: {
        const auto& s = static_cast<const IfStmt&>(stmt);
        for (const auto& [cond, body] : s.branches)
          if (eval(*cond, scope).truthy()) return exec_body(body, scope, out);
        return exec_body(s.otherwise, scope, out);
      }
      case StmtKind::For:
        return exec_for(static_cast<const ForStmt&>(stmt), scope, out);
      case StmtKind::Set: {
        const auto& s = static_cast<const SetStmt&>(stmt);
        exec_set(s.target, eval(*s.value, scope), scope);
        return Flow::Normal;
      }
      case StmtKind::SetBlock: {
        const auto& s = static_cast<const SetBlockStmt&>(stmt);
        std::string captured;
        exec_body(s.body, child_scope(scope), captured);
        exec_set(s.target, apply_filters(s.filters, Value(std::move(captured)), scope), scope);
        return Flow::Normal;
      }
      case StmtKind::Macro: {
        const auto& s = static_cast<const MacroStmt&>(stmt);
        scope->vars[s.name] = make_macro(s.name, s.params, s.body, scope);
        return Flow::Normal;
      }
      case StmtKind::CallBlock: {
        const auto& s = static_cast<const CallBlockStmt&>(stmt);
        const Value callee = eval(*s.call->callee, scope);
        CallArgs args;
        eval_args(s.call->args, scope, args);
        args.named.emplace_back("caller", make_macro("caller", s.caller_params, s.body, scope));
        append(out, call(callee, args).to_str());
        return Flow::Normal;
      }
      case StmtKind::FilterBlock: {
        const auto& s = static_cast<const FilterBlockStmt&>(stmt);
        std::string captured;
        exec_body(s.body, child_scope(scope), captured);
        append(out, apply_filters(s.filters, Value(std::move(captured)), scope).to_str());
        return Flow::Normal;
      }
      case StmtKind::Break:
        return Flow::Break;
      case StmtKind::Continue:
        return Flow::Continue;
      case StmtKind::With: {
        const auto& s = static_cast<const WithStmt&>(stmt);
        ScopePtr inner = child_scope(scope);
        for (const auto& [name, expr] : s.assignments) inner->vars[name] = eval(*expr, scope);
        return exec_body(s.body, inner, out);
      }
      case StmtKind::Do:
        eval(*static_cast<const DoStmt&>(stmt).expr, scope);
        return Flow::Normal;
    }
  } catch (const RaisedError& e) {
    throw ChatTemplateError(ChatTemplateError::Kind::Raised, e.what(), stmt.line, stmt.column);
  } catch (const EvalError& e) {
    throw ChatTemplateError(ChatTemplateError::Kind::Runtime, e.what(), stmt.line, stmt.column);
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::exec_for(const ForStmt& s, const ScopePtr& scope, std::string& out) {
  std::vector<Value> items = iterate(eval(*s.iterable, scope));
  auto bind = [&](const ScopePtr& target, const Value& item) {
    if (s.targets.size() == 1) {
      target->vars[s.targets[0]] = item;
      return;
    }
    std::vector<Value> parts = iterate(item);
    if (parts.size() != s.targets.size())
      throw EvalError("cannot unpack " + std::to_string(parts.size()) + " values into " +
                      std::to_string(s.targets.size()) + " loop variables");
    for (size_t i = 0; i < parts.size(); ++i) target->vars[s.targets[i]] = parts[i];
  };
  if (s.filter) {  // `for x in xs if cond`: filtered before the loop, so loop.* counts only kept items
    std::vector<Value> kept;
    for (const auto& item : items) {
      step();
      ScopePtr probe = child_scope(scope);
      bind(probe, item);
      if (eval(*s.filter, probe).truthy()) kept.push_back(item);
    }
    items = std::move(kept);
  }
  // The else block sits outside the loop: a break/continue in it belongs to an enclosing loop.
  if (items.empty()) return exec_body(s.otherwise, child_scope(scope), out);
  const auto n = static_cast<int64_t>(items.size());
  // Like Jinja's LoopContext, one `loop` object per loop, updated in place each iteration.
  auto current = std::make_shared<int64_t>(0);
  auto loop = std::make_shared<Dict>();
  loop->is_namespace = true;  // attribute access goes to the entries, not to dict methods
  for (const char* key : {"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth",
                          "depth0", "previtem", "nextitem", "cycle"})
    loop->items.emplace_back(Value(key), Value());
  loop->items[6].second = Value(n);
  loop->items[7].second = Value(1);
  loop->items[8].second = Value(0);
  loop->items[11].second = Value::function("cycle", [current](Interpreter&, CallArgs& a) -> Value {
    if (a.positional.empty()) throw EvalError("no items for cycling given");
    return a.positional[static_cast<size_t>(*current) % a.positional.size()];
  });
  const Value loop_value(loop);
  for (int64_t i = 0; i < n; ++i) {
    step();
    *current = i;
    auto& e = loop->items;
    e[0].second = Value(i + 1);
    e[1].second = Value(i);
    e[2].second = Value(n - i);
    e[3].second = Value(n - i - 1);
    e[4].second = Value(i == 0);
    e[5].second = Value(i == n - 1);
    e[9].second = i > 0 ? items[static_cast<size_t>(i - 1)] : Value::undefined("there is no previous item");
    e[10].second = i + 1 < n ? items[static_cast<size_t>(i + 1)] : Value::undefined("there is no next item");
    ScopePtr inner = child_scope(scope);
    bind(inner, items[static_cast<size_t>(i)]);
    inner->vars["loop"] = loop_value;
    if (exec_body(s.body, inner, out) == Flow::Break) break;
  }
  return Flow::Normal;
}

void Interpreter::exec_set(const SetTarget& target, Value value, const ScopePtr& scope) {
  if (!target.attribute.empty()) {
    const Value* ns = scope->lookup(target.names[0]);
    if (!ns || !ns->is_dict() || !ns->dict()->is_namespace)
      throw EvalError("cannot assign attribute on non-namespace object '" + target.names[0] + "'");
    ns->dict()->set(Value(target.attribute), std::move(value));
    return;
  }
  if (target.names.size() == 1) {
    scope->vars[target.names[0]] = std::move(value);
    return;
  }
  std::vector<Value> parts = iterate(value);
  if (parts.size() != target.names.size())
    throw EvalError("cannot unpack " + std::to_string(parts.size()) + " values into " +
                    std::to_string(target.names.size()) + " names");
  for (size_t i = 0; i < parts.size(); ++i) scope->vars[target.names[i]] = parts[i];
}

Value Interpreter::make_macro(const std::string& name, const std::vector<MacroParam>& params,
                              const Body& body, const ScopePtr& scope) {
  // The macro keeps only a weak reference to its defining scope: a scope that stores its own macros must
  // not keep itself alive. Scopes outlive every call made during the render.
  std::weak_ptr<Scope> weak = scope;
  auto c = std::make_shared<Callable>();
  c->name = name;
  c->is_macro = true;
  const std::vector<MacroParam>* p = &params;
  const Body* b = &body;
  c->fn = [this, weak, p, b, name](Interpreter&, CallArgs& args) -> Value {
    ScopePtr parent = weak.lock();
    if (!parent) throw EvalError("macro '" + name + "' called after its scope ended");
    if (call_depth_ >= limits_.max_call_depth)
      throw EvalError("maximum macro recursion depth (" + std::to_string(limits_.max_call_depth) +
                      ") exceeded");
    ScopePtr local = child_scope(parent);
    std::vector<Value> varargs;
    auto kwargs = std::make_shared<Dict>();
    for (size_t i = 0; i < args.positional.size(); ++i) {
      if (i < p->size())
        local->vars[(*p)[i].name] = args.positional[i];
      else
        varargs.push_back(args.positional[i]);
    }
    for (auto& [k, v] : args.named) {
      if (k == "caller") {
        local->vars["caller"] = v;
        continue;
      }
      bool found = false;
      for (size_t i = 0; i < p->size(); ++i)
        if ((*p)[i].name == k) {
          if (i < args.positional.size())
            throw EvalError("macro '" + name + "' got multiple values for argument '" + k + "'");
          local->vars[k] = v;
          found = true;
        }
      if (!found) kwargs->set(Value(k), v);
    }
    for (const auto& param : *p) {
      if (local->vars.count(param.name)) continue;
      local->vars[param.name] = param.default_value
                                    ? eval(*param.default_value, local)
                                    : Value::undefined("parameter '" + param.name + "' was not provided");
    }
    local->vars["varargs"] = Value::new_list(std::move(varargs), true);
    local->vars["kwargs"] = Value(std::move(kwargs));
    ++call_depth_;
    std::string out;
    try {
      exec_body(*b, local, out);
    } catch (...) {
      --call_depth_;
      throw;
    }
    --call_depth_;
    return Value(std::move(out));
  };
  return Value(CallablePtr(std::move(c)));
}

Value Interpreter::apply_filters(const std::vector<std::unique_ptr<FilterExpr>>& filters, Value value,
                                 const ScopePtr& scope) {
  for (const auto& f : filters) {
    CallArgs args;
    eval_args(f->args, scope, args);
    value = apply_filter(*this, f->name, value, args);
  }
  return value;
}

Value Interpreter::call(const Value& callee, CallArgs& args) {
  if (callee.is_undefined()) callee.fail_undefined();
  if (!callee.is_callable()) throw EvalError("'" + callee.type_name() + "' object is not callable");
  return callee.callable()->fn(*this, args);
}

void Interpreter::eval_args(const Arguments& args, const ScopePtr& scope, CallArgs& out) {
  for (const auto& e : args.positional) out.positional.push_back(eval(*e, scope));
  for (const auto& [name, e] : args.named) out.named.emplace_back(name, eval(*e, scope));
}

Value Interpreter::eval(const Expr& expr, const ScopePtr& scope) {
  try {
    DepthGuard guard(*this);
    return eval_inner(expr, scope);
  } catch (const RaisedError& e) {
    throw ChatTemplateError(ChatTemplateError::Kind::Raised, e.what(), expr.line, expr.column);
  } catch (const EvalError& e) {
    throw ChatTemplateError(ChatTemplateError::Kind::Runtime, e.what(), expr.line, expr.column);
  }
}

Value Interpreter::eval_inner(const Expr& expr, const ScopePtr& scope) {
  switch (expr.kind) {
    case ExprKind::Literal:
      return static_cast<const LiteralExpr&>(expr).value;
    case ExprKind::Name: {
      const auto& name = static_cast<const NameExpr&>(expr).name;
      if (const Value* v = scope->lookup(name)) return *v;
      return Value::undefined(text::repr_string(name) + " is undefined");
    }
    case ExprKind::List:
    case ExprKind::Tuple: {
      const auto& e = static_cast<const ListExpr&>(expr);
      std::vector<Value> items;
      items.reserve(e.items.size());
      for (const auto& item : e.items) items.push_back(eval(*item, scope));
      return Value::new_list(std::move(items), expr.kind == ExprKind::Tuple);
    }
    case ExprKind::Dict: {
      const auto& e = static_cast<const DictExpr&>(expr);
      auto d = std::make_shared<Dict>();
      for (const auto& [k, v] : e.items) {
        Value key = eval(*k, scope);
        if (key.is_list() && !key.list()->tuple) throw EvalError("unhashable type: 'list'");
        if (key.is_dict()) throw EvalError("unhashable type: 'dict'");
        d->set(std::move(key), eval(*v, scope));
      }
      return Value(std::move(d));
    }
    case ExprKind::GetAttr: {
      const auto& e = static_cast<const GetAttrExpr&>(expr);
      return get_attr(eval(*e.object, scope), e.name);
    }
    case ExprKind::GetItem: {
      const auto& e = static_cast<const GetItemExpr&>(expr);
      const Value obj = eval(*e.object, scope);
      return get_item(obj, eval(*e.index, scope));
    }
    case ExprKind::Slice: {
      const auto& e = static_cast<const SliceExpr&>(expr);
      const Value obj = eval(*e.object, scope);
      const Value start = e.start ? eval(*e.start, scope) : Value::none();
      const Value stop = e.stop ? eval(*e.stop, scope) : Value::none();
      const Value step_v = e.step ? eval(*e.step, scope) : Value::none();
      return slice(obj, start, stop, step_v);
    }
    case ExprKind::Call: {
      const auto& e = static_cast<const CallExpr&>(expr);
      const Value callee = eval(*e.callee, scope);
      CallArgs args;
      eval_args(e.args, scope, args);
      return call(callee, args);
    }
    case ExprKind::Filter: {
      const auto& e = static_cast<const FilterExpr&>(expr);
      const Value operand = e.operand ? eval(*e.operand, scope) : Value();
      CallArgs args;
      eval_args(e.args, scope, args);
      return apply_filter(*this, e.name, operand, args);
    }
    case ExprKind::Test: {
      const auto& e = static_cast<const TestExpr&>(expr);
      const Value operand = eval(*e.operand, scope);
      CallArgs args;
      eval_args(e.args, scope, args);
      return Value(apply_test(*this, e.name, operand, args) != e.negated);
    }
    case ExprKind::Unary: {
      const auto& e = static_cast<const UnaryExpr&>(expr);
      const Value v = eval(*e.operand, scope);
      if (e.op == "not") return Value(!v.truthy());
      if (v.is_undefined()) v.fail_undefined();
      if (!v.is_number()) throw EvalError("bad operand type for unary " + e.op + ": '" + v.type_name() + "'");
      if (e.op == "+") return v.is_bool() ? Value(int64_t{v.as_bool()}) : v;
      if (v.is_float()) return Value(-v.as_float());
      const int64_t i = v.is_int() ? v.as_int() : int64_t{v.as_bool()};
      if (i == std::numeric_limits<int64_t>::min()) throw EvalError("integer overflow in unary -");
      return Value(-i);
    }
    case ExprKind::Binary:
      return eval_binary(static_cast<const BinaryExpr&>(expr), scope);
    case ExprKind::Compare:
      return eval_compare(static_cast<const CompareExpr&>(expr), scope);
    case ExprKind::Cond: {
      const auto& e = static_cast<const CondExpr&>(expr);
      if (eval(*e.cond, scope).truthy()) return eval(*e.then, scope);
      if (e.otherwise) return eval(*e.otherwise, scope);
      return Value::undefined("the inline if-expression on line " + std::to_string(expr.line) +
                              " evaluated to false and no else section was defined.");
    }
  }
  throw EvalError("unknown expression");
}

Value Interpreter::eval_binary(const BinaryExpr& e, const ScopePtr& scope) {
  if (e.op == "and") {
    Value l = eval(*e.left, scope);
    return l.truthy() ? eval(*e.right, scope) : l;
  }
  if (e.op == "or") {
    Value l = eval(*e.left, scope);
    return l.truthy() ? l : eval(*e.right, scope);
  }
  const Value l = eval(*e.left, scope);
  const Value r = eval(*e.right, scope);
  return binary_op(e.op, l, r, limits_);
}

Value Interpreter::eval_compare(const CompareExpr& e, const ScopePtr& scope) {
  Value left = eval(*e.first, scope);
  for (const auto& [op, expr] : e.rest) {
    Value right = eval(*expr, scope);
    bool ok;
    if (op == "==")
      ok = left.equals(right);
    else if (op == "!=")
      ok = !left.equals(right);
    else if (op == "in")
      ok = contains(right, left);
    else if (op == "not in")
      ok = !contains(right, left);
    else {
      const int c = Value::compare(left, right);
      ok = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
    }
    if (!ok) return Value(false);
    left = std::move(right);
  }
  return Value(true);
}

}  // namespace glasswing::chat::jinja
