#include "inference/gguf/gguf_file.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <sstream>

#include "inference/gguf/mapped_file.h"

namespace glasswing::gguf {

std::string_view value_type_name(ValueType type) {
  switch (type) {
    case ValueType::Uint8:
      return "u8";
    case ValueType::Int8:
      return "i8";
    case ValueType::Uint16:
      return "u16";
    case ValueType::Int16:
      return "i16";
    case ValueType::Uint32:
      return "u32";
    case ValueType::Int32:
      return "i32";
    case ValueType::Float32:
      return "f32";
    case ValueType::Bool:
      return "bool";
    case ValueType::String:
      return "string";
    case ValueType::Array:
      return "array";
    case ValueType::Uint64:
      return "u64";
    case ValueType::Int64:
      return "i64";
    case ValueType::Float64:
      return "f64";
  }
  return "?";
}

bool is_integer_type(ValueType t) {
  switch (t) {
    case ValueType::Uint8:
    case ValueType::Int8:
    case ValueType::Uint16:
    case ValueType::Int16:
    case ValueType::Uint32:
    case ValueType::Int32:
    case ValueType::Uint64:
    case ValueType::Int64:
      return true;
    default:
      return false;
  }
}

static bool is_unsigned(ValueType t) {
  return t == ValueType::Uint8 || t == ValueType::Uint16 || t == ValueType::Uint32 || t == ValueType::Uint64;
}

size_t Array::size() const {
  switch (elem_type) {
    case ValueType::Float32:
    case ValueType::Float64:
      return floats.size();
    case ValueType::String:
      return strings.size();
    case ValueType::Array:
      return arrays.size();
    default:
      return ints.size();
  }
}

std::optional<int64_t> Value::as_int() const {
  if (!is_integer_type(type)) return std::nullopt;
  if (type == ValueType::Uint64 && bits > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return std::nullopt;
  return static_cast<int64_t>(bits);
}

std::optional<uint64_t> Value::as_uint() const {
  if (!is_integer_type(type)) return std::nullopt;
  if (!is_unsigned(type) && static_cast<int64_t>(bits) < 0) return std::nullopt;
  return bits;
}

std::optional<double> Value::as_double() const {
  if (type == ValueType::Float32 || type == ValueType::Float64) return real;
  if (type == ValueType::Uint64) return static_cast<double>(bits);
  if (is_integer_type(type)) return static_cast<double>(static_cast<int64_t>(bits));
  return std::nullopt;
}

std::string Value::to_display_string(size_t max_items) const {
  std::ostringstream os;
  switch (type) {
    case ValueType::Float32:
    case ValueType::Float64:
      os << real;
      break;
    case ValueType::Bool:
      os << (bits ? "true" : "false");
      break;
    case ValueType::String: {
      std::string s = str.size() > 60 ? str.substr(0, 57) + "..." : str;
      for (auto& ch : s)
        if (ch == '\n') ch = ' ';
      os << '"' << s << '"';
      break;
    }
    case ValueType::Array: {
      os << value_type_name(array->elem_type) << "[" << array->size() << "]";
      if (array->elem_type != ValueType::Array && array->size() > 0) {
        os << " {";
        const size_t n = std::min(max_items, array->size());
        for (size_t i = 0; i < n; ++i) {
          if (i) os << ", ";
          if (array->elem_type == ValueType::String)
            os << '"' << array->strings[i] << '"';
          else if (!array->floats.empty())
            os << array->floats[i];
          else if (array->elem_type == ValueType::Uint64)
            os << static_cast<uint64_t>(array->ints[i]);  // stored bit-cast
          else if (array->elem_type == ValueType::Bool)
            os << (array->ints[i] ? "true" : "false");
          else
            os << array->ints[i];
        }
        if (n < array->size()) os << ", ...";
        os << "}";
      }
      break;
    }
    case ValueType::Uint64:
      os << bits;
      break;
    default:
      os << static_cast<int64_t>(bits);
      break;
  }
  return os.str();
}

std::string TensorInfo::shape_string() const {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

GgufFile GgufFile::open(const std::filesystem::path& path) {
  GgufFile f;
  try {
    f.map_ = std::make_shared<MappedFile>(path);
  } catch (const std::exception& e) {
    throw GgufError(e.what());
  }
  f.bytes_ = f.map_->bytes();
  f.path_ = path;
  try {
    f.parse_all();
  } catch (const GgufError& e) {
    throw e.prefixed(path.filename().string() + ": ");
  }
  return f;
}

GgufFile GgufFile::open_model(const std::filesystem::path& path) {
  GgufFile first = open(path);
  const uint64_t count = first.get_uint("split.count").value_or(1);
  if (count <= 1) return first;
  const std::string name = path.filename().string();
  const uint64_t no = first.get_uint("split.no").value_or(0);
  // "<prefix>-00001-of-00003.gguf": the part numbers are 1-based in the names, 0-based in split.no
  const auto tail = [count](uint64_t part) {
    char s[64];
    std::snprintf(s, sizeof s, "-%05llu-of-%05llu.gguf", static_cast<unsigned long long>(part + 1),
                  static_cast<unsigned long long>(count));
    return std::string(s);
  };
  if (no != 0)
    throw GgufError(name + " is part " + std::to_string(no + 1) + " of " + std::to_string(count) +
                    " of a split model: open the first part");
  const std::string first_tail = tail(0);
  if (name.size() <= first_tail.size() || !name.ends_with(first_tail))
    throw GgufError(name + ": a split model's first part must be named <name>" + first_tail);
  const std::string prefix = name.substr(0, name.size() - first_tail.size());
  for (uint64_t i = 1; i < count; ++i) {
    const std::filesystem::path part_path = path.parent_path() / (prefix + tail(i));
    if (!std::filesystem::exists(part_path))
      throw GgufError("part " + std::to_string(i + 1) + " of " + std::to_string(count) + " (" +
                      part_path.filename().string() + ") of the split model is missing");
    GgufFile part = open(part_path);
    if (part.get_uint("split.no").value_or(count) != i || part.get_uint("split.count").value_or(0) != count)
      throw GgufError(part_path.filename().string() + " is not part " + std::to_string(i + 1) + " of " +
                      std::to_string(count) + " (its split.no and split.count say otherwise)");
    for (auto& t : part.tensors_) {
      if (first.find_tensor(t.name))
        throw GgufError("tensor '" + t.name + "' is in two parts of the split model");
      first.tensors_.push_back(std::move(t));
    }
    first.part_maps_.push_back(std::move(part.map_));
  }
  if (const auto total = first.get_uint("split.tensors.count"); total && *total != first.tensors_.size())
    throw GgufError("the split model's parts hold " + std::to_string(first.tensors_.size()) +
                    " tensors, its first part says " + std::to_string(*total));
  return first;
}

GgufFile GgufFile::parse(std::span<const uint8_t> bytes) {
  GgufFile f;
  f.bytes_ = bytes;
  f.parse_all();
  return f;
}

const Value* GgufFile::find(std::string_view key) const {
  for (const auto& [k, v] : metadata_)
    if (k == key) return &v;
  return nullptr;
}

namespace {
[[noreturn]] void wrong_type(std::string_view key, const Value& v, std::string_view wanted) {
  throw GgufError("metadata '" + std::string(key) + "' is " + std::string(value_type_name(v.type)) +
                  ", expected " + std::string(wanted));
}
[[noreturn]] void missing(std::string_view key) {
  throw GgufError("required metadata '" + std::string(key) + "' is missing");
}
}  // namespace

std::optional<std::string> GgufFile::get_string(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  if (v->type != ValueType::String) wrong_type(key, *v, "string");
  return v->str;
}

std::optional<int64_t> GgufFile::get_int(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  auto n = v->as_int();
  if (!n) wrong_type(key, *v, "an integer");
  return n;
}

std::optional<uint64_t> GgufFile::get_uint(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  auto n = v->as_uint();
  if (!n) wrong_type(key, *v, "a non-negative integer");
  return n;
}

std::optional<double> GgufFile::get_float(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  auto d = v->as_double();
  if (!d) wrong_type(key, *v, "a number");
  return d;
}

std::optional<bool> GgufFile::get_bool(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  if (v->type != ValueType::Bool) wrong_type(key, *v, "bool");
  return v->bits != 0;
}

const Array* GgufFile::get_array(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return nullptr;
  if (v->type != ValueType::Array) wrong_type(key, *v, "array");
  return v->array.get();
}

std::string GgufFile::require_string(std::string_view key) const {
  if (auto v = get_string(key)) return *v;
  missing(key);
}
int64_t GgufFile::require_int(std::string_view key) const {
  if (auto v = get_int(key)) return *v;
  missing(key);
}
uint64_t GgufFile::require_uint(std::string_view key) const {
  if (auto v = get_uint(key)) return *v;
  missing(key);
}
double GgufFile::require_float(std::string_view key) const {
  if (auto v = get_float(key)) return *v;
  missing(key);
}
const Array& GgufFile::require_array(std::string_view key) const {
  if (const Array* a = get_array(key)) return *a;
  missing(key);
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

const TensorInfo& GgufFile::require_tensor(std::string_view name) const {
  if (const TensorInfo* t = find_tensor(name)) return *t;
  throw GgufError("tensor '" + std::string(name) + "' is missing from the model file");
}

}  // namespace glasswing::gguf
