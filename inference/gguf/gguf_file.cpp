#include "inference/gguf/gguf_file.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>
#include <unordered_set>

#include "inference/gguf/mapped_file.h"

namespace glasswing::gguf {

namespace {


// Bounds-checked cursor over the header. Every read names the field so errors say what was being read.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return bytes_.size() - pos_; }

  void need(uint64_t n, const std::string& what) const {
    if (n > remaining())
      throw GgufError("file truncated while reading " + what + ": needs " + std::to_string(n) +
                          " bytes, " + std::to_string(remaining()) + " left",
                      pos_);
  }

  template <typename T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));  // GGUF is little-endian, like every host we target
    pos_ += sizeof(T);
    return v;
  }

  std::string read_string(const std::string& what) {
    const uint64_t at = pos_;
    const uint64_t len = read<uint64_t>(what + " length");
    if (len > remaining())
      throw GgufError(what + " length " + std::to_string(len) + " runs past the end of the file", at);
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<size_t>(len));
    pos_ += len;
    return s;
  }

 private:
  std::span<const uint8_t> bytes_;
  uint64_t pos_ = 0;
};

uint64_t min_encoded_size(ValueType t) {
  switch (t) {
    case ValueType::Uint8: case ValueType::Int8: case ValueType::Bool: return 1;
    case ValueType::Uint16: case ValueType::Int16: return 2;
    case ValueType::Uint32: case ValueType::Int32: case ValueType::Float32: return 4;
    case ValueType::Uint64: case ValueType::Int64: case ValueType::Float64: return 8;
    case ValueType::String: return 8;
    case ValueType::Array: return 12;
  }
  return 1;
}

ValueType read_value_type(Cursor& c, const std::string& what) {
  const uint64_t at = c.pos();
  const uint32_t t = c.read<uint32_t>(what);
  if (t > static_cast<uint32_t>(ValueType::Float64))
    throw GgufError("unknown value type " + std::to_string(t) + " for " + what, at);
  return static_cast<ValueType>(t);
}

// Reads one scalar integer/bool into a sign-extended 64-bit pattern.
uint64_t read_int_bits(Cursor& c, ValueType t, const std::string& what) {
  switch (t) {
    case ValueType::Uint8: return c.read<uint8_t>(what);
    case ValueType::Int8: return static_cast<uint64_t>(static_cast<int64_t>(c.read<int8_t>(what)));
    case ValueType::Uint16: return c.read<uint16_t>(what);
    case ValueType::Int16: return static_cast<uint64_t>(static_cast<int64_t>(c.read<int16_t>(what)));
    case ValueType::Uint32: return c.read<uint32_t>(what);
    case ValueType::Int32: return static_cast<uint64_t>(static_cast<int64_t>(c.read<int32_t>(what)));
    case ValueType::Uint64: return c.read<uint64_t>(what);
    case ValueType::Int64: return static_cast<uint64_t>(c.read<int64_t>(what));
    case ValueType::Bool: {
      const uint64_t at = c.pos();
      const uint8_t b = c.read<uint8_t>(what);
      if (b > 1) throw GgufError("bool " + what + " has value " + std::to_string(b), at);
      return b;
    }
    default: return 0;
  }
}

Array read_array(Cursor& c, const std::string& what, int depth);

Value read_value(Cursor& c, ValueType t, const std::string& what, int depth) {
  Value v;
  v.type = t;
  switch (t) {
    case ValueType::Float32: v.real = c.read<float>(what); break;
    case ValueType::Float64: v.real = c.read<double>(what); break;
    case ValueType::String: v.str = c.read_string(what); break;
    case ValueType::Array: v.array = std::make_shared<Array>(read_array(c, what, depth + 1)); break;
    default: v.bits = read_int_bits(c, t, what); break;
  }
  return v;
}

Array read_array(Cursor& c, const std::string& what, int depth) {
  if (depth > kMaxArrayNesting)
    throw GgufError(what + ": arrays nested deeper than " + std::to_string(kMaxArrayNesting), c.pos());
  Array a;
  a.elem_type = read_value_type(c, what + " element type");
  const uint64_t at = c.pos();
  const uint64_t n = c.read<uint64_t>(what + " element count");
  // Each element takes at least this many bytes, so a count the rest of the file cannot hold is hostile.
  if (n > c.remaining() / min_encoded_size(a.elem_type))
    throw GgufError(what + " claims " + std::to_string(n) + " elements of type " +
                        std::string(value_type_name(a.elem_type)) + ", more than the file can hold",
                    at);
  const size_t count = static_cast<size_t>(n);
  switch (a.elem_type) {
    case ValueType::Float32:
      a.floats.reserve(count);
      for (size_t i = 0; i < count; ++i) a.floats.push_back(c.read<float>(what));
      break;
    case ValueType::Float64:
      a.floats.reserve(count);
      for (size_t i = 0; i < count; ++i) a.floats.push_back(c.read<double>(what));
      break;
    case ValueType::String:
      a.strings.reserve(count);
      for (size_t i = 0; i < count; ++i) a.strings.push_back(c.read_string(what + "[" + std::to_string(i) + "]"));
      break;
    case ValueType::Array:
      a.arrays.reserve(count);
      for (size_t i = 0; i < count; ++i) a.arrays.push_back(read_array(c, what + "[" + std::to_string(i) + "]", depth + 1));
      break;
    default:
      a.ints.reserve(count);
      for (size_t i = 0; i < count; ++i) a.ints.push_back(static_cast<int64_t>(read_int_bits(c, a.elem_type, what)));
      break;
  }
  return a;
}

bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }

}  // namespace

std::string_view value_type_name(ValueType type) {
  switch (type) {
    case ValueType::Uint8: return "u8";
    case ValueType::Int8: return "i8";
    case ValueType::Uint16: return "u16";
    case ValueType::Int16: return "i16";
    case ValueType::Uint32: return "u32";
    case ValueType::Int32: return "i32";
    case ValueType::Float32: return "f32";
    case ValueType::Bool: return "bool";
    case ValueType::String: return "string";
    case ValueType::Array: return "array";
    case ValueType::Uint64: return "u64";
    case ValueType::Int64: return "i64";
    case ValueType::Float64: return "f64";
  }
  return "?";
}

bool is_integer_type(ValueType t) {
  switch (t) {
    case ValueType::Uint8: case ValueType::Int8: case ValueType::Uint16: case ValueType::Int16:
    case ValueType::Uint32: case ValueType::Int32: case ValueType::Uint64: case ValueType::Int64:
      return true;
    default: return false;
  }
}

static bool is_unsigned(ValueType t) {
  return t == ValueType::Uint8 || t == ValueType::Uint16 || t == ValueType::Uint32 || t == ValueType::Uint64;
}

size_t Array::size() const {
  switch (elem_type) {
    case ValueType::Float32: case ValueType::Float64: return floats.size();
    case ValueType::String: return strings.size();
    case ValueType::Array: return arrays.size();
    default: return ints.size();
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
    case ValueType::Float32: case ValueType::Float64: os << real; break;
    case ValueType::Bool: os << (bits ? "true" : "false"); break;
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
          if (array->elem_type == ValueType::String) os << '"' << array->strings[i] << '"';
          else if (!array->floats.empty()) os << array->floats[i];
          else os << array->ints[i];
        }
        if (n < array->size()) os << ", ...";
        os << "}";
      }
      break;
    }
    case ValueType::Uint64: os << bits; break;
    default: os << static_cast<int64_t>(bits); break;
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
    throw GgufError(path.filename().string() + ": " + e.what());
  }
  return f;
}

GgufFile GgufFile::parse(std::span<const uint8_t> bytes) {
  GgufFile f;
  f.bytes_ = bytes;
  f.parse_all();
  return f;
}

void GgufFile::parse_all() {
  Cursor c(bytes_);
  if (bytes_.size() < 4 || std::memcmp(bytes_.data(), "GGUF", 4) != 0) {
    std::string got;
    for (size_t i = 0; i < std::min<size_t>(4, bytes_.size()); ++i) {
      const char ch = static_cast<char>(bytes_[i]);
      got += (ch >= 32 && ch < 127) ? std::string(1, ch) : "\\x" + std::to_string(bytes_[i]);
    }
    throw GgufError("not a GGUF file: magic is '" + got + "', expected 'GGUF'", 0);
  }
  c.read<uint32_t>("magic");
  const uint64_t version_at = c.pos();
  version_ = c.read<uint32_t>("version");
  if (version_ != 2 && version_ != 3)
    throw GgufError("unsupported GGUF version " + std::to_string(version_) + " (supported: 2, 3)", version_at);

  const uint64_t counts_at = c.pos();
  const uint64_t n_tensors = c.read<uint64_t>("tensor count");
  const uint64_t n_kv = c.read<uint64_t>("metadata count");
  // A key-value pair takes at least 8 (key length) + 4 (type) + 1 bytes; a tensor info at least 24.
  if (n_kv > c.remaining() / 13)
    throw GgufError("metadata count " + std::to_string(n_kv) + " is more than the file can hold", counts_at + 8);
  if (n_tensors > c.remaining() / 24)
    throw GgufError("tensor count " + std::to_string(n_tensors) + " is more than the file can hold", counts_at);

  std::unordered_set<std::string> keys;
  metadata_.reserve(static_cast<size_t>(n_kv));
  for (uint64_t i = 0; i < n_kv; ++i) {
    const uint64_t key_at = c.pos();
    std::string key = c.read_string("metadata key #" + std::to_string(i));
    if (key.empty() || key.size() > kMaxKeyLength)
      throw GgufError("metadata key #" + std::to_string(i) + " has invalid length " + std::to_string(key.size()),
                      key_at);
    if (!keys.insert(key).second) throw GgufError("duplicate metadata key '" + key + "'", key_at);
    const ValueType t = read_value_type(c, "type of '" + key + "'");
    Value v = read_value(c, t, "'" + key + "'", 0);
    metadata_.emplace_back(std::move(key), std::move(v));
  }

  if (const Value* a = find("general.alignment")) {
    auto n = a->as_uint();
    if (!n || *n == 0 || (*n & (*n - 1)) != 0 || *n > (1u << 20))
      throw GgufError("general.alignment must be a power of two (got " + a->to_display_string() + ")");
    alignment_ = *n;
  }

  std::unordered_set<std::string_view> names;
  tensors_.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    const uint64_t info_at = c.pos();
    TensorInfo t;
    t.name = c.read_string("name of tensor #" + std::to_string(i));
    const std::string what = "tensor '" + t.name + "'";
    const uint64_t dims_at = c.pos();
    const uint32_t n_dims = c.read<uint32_t>(what + " dimension count");
    if (n_dims == 0 || n_dims > kMaxDims)
      throw GgufError(what + " has " + std::to_string(n_dims) + " dimensions (1 to 4 allowed)", dims_at);
    t.n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t dim_at = c.pos();
      const uint64_t dim = c.read<uint64_t>(what + " dimension " + std::to_string(d));
      if (dim == 0 || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw GgufError(what + " dimension " + std::to_string(d) + " is " + std::to_string(dim), dim_at);
      if (mul_overflows(t.n_elements, dim, &t.n_elements) ||
          t.n_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw GgufError(what + ": the product of its dimensions overflows", dim_at);
      t.dims.push_back(dim);
    }
    const uint64_t type_at = c.pos();
    const uint32_t type_id = c.read<uint32_t>(what + " type");
    const auto traits = ggml_type_traits(type_id);
    if (!traits) throw GgufError(what + " has unknown tensor type id " + std::to_string(type_id), type_at);
    t.type = static_cast<GgmlType>(type_id);
    if (t.dims[0] % traits->block_elements != 0)
      throw GgufError(what + " row length " + std::to_string(t.dims[0]) + " is not a multiple of the " +
                          std::string(traits->name) + " block size " + std::to_string(traits->block_elements),
                      dims_at);
    if (mul_overflows(t.n_elements / traits->block_elements, traits->block_bytes, &t.n_bytes))
      throw GgufError(what + ": byte size overflows", dims_at);
    const uint64_t offset_at = c.pos();
    t.offset = c.read<uint64_t>(what + " data offset");
    if (t.offset % alignment_ != 0)
      throw GgufError(what + " data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                          std::to_string(alignment_),
                      offset_at);
    (void)info_at;
    tensors_.push_back(std::move(t));
  }
  for (const auto& t : tensors_)
    if (!names.insert(t.name).second) throw GgufError("duplicate tensor name '" + t.name + "'");

  // The data section starts at the next multiple of the alignment after the header.
  data_offset_ = (c.pos() + alignment_ - 1) / alignment_ * alignment_;
  if (!tensors_.empty() && data_offset_ > bytes_.size())
    throw GgufError("file truncated: the tensor data section would start at byte " + std::to_string(data_offset_) +
                    " but the file has " + std::to_string(bytes_.size()) + " bytes");
  const uint64_t data_size = tensors_.empty() ? 0 : bytes_.size() - data_offset_;

  // Every tensor must lie inside the data section, and no two may overlap.
  std::vector<const TensorInfo*> by_offset;
  for (const auto& t : tensors_) {
    if (t.offset > data_size || t.n_bytes > data_size - t.offset)
      throw GgufError("tensor '" + t.name + "' (" + std::to_string(t.n_bytes) + " bytes at data offset " +
                      std::to_string(t.offset) + ") extends past the end of the file (data section holds " +
                      std::to_string(data_size) + " bytes): file truncated or corrupt");
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const TensorInfo* prev = by_offset[i - 1];
    if (prev->offset + prev->n_bytes > by_offset[i]->offset)
      throw GgufError("tensors '" + prev->name + "' and '" + by_offset[i]->name + "' overlap in the data section");
  }
  for (auto& t : tensors_) t.data = bytes_.data() + data_offset_ + t.offset;
}

const Value* GgufFile::find(std::string_view key) const {
  for (const auto& [k, v] : metadata_)
    if (k == key) return &v;
  return nullptr;
}

namespace {
[[noreturn]] void wrong_type(std::string_view key, const Value& v, std::string_view wanted) {
  throw GgufError("metadata '" + std::string(key) + "' is " + std::string(value_type_name(v.type)) + ", expected " +
                  std::string(wanted));
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
