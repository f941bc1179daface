#include "inference/chat/jinja_builtins.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <unordered_map>

#include "inference/chat/jinja_interpreter.h"
#include "inference/chat/jinja_text.h"

namespace glasswing::chat::jinja {

namespace {

using FilterFn = std::function<Value(Interpreter&, const Value&, CallArgs&)>;
using TestFn = std::function<bool(Interpreter&, const Value&, CallArgs&)>;

// ---- argument helpers ----

const Value* arg(const CallArgs& a, size_t i, std::string_view name) {
  return a.get(i, name);
}

int64_t int_arg(const CallArgs& a, size_t i, std::string_view name, int64_t fallback, const char* fn) {
  const Value* v = arg(a, i, name);
  if (!v || v->is_undefined() || v->is_none()) return fallback;
  if (v->is_int()) return v->as_int();
  if (v->is_bool()) return v->as_bool();
  throw EvalError(std::string(fn) + ": argument '" + std::string(name) + "' must be an integer, got " +
                  v->type_name());
}

bool bool_arg(const CallArgs& a, size_t i, std::string_view name, bool fallback) {
  const Value* v = arg(a, i, name);
  if (!v || v->is_undefined()) return fallback;
  return v->truthy();
}

std::string str_arg(const CallArgs& a, size_t i, std::string_view name, const std::string& fallback) {
  const Value* v = arg(a, i, name);
  if (!v || v->is_undefined() || v->is_none()) return fallback;
  return v->to_str();
}

const std::string& require_str(const Value& v, const char* fn) {
  if (v.is_undefined()) v.fail_undefined();
  if (!v.is_string()) throw EvalError(std::string(fn) + " expects a string, got " + v.type_name());
  return v.str();
}

// Jinja's make_attrgetter: "a.b.0" looks up item a, then b, then index 0.
Value lookup_path(const Value& item, const std::string& path) {
  Value cur = item;
  size_t pos = 0;
  while (true) {
    const size_t dot = path.find('.', pos);
    const std::string part = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    const bool numeric = part.size() <= 18 && !part.empty() &&
                         std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    cur = get_item(cur, numeric ? Value(static_cast<int64_t>(std::stoll(part))) : Value(part));
    if (dot == std::string::npos) return cur;
    pos = dot + 1;
  }
}

// Sort key comparison, case-insensitive for strings unless asked otherwise (Jinja's default).
Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(text::lower(v.str()));
  return v;
}

std::vector<Value> seq_of(const Value& v) {
  return iterate(v);
}

std::string join_strs(const std::vector<Value>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i].to_str();
  }
  return out;
}

std::vector<std::string> splitlines(const std::string& s) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' || s[i] == '\r') {
      lines.push_back(s.substr(start, i - start));
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < s.size()) lines.push_back(s.substr(start));
  return lines;
}

Value sorted_keys_copy(const Value& v) {
  if (v.is_list()) {
    std::vector<Value> items;
    for (const auto& x : v.list()->items) items.push_back(sorted_keys_copy(x));
    return Value::new_list(std::move(items), v.list()->tuple);
  }
  if (v.is_dict() && !v.dict()->is_namespace) {
    auto d = std::make_shared<Dict>();
    for (const auto& [k, x] : v.dict()->items) d->items.emplace_back(k, sorted_keys_copy(x));
    std::stable_sort(d->items.begin(), d->items.end(),
                     [](const auto& a, const auto& b) { return Value::compare(a.first, b.first) < 0; });
    return Value(std::move(d));
  }
  return v;
}

std::string ascii_escape(const std::string& json) {
  std::string out;
  for (char32_t c : text::decode(json)) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    char buf[16];
    if (c >= 0x10000) {
      const char32_t v = c - 0x10000;
      std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 + (v >> 10)),
                    static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
    } else {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
    }
    out += buf;
  }
  return out;
}

// Python's round(x, digits): correctly rounded from the exact binary value (round(2.675, 2) == 2.67), ties
// to even. glibc's printf rounds the exact value the same way.
double python_round(double x, int64_t digits) {
  if (!std::isfinite(x)) return x;
  if (digits >= 0 && digits <= 300) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(digits), x);
    return std::strtod(buf, nullptr);
  }
  const double scale = std::pow(10.0, static_cast<double>(digits));
  if (scale == 0 || !std::isfinite(x * scale)) return digits < 0 ? 0.0 * x : x;
  return std::nearbyint(x * scale) / scale;
}

// Jinja's title filter (not str.title): words start after whitespace, '-', '(', '{', '[' or '<'; the first
// character of each word is upper-cased and the rest lower-cased.
std::string jinja_title(const std::string& s) {
  std::u32string u = text::decode(s);
  bool word_start = true;
  for (auto& c : u) {
    const bool sep = text::is_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    if (sep) {
      word_start = true;
      continue;
    }
    c = word_start ? text::to_upper(c) : text::to_lower(c);
    word_start = false;
  }
  return text::encode(u);
}

// ---- filters ----

Value f_select_impl(Interpreter& in, const Value& v, CallArgs& a, bool by_attr, bool keep) {
  std::vector<Value> out;
  const size_t first_test_arg = by_attr ? 1 : 0;
  std::string attr;
  if (by_attr) {
    const Value* at = arg(a, 0, "");
    if (!at) throw EvalError("selectattr/rejectattr need an attribute name");
    attr = at->to_str();
  }
  const Value* test = a.positional.size() > first_test_arg ? &a.positional[first_test_arg] : nullptr;
  CallArgs test_args;
  for (size_t i = first_test_arg + 1; i < a.positional.size(); ++i)
    test_args.positional.push_back(a.positional[i]);
  if (!v.truthy()) return Value::new_list();  // Jinja skips a falsy input (None, undefined) entirely
  for (const auto& item : seq_of(v)) {
    in.step();
    const Value subject = by_attr ? lookup_path(item, attr) : item;
    bool ok;
    if (test) {
      CallArgs copy = test_args;
      ok = apply_test(in, test->to_str(), subject, copy);
    } else {
      ok = subject.truthy();
    }
    if (ok == keep) out.push_back(item);
  }
  return Value::new_list(std::move(out));
}

Value f_map(Interpreter& in, const Value& v, CallArgs& a) {
  std::vector<Value> out;
  if (!v.truthy()) return Value::new_list();  // as Jinja: map over None or undefined yields nothing
  if (const Value* attr = a.named_arg("attribute")) {
    const Value* dflt = a.named_arg("default");
    for (const auto& item : seq_of(v)) {
      Value x = lookup_path(item, attr->to_str());
      if (x.is_undefined() && dflt) x = *dflt;
      out.push_back(std::move(x));
    }
    return Value::new_list(std::move(out));
  }
  if (a.positional.empty()) throw EvalError("map needs a filter name or attribute=");
  const std::string filter = a.positional[0].to_str();
  CallArgs rest;
  rest.positional.assign(a.positional.begin() + 1, a.positional.end());
  rest.named = a.named;
  for (const auto& item : seq_of(v)) {
    in.step();
    CallArgs copy = rest;
    out.push_back(apply_filter(in, filter, item, copy));
  }
  return Value::new_list(std::move(out));
}

Value f_sort(Interpreter&, const Value& v, CallArgs& a) {
  const bool reverse = bool_arg(a, 0, "reverse", false);
  const bool cs = bool_arg(a, 1, "case_sensitive", false);
  const Value* attr = a.get(2, "attribute");
  std::vector<Value> items = seq_of(v);
  std::vector<std::pair<Value, Value>> keyed;
  for (auto& x : items) keyed.emplace_back(sort_key(attr ? lookup_path(x, attr->to_str()) : x, cs), x);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& l, const auto& r) {
    return reverse ? Value::compare(r.first, l.first) < 0 : Value::compare(l.first, r.first) < 0;
  });
  std::vector<Value> out;
  for (auto& [k, x] : keyed) out.push_back(std::move(x));
  return Value::new_list(std::move(out));
}

Value f_minmax(const Value& v, CallArgs& a, bool want_max) {
  const bool cs = bool_arg(a, 0, "case_sensitive", false);
  const Value* attr = a.get(1, "attribute");
  std::vector<Value> items = seq_of(v);
  if (items.empty()) return Value::undefined(std::string("No aggregated item, sequence was empty."));
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    const Value ki = sort_key(attr ? lookup_path(items[i], attr->to_str()) : items[i], cs);
    const Value kb = sort_key(attr ? lookup_path(items[best], attr->to_str()) : items[best], cs);
    const int c = Value::compare(ki, kb);
    if (want_max ? c > 0 : c < 0) best = i;
  }
  return items[best];
}

Value f_unique(Interpreter&, const Value& v, CallArgs& a) {
  const bool cs = bool_arg(a, 0, "case_sensitive", false);
  const Value* attr = a.get(1, "attribute");
  std::vector<Value> out, seen;
  for (const auto& x : seq_of(v)) {
    const Value key = sort_key(attr ? lookup_path(x, attr->to_str()) : x, cs);
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return s.equals(key); })) continue;
    seen.push_back(key);
    out.push_back(x);
  }
  return Value::new_list(std::move(out));
}

Value f_tojson(Interpreter&, const Value& v, CallArgs& a) {
  const Value* ind = a.get(0, "indent");
  int indent = -1;
  if (ind && !ind->is_none() && !ind->is_undefined()) {
    if (!ind->is_int()) throw EvalError("tojson: indent must be an integer");
    indent = static_cast<int>(std::clamp<int64_t>(ind->as_int(), 0, 64));
  }
  if (const Value* sep = a.named_arg("separators"); sep && !sep->is_none())
    throw EvalError("tojson: the separators argument is not supported");
  const Value subject = bool_arg(a, 99, "sort_keys", false) ? sorted_keys_copy(v) : v;
  std::string out = subject.to_json(indent);
  if (bool_arg(a, 99, "ensure_ascii", false)) out = ascii_escape(out);
  return Value(std::move(out));
}

Value f_indent(Interpreter&, const Value& v, CallArgs& a) {
  std::string indention;
  const Value* w = a.get(0, "width");
  if (w && w->is_string())
    indention = w->str();
  else
    indention = std::string(
        static_cast<size_t>(std::clamp<int64_t>(int_arg(a, 0, "width", 4, "indent"), 0, 1024)), ' ');
  const bool first = bool_arg(a, 1, "first", false);
  const bool blank = bool_arg(a, 2, "blank", false);
  const std::string s = v.to_str() + "\n";
  std::vector<std::string> lines = splitlines(s);
  std::string rv;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i) rv += "\n" + indention;
      rv += lines[i];
    }
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); ++i) rv += "\n" + (lines[i].empty() ? "" : indention + lines[i]);
  }
  if (first) rv = indention + rv;
  return Value(std::move(rv));
}

Value f_int(const Value& v, CallArgs& a) {
  const int64_t dflt = int_arg(a, 0, "default", 0, "int");
  const int base = static_cast<int>(int_arg(a, 1, "base", 10, "int"));
  if (v.is_int()) return v;
  if (v.is_bool()) return Value(int64_t{v.as_bool()});
  if (v.is_float()) {
    if (!std::isfinite(v.as_float())) return Value(dflt);
    return Value(static_cast<int64_t>(std::trunc(v.as_float())));
  }
  if (v.is_string()) {
    const std::string s = text::strip(v.str(), nullptr, true, true);
    errno = 0;
    char* end = nullptr;
    const long long i = std::strtoll(s.c_str(), &end, base);
    if (!s.empty() && *end == '\0' && errno == 0) return Value(static_cast<int64_t>(i));
    const double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && *end == '\0' && std::isfinite(d)) return Value(static_cast<int64_t>(std::trunc(d)));
  }
  return Value(dflt);
}

Value f_float(const Value& v, CallArgs& a) {
  const Value* d = a.get(0, "default");
  const double dflt = d && d->is_number() ? d->to_double() : 0.0;
  if (v.is_number()) return Value(v.to_double());
  if (v.is_string()) {
    const std::string s = text::strip(v.str(), nullptr, true, true);
    char* end = nullptr;
    const double x = std::strtod(s.c_str(), &end);
    if (!s.empty() && *end == '\0') return Value(x);
  }
  return Value(dflt);
}

Value f_round(const Value& v, CallArgs& a) {
  const int64_t precision = int_arg(a, 0, "precision", 0, "round");
  const std::string method = str_arg(a, 1, "method", "common");
  if (v.is_undefined()) v.fail_undefined();
  if (!v.is_number()) throw EvalError("round expects a number, got " + v.type_name());
  const double x = v.to_double();
  const double scale = std::pow(10.0, static_cast<double>(precision));
  if (method == "common") {
    if (v.is_int() || v.is_bool())
      return Value(v.is_int() ? v.as_int() : int64_t{v.as_bool()});  // round(int) is int
    return Value(python_round(x, precision));
  }
  if (method == "ceil") return Value(std::ceil(x * scale) / scale);
  if (method == "floor") return Value(std::floor(x * scale) / scale);
  throw EvalError("method must be common, ceil or floor");
}

}  // namespace

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

namespace {

const std::unordered_map<std::string, FilterFn>& filters() {
  static const std::unordered_map<std::string, FilterFn> table = [] {
    std::unordered_map<std::string, FilterFn> t;
    t["abs"] = [](Interpreter&, const Value& v, CallArgs&) -> Value {
      if (v.is_int()) return v.as_int() < 0 ? Value(-v.as_int()) : v;
      if (v.is_number()) return Value(std::fabs(v.to_double()));
      if (v.is_undefined()) v.fail_undefined();
      throw EvalError("bad operand type for abs(): '" + v.type_name() + "'");
    };
    t["attr"] = [](Interpreter&, const Value& v, CallArgs& a) {
      return get_attr(v, str_arg(a, 0, "name", ""));
    };
    t["capitalize"] = [](Interpreter&, const Value& v, CallArgs&) {
      return Value(text::capitalize(v.to_str()));
    };
    t["default"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const Value* d = a.get(0, "default_value");
      const bool boolean = bool_arg(a, 1, "boolean", false);
      if (v.is_undefined() || (boolean && !v.truthy())) return d ? *d : Value("");
      return v;
    };
    t["d"] = t["default"];
    t["dictsort"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      if (!v.is_dict()) throw EvalError("dictsort expects a dict");
      const bool cs = bool_arg(a, 0, "case_sensitive", false);
      const bool by_value = str_arg(a, 1, "by", "key") == "value";
      const bool reverse = bool_arg(a, 2, "reverse", false);
      std::vector<std::pair<Value, Value>> items = v.dict()->items;
      std::stable_sort(items.begin(), items.end(), [&](const auto& l, const auto& r) {
        const int c = Value::compare(sort_key(by_value ? l.second : l.first, cs),
                                     sort_key(by_value ? r.second : r.first, cs));
        return reverse ? c > 0 : c < 0;
      });
      std::vector<Value> out;
      for (auto& [k, x] : items) out.push_back(Value::new_list({k, x}, true));
      return Value::new_list(std::move(out));
    };
    t["escape"] = [](Interpreter&, const Value& v, CallArgs&) {
      return v.is_markup() ? v : Value::markup(escape_html(v.to_str()));
    };
    t["e"] = t["escape"];
    t["forceescape"] = [](Interpreter&, const Value& v, CallArgs&) {
      return Value::markup(escape_html(v.to_str()));
    };
    t["first"] = [](Interpreter&, const Value& v, CallArgs&) -> Value {
      if (v.is_list())
        return v.list()->items.empty() ? Value::undefined("No first item, sequence was empty.")
                                       : v.list()->items.front();
      std::vector<Value> items = seq_of(v);
      return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
    };
    t["last"] = [](Interpreter&, const Value& v, CallArgs&) -> Value {
      std::vector<Value> items = seq_of(v);
      return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
    };
    t["float"] = [](Interpreter&, const Value& v, CallArgs& a) { return f_float(v, a); };
    t["int"] = [](Interpreter&, const Value& v, CallArgs& a) { return f_int(v, a); };
    t["format"] = [](Interpreter&, const Value& v, CallArgs& a) {
      return Value(percent_format(require_str(v, "format"), a.positional));
    };
    t["indent"] = f_indent;
    t["items"] = [](Interpreter&, const Value& v, CallArgs&) -> Value {
      if (v.is_undefined()) return Value::new_list();
      if (!v.is_dict() || v.dict()->is_namespace) throw EvalError("Can only get item pairs from a mapping.");
      std::vector<Value> out;
      for (const auto& [k, x] : v.dict()->items) out.push_back(Value::new_list({k, x}, true));
      return Value::new_list(std::move(out));
    };
    t["join"] = [](Interpreter&, const Value& v, CallArgs& a) {
      const std::string sep = str_arg(a, 0, "d", "");
      std::vector<Value> items = seq_of(v);
      if (const Value* attr = a.get(1, "attribute"))
        for (auto& x : items) x = lookup_path(x, attr->to_str());
      return Value(join_strs(items, sep));
    };
    t["length"] = [](Interpreter&, const Value& v, CallArgs&) -> Value {
      switch (v.kind()) {
        case Value::Kind::Undefined:
          return Value(int64_t{0});
        case Value::Kind::String:
          return Value(static_cast<int64_t>(text::length(v.str())));
        case Value::Kind::List:
          return Value(static_cast<int64_t>(v.list()->items.size()));
        case Value::Kind::Dict:
          if (!v.dict()->is_namespace) return Value(static_cast<int64_t>(v.dict()->items.size()));
          [[fallthrough]];
        default:
          throw EvalError("object of type '" + v.type_name() + "' has no len()");
      }
    };
    t["count"] = t["length"];
    t["list"] = [](Interpreter&, const Value& v, CallArgs&) { return Value::new_list(seq_of(v)); };
    t["lower"] = [](Interpreter&, const Value& v, CallArgs&) { return Value(text::lower(v.to_str())); };
    t["upper"] = [](Interpreter&, const Value& v, CallArgs&) { return Value(text::upper(v.to_str())); };
    t["title"] = [](Interpreter&, const Value& v, CallArgs&) { return Value(jinja_title(v.to_str())); };
    t["map"] = f_map;
    t["max"] = [](Interpreter&, const Value& v, CallArgs& a) { return f_minmax(v, a, true); };
    t["min"] = [](Interpreter&, const Value& v, CallArgs& a) { return f_minmax(v, a, false); };
    t["pprint"] = [](Interpreter&, const Value& v, CallArgs&) { return Value(v.repr()); };
    t["reject"] = [](Interpreter& in, const Value& v, CallArgs& a) {
      return f_select_impl(in, v, a, false, false);
    };
    t["select"] = [](Interpreter& in, const Value& v, CallArgs& a) {
      return f_select_impl(in, v, a, false, true);
    };
    t["rejectattr"] = [](Interpreter& in, const Value& v, CallArgs& a) {
      return f_select_impl(in, v, a, true, false);
    };
    t["selectattr"] = [](Interpreter& in, const Value& v, CallArgs& a) {
      return f_select_impl(in, v, a, true, true);
    };
    t["replace"] = [](Interpreter&, const Value& v, CallArgs& a) {
      const Value* from = a.get(0, "old");
      const Value* to = a.get(1, "new");
      if (!from || !to) throw EvalError("replace needs the old and new strings");
      return Value(
          text::replace(v.to_str(), from->to_str(), to->to_str(), int_arg(a, 2, "count", -1, "replace")));
    };
    t["reverse"] = [](Interpreter&, const Value& v, CallArgs&) -> Value {
      if (v.is_string()) {
        std::u32string u = text::decode(v.str());
        std::reverse(u.begin(), u.end());
        return Value(text::encode(u));
      }
      std::vector<Value> items = seq_of(v);
      std::reverse(items.begin(), items.end());
      return Value::new_list(std::move(items));
    };
    t["round"] = [](Interpreter&, const Value& v, CallArgs& a) { return f_round(v, a); };
    t["safe"] = [](Interpreter&, const Value& v, CallArgs&) { return Value::markup(v.to_str()); };
    t["sort"] = f_sort;
    t["string"] = [](Interpreter&, const Value& v, CallArgs&) { return Value(v.to_str()); };
    t["sum"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const Value* attr = a.get(0, "attribute");
      const Value* start = a.get(1, "start");
      Value total = start ? *start : Value(int64_t{0});
      for (const auto& x : seq_of(v))
        total = binary_op("+", total, attr ? lookup_path(x, attr->to_str()) : x, Limits{});
      return total;
    };
    t["tojson"] = f_tojson;
    t["trim"] = [](Interpreter&, const Value& v, CallArgs& a) {
      const Value* chars = a.get(0, "chars");
      if (chars && !chars->is_none() && !chars->is_undefined()) {
        const std::u32string set = text::decode(chars->to_str());
        return Value(text::strip(v.to_str(), &set, true, true));
      }
      return Value(text::strip(v.to_str(), nullptr, true, true));
    };
    t["unique"] = f_unique;
    t["wordcount"] = [](Interpreter&, const Value& v, CallArgs&) {
      return Value(static_cast<int64_t>(text::split(v.to_str(), nullptr, -1).size()));
    };
    return t;
  }();
  return table;
}

// ---- tests ----

bool is_iterable(const Value& v) {
  return v.is_undefined() || v.is_string() || v.is_list() || (v.is_dict() && !v.dict()->is_namespace);
}

const Value& test_operand(const CallArgs& a, const char* name) {
  const Value* v = a.get(0, "");
  if (!v) throw EvalError(std::string("test '") + name + "' needs an argument");
  return *v;
}

const std::unordered_map<std::string, TestFn>& tests() {
  static const std::unordered_map<std::string, TestFn> table = [] {
    std::unordered_map<std::string, TestFn> t;
    t["defined"] = [](Interpreter&, const Value& v, CallArgs&) { return !v.is_undefined(); };
    t["undefined"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_undefined(); };
    t["none"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_none(); };
    t["boolean"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_bool(); };
    t["true"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_bool() && v.as_bool(); };
    t["false"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_bool() && !v.as_bool(); };
    t["integer"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_int(); };
    t["float"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_float(); };
    t["number"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_number(); };
    t["string"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_string(); };
    t["mapping"] = [](Interpreter&, const Value& v, CallArgs&) {
      return v.is_dict() && !v.dict()->is_namespace;
    };
    t["iterable"] = [](Interpreter&, const Value& v, CallArgs&) { return is_iterable(v); };
    t["sequence"] = [](Interpreter&, const Value& v, CallArgs&) { return is_iterable(v); };
    t["callable"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_callable(); };
    t["sameas"] = [](Interpreter&, const Value& v, CallArgs& a) {
      const Value& o = test_operand(a, "sameas");
      if (v.kind() != o.kind()) return false;
      if (v.is_list()) return v.list() == o.list();
      if (v.is_dict()) return v.dict() == o.dict();
      return v.equals(o);
    };
    t["eq"] = [](Interpreter&, const Value& v, CallArgs& a) { return v.equals(test_operand(a, "eq")); };
    t["equalto"] = t["eq"];
    t["=="] = t["eq"];
    t["ne"] = [](Interpreter&, const Value& v, CallArgs& a) { return !v.equals(test_operand(a, "ne")); };
    t["!="] = t["ne"];
    t["lt"] = [](Interpreter&, const Value& v, CallArgs& a) {
      return Value::compare(v, test_operand(a, "lt")) < 0;
    };
    t["lessthan"] = t["lt"];
    t["<"] = t["lt"];
    t["le"] = [](Interpreter&, const Value& v, CallArgs& a) {
      return Value::compare(v, test_operand(a, "le")) <= 0;
    };
    t["<="] = t["le"];
    t["gt"] = [](Interpreter&, const Value& v, CallArgs& a) {
      return Value::compare(v, test_operand(a, "gt")) > 0;
    };
    t["greaterthan"] = t["gt"];
    t[">"] = t["gt"];
    t["ge"] = [](Interpreter&, const Value& v, CallArgs& a) {
      return Value::compare(v, test_operand(a, "ge")) >= 0;
    };
    t[">="] = t["ge"];
    t["in"] = [](Interpreter&, const Value& v, CallArgs& a) { return contains(test_operand(a, "in"), v); };
    t["lower"] = [](Interpreter&, const Value& v, CallArgs&) {
      return v.is_string() && text::lower(v.str()) == v.str();
    };
    t["upper"] = [](Interpreter&, const Value& v, CallArgs&) {
      return v.is_string() && text::upper(v.str()) == v.str();
    };
    t["even"] = [](Interpreter&, const Value& v, CallArgs&) {
      if (!v.is_int()) throw EvalError("test 'even' expects an integer");
      return v.as_int() % 2 == 0;
    };
    t["odd"] = [](Interpreter&, const Value& v, CallArgs&) {
      if (!v.is_int()) throw EvalError("test 'odd' expects an integer");
      return v.as_int() % 2 != 0;
    };
    t["divisibleby"] = [](Interpreter&, const Value& v, CallArgs& a) {
      const Value& d = test_operand(a, "divisibleby");
      if (!v.is_int() || !d.is_int()) throw EvalError("test 'divisibleby' expects integers");
      if (d.as_int() == 0) throw EvalError("integer division or modulo by zero");
      return v.as_int() % d.as_int() == 0;
    };
    t["escaped"] = [](Interpreter&, const Value&, CallArgs&) { return false; };
    t["filter"] = [](Interpreter&, const Value& v, CallArgs&) {
      return v.is_string() && has_filter(v.str());
    };
    t["test"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_string() && has_test(v.str()); };
    return t;
  }();
  return table;
}

// ---- methods ----

Value bound(const std::string& name, std::function<Value(CallArgs&)> fn) {
  return Value::function(name, [fn = std::move(fn)](Interpreter&, CallArgs& a) { return fn(a); });
}

std::optional<Value> string_method(const Value& self, const std::string& name) {
  const std::string s = self.str();
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    const bool l = name != "rstrip", r = name != "lstrip";
    return bound(name, [s, l, r](CallArgs& a) {
      const Value* chars = a.get(0, "chars");
      if (chars && chars->is_string()) {
        const std::u32string set = text::decode(chars->str());
        return Value(text::strip(s, &set, l, r));
      }
      return Value(text::strip(s, nullptr, l, r));
    });
  }
  if (name == "split" || name == "rsplit") {
    const bool right = name == "rsplit";
    return bound(name, [s, right](CallArgs& a) {
      const Value* sep = a.get(0, "sep");
      const int64_t maxsplit = int_arg(a, 1, "maxsplit", -1, "split");
      std::string sep_s;
      const std::string* sep_p = nullptr;
      if (sep && !sep->is_none()) {
        sep_s = require_str(*sep, "split");
        if (sep_s.empty()) throw EvalError("empty separator");
        sep_p = &sep_s;
      }
      std::vector<Value> out;
      for (auto& part : right ? text::rsplit(s, sep_p, maxsplit) : text::split(s, sep_p, maxsplit))
        out.emplace_back(std::move(part));
      return Value::new_list(std::move(out));
    });
  }
  if (name == "splitlines")
    return bound(name, [s](CallArgs&) {
      std::vector<Value> out;
      for (auto& l : splitlines(s)) out.emplace_back(std::move(l));
      return Value::new_list(std::move(out));
    });
  if (name == "startswith" || name == "endswith") {
    const bool starts = name == "startswith";
    return bound(name, [s, starts](CallArgs& a) {
      const Value* p = a.get(0, "");
      if (!p) throw EvalError("startswith/endswith need an argument");
      std::vector<Value> options = p->is_list() ? p->list()->items : std::vector<Value>{*p};
      for (const auto& o : options) {
        const std::string& x = require_str(o, starts ? "startswith" : "endswith");
        if (x.size() <= s.size() &&
            (starts ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0))
          return Value(true);
      }
      return Value(false);
    });
  }
  if (name == "upper") return bound(name, [s](CallArgs&) { return Value(text::upper(s)); });
  if (name == "lower") return bound(name, [s](CallArgs&) { return Value(text::lower(s)); });
  if (name == "title") return bound(name, [s](CallArgs&) { return Value(text::title(s)); });
  if (name == "capitalize") return bound(name, [s](CallArgs&) { return Value(text::capitalize(s)); });
  if (name == "replace")
    return bound(name, [s](CallArgs& a) {
      const Value* from = a.get(0, "");
      const Value* to = a.get(1, "");
      if (!from || !to) throw EvalError("replace needs two arguments");
      return Value(text::replace(s, require_str(*from, "replace"), require_str(*to, "replace"),
                                 int_arg(a, 2, "count", -1, "replace")));
    });
  if (name == "find" || name == "rfind" || name == "count")
    return bound(name, [s, name](CallArgs& a) -> Value {
      const Value* sub = a.get(0, "");
      if (!sub) throw EvalError(name + " needs an argument");
      const std::string& x = require_str(*sub, name.c_str());
      if (name == "count") {
        if (x.empty()) return Value(static_cast<int64_t>(text::length(s) + 1));
        int64_t n = 0;
        for (size_t p = s.find(x); p != std::string::npos; p = s.find(x, p + x.size())) ++n;
        return Value(n);
      }
      const size_t p = name == "find" ? s.find(x) : s.rfind(x);
      if (p == std::string::npos) return Value(int64_t{-1});
      return Value(static_cast<int64_t>(text::length(std::string_view(s).substr(0, p))));
    });
  if (name == "join")
    return bound(name, [s](CallArgs& a) {
      const Value* items = a.get(0, "");
      if (!items) throw EvalError("join needs an argument");
      std::vector<Value> parts = iterate(*items);
      for (const auto& p : parts)
        if (!p.is_string())
          throw EvalError("sequence item: expected str instance, " + p.type_name() + " found");
      return Value(join_strs(parts, s));
    });
  if (name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "isspace" || name == "isupper" ||
      name == "islower")
    return bound(name, [s, name](CallArgs&) {
      const std::u32string u = text::decode(s);
      if (u.empty()) return Value(false);
      if (name == "isupper" || name == "islower") {
        bool cased = false;
        for (char32_t c : u) {
          if (!text::is_cased(c)) continue;
          cased = true;
          if ((name == "isupper" ? text::to_upper(c) : text::to_lower(c)) != c) return Value(false);
        }
        return Value(cased);
      }
      for (char32_t c : u) {
        const bool digit = c >= '0' && c <= '9';
        const bool ok = name == "isdigit"   ? digit
                        : name == "isalpha" ? text::is_alpha(c)
                        : name == "isalnum" ? (digit || text::is_alpha(c))
                                            : text::is_space(c);
        if (!ok) return Value(false);
      }
      return Value(true);
    });
  if (name == "format")
    return bound(name, [s](CallArgs& a) {
      // str.format with {} / {0} / {name} fields (no format specs).
      std::string out;
      size_t auto_index = 0;
      for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '{' && i + 1 < s.size() && s[i + 1] == '{') {
          out.push_back('{');
          ++i;
        } else if (c == '}' && i + 1 < s.size() && s[i + 1] == '}') {
          out.push_back('}');
          ++i;
        } else if (c == '{') {
          const size_t close = s.find('}', i);
          if (close == std::string::npos) throw EvalError("Single '{' encountered in format string");
          const std::string field = s.substr(i + 1, close - i - 1);
          const Value* v;
          if (field.empty())
            v = a.get(auto_index++, "");
          else if (field.size() <= 9 &&
                   std::all_of(field.begin(), field.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
            v = a.get(static_cast<size_t>(std::stoul(field)), "");
          else
            v = a.named_arg(field);
          if (!v) throw EvalError("format: no value for field {" + field + "}");
          out += v->to_str();
          i = close;
        } else {
          out.push_back(c);
        }
      }
      return Value(std::move(out));
    });
  return std::nullopt;
}

std::optional<Value> dict_method(const Value& self, const std::string& name) {
  const DictPtr d = self.dict();
  if (name == "items")
    return bound(name, [d](CallArgs&) {
      std::vector<Value> out;
      for (const auto& [k, v] : d->items) out.push_back(Value::new_list({k, v}, true));
      return Value::new_list(std::move(out));
    });
  if (name == "keys")
    return bound(name, [d](CallArgs&) {
      std::vector<Value> out;
      for (const auto& kv : d->items) out.push_back(kv.first);
      return Value::new_list(std::move(out));
    });
  if (name == "values")
    return bound(name, [d](CallArgs&) {
      std::vector<Value> out;
      for (const auto& kv : d->items) out.push_back(kv.second);
      return Value::new_list(std::move(out));
    });
  if (name == "get")
    return bound(name, [d](CallArgs& a) -> Value {
      const Value* k = a.get(0, "");
      if (!k) throw EvalError("get expected at least 1 argument, got 0");
      if (const Value* v = d->find(*k)) return *v;
      const Value* dflt = a.get(1, "");
      return dflt ? *dflt : Value::none();
    });
  return std::nullopt;
}

std::optional<Value> list_method(const Value& self, const std::string& name) {
  const ListPtr l = self.list();
  if (name == "append" && !l->tuple)
    return bound(name, [l](CallArgs& a) {
      const Value* v = a.get(0, "");
      if (!v) throw EvalError("append takes exactly one argument");
      if (l->items.size() >= Limits{}.max_sequence) throw EvalError("list too large");
      l->push_back(*v);
      return Value::none();
    });
  if (name == "extend" && !l->tuple)
    return bound(name, [l](CallArgs& a) {
      const Value* v = a.get(0, "");
      if (!v) throw EvalError("extend takes exactly one argument");
      for (auto& x : iterate(*v)) l->push_back(std::move(x));
      if (l->items.size() > Limits{}.max_sequence) throw EvalError("list too large");
      return Value::none();
    });
  if (name == "pop" && !l->tuple)
    return bound(name, [l](CallArgs& a) {
      if (l->items.empty()) throw EvalError("pop from empty list");
      int64_t i = int_arg(a, 0, "", -1, "pop");
      const auto n = static_cast<int64_t>(l->items.size());
      if (i < 0) i += n;
      if (i < 0 || i >= n) throw EvalError("pop index out of range");
      Value v = l->items[static_cast<size_t>(i)];
      l->items.erase(l->items.begin() + i);
      return v;
    });
  if (name == "index" || name == "count")
    return bound(name, [l, name](CallArgs& a) -> Value {
      const Value* v = a.get(0, "");
      if (!v) throw EvalError(name + " takes exactly one argument");
      int64_t n = 0;
      for (size_t i = 0; i < l->items.size(); ++i) {
        if (!l->items[i].equals(*v)) continue;
        if (name == "index") return Value(static_cast<int64_t>(i));
        ++n;
      }
      if (name == "index") throw EvalError(v->repr() + " is not in list");
      return Value(n);
    });
  return std::nullopt;
}

}  // namespace

bool has_filter(const std::string& name) {
  return filters().count(name) != 0;
}
bool has_test(const std::string& name) {
  return tests().count(name) != 0;
}

Value apply_filter(Interpreter& interp, const std::string& name, const Value& operand, CallArgs& args) {
  auto it = filters().find(name);
  if (it == filters().end()) throw EvalError("no filter named '" + name + "'");
  return it->second(interp, operand, args);
}

bool apply_test(Interpreter& interp, const std::string& name, const Value& operand, CallArgs& args) {
  auto it = tests().find(name);
  if (it == tests().end()) throw EvalError("no test named '" + name + "'");
  return it->second(interp, operand, args);
}

std::optional<Value> get_method(const Value& object, const std::string& name) {
  switch (object.kind()) {
    case Value::Kind::String:
      return string_method(object, name);
    case Value::Kind::Dict:
      if (object.dict()->is_namespace) return std::nullopt;
      return dict_method(object, name);
    case Value::Kind::List:
      return list_method(object, name);
    default:
      return std::nullopt;
  }
}

std::string percent_format(const std::string& fmt, const std::vector<Value>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out.push_back(fmt[i]);
      continue;
    }
    size_t j = i + 1;
    std::string spec = "%";
    while (j < fmt.size() && std::string_view("-+ #0123456789.").find(fmt[j]) != std::string_view::npos)
      spec.push_back(fmt[j++]);
    if (j >= fmt.size()) throw EvalError("incomplete format");
    const char conv = fmt[j];
    i = j;
    if (conv == '%') {
      out.push_back('%');
      continue;
    }
    if (next >= args.size()) throw EvalError("not enough arguments for format string");
    const Value& v = args[next++];
    char buf[512];
    switch (conv) {
      case 's':
        out += v.to_str();
        break;
      case 'r':
        out += v.repr();
        break;
      case 'd':
      case 'i':
      case 'x':
      case 'X':
      case 'o': {
        if (!v.is_number())
          throw EvalError(std::string("%") + conv + " format: a number is required, not " + v.type_name());
        const long long x = v.is_float() ? static_cast<long long>(std::trunc(v.as_float()))
                                         : static_cast<long long>(v.is_int() ? v.as_int() : v.as_bool());
        std::snprintf(buf, sizeof buf, (spec + "ll" + (conv == 'i' ? 'd' : conv)).c_str(), x);
        out += buf;
        break;
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
        if (!v.is_number())
          throw EvalError(std::string("%") + conv + " format: a real number is required, not " +
                          v.type_name());
        std::snprintf(buf, sizeof buf, (spec + conv).c_str(), v.to_double());
        out += buf;
        break;
      default:
        throw EvalError(std::string("unsupported format character '") + conv + "'");
    }
  }
  if (next < args.size()) throw EvalError("not all arguments converted during string formatting");
  return out;
}

void install_globals(Scope& scope) {
  scope.vars["range"] = Value::function("range", [](Interpreter& in, CallArgs& a) -> Value {
    int64_t start = 0, stop = 0, step = 1;
    auto num = [](const Value& v) {
      if (v.is_int()) return v.as_int();
      if (v.is_bool()) return int64_t{v.as_bool()};
      throw EvalError("range() arguments must be integers, got " + v.type_name());
    };
    if (a.positional.size() == 1)
      stop = num(a.positional[0]);
    else if (a.positional.size() == 2 || a.positional.size() == 3) {
      start = num(a.positional[0]);
      stop = num(a.positional[1]);
      if (a.positional.size() == 3) step = num(a.positional[2]);
    } else {
      throw EvalError("range expected 1 to 3 arguments, got " + std::to_string(a.positional.size()));
    }
    if (step == 0) throw EvalError("range() arg 3 must not be zero");
    const double count = std::max(
        0.0, std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step)));
    if (count > static_cast<double>(in.limits().max_sequence))
      throw EvalError("range() of " + std::to_string(static_cast<long long>(count)) +
                      " items exceeds the limit of " + std::to_string(in.limits().max_sequence));
    std::vector<Value> out;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.emplace_back(i);
    return Value::new_list(std::move(out));
  });
  scope.vars["namespace"] = Value::function("namespace", [](Interpreter&, CallArgs& a) -> Value {
    auto d = std::make_shared<Dict>();
    d->is_namespace = true;
    for (const auto& p : a.positional) {
      if (!p.is_dict()) throw EvalError("namespace() positional argument must be a mapping");
      for (const auto& kv : p.dict()->items) d->set(kv.first, kv.second);
    }
    for (const auto& [k, v] : a.named) d->set(Value(k), v);
    return Value(std::move(d));
  });
  scope.vars["dict"] = Value::function("dict", [](Interpreter&, CallArgs& a) -> Value {
    auto d = std::make_shared<Dict>();
    for (const auto& p : a.positional) {
      if (!p.is_dict()) throw EvalError("dict() positional argument must be a mapping");
      for (const auto& kv : p.dict()->items) d->set(kv.first, kv.second);
    }
    for (const auto& [k, v] : a.named) d->set(Value(k), v);
    return Value(std::move(d));
  });
  scope.vars["raise_exception"] = Value::function("raise_exception", [](Interpreter&, CallArgs& a) -> Value {
    const Value* m = a.get(0, "message");
    throw RaisedError(m ? m->to_str() : std::string("raise_exception() called"));
  });
  scope.vars["strftime_now"] = Value::function("strftime_now", [](Interpreter& in, CallArgs& a) -> Value {
    const Value* f = a.get(0, "format");
    if (!f) throw EvalError("strftime_now needs a format string");
    const std::string& fmt = require_str(*f, "strftime_now");
    const std::time_t t = std::chrono::system_clock::to_time_t(in.now());
    std::tm tm{};
    if (in.now_is_local())
      localtime_r(&t, &tm);
    else
      gmtime_r(&t, &tm);
    if (fmt.empty()) return Value("");
    std::string buf(256 + fmt.size() * 8, '\0');
    const size_t n = std::strftime(buf.data(), buf.size(), fmt.c_str(), &tm);
    if (n == 0) throw EvalError("strftime_now: format produced no output or is too long");
    buf.resize(n);
    return Value(std::move(buf));
  });
}

}  // namespace glasswing::chat::jinja
