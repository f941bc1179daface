#pragma once
// A read-only memory mapping of a whole file, unmapped on destruction.
#include <cstdint>
#include <filesystem>
#include <span>

namespace glasswing::gguf {

class MappedFile {
 public:
  // Throws std::runtime_error naming the path and the OS error.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace glasswing::gguf
