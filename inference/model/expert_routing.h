#pragma once
// Which experts each token of a mixture-of-experts layer runs, shared by every backend so that they route
// alike: llama.cpp's build_moe_ffn with softmax gating and renormalized weights.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace glasswing::model {

struct ExpertRouting {
  // Per token t and rank r < k: chosen[t * k + r] is its r-th most likely expert (ties to the lower id) and
  // weight[t * k + r] that expert's probability divided by the sum of the k chosen ones.
  std::vector<int32_t> chosen;
  std::vector<float> weight;
  // The (token, rank) pairs, as t * k + r, grouped by expert and in token order within each expert (a
  // counting sort): expert e runs on pairs[begin[e], begin[e + 1]).
  std::vector<int32_t> pairs;
  std::vector<int32_t> begin;

  // scores: n rows of n_expert router probabilities (after the softmax), whose chosen ones are renormalized;
  // or, with softmax_weight (gpt-oss), the router's logits, the chosen ones' weights their softmax.
  void route(const float* scores, int64_t n, int64_t n_expert, int64_t k, bool softmax_weight = false);
  int64_t count(int64_t expert) const {
    return begin[static_cast<size_t>(expert) + 1] - begin[static_cast<size_t>(expert)];
  }

 private:
  std::vector<int32_t> cursor_;  // the counting sort's next slot per expert (kept: no allocation per step)
};

}  // namespace glasswing::model
