#include "inference/model/expert_routing.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace glasswing::model {

void ExpertRouting::route(const float* scores, int64_t n, int64_t n_expert, int64_t k, bool softmax_weight) {
  if (k <= 0 || k > n_expert) throw std::invalid_argument("expert routing: k must be in 1..n_expert");
  const auto nk = static_cast<size_t>(n * k);
  chosen.assign(nk, 0);
  weight.assign(nk, 0.0f);
  pairs.assign(nk, 0);
  begin.assign(static_cast<size_t>(n_expert) + 1, 0);
  for (int64_t t = 0; t < n; ++t) {
    const float* p = scores + t * n_expert;
    int32_t* ids = &chosen[static_cast<size_t>(t * k)];
    float* w = &weight[static_cast<size_t>(t * k)];
    float sum = 0;
    for (int64_t r = 0; r < k; ++r) {  // the r-th most likely expert not chosen yet
      int32_t best = -1;
      for (int32_t e = 0; e < n_expert; ++e)
        if ((best < 0 || p[e] > p[best]) && std::find(ids, ids + r, e) == ids + r) best = e;
      ids[r] = best;
      w[r] = p[best];
      sum += w[r];
      ++begin[static_cast<size_t>(best) + 1];
    }
    if (softmax_weight) {  // the chosen logits' softmax (the first is the largest)
      sum = 0;
      for (int64_t r = 0; r < k; ++r) sum += (w[r] = std::exp(w[r] - p[ids[0]]));
    }
    for (int64_t r = 0; r < k; ++r) w[r] /= sum;
  }
  for (int64_t e = 0; e < n_expert; ++e) begin[static_cast<size_t>(e) + 1] += begin[static_cast<size_t>(e)];
  cursor_.assign(begin.begin(), begin.end() - 1);
  for (size_t i = 0; i < nk; ++i)
    pairs[static_cast<size_t>(cursor_[static_cast<size_t>(chosen[i])]++)] = static_cast<int32_t>(i);
}

}  // namespace glasswing::model
