#include "inference/gguf/gguf_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

namespace glasswing::gguf {

namespace {

// ---- validation -------------------------------------------------------------------------------------------

// Whether a sign-extended 64-bit pattern (as Value::bits and Array::ints hold them) fits the integer type.
bool int_fits(ValueType t, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  switch (t) {
    case ValueType::Uint8:
      return u <= std::numeric_limits<uint8_t>::max();
    case ValueType::Int8:
      return v >= std::numeric_limits<int8_t>::min() && v <= std::numeric_limits<int8_t>::max();
    case ValueType::Uint16:
      return u <= std::numeric_limits<uint16_t>::max();
    case ValueType::Int16:
      return v >= std::numeric_limits<int16_t>::min() && v <= std::numeric_limits<int16_t>::max();
    case ValueType::Uint32:
      return u <= std::numeric_limits<uint32_t>::max();
    case ValueType::Int32:
      return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
    case ValueType::Uint64:
    case ValueType::Int64:
      return true;  // u64 above INT64_MAX is stored bit-cast
    case ValueType::Bool:
      return u <= 1;
    default:
      return false;
  }
}

bool is_float_type(ValueType t) {
  return t == ValueType::Float32 || t == ValueType::Float64;
}
bool is_int_or_bool(ValueType t) {
  return is_integer_type(t) || t == ValueType::Bool;
}

void check_type_id(ValueType t, const std::string& what) {
  if (static_cast<uint32_t>(t) > static_cast<uint32_t>(ValueType::Float64))
    throw GgufError(what + " has unknown value type " + std::to_string(static_cast<uint32_t>(t)));
}

void check_array(const Array& a, const std::string& what, int depth) {
  if (depth > kMaxArrayNesting)
    throw GgufError(what + ": arrays nested deeper than " + std::to_string(kMaxArrayNesting));
  check_type_id(a.elem_type, what);
  const ValueType t = a.elem_type;
  // Exactly the vector that elem_type selects may hold elements; anything else means the caller mixed types.
  const bool ok = (is_int_or_bool(t) || a.ints.empty()) && (is_float_type(t) || a.floats.empty()) &&
                  (t == ValueType::String || a.strings.empty()) &&
                  (t == ValueType::Array || a.arrays.empty());
  if (!ok)
    throw GgufError(what + ": array of " + std::string(value_type_name(t)) +
                    " holds elements of another type");
  if (is_int_or_bool(t))
    for (size_t i = 0; i < a.ints.size(); ++i)
      if (!int_fits(t, a.ints[i]))
        throw GgufError(what + "[" + std::to_string(i) + "] = " + std::to_string(a.ints[i]) +
                        " does not fit " + std::string(value_type_name(t)));
  if (t == ValueType::Array)
    for (size_t i = 0; i < a.arrays.size(); ++i)
      check_array(a.arrays[i], what + "[" + std::to_string(i) + "]", depth + 1);
}

void check_value(const Value& v, const std::string& what) {
  check_type_id(v.type, what);
  if (is_int_or_bool(v.type) && !int_fits(v.type, static_cast<int64_t>(v.bits)))
    throw GgufError(what + " value " + std::to_string(static_cast<int64_t>(v.bits)) + " does not fit " +
                    std::string(value_type_name(v.type)));
  if (v.type == ValueType::Array) {
    if (!v.array) throw GgufError(what + " is an array value without an array");
    check_array(*v.array, what, 1);
  }
}

// ---- encoding ---------------------------------------------------------------------------------------------

class Encoder {
 public:
  explicit Encoder(std::vector<uint8_t>& out) : out_(out) {}

  template <typename T>
  void put(T v) {  // GGUF is little-endian, like every host we target
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out_.insert(out_.end(), p, p + sizeof(T));
  }
  void put_string(std::string_view s) {
    put<uint64_t>(s.size());
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void pad_to(uint64_t alignment) { out_.resize((out_.size() + alignment - 1) / alignment * alignment, 0); }

  void put_int(ValueType t, uint64_t bits) {
    switch (t) {
      case ValueType::Uint8:
      case ValueType::Int8:
      case ValueType::Bool:
        put(static_cast<uint8_t>(bits));
        break;
      case ValueType::Uint16:
      case ValueType::Int16:
        put(static_cast<uint16_t>(bits));
        break;
      case ValueType::Uint32:
      case ValueType::Int32:
        put(static_cast<uint32_t>(bits));
        break;
      default:
        put(bits);
        break;
    }
  }

  void put_array(const Array& a) {
    put(static_cast<uint32_t>(a.elem_type));
    put<uint64_t>(a.size());
    switch (a.elem_type) {
      case ValueType::Float32:
        for (double d : a.floats) put(static_cast<float>(d));
        break;
      case ValueType::Float64:
        for (double d : a.floats) put(d);
        break;
      case ValueType::String:
        for (const auto& s : a.strings) put_string(s);
        break;
      case ValueType::Array:
        for (const auto& sub : a.arrays) put_array(sub);
        break;
      default:
        for (int64_t i : a.ints) put_int(a.elem_type, static_cast<uint64_t>(i));
        break;
    }
  }

  void put_value(const Value& v) {
    switch (v.type) {
      case ValueType::Float32:
        put(static_cast<float>(v.real));
        break;
      case ValueType::Float64:
        put(v.real);
        break;
      case ValueType::String:
        put_string(v.str);
        break;
      case ValueType::Array:
        put_array(*v.array);
        break;
      default:
        put_int(v.type, v.bits);
        break;
    }
  }

 private:
  std::vector<uint8_t>& out_;
};

Value int_value(ValueType t, uint64_t bits) {
  Value v;
  v.type = t;
  v.bits = bits;
  return v;
}

Value float_value(ValueType t, double d) {
  Value v;
  v.type = t;
  v.real = d;
  return v;
}

Value array_value(Array a) {
  Value v;
  v.type = ValueType::Array;
  v.array = std::make_shared<const Array>(std::move(a));
  return v;
}

[[noreturn]] void os_error(const std::string& what, const std::filesystem::path& path, int err) {
  throw GgufError("cannot " + what + " " + path.string() + ": " + std::strerror(err));
}

}  // namespace

GgufWriter::GgufWriter(uint32_t version) : version_(3) {
  set_version(version);
}

void GgufWriter::set_version(uint32_t version) {
  if (version != 2 && version != 3)
    throw GgufError("cannot write GGUF version " + std::to_string(version) + " (supported: 2, 3)");
  version_ = version;
}

void GgufWriter::set_u8(std::string_view key, uint8_t v) {
  put(key, int_value(ValueType::Uint8, v));
}
void GgufWriter::set_i8(std::string_view key, int8_t v) {
  put(key, int_value(ValueType::Int8, static_cast<uint64_t>(static_cast<int64_t>(v))));
}
void GgufWriter::set_u16(std::string_view key, uint16_t v) {
  put(key, int_value(ValueType::Uint16, v));
}
void GgufWriter::set_i16(std::string_view key, int16_t v) {
  put(key, int_value(ValueType::Int16, static_cast<uint64_t>(static_cast<int64_t>(v))));
}
void GgufWriter::set_u32(std::string_view key, uint32_t v) {
  put(key, int_value(ValueType::Uint32, v));
}
void GgufWriter::set_i32(std::string_view key, int32_t v) {
  put(key, int_value(ValueType::Int32, static_cast<uint64_t>(static_cast<int64_t>(v))));
}
void GgufWriter::set_u64(std::string_view key, uint64_t v) {
  put(key, int_value(ValueType::Uint64, v));
}
void GgufWriter::set_i64(std::string_view key, int64_t v) {
  put(key, int_value(ValueType::Int64, static_cast<uint64_t>(v)));
}
void GgufWriter::set_f32(std::string_view key, float v) {
  put(key, float_value(ValueType::Float32, v));
}
void GgufWriter::set_f64(std::string_view key, double v) {
  put(key, float_value(ValueType::Float64, v));
}
void GgufWriter::set_bool(std::string_view key, bool v) {
  put(key, int_value(ValueType::Bool, v ? 1 : 0));
}

void GgufWriter::set_string(std::string_view key, std::string_view s) {
  Value v;
  v.type = ValueType::String;
  v.str = std::string(s);
  put(key, std::move(v));
}

void GgufWriter::set_array(std::string_view key, const Array& a) {
  set(key, array_value(a));
}

void GgufWriter::set_strings(std::string_view key, const std::vector<std::string>& v) {
  Array a;
  a.elem_type = ValueType::String;
  a.strings = v;
  put(key, array_value(std::move(a)));
}

void GgufWriter::set_f32s(std::string_view key, std::span<const float> v) {
  Array a;
  a.elem_type = ValueType::Float32;
  a.floats.assign(v.begin(), v.end());
  put(key, array_value(std::move(a)));
}

void GgufWriter::set_i32s(std::string_view key, std::span<const int32_t> v) {
  Array a;
  a.elem_type = ValueType::Int32;
  a.ints.assign(v.begin(), v.end());
  put(key, array_value(std::move(a)));
}

void GgufWriter::set(std::string_view key, const Value& v) {
  put(key, v);
}

void GgufWriter::put(std::string_view key, Value v) {
  const std::string what = "metadata '" + std::string(key) + "'";
  if (key.empty() || key.size() > kMaxKeyLength)
    throw GgufError("metadata key length " + std::to_string(key.size()) + " is invalid (1 to " +
                    std::to_string(kMaxKeyLength) + " bytes)");
  check_value(v, what);
  if (key == "general.alignment") {
    const auto n = v.as_uint();
    if (!n || *n == 0 || (*n & (*n - 1)) != 0 || *n > kMaxAlignment)
      throw GgufError("general.alignment must be a power of two up to " + std::to_string(kMaxAlignment) +
                      " (got " + v.to_display_string() + ")");
    v = int_value(ValueType::Uint32, *n);
  }
  for (auto& [k, old] : metadata_)
    if (k == key) {
      old = std::move(v);
      return;
    }
  metadata_.emplace_back(std::string(key), std::move(v));
}

bool GgufWriter::remove(std::string_view key) {
  for (auto it = metadata_.begin(); it != metadata_.end(); ++it)
    if (it->first == key) {
      metadata_.erase(it);
      return true;
    }
  return false;
}

const Value* GgufWriter::find(std::string_view key) const {
  for (const auto& [k, v] : metadata_)
    if (k == key) return &v;
  return nullptr;
}

uint64_t GgufWriter::alignment() const {
  const Value* v = find("general.alignment");
  return v ? v->bits : kDefaultAlignment;
}

void GgufWriter::add_tensor(std::string_view name, GgmlType type, std::vector<uint64_t> dims,
                            std::span<const uint8_t> data) {
  const std::string what = "tensor '" + std::string(name) + "'";
  if (name.empty()) throw GgufError("a tensor name must not be empty");
  for (const auto& t : tensors_)
    if (t.name == name) throw GgufError("duplicate " + what);
  const auto traits = ggml_type_traits(static_cast<uint32_t>(type));
  if (!traits) throw GgufError(what + " has unknown type id " + std::to_string(static_cast<uint32_t>(type)));
  if (dims.empty() || dims.size() > kMaxDims)
    throw GgufError(what + " has " + std::to_string(dims.size()) + " dimensions (1 to 4 allowed)");
  uint64_t n_elements = 1;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 0 || dims[d] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw GgufError(what + " dimension " + std::to_string(d) + " is " + std::to_string(dims[d]));
    if (__builtin_mul_overflow(n_elements, dims[d], &n_elements) ||
        n_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw GgufError(what + ": the product of its dimensions overflows");
  }
  if (dims[0] % traits->block_elements != 0)
    throw GgufError(what + " row length " + std::to_string(dims[0]) + " is not a multiple of the " +
                    std::string(traits->name) + " block size " + std::to_string(traits->block_elements));
  uint64_t n_bytes = 0;
  if (__builtin_mul_overflow(n_elements / traits->block_elements, traits->block_bytes, &n_bytes))
    throw GgufError(what + ": byte size overflows");
  if (data.size() != n_bytes)
    throw GgufError(what + " (" + std::string(traits->name) + ", " + std::to_string(n_elements) +
                    " elements) needs " + std::to_string(n_bytes) + " bytes of data, got " +
                    std::to_string(data.size()));
  tensors_.push_back(Tensor{std::string(name), type, std::move(dims), {data.begin(), data.end()}});
}

std::vector<uint8_t> GgufWriter::to_bytes() const {
  const uint64_t align = alignment();
  std::vector<uint8_t> out;
  Encoder enc(out);
  out.insert(out.end(), {'G', 'G', 'U', 'F'});
  enc.put<uint32_t>(version_);
  enc.put<uint64_t>(tensors_.size());
  enc.put<uint64_t>(metadata_.size());
  for (const auto& [key, v] : metadata_) {
    enc.put_string(key);
    enc.put(static_cast<uint32_t>(v.type));
    enc.put_value(v);
  }
  uint64_t offset = 0;  // from the start of the data section
  for (const auto& t : tensors_) {
    enc.put_string(t.name);
    enc.put(static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) enc.put(d);
    enc.put(static_cast<uint32_t>(t.type));
    enc.put(offset);
    offset += (t.data.size() + align - 1) / align * align;
  }
  if (tensors_.empty()) return out;  // like llama.cpp: no padding without a data section
  enc.pad_to(align);
  out.reserve(out.size() + offset);
  for (const auto& t : tensors_) {
    out.insert(out.end(), t.data.begin(), t.data.end());
    enc.pad_to(align);  // like llama.cpp, every tensor (the last one too) is padded to the alignment
  }
  return out;
}

void GgufWriter::write(const std::filesystem::path& path) const {
  const std::vector<uint8_t> bytes = to_bytes();
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::string tmp = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) os_error("create a temporary file in", dir, errno);
  auto fail = [&](const std::string& what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    os_error(what, path, err);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0) fail("set permissions of", errno);  // mkstemp creates it 0600
  if (::fsync(fd) != 0) fail("sync", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    os_error("close", path, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    os_error("rename a temporary file to", path, err);
  }
  // Make the rename itself durable; a failure here leaves a complete file, so it is not an error.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace glasswing::gguf
