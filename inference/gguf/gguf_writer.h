#pragma once
// Writer for GGUF files (v3 by default, v2 on request), the inverse of GgufFile.
//
// Metadata keeps the order in which keys were first set; setting a key again replaces its value in place.
// Tensors are laid out in the order they were added, each at a multiple of general.alignment (32 unless a
// general.alignment value is set, at any time before to_bytes), zero-padded. Everything is validated when it
// is set or added, so a writer never produces a file that GgufFile rejects; misuse throws GgufError naming
// the key or tensor.
//
//   GgufWriter w;
//   w.set_string("general.architecture", "llama");
//   w.set_u32("llama.block_count", 5);
//   w.add_tensor("token_embd.weight", GgmlType::F32, {64, 512}, bytes);
//   w.write("model.gguf");  // temp file + fsync + rename: never a half-written file
//
// To copy a file: for (auto& [k, v] : in.metadata()) w.set(k, v); then add_tensor() with each tensor's data.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inference/gguf/ggml_type.h"
#include "inference/gguf/gguf_file.h"

namespace glasswing::gguf {

class GgufWriter {
 public:
  explicit GgufWriter(uint32_t version = 3);  // 2 or 3; the two differ only in the version field

  uint32_t version() const { return version_; }
  void set_version(uint32_t version);

  void set_u8(std::string_view key, uint8_t v);
  void set_i8(std::string_view key, int8_t v);
  void set_u16(std::string_view key, uint16_t v);
  void set_i16(std::string_view key, int16_t v);
  void set_u32(std::string_view key, uint32_t v);
  void set_i32(std::string_view key, int32_t v);
  void set_u64(std::string_view key, uint64_t v);
  void set_i64(std::string_view key, int64_t v);
  void set_f32(std::string_view key, float v);
  void set_f64(std::string_view key, double v);
  void set_bool(std::string_view key, bool v);
  void set_string(std::string_view key, std::string_view v);
  void set_array(std::string_view key, const Array& v);
  void set_strings(std::string_view key, const std::vector<std::string>& v);
  void set_f32s(std::string_view key, std::span<const float> v);
  void set_i32s(std::string_view key, std::span<const int32_t> v);
  // Any value, e.g. one read by GgufFile. general.alignment must be a power-of-two integer (stored as u32,
  // the type llama.cpp requires).
  void set(std::string_view key, const Value& v);
  bool remove(std::string_view key);  // false when the key was not set
  const Value* find(std::string_view key) const;
  const std::vector<std::pair<std::string, Value>>& metadata() const { return metadata_; }

  // dims in ggml order (dims[0] is the contiguous row). data must hold exactly the bytes the type and shape
  // need; it is copied.
  void add_tensor(std::string_view name, GgmlType type, std::vector<uint64_t> dims,
                  std::span<const uint8_t> data);
  size_t tensor_count() const { return tensors_.size(); }

  uint64_t alignment() const;
  std::vector<uint8_t> to_bytes() const;
  // Writes to a temporary file in the same folder, fsyncs it and renames it over path, so path holds either
  // the old file or the complete new one. Throws GgufError naming the path and the OS error.
  void write(const std::filesystem::path& path) const;

 private:
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<uint64_t> dims;
    std::vector<uint8_t> data;
  };

  void put(std::string_view key, Value v);

  uint32_t version_;
  std::vector<std::pair<std::string, Value>> metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace glasswing::gguf
