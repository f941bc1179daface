#pragma once
// Perplexity the way llama.cpp's `perplexity` tool measures it: the tokens are cut into non-overlapping
// windows of n_ctx tokens, each evaluated from position 0 (its first token replaced by BOS when bos_id ≥ 0),
// and only the second half of each window is scored, so every scored token has at least n_ctx/2 of context.
#include <cstdint>
#include <functional>
#include <span>

#include "inference/model/backend.h"

namespace glasswing::model {

struct PerplexityResult {
  double perplexity = 0;  // exp(mean negative log-likelihood)
  int64_t windows = 0;
  int64_t scored_tokens = 0;
};

// `session` must hold at least n_ctx positions; it is reset for every window. `on_window(done, running_ppl)`
// reports progress. Throws std::invalid_argument when the tokens do not fill one window.
PerplexityResult perplexity(Backend& backend, Session& session, std::span<const int32_t> tokens,
                            int64_t n_ctx, int32_t bos_id,
                            const std::function<void(int64_t, double)>& on_window = {});

}  // namespace glasswing::model
