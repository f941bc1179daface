// GgufFile::parse_all: the validating GGUF header parser.
//
// Hostile input is the design case. Every read is bounds-checked; every count is checked against the bytes
// left before anything is reserved; nesting depth is capped; and every allocation is charged against a memory
// budget of kMemoryPerFileByte bytes per file byte (plus a constant), so no file can make the parser use more
// than a small multiple of its own size. Field names for error messages are built only when an error is
// thrown, so large arrays cost no string work.
#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "inference/gguf/gguf_file.h"

namespace glasswing::gguf {

namespace {

constexpr uint64_t kMemoryPerFileByte = 8;  // an int8 array element takes 8 bytes once parsed
constexpr uint64_t kMemorySlack = 1 << 20;
constexpr uint64_t kSetEntryBytes = 64;     // an unordered_set node plus its bucket, for duplicate checks
constexpr uint64_t kSharedBlockBytes = 32;  // make_shared control block
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;                  // key length, 1-byte key, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;  // name, n_dims, one dim, type, offset

// Heap bytes a std::string of this length owns (libstdc++ keeps up to 15 bytes inline).
uint64_t string_heap(uint64_t n) {
  return n > 15 ? n + 1 : 0;
}

// A key or tensor name made safe for a one-line error message.
std::string printable(std::string_view s) {
  constexpr size_t kMax = 80;
  std::string r;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto ch = static_cast<unsigned char>(s[i]);
    if (ch < 32 || ch == 127) {
      static const char* hex = "0123456789abcdef";
      r += "\\x";
      r += hex[ch >> 4];
      r += hex[ch & 15];
    } else {
      r += static_cast<char>(ch);
    }
  }
  if (s.size() > kMax) r += "...";
  return r;
}

// Names the field being read: a root label ("metadata 'general.name'") plus array indices, rendered only
// when an error needs it.
struct Field {
  std::string_view label;
  const Field* parent = nullptr;
  uint64_t index = 0;

  std::string name() const {
    return parent ? parent->name() + "[" + std::to_string(index) + "]" : std::string(label);
  }
  std::string name(std::string_view part) const {
    return part.empty() ? name() : name() + " " + std::string(part);
  }
};

class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return bytes_.size() - pos_; }

  void need(uint64_t n, const Field& f, std::string_view part) const {
    if (n > remaining())
      throw GgufError("file truncated while reading " + f.name(part) + ": needs " + std::to_string(n) +
                          " bytes, " + std::to_string(remaining()) + " left",
                      pos_);
  }

  template <typename T>
  T read(const Field& f, std::string_view part = {}) {
    need(sizeof(T), f, part);
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));  // GGUF is little-endian, like every host we target
    pos_ += sizeof(T);
    return v;
  }

  // A view into the file: strings are copied only where they are kept.
  std::string_view read_string(const Field& f) {
    const uint64_t at = pos_;
    const uint64_t len = read<uint64_t>(f, "length");
    if (len > remaining())
      throw GgufError(f.name() + ": string length " + std::to_string(len) +
                          " runs past the end of the file (" + std::to_string(remaining()) + " bytes left)",
                      at);
    std::string_view s(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<size_t>(len));
    pos_ += len;
    return s;
  }

 private:
  std::span<const uint8_t> bytes_;
  uint64_t pos_ = 0;
};

uint64_t min_encoded_size(ValueType t) {
  switch (t) {
    case ValueType::Uint8:
    case ValueType::Int8:
    case ValueType::Bool:
      return 1;
    case ValueType::Uint16:
    case ValueType::Int16:
      return 2;
    case ValueType::Uint32:
    case ValueType::Int32:
    case ValueType::Float32:
      return 4;
    case ValueType::Uint64:
    case ValueType::Int64:
    case ValueType::Float64:
      return 8;
    case ValueType::String:
      return 8;  // length
    case ValueType::Array:
      return 12;  // element type + count
  }
  return 1;
}

// Memory one parsed array element takes in its Array vector (strings' heap bytes are charged separately).
uint64_t element_memory(ValueType t) {
  switch (t) {
    case ValueType::String:
      return sizeof(std::string);
    case ValueType::Array:
      return sizeof(Array);
    case ValueType::Float32:
    case ValueType::Float64:
      return sizeof(double);
    default:
      return sizeof(int64_t);
  }
}

class Parser {
 public:
  explicit Parser(std::span<const uint8_t> bytes)
      : c(bytes), file_size_(bytes.size()), budget_left_(bytes.size() * kMemoryPerFileByte + kMemorySlack) {}

  Cursor c;

  // Accounts for memory about to be allocated; throws when the file would need more than its budget.
  void charge(uint64_t count, uint64_t each, uint64_t at, const Field& f) {
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(count, each, &bytes) || bytes > budget_left_)
      throw GgufError(f.name() + " would need more memory than a " + std::to_string(file_size_) +
                          "-byte file may take (the parser allows " + std::to_string(kMemoryPerFileByte) +
                          " bytes per file byte)",
                      at);
    budget_left_ -= bytes;
  }

  ValueType read_type(const Field& f, std::string_view part) {
    const uint64_t at = c.pos();
    const uint32_t t = c.read<uint32_t>(f, part);
    if (t > static_cast<uint32_t>(ValueType::Float64))
      throw GgufError(f.name() + ": unknown " + std::string(part) + " " + std::to_string(t), at);
    return static_cast<ValueType>(t);
  }

  // One scalar integer or bool as a sign-extended 64-bit pattern.
  uint64_t read_int_bits(ValueType t, const Field& f) {
    switch (t) {
      case ValueType::Uint8:
        return c.read<uint8_t>(f);
      case ValueType::Int8:
        return static_cast<uint64_t>(static_cast<int64_t>(c.read<int8_t>(f)));
      case ValueType::Uint16:
        return c.read<uint16_t>(f);
      case ValueType::Int16:
        return static_cast<uint64_t>(static_cast<int64_t>(c.read<int16_t>(f)));
      case ValueType::Uint32:
        return c.read<uint32_t>(f);
      case ValueType::Int32:
        return static_cast<uint64_t>(static_cast<int64_t>(c.read<int32_t>(f)));
      case ValueType::Uint64:
        return c.read<uint64_t>(f);
      case ValueType::Int64:
        return static_cast<uint64_t>(c.read<int64_t>(f));
      case ValueType::Bool: {
        const uint64_t at = c.pos();
        const uint8_t b = c.read<uint8_t>(f);
        if (b > 1)
          throw GgufError(f.name() + ": bool byte is " + std::to_string(b) + " (must be 0 or 1)", at);
        return b;
      }
      default:
        return 0;
    }
  }

  std::string read_kept_string(const Field& f) {
    const uint64_t at = c.pos();
    const std::string_view s = c.read_string(f);
    charge(1, string_heap(s.size()), at, f);
    return std::string(s);
  }

  Value read_value(ValueType t, const Field& f) {
    Value v;
    v.type = t;
    switch (t) {
      case ValueType::Float32:
        v.real = c.read<float>(f);
        break;
      case ValueType::Float64:
        v.real = c.read<double>(f);
        break;
      case ValueType::String:
        v.str = read_kept_string(f);
        break;
      case ValueType::Array:
        charge(1, sizeof(Array) + kSharedBlockBytes, c.pos(), f);
        v.array = std::make_shared<const Array>(read_array(f, 1));
        break;
      default:
        v.bits = read_int_bits(t, f);
        break;
    }
    return v;
  }

  Array read_array(const Field& f, int depth) {
    if (depth > kMaxArrayNesting)
      throw GgufError(
          f.name() + ": arrays nested deeper than " + std::to_string(kMaxArrayNesting) + " levels", c.pos());
    Array a;
    a.elem_type = read_type(f, "array element type");
    const uint64_t at = c.pos();
    const uint64_t n = c.read<uint64_t>(f, "array element count");
    // Each element takes at least this many bytes, so a count the rest of the file cannot hold is hostile.
    if (n > c.remaining() / min_encoded_size(a.elem_type))
      throw GgufError(f.name() + ": array claims " + std::to_string(n) + " elements of type " +
                          std::string(value_type_name(a.elem_type)) + ", more than the " +
                          std::to_string(c.remaining()) + " bytes left can hold",
                      at);
    charge(n, element_memory(a.elem_type), at, f);
    const auto count = static_cast<size_t>(n);
    switch (a.elem_type) {
      case ValueType::Float32:
        a.floats.reserve(count);
        for (size_t i = 0; i < count; ++i) a.floats.push_back(c.read<float>(Field{{}, &f, i}));
        break;
      case ValueType::Float64:
        a.floats.reserve(count);
        for (size_t i = 0; i < count; ++i) a.floats.push_back(c.read<double>(Field{{}, &f, i}));
        break;
      case ValueType::String:
        a.strings.reserve(count);
        for (size_t i = 0; i < count; ++i) a.strings.push_back(read_kept_string(Field{{}, &f, i}));
        break;
      case ValueType::Array:
        a.arrays.reserve(count);
        for (size_t i = 0; i < count; ++i) a.arrays.push_back(read_array(Field{{}, &f, i}, depth + 1));
        break;
      default:
        a.ints.reserve(count);
        for (size_t i = 0; i < count; ++i)
          a.ints.push_back(static_cast<int64_t>(read_int_bits(a.elem_type, Field{{}, &f, i})));
        break;
    }
    return a;
  }

 private:
  uint64_t file_size_;
  uint64_t budget_left_;
};

uint32_t byteswap32(uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

}  // namespace

void GgufFile::parse_all() {
  Parser p(bytes_);
  Cursor& c = p.c;
  if (bytes_.size() < 4 || std::memcmp(bytes_.data(), "GGUF", 4) != 0) {
    std::string got;
    for (size_t i = 0; i < std::min<size_t>(4, bytes_.size()); ++i) got += static_cast<char>(bytes_[i]);
    throw GgufError("not a GGUF file: magic is '" + printable(got) + "', expected 'GGUF'", 0);
  }
  c.read<uint32_t>(Field{"magic"});
  const uint64_t version_at = c.pos();
  version_ = c.read<uint32_t>(Field{"version"});
  if (version_ != 2 && version_ != 3) {
    const uint32_t swapped = byteswap32(version_);
    throw GgufError("unsupported GGUF version " + std::to_string(version_) + " (supported: 2, 3)" +
                        (swapped == 2 || swapped == 3 ? "; the file looks big-endian" : ""),
                    version_at);
  }

  const uint64_t tensor_count_at = c.pos();
  const uint64_t n_tensors = c.read<uint64_t>(Field{"tensor count"});
  const uint64_t kv_count_at = c.pos();
  const uint64_t n_kv = c.read<uint64_t>(Field{"metadata count"});
  if (n_kv > c.remaining() / kMinKvBytes)
    throw GgufError("metadata count " + std::to_string(n_kv) + " is more than the file can hold (" +
                        std::to_string(c.remaining()) + " bytes left, each entry needs at least " +
                        std::to_string(kMinKvBytes) + ")",
                    kv_count_at);
  if (n_tensors > c.remaining() / kMinTensorInfoBytes)
    throw GgufError("tensor count " + std::to_string(n_tensors) + " is more than the file can hold (" +
                        std::to_string(c.remaining()) + " bytes left, each tensor needs at least " +
                        std::to_string(kMinTensorInfoBytes) + ")",
                    tensor_count_at);

  // ---- metadata ----
  p.charge(n_kv, sizeof(metadata_[0]) + kSetEntryBytes, kv_count_at, Field{"metadata count"});
  metadata_.reserve(static_cast<size_t>(n_kv));
  std::unordered_set<std::string_view> keys;  // views into the file, which outlives the parse
  keys.reserve(static_cast<size_t>(n_kv));
  uint64_t alignment_at = 0;
  for (uint64_t i = 0; i < n_kv; ++i) {
    const uint64_t key_at = c.pos();
    const std::string key_label = "metadata key #" + std::to_string(i);
    const std::string_view key = c.read_string(Field{key_label});
    if (key.empty() || key.size() > kMaxKeyLength)
      throw GgufError(key_label + " has invalid length " + std::to_string(key.size()) + " (1 to " +
                          std::to_string(kMaxKeyLength) + " bytes allowed)",
                      key_at);
    if (!keys.insert(key).second) throw GgufError("duplicate metadata key '" + printable(key) + "'", key_at);
    p.charge(1, string_heap(key.size()), key_at, Field{key_label});
    const std::string label = "metadata '" + printable(key) + "'";
    const Field field{label};
    const uint64_t value_at = c.pos();
    const ValueType t = p.read_type(field, "value type");
    Value v = p.read_value(t, field);
    if (key == "general.alignment") alignment_at = value_at;
    metadata_.emplace_back(std::string(key), std::move(v));
  }

  if (const Value* a = find("general.alignment")) {
    const auto n = a->as_uint();
    if (!n || *n == 0 || (*n & (*n - 1)) != 0 || *n > kMaxAlignment)
      throw GgufError("metadata 'general.alignment' must be a power of two up to " +
                          std::to_string(kMaxAlignment) + " (got " + std::string(value_type_name(a->type)) +
                          " " + a->to_display_string() + ")",
                      alignment_at);
    alignment_ = *n;
  }

  // ---- tensor infos ----
  p.charge(n_tensors, sizeof(TensorInfo) + kMaxDims * sizeof(uint64_t) + sizeof(uint64_t) + kSetEntryBytes,
           tensor_count_at, Field{"tensor count"});
  tensors_.reserve(static_cast<size_t>(n_tensors));
  std::vector<uint64_t> info_at;  // where each tensor's info starts, for error messages
  info_at.reserve(static_cast<size_t>(n_tensors));
  std::unordered_set<std::string_view> names;
  names.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    const uint64_t at = c.pos();
    const std::string name_label = "name of tensor #" + std::to_string(i);
    const std::string_view name = c.read_string(Field{name_label});
    if (name.empty()) throw GgufError("tensor #" + std::to_string(i) + " has an empty name", at);
    if (!names.insert(name).second) throw GgufError("duplicate tensor name '" + printable(name) + "'", at);
    p.charge(1, string_heap(name.size()), at, Field{name_label});
    TensorInfo t;
    t.name = std::string(name);
    const std::string label = "tensor '" + printable(name) + "'";
    const Field field{label};

    const uint64_t dims_at = c.pos();
    const uint32_t n_dims = c.read<uint32_t>(field, "dimension count");
    if (n_dims == 0 || n_dims > kMaxDims)
      throw GgufError(label + " has " + std::to_string(n_dims) + " dimensions (1 to " +
                          std::to_string(kMaxDims) + " allowed)",
                      dims_at);
    t.n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t dim_at = c.pos();
      const uint64_t dim = c.read<uint64_t>(field, "dimension " + std::to_string(d));
      if (dim == 0 || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw GgufError(label + " dimension " + std::to_string(d) + " is " + std::to_string(dim), dim_at);
      if (__builtin_mul_overflow(t.n_elements, dim, &t.n_elements) ||
          t.n_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw GgufError(label + ": the product of its dimensions overflows", dim_at);
      t.dims.push_back(dim);
    }
    const uint64_t type_at = c.pos();
    const uint32_t type_id = c.read<uint32_t>(field, "type");
    const auto traits = ggml_type_traits(type_id);
    if (!traits) throw GgufError(label + " has unknown tensor type id " + std::to_string(type_id), type_at);
    t.type = static_cast<GgmlType>(type_id);
    if (t.dims[0] % traits->block_elements != 0)
      throw GgufError(label + " row length " + std::to_string(t.dims[0]) + " is not a multiple of the " +
                          std::string(traits->name) + " block size " + std::to_string(traits->block_elements),
                      dims_at);
    if (__builtin_mul_overflow(t.n_elements / traits->block_elements, traits->block_bytes, &t.n_bytes))
      throw GgufError(label + ": its byte size overflows", dims_at);
    const uint64_t offset_at = c.pos();
    t.offset = c.read<uint64_t>(field, "data offset");
    if (t.offset % alignment_ != 0)
      throw GgufError(label + " data offset " + std::to_string(t.offset) +
                          " is not a multiple of the alignment " + std::to_string(alignment_),
                      offset_at);
    tensors_.push_back(std::move(t));
    info_at.push_back(at);
  }

  // ---- data section: starts at the next multiple of the alignment after the header ----
  const uint64_t header_end = c.pos();
  data_offset_ = (header_end + alignment_ - 1) / alignment_ * alignment_;
  if (!tensors_.empty() && data_offset_ > bytes_.size())
    throw GgufError("file truncated: the tensor data section would start at byte " +
                        std::to_string(data_offset_) + " but the file has " + std::to_string(bytes_.size()) +
                        " bytes",
                    header_end);
  const uint64_t data_size = tensors_.empty() ? 0 : bytes_.size() - data_offset_;

  // Every tensor must lie inside the data section, and no two may overlap.
  std::vector<size_t> by_offset(tensors_.size());
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const TensorInfo& t = tensors_[i];
    if (t.offset > data_size || t.n_bytes > data_size - t.offset)
      throw GgufError("tensor '" + printable(t.name) + "' (" + std::to_string(t.n_bytes) +
                          " bytes at data offset " + std::to_string(t.offset) +
                          ") extends past the end of the file (the data section holds " +
                          std::to_string(data_size) + " bytes): file truncated or corrupt",
                      info_at[i]);
    by_offset[i] = i;
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const TensorInfo& prev = tensors_[by_offset[i - 1]];
    const TensorInfo& next = tensors_[by_offset[i]];
    if (prev.offset + prev.n_bytes > next.offset)
      throw GgufError("tensors '" + printable(prev.name) + "' (data offset " + std::to_string(prev.offset) +
                          ", " + std::to_string(prev.n_bytes) + " bytes) and '" + printable(next.name) +
                          "' (data offset " + std::to_string(next.offset) + ") overlap in the data section",
                      info_at[by_offset[i]]);
  }
  for (auto& t : tensors_) t.data = bytes_.data() + data_offset_ + t.offset;
}

}  // namespace glasswing::gguf
