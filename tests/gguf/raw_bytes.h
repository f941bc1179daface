#pragma once
// Byte-level helpers for building broken GGUF files: an unchecked little-endian emitter (for what GgufWriter
// refuses to write) and in-place patching of fields that GgufWriter did write, located by key or tensor name.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace glasswing::test {

struct RawBytes {
  std::vector<uint8_t> bytes;

  template <typename T>
  RawBytes& put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
    return *this;
  }
  RawBytes& u32(uint32_t v) { return put(v); }
  RawBytes& u64(uint64_t v) { return put(v); }
  RawBytes& str(std::string_view s) {
    u64(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
    return *this;
  }
  // "GGUF", version, tensor count, metadata count.
  RawBytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    bytes.insert(bytes.end(), {'G', 'G', 'U', 'F'});
    return u32(version).u64(n_tensors).u64(n_kv);
  }
};

// Offset just past the length-prefixed string s (a key or tensor name) in a GGUF file; throws unless it
// occurs exactly once, so a patch never lands somewhere unintended.
inline size_t after_string(const std::vector<uint8_t>& file, std::string_view s) {
  RawBytes needle;
  needle.str(s);
  size_t found = std::string::npos;
  for (size_t i = 0; i + needle.bytes.size() <= file.size(); ++i)
    if (std::memcmp(file.data() + i, needle.bytes.data(), needle.bytes.size()) == 0) {
      if (found != std::string::npos) throw std::logic_error("string occurs twice: " + std::string(s));
      found = i;
    }
  if (found == std::string::npos) throw std::logic_error("string not found: " + std::string(s));
  return found + needle.bytes.size();
}

template <typename T>
void patch(std::vector<uint8_t>& file, size_t at, T v) {
  if (at + sizeof(T) > file.size()) throw std::logic_error("patch past the end");
  std::memcpy(file.data() + at, &v, sizeof(T));
}

// Field offsets inside one metadata entry or tensor info, given the offset after its key or name.
inline size_t value_type_at(size_t after_key) {
  return after_key;
}
inline size_t value_at(size_t after_key) {
  return after_key + 4;
}
inline size_t n_dims_at(size_t after_name) {
  return after_name;
}
inline size_t dim_at(size_t after_name, uint32_t d) {
  return after_name + 4 + 8 * d;
}
inline size_t tensor_type_at(size_t after_name, uint32_t n_dims) {
  return after_name + 4 + 8 * n_dims;
}
inline size_t tensor_offset_at(size_t after_name, uint32_t n_dims) {
  return after_name + 8 + 8 * n_dims;
}

}  // namespace glasswing::test
