#pragma once
// Jinja's built-in filters and tests, Python's str/dict/list methods that templates call, and the global
// functions chat templates expect (range, namespace, dict, raise_exception, strftime_now).
#include <optional>
#include <string>

#include "inference/chat/jinja_value.h"

namespace glasswing::chat::jinja {

class Interpreter;
struct Scope;

// Throws EvalError for an unknown filter/test or bad arguments.
Value apply_filter(Interpreter& interp, const std::string& name, const Value& operand, CallArgs& args);
bool apply_test(Interpreter& interp, const std::string& name, const Value& operand, CallArgs& args);
bool has_filter(const std::string& name);
bool has_test(const std::string& name);

// The bound method `name` of a str, dict or list value (e.g. "abc".upper), or nullopt.
std::optional<Value> get_method(const Value& object, const std::string& name);

// Adds range, namespace, dict, raise_exception, strftime_now to a scope.
void install_globals(Scope& scope);

// markupsafe.escape: & < > " ' as HTML entities.
std::string escape_html(const std::string& s);

// Python's printf-style `fmt % args` (%s %r %d %i %f %x %%), used by the `format` filter and `%` on strings.
std::string percent_format(const std::string& fmt, const std::vector<Value>& args);

}  // namespace glasswing::chat::jinja
