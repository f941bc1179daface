#include "inference/model/perplexity.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "inference/model/model.h"

namespace glasswing::model {

namespace {
// −log softmax(logits)[target], in double: the scores of a whole file are summed.
double negative_log_likelihood(std::span<const float> logits, int32_t target) {
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l) - max);
  return std::log(sum) - (static_cast<double>(logits[static_cast<size_t>(target)]) - max);
}
}  // namespace

PerplexityResult perplexity(Backend& backend, Session& session, std::span<const int32_t> tokens,
                            int64_t n_ctx, int32_t bos_id,
                            const std::function<void(int64_t, double)>& on_window) {
  if (n_ctx < 4) throw std::invalid_argument("perplexity needs windows of at least 4 tokens");
  if (session.n_ctx() < n_ctx)
    throw std::invalid_argument("the session holds " + std::to_string(session.n_ctx()) +
                                " positions, fewer than " + "the window of " + std::to_string(n_ctx));
  PerplexityResult r;
  r.windows = static_cast<int64_t>(tokens.size()) / n_ctx;
  if (r.windows < 1)
    throw std::invalid_argument("the text has " + std::to_string(tokens.size()) + " tokens; a window of " +
                                std::to_string(n_ctx) + " needs at least that many");
  const auto n_vocab = static_cast<size_t>(session.model().desc().n_vocab);
  const int64_t first = n_ctx / 2;  // positions before this are context only
  double nll = 0;
  std::vector<int32_t> window(static_cast<size_t>(n_ctx));
  for (int64_t w = 0; w < r.windows; ++w) {
    std::copy_n(tokens.begin() + w * n_ctx, n_ctx, window.begin());
    if (bos_id >= 0) window[0] = bos_id;
    session.truncate(0);
    const auto logits = backend.forward(session, window, /*want_all_logits=*/true);
    // The logits at position j predict token j + 1 of the window.
    for (int64_t j = first; j < n_ctx - 1; ++j) {
      nll += negative_log_likelihood(logits.subspan(static_cast<size_t>(j) * n_vocab, n_vocab),
                                     window[static_cast<size_t>(j + 1)]);
      ++r.scored_tokens;
    }
    if (on_window) on_window(w + 1, std::exp(nll / static_cast<double>(r.scored_tokens)));
  }
  r.perplexity = std::exp(nll / static_cast<double>(r.scored_tokens));
  return r;
}

}  // namespace glasswing::model
