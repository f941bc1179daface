#pragma once
// The value type of the Jinja interpreter: Python-like dynamic values (None, bool, int, float, str, list,
// dict, callables) plus Jinja's Undefined, which renders as "" but fails when used as an object.
//
// Lists and dicts are shared by reference, as in Python: a namespace() or a list mutated through one name
// is seen through every other. Strings are UTF-8; length/index/slice work on code points (see jinja_text.h).
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace glasswing::chat::jinja {

// A failure without a source position; the interpreter adds the line:column of the node that failed.
struct EvalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Value;
class Interpreter;

struct Undefined {
  std::string message;  // what Jinja would say when it is used as an object: "'x' is undefined"
};
struct None {};

// Lists and dicts track how deeply they nest (1 + the deepest element) so that no value can nest deeper
// than kMaxValueNesting: every recursive walk, destruction included, then stays within a small stack.
inline constexpr int kMaxValueNesting = 500;

struct List {
  std::vector<Value> items;
  bool tuple = false;  // only changes how it prints: (a, b)
  int depth = 1;

  void push_back(Value v);  // list.append, keeping `depth` and refusing to contain itself
};

struct Dict {
  std::vector<std::pair<Value, Value>> items;  // insertion order, as Python dicts
  bool is_namespace = false;                   // namespace(): the only object `set ns.attr = v` may change
  int depth = 1;

  const Value* find(const Value& key) const;
  Value* find(const Value& key);
  const Value* find(std::string_view key) const;
  void set(Value key, Value value);  // keeps `depth`; refuses to contain itself
};

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> named;

  // The argument at `index` or named `name`; nullptr when absent.
  const Value* get(size_t index, std::string_view name) const;
  const Value* named_arg(std::string_view name) const;
};

struct Callable {
  std::string name;
  bool is_macro = false;
  std::function<Value(Interpreter&, CallArgs&)> fn;
};

using ListPtr = std::shared_ptr<List>;
using DictPtr = std::shared_ptr<Dict>;
using CallablePtr = std::shared_ptr<const Callable>;

class Value {
 public:
  enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Callable };

  Value() : v_(Undefined{}) {}
  Value(None) : v_(None{}) {}
  Value(bool b) : v_(b) {}
  Value(int i) : v_(int64_t{i}) {}
  Value(int64_t i) : v_(i) {}
  Value(double d) : v_(d) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(ListPtr l) : v_(std::move(l)) {}
  Value(DictPtr d) : v_(std::move(d)) {}
  Value(CallablePtr c) : v_(std::move(c)) {}
  Value(Undefined u) : v_(std::move(u)) {}

  static Value undefined(std::string message) { return Value(Undefined{std::move(message)}); }
  // A string marked safe (|safe, |escape): as with markupsafe.Markup, `+` with a plain string HTML-escapes
  // the plain one. Hugging Face renders some templates (functionary v3.1) through this quirk.
  static Value markup(std::string s) {
    Value v(std::move(s));
    v.markup_ = true;
    return v;
  }
  bool is_markup() const { return markup_ && is_string(); }
  static Value none() { return Value(None{}); }
  static Value new_list(std::vector<Value> items = {}, bool tuple = false);
  static Value new_dict();
  static Value function(std::string name, std::function<Value(Interpreter&, CallArgs&)> fn);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_undefined() const { return kind() == Kind::Undefined; }
  bool is_none() const { return kind() == Kind::None; }
  bool is_bool() const { return kind() == Kind::Bool; }
  bool is_int() const { return kind() == Kind::Int; }
  bool is_float() const { return kind() == Kind::Float; }
  bool is_number() const { return is_int() || is_float() || is_bool(); }  // Python: bool is a Number
  bool is_string() const { return kind() == Kind::String; }
  bool is_list() const { return kind() == Kind::List; }
  bool is_dict() const { return kind() == Kind::Dict; }
  bool is_callable() const { return kind() == Kind::Callable; }

  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_float() const { return std::get<double>(v_); }
  double to_double() const;  // int, float or bool
  const std::string& str() const { return std::get<std::string>(v_); }
  const ListPtr& list() const { return std::get<ListPtr>(v_); }
  const DictPtr& dict() const { return std::get<DictPtr>(v_); }
  const CallablePtr& callable() const { return std::get<CallablePtr>(v_); }
  const std::string& undefined_message() const { return std::get<Undefined>(v_).message; }
  int nesting() const;  // 0 for scalars, else the list/dict depth

  bool truthy() const;            // Python truthiness; Undefined is false
  std::string to_str() const;     // Python str(); Undefined is ""
  std::string repr() const;       // Python repr(), as lists and dicts print their items
  std::string type_name() const;  // Python type name: "str", "dict", "NoneType"...
  // Jinja's object_type_repr: "dict object", "None", "list object".
  std::string object_type_repr() const;

  // Python == (1 == 1.0 == True; lists and dicts compare deeply).
  bool equals(const Value& other) const;
  // Python <, for sort and comparison operators. Throws EvalError for unorderable types.
  static int compare(const Value& a, const Value& b);

  static Value from_json(const nlohmann::ordered_json& j);
  // json.dumps(value, ensure_ascii=False, indent=indent) with Python's separators; indent < 0 means none.
  std::string to_json(int indent = -1) const;

  // Throws EvalError with the Undefined's message; used wherever Jinja's Undefined would raise.
  [[noreturn]] void fail_undefined() const;

 private:
  std::variant<Undefined, None, bool, int64_t, double, std::string, ListPtr, DictPtr, CallablePtr> v_;
  bool markup_ = false;
};

}  // namespace glasswing::chat::jinja
