#pragma once
// What a model file's tensors add up to, as the conversation store records a model (glasswing-cli chat and
// the app must agree on it, so that both name the same file the same way).
#include <cstdint>
#include <string>

#include "inference/gguf/gguf_file.h"

namespace glasswing::gguf {

struct TensorSummary {
  int64_t n_params = 0;       // elements over all tensors
  std::string dominant_type;  // ggml type name holding the most bytes (ties: the first name in order)
};

TensorSummary summarize_tensors(const GgufFile& file);

}  // namespace glasswing::gguf
