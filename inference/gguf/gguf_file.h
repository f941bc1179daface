#pragma once
// Reader for GGUF v2/v3 model files (the format of llama.cpp, LM Studio, Ollama, GPT4All).
//
// The file is memory-mapped; tensor data is never copied. Every byte of the header is validated before it is
// trusted: a truncated or hostile file produces a GgufError naming the field, its byte offset and the reason,
// never a crash, a hang or an allocation larger than the file itself.
//
// Layout: magic "GGUF", u32 version, u64 tensor_count, u64 kv_count, kv_count × (key, value),
// tensor_count × (name, u32 n_dims, u64 dims[n_dims], u32 type, u64 offset), padding to general.alignment,
// then the data section. Tensor offsets are relative to the data section.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inference/gguf/ggml_type.h"

namespace glasswing::gguf {

class GgufError : public std::runtime_error {
 public:
  // "message (at byte offset)": offset is where in the file the offending field starts.
  GgufError(const std::string& message, uint64_t offset)
      : std::runtime_error(message + " (at byte " + std::to_string(offset) + ")"),
        offset_(offset),
        has_offset_(true) {}
  explicit GgufError(const std::string& message) : std::runtime_error(message) {}
  // The same error with context (e.g. the file name) in front; keeps the offset.
  GgufError prefixed(const std::string& prefix) const {
    return GgufError(prefix + what(), offset_, has_offset_);
  }
  uint64_t offset() const { return offset_; }
  bool has_offset() const { return has_offset_; }

 private:
  GgufError(const std::string& full, uint64_t offset, bool has_offset)
      : std::runtime_error(full), offset_(offset), has_offset_(has_offset) {}
  uint64_t offset_ = 0;
  bool has_offset_ = false;
};

// Limits the reader enforces (and the writer respects), so hostile files cannot make it recurse or allocate
// without bound.
inline constexpr uint32_t kMaxDims = 4;              // GGML_MAX_DIMS
inline constexpr int kMaxArrayNesting = 8;           // real files nest arrays at most once
inline constexpr uint64_t kMaxKeyLength = 65535;     // bytes
inline constexpr uint64_t kMaxAlignment = 1u << 20;  // general.alignment
inline constexpr uint64_t kDefaultAlignment = 32;

// clang-format off
enum class ValueType : uint32_t {
  Uint8 = 0, Int8 = 1, Uint16 = 2, Int16 = 3, Uint32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
  String = 8, Array = 9, Uint64 = 10, Int64 = 11, Float64 = 12,
};
// clang-format on
std::string_view value_type_name(ValueType type);
bool is_integer_type(ValueType type);

// An array value. Exactly one of the vectors is used, chosen by elem_type.
struct Array {
  ValueType elem_type = ValueType::Uint8;
  std::vector<int64_t> ints;   // every integer type and bool; u64 values above INT64_MAX are stored bit-cast
  std::vector<double> floats;  // f32, f64
  std::vector<std::string> strings;  // string
  std::vector<Array> arrays;         // nested arrays
  size_t size() const;
};

// One metadata value.
struct Value {
  ValueType type = ValueType::Uint8;
  uint64_t bits = 0;  // integers (signed ones sign-extended) and bool
  double real = 0;    // f32, f64
  std::string str;    // string
  std::shared_ptr<const Array> array;

  std::optional<int64_t> as_int() const;    // any integer type whose value fits in int64
  std::optional<uint64_t> as_uint() const;  // any non-negative integer
  std::optional<double> as_double() const;  // float or integer
  std::string to_display_string(size_t max_array_items = 8) const;  // for `info` and error messages
};

struct TensorInfo {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<uint64_t> dims;  // ggml order: dims[0] is the contiguous (row) dimension
  uint64_t offset = 0;         // from the start of the data section
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  const uint8_t* data = nullptr;  // into the mapping; valid while the GgufFile (or a copy) lives

  uint64_t row_elements() const { return dims.empty() ? 1 : dims[0]; }
  uint64_t n_rows() const { return row_elements() ? n_elements / row_elements() : 0; }
  uint64_t row_bytes() const { return n_rows() ? n_bytes / n_rows() : 0; }
  std::string shape_string() const;  // "[256, 512]"
};

class MappedFile;

class GgufFile {
 public:
  // Maps and parses a file. Throws GgufError (with the path) on any problem.
  static GgufFile open(const std::filesystem::path& path);
  // Parses bytes already in memory; they must outlive the returned object (used by the fuzzer and tests).
  static GgufFile parse(std::span<const uint8_t> bytes);
  // A model split by llama.cpp's gguf-split ("NAME-00001-of-00003.gguf" ...): opens the first part at `path`
  // and takes the tensors of the others in (their mappings live as long as this object); any other file is
  // opened as open() does. Throws GgufError naming a missing, mismatched or out-of-order part, or a part
  // other than the first.
  static GgufFile open_model(const std::filesystem::path& path);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return bytes_.size(); }
  const std::filesystem::path& path() const { return path_; }

  const std::vector<std::pair<std::string, Value>>& metadata() const { return metadata_; }
  const Value* find(std::string_view key) const;

  // Typed accessors: nullopt when the key is absent; GgufError when it is present with a wrong type.
  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<uint64_t> get_uint(std::string_view key) const;
  std::optional<double> get_float(std::string_view key) const;  // accepts integers too
  std::optional<bool> get_bool(std::string_view key) const;
  const Array* get_array(std::string_view key) const;

  // As above, but a missing key is a GgufError naming it.
  std::string require_string(std::string_view key) const;
  int64_t require_int(std::string_view key) const;
  uint64_t require_uint(std::string_view key) const;
  double require_float(std::string_view key) const;
  const Array& require_array(std::string_view key) const;

  std::string architecture() const { return get_string("general.architecture").value_or(""); }

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;
  const TensorInfo& require_tensor(std::string_view name) const;

 private:
  GgufFile() = default;
  void parse_all();  // gguf_parse.cpp

  std::shared_ptr<MappedFile> map_;
  std::vector<std::shared_ptr<MappedFile>> part_maps_;  // the other parts of a split model (open_model)
  std::span<const uint8_t> bytes_;
  std::filesystem::path path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, Value>> metadata_;
  std::vector<TensorInfo> tensors_;
};

}  // namespace glasswing::gguf
