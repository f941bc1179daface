#include "inference/chat/jinja_value.h"

#include <algorithm>
#include <cmath>

#include "inference/chat/jinja_text.h"

namespace glasswing::chat::jinja {

namespace {

// Values can nest without bound (JSON input, or a template wrapping a list in a list in a loop); the
// recursive walks below (repr, ==, <, from_json) stop at this depth instead of overflowing the stack, as
// Python raises RecursionError.
constexpr int kMaxValueDepth = 500;
thread_local int value_depth = 0;

struct ValueDepthGuard {
  ValueDepthGuard() {
    if (++value_depth > kMaxValueDepth) {
      --value_depth;
      throw EvalError("value nested too deeply (more than " + std::to_string(kMaxValueDepth) + " levels)");
    }
  }
  ~ValueDepthGuard() { --value_depth; }
  ValueDepthGuard(const ValueDepthGuard&) = delete;
  ValueDepthGuard& operator=(const ValueDepthGuard&) = delete;
};

}  // namespace

const Value* Dict::find(const Value& key) const {
  for (const auto& [k, v] : items)
    if (k.equals(key)) return &v;
  return nullptr;
}

Value* Dict::find(const Value& key) {
  for (auto& [k, v] : items)
    if (k.equals(key)) return &v;
  return nullptr;
}

const Value* Dict::find(std::string_view key) const {
  for (const auto& [k, v] : items)
    if (k.is_string() && k.str() == key) return &v;
  return nullptr;
}

namespace {
int nested_depth(const Value& container_element) {
  const int d = 1 + container_element.nesting();
  if (d > kMaxValueNesting)
    throw EvalError("value nested too deeply (more than " + std::to_string(kMaxValueNesting) + " levels)");
  return d;
}
}  // namespace

int Value::nesting() const {
  if (is_list()) return list()->depth;
  if (is_dict()) return dict()->depth;
  return 0;
}

void List::push_back(Value v) {
  if (v.is_list() && v.list().get() == this) throw EvalError("a list cannot contain itself");
  depth = std::max(depth, nested_depth(v));
  items.push_back(std::move(v));
}

void Dict::set(Value key, Value value) {
  if (value.is_dict() && value.dict().get() == this)
    throw EvalError("a dict or namespace cannot contain itself");
  depth = std::max(depth, nested_depth(value));
  if (Value* v = find(key)) {
    *v = std::move(value);
    return;
  }
  items.emplace_back(std::move(key), std::move(value));
}

const Value* CallArgs::named_arg(std::string_view name) const {
  for (const auto& [n, v] : named)
    if (n == name) return &v;
  return nullptr;
}

const Value* CallArgs::get(size_t index, std::string_view name) const {
  if (index < positional.size()) return &positional[index];
  return name.empty() ? nullptr : named_arg(name);
}

Value Value::new_list(std::vector<Value> items, bool tuple) {
  auto l = std::make_shared<List>();
  for (const auto& v : items) l->depth = std::max(l->depth, nested_depth(v));
  l->items = std::move(items);
  l->tuple = tuple;
  return Value(std::move(l));
}

Value Value::new_dict() {
  return Value(std::make_shared<Dict>());
}

Value Value::function(std::string name, std::function<Value(Interpreter&, CallArgs&)> fn) {
  auto c = std::make_shared<Callable>();
  c->name = std::move(name);
  c->fn = std::move(fn);
  return Value(CallablePtr(std::move(c)));
}

double Value::to_double() const {
  switch (kind()) {
    case Kind::Int:
      return static_cast<double>(as_int());
    case Kind::Float:
      return as_float();
    case Kind::Bool:
      return as_bool() ? 1.0 : 0.0;
    default:
      throw EvalError("expected a number, got " + type_name());
  }
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::Undefined:
    case Kind::None:
      return false;
    case Kind::Bool:
      return as_bool();
    case Kind::Int:
      return as_int() != 0;
    case Kind::Float:
      return as_float() != 0.0;
    case Kind::String:
      return !str().empty();
    case Kind::List:
      return !list()->items.empty();
    case Kind::Dict:
      return dict()->is_namespace || !dict()->items.empty();
    case Kind::Callable:
      return true;
  }
  return false;
}

std::string Value::to_str() const {
  switch (kind()) {
    case Kind::Undefined:
      return "";
    case Kind::String:
      return str();
    default:
      return repr();
  }
}

std::string Value::repr() const {
  ValueDepthGuard guard;
  switch (kind()) {
    case Kind::Undefined:
      return "Undefined";
    case Kind::None:
      return "None";
    case Kind::Bool:
      return as_bool() ? "True" : "False";
    case Kind::Int:
      return text::int_str(as_int());
    case Kind::Float:
      return text::float_repr(as_float());
    case Kind::String:
      return text::repr_string(str());
    case Kind::List: {
      const auto& l = *list();
      std::string out = l.tuple ? "(" : "[";
      for (size_t i = 0; i < l.items.size(); ++i) {
        if (i) out += ", ";
        out += l.items[i].repr();
      }
      if (l.tuple && l.items.size() == 1) out += ",";
      out += l.tuple ? ")" : "]";
      return out;
    }
    case Kind::Dict: {
      const auto& d = *dict();
      std::string out = d.is_namespace ? "<Namespace {" : "{";
      for (size_t i = 0; i < d.items.size(); ++i) {
        if (i) out += ", ";
        out += d.items[i].first.repr() + ": " + d.items[i].second.repr();
      }
      out += d.is_namespace ? "}>" : "}";
      return out;
    }
    case Kind::Callable:
      return (callable()->is_macro ? "<Macro '" : "<function '") + callable()->name + "'>";
  }
  return "";
}

std::string Value::type_name() const {
  switch (kind()) {
    case Kind::Undefined:
      return "Undefined";
    case Kind::None:
      return "NoneType";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::List:
      return list()->tuple ? "tuple" : "list";
    case Kind::Dict:
      return dict()->is_namespace ? "Namespace" : "dict";
    case Kind::Callable:
      return callable()->is_macro ? "Macro" : "function";
  }
  return "object";
}

std::string Value::object_type_repr() const {
  if (is_none()) return "None";
  return type_name() + " object";
}

bool Value::equals(const Value& other) const {
  ValueDepthGuard guard;
  if (is_number() && other.is_number()) {
    if ((is_int() || is_bool()) && (other.is_int() || other.is_bool())) {
      const int64_t a = is_int() ? as_int() : int64_t{as_bool()};
      const int64_t b = other.is_int() ? other.as_int() : int64_t{other.as_bool()};
      return a == b;
    }
    return to_double() == other.to_double();
  }
  if (kind() != other.kind()) return false;
  switch (kind()) {
    case Kind::Undefined:
    case Kind::None:
      return true;
    case Kind::String:
      return str() == other.str();
    case Kind::List: {
      if (list()->tuple != other.list()->tuple) return false;  // [1] != (1,) in Python
      const auto& a = list()->items;
      const auto& b = other.list()->items;
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!a[i].equals(b[i])) return false;
      return true;
    }
    case Kind::Dict: {
      if (dict() == other.dict()) return true;
      if (dict()->is_namespace || other.dict()->is_namespace) return false;
      const auto& a = dict()->items;
      if (a.size() != other.dict()->items.size()) return false;
      for (const auto& [k, v] : a) {
        const Value* o = other.dict()->find(k);
        if (!o || !v.equals(*o)) return false;
      }
      return true;
    }
    case Kind::Callable:
      return callable() == other.callable();
    default:
      return false;
  }
}

int Value::compare(const Value& a, const Value& b) {
  ValueDepthGuard guard;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      const double x = a.to_double(), y = b.to_double();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    const int64_t x = a.is_int() ? a.as_int() : int64_t{a.as_bool()};
    const int64_t y = b.is_int() ? b.as_int() : int64_t{b.as_bool()};
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    const int c = a.str().compare(b.str());  // UTF-8 byte order is code point order
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_list() && b.is_list()) {
    const auto& x = a.list()->items;
    const auto& y = b.list()->items;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (x[i].equals(y[i])) continue;
      return compare(x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  if (a.is_undefined()) a.fail_undefined();
  if (b.is_undefined()) b.fail_undefined();
  throw EvalError("'<' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() +
                  "'");
}

Value Value::from_json(const nlohmann::ordered_json& j) {
  ValueDepthGuard guard;
  using T = nlohmann::ordered_json::value_t;
  switch (j.type()) {
    case T::null:
      return none();
    case T::boolean:
      return Value(j.get<bool>());
    case T::number_integer:
      return Value(j.get<int64_t>());
    case T::number_unsigned: {
      const auto u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<int64_t>(u));
      return Value(static_cast<double>(u));
    }
    case T::number_float:
      return Value(j.get<double>());
    case T::string:
      return Value(j.get<std::string>());
    case T::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json(e));
      return new_list(std::move(items));
    }
    case T::object: {
      auto d = std::make_shared<Dict>();
      d->items.reserve(j.size());
      for (const auto& [k, v] : j.items()) {
        Value value = from_json(v);
        d->depth = std::max(d->depth, nested_depth(value));
        d->items.emplace_back(Value(k), std::move(value));
      }
      return Value(std::move(d));
    }
    default:
      return none();  // binary / discarded: not produced by the JSON parser
  }
}

namespace {

void json_dump(const Value& v, int indent, int level, std::string& out, int depth) {
  if (depth > 512) throw EvalError("tojson: value nested too deeply");
  using K = Value::Kind;
  auto newline = [&](int lvl) {
    out.push_back('\n');
    out.append(static_cast<size_t>(indent * lvl), ' ');
  };
  switch (v.kind()) {
    case K::None:
      out += "null";
      return;
    case K::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case K::Int:
      out += text::int_str(v.as_int());
      return;
    case K::Float: {
      const double d = v.as_float();
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d < 0 ? "-Infinity" : "Infinity";
      else
        out += text::float_repr(d);
      return;
    }
    case K::String:
      out += text::json_string(v.str());
      return;
    case K::List: {
      const auto& items = v.list()->items;
      if (items.empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += indent >= 0 ? "," : ", ";
        if (indent >= 0) newline(level + 1);
        json_dump(items[i], indent, level + 1, out, depth + 1);
      }
      if (indent >= 0) newline(level);
      out.push_back(']');
      return;
    }
    case K::Dict: {
      const auto& d = *v.dict();
      if (d.is_namespace) throw EvalError("Object of type Namespace is not JSON serializable");
      if (d.items.empty()) {
        out += "{}";
        return;
      }
      out.push_back('{');
      for (size_t i = 0; i < d.items.size(); ++i) {
        if (i) out += indent >= 0 ? "," : ", ";
        if (indent >= 0) newline(level + 1);
        const Value& k = d.items[i].first;
        // json.dumps turns non-string keys into strings the way JSON spells them.
        if (k.is_string())
          out += text::json_string(k.str());
        else if (k.is_none())
          out += "\"null\"";
        else if (k.is_bool())
          out += k.as_bool() ? "\"true\"" : "\"false\"";
        else if (k.is_int() || k.is_float())
          out += "\"" + k.to_str() + "\"";
        else
          throw EvalError("keys must be str, int, float, bool or None, not " + k.type_name());
        out += ": ";
        json_dump(d.items[i].second, indent, level + 1, out, depth + 1);
      }
      if (indent >= 0) newline(level);
      out.push_back('}');
      return;
    }
    case K::Undefined:
    case K::Callable:
      throw EvalError("Object of type " + v.type_name() + " is not JSON serializable");
  }
}

}  // namespace

std::string Value::to_json(int indent) const {
  std::string out;
  json_dump(*this, indent, 0, out, 0);
  return out;
}

void Value::fail_undefined() const {
  const std::string& m = undefined_message();
  throw EvalError(m.empty() ? "undefined value" : m);
}

}  // namespace glasswing::chat::jinja
