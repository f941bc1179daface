#include "ui/backend/model_description.h"

#include "inference/gguf/gguf_file.h"
#include "inference/gguf/tensor_summary.h"
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
  const gguf::TensorSummary tensors = gguf::summarize_tensors(file);
  d.n_params = tensors.n_params;
  d.quant = tensors.dominant_type;
  return d;
}

}  // namespace glasswing::ui
