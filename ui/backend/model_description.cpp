#include "ui/backend/model_description.h"

#include <map>

#include "inference/gguf/ggml_type.h"
#include "inference/gguf/gguf_file.h"
#include "storage/sha256.h"

namespace glasswing::ui {

ModelDescription describe_model_file(const std::filesystem::path& path) {
  const gguf::GgufFile file = gguf::GgufFile::open(path);
  ModelDescription d;
  d.path = std::filesystem::absolute(path).string();  // as glasswing-cli records it
  d.file_size_bytes = static_cast<int64_t>(file.file_size());
  // The header identifies the model: a moved file keeps it, a re-quantized one under the same name does not.
  d.header_sha256 = storage::sha256_of_file_prefix(path, file.data_offset());
  d.architecture = file.architecture();
  std::map<std::string, uint64_t> bytes_by_type;
  for (const auto& t : file.tensors()) {
    d.n_params += static_cast<int64_t>(t.n_elements);
    bytes_by_type[gguf::ggml_type_name(t.type)] += t.n_bytes;
  }
  uint64_t most = 0;
  for (const auto& [type, bytes] : bytes_by_type)
    if (bytes > most) most = bytes, d.quant = type;
  return d;
}

}  // namespace glasswing::ui
