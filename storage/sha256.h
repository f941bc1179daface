#pragma once
// SHA-256 (FIPS 180-4), for identifying model files by their header: a renamed or moved file keeps its hash,
// a re-quantized file under the same name does not.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace glasswing::storage {

class Sha256 {
 public:
  Sha256();
  void update(std::span<const uint8_t> bytes);
  void update(std::string_view text) {
    update(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  }
  std::string hex_digest();  // lowercase, 64 characters; ends the computation

 private:
  void compress(const uint8_t* block);
  uint32_t state_[8];
  uint8_t buffer_[64];
  uint64_t n_bytes_ = 0;
};

std::string sha256_hex(std::string_view bytes);

// The hash of the first n_bytes of a file (e.g. a GGUF file up to its data section). Throws
// std::runtime_error when the file cannot be read or is shorter.
std::string sha256_of_file_prefix(const std::filesystem::path& path, uint64_t n_bytes);

}  // namespace glasswing::storage
