#pragma once
// Which model file a conversation used, as the store records it: the same facts the CLI records (path, size,
// SHA-256 of the header, architecture, dominant quant type, parameter count). Qt-free.
#include <cstdint>
#include <filesystem>
#include <string>

namespace glasswing::ui {

struct ModelDescription {
  std::string path;  // absolute
  int64_t file_size_bytes = 0;
  std::string header_sha256;  // of the bytes before the tensor data, lowercase hex
  std::string architecture;
  std::string quant;  // the ggml type holding the most tensor bytes, e.g. "Q4_K"
  int64_t n_params = 0;
};

// Reads the GGUF header and hashes it (the header only: a few MB at most). Runs on a worker thread, once per
// loaded model. Throws std::exception with a one-line message when the file cannot be read.
ModelDescription describe_model_file(const std::filesystem::path& path);

}  // namespace glasswing::ui
