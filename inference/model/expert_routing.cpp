#include "inference/model/expert_routing.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace glasswing::model {

// DeepSeek-V3's group-limited choice, as llama.cpp's build_moe_ffn: each group's score is the sum of its two
// best selection scores; the groups_used best groups stay (ties to the lower group), the others' experts
// are excluded (−∞).
void ExpertRouting::mask_groups(const RouterRule& rule) {
  const auto per_group = static_cast<int64_t>(choice_.size()) / rule.groups;
  group_scores_.clear();
  for (int64_t g = 0; g < rule.groups; ++g) {
    float best = -INFINITY, second = -INFINITY;
    for (int64_t e = g * per_group; e < (g + 1) * per_group; ++e) {
      const float c = choice_[static_cast<size_t>(e)];
      if (c > best) {
        second = best;
        best = c;
      } else if (c > second) {
        second = c;
      }
    }
    group_scores_.emplace_back(per_group > 1 ? best + second : best, g);
  }
  std::stable_sort(group_scores_.begin(), group_scores_.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = static_cast<size_t>(rule.groups_used); i < group_scores_.size(); ++i) {
    const int64_t g = group_scores_[i].second;
    std::fill(choice_.begin() + g * per_group, choice_.begin() + (g + 1) * per_group, -INFINITY);
  }
}

void ExpertRouting::route(const float* logits, int64_t n, int64_t n_expert, int64_t k, const RouterRule& rule,
                          std::span<const float> selection_bias) {
  if (k <= 0 || k > n_expert) throw std::invalid_argument("expert routing: k must be in 1..n_expert");
  if (!selection_bias.empty() && static_cast<int64_t>(selection_bias.size()) != n_expert)
    throw std::invalid_argument("expert routing: the selection bias must have one value per expert");
  if (!rule.groups_fit(n_expert, k))
    throw std::invalid_argument("expert routing: the groups must divide the experts and hold k of them");
  const auto nk = static_cast<size_t>(n * k);
  const auto ne = static_cast<size_t>(n_expert);
  chosen.assign(nk, 0);
  weight.assign(nk, 0.0f);
  pairs.assign(nk, 0);
  begin.assign(ne + 1, 0);
  probs_.resize(ne);
  choice_.resize(ne);
  for (int64_t t = 0; t < n; ++t) {
    const float* l = logits + t * n_expert;
    switch (rule.gating) {
      case ExpertGating::Softmax: {  // as ggml's soft_max: exponentials in f32, their sum in double
        const float max = *std::max_element(l, l + n_expert);
        double sum = 0;
        for (size_t e = 0; e < ne; ++e) sum += (probs_[e] = std::exp(l[e] - max));
        const auto inv = static_cast<float>(1.0 / sum);
        for (float& p : probs_) p *= inv;
        break;
      }
      case ExpertGating::Sigmoid:
        for (size_t e = 0; e < ne; ++e) probs_[e] = 1.0f / (1.0f + std::exp(-l[e]));
        break;
      case ExpertGating::SoftmaxOfChosen:
        std::copy(l, l + n_expert, probs_.begin());
        break;
    }
    for (size_t e = 0; e < ne; ++e)
      choice_[e] = probs_[e] + (selection_bias.empty() ? 0.0f : selection_bias[e]);
    if (rule.groups > 1) mask_groups(rule);
    int32_t* ids = &chosen[static_cast<size_t>(t * k)];
    float* w = &weight[static_cast<size_t>(t * k)];
    for (int64_t r = 0; r < k; ++r) {  // the r-th best expert not chosen yet
      int32_t best = -1;
      for (int32_t e = 0; e < n_expert; ++e)
        if ((best < 0 || choice_[static_cast<size_t>(e)] > choice_[static_cast<size_t>(best)]) &&
            std::find(ids, ids + r, e) == ids + r)
          best = e;
      ids[r] = best;
      w[r] = probs_[static_cast<size_t>(best)];
      ++begin[static_cast<size_t>(best) + 1];
    }
    if (rule.gating == ExpertGating::SoftmaxOfChosen) {  // the chosen logits' softmax
      const float max = *std::max_element(w, w + k);
      float sum = 0;
      for (int64_t r = 0; r < k; ++r) sum += (w[r] = std::exp(w[r] - max));
      for (int64_t r = 0; r < k; ++r) w[r] /= sum;
    } else if (rule.normalize) {
      float sum = 0;
      for (int64_t r = 0; r < k; ++r) sum += w[r];
      sum = std::max(sum, 6.103515625e-5f);
      for (int64_t r = 0; r < k; ++r) w[r] /= sum;
    }
    if (rule.scale != 1.0f)
      for (int64_t r = 0; r < k; ++r) w[r] *= rule.scale;
  }
  for (size_t e = 0; e < ne; ++e) begin[e + 1] += begin[e];
  cursor_.assign(begin.begin(), begin.end() - 1);
  for (size_t i = 0; i < nk; ++i)
    pairs[static_cast<size_t>(cursor_[static_cast<size_t>(chosen[i])]++)] = static_cast<int32_t>(i);
}

}  // namespace glasswing::model
