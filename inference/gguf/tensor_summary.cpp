#include "inference/gguf/tensor_summary.h"

#include <map>

#include "inference/gguf/ggml_type.h"

namespace glasswing::gguf {

TensorSummary summarize_tensors(const GgufFile& file) {
  TensorSummary s;
  std::map<std::string, uint64_t> bytes_by_type;
  for (const auto& t : file.tensors()) {
    s.n_params += static_cast<int64_t>(t.n_elements);
    bytes_by_type[ggml_type_name(t.type)] += t.n_bytes;
  }
  uint64_t most = 0;
  for (const auto& [type, bytes] : bytes_by_type)
    if (bytes > most) most = bytes, s.dominant_type = type;
  return s;
}

}  // namespace glasswing::gguf
