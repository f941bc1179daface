#pragma once
// Which experts each token of a mixture-of-experts layer runs, shared by every backend so that they route
// alike: llama.cpp's build_moe_ffn, from the router's logits to each token's chosen experts and weights.
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace glasswing::model {

// How the router's logits become probabilities (llama.cpp's expert_gating_func): a softmax over all experts
// (Mixtral, Qwen3), each logit's sigmoid (GLM-4.5, DeepSeek-V3), or the logits themselves, the chosen ones
// then weighted by their softmax (gpt-oss).
enum class ExpertGating { Softmax, Sigmoid, SoftmaxOfChosen };

struct RouterRule {
  ExpertGating gating = ExpertGating::Softmax;
  bool normalize = true;  // the chosen probabilities divided by their sum (floored at 2^-14, as llama.cpp)
  float scale = 1.0f;     // then multiplied by this (GLM-4.5's routed_scaling_factor)
  // DeepSeek-V3's group-limited choice: the experts in `groups` equal groups, each scored by the sum of its
  // two best selection scores; only the groups_used best groups' experts can be chosen. 1: no groups.
  int64_t groups = 1, groups_used = 1;
  // Whether the groups divide n_expert experts and the ones used hold k of them.
  bool groups_fit(int64_t n_expert, int64_t k) const {
    return groups >= 1 && n_expert % groups == 0 && groups_used >= 1 && groups_used <= groups &&
           groups_used * (n_expert / groups) >= k;
  }
};

struct ExpertRouting {
  // Per token t and rank r < k: chosen[t * k + r] is its r-th most likely expert (ties to the lower id) and
  // weight[t * k + r] that expert's weight as the rule makes it.
  std::vector<int32_t> chosen;
  std::vector<float> weight;
  // The (token, rank) pairs, as t * k + r, grouped by expert and in token order within each expert (a
  // counting sort): expert e runs on pairs[begin[e], begin[e + 1]).
  std::vector<int32_t> pairs;
  std::vector<int32_t> begin;

  // logits: n rows of n_expert router outputs (with the router's bias, where it has one). Experts are chosen
  // by probability plus selection_bias (GLM-4.5's exp_probs_b: it steers the choice, not the weights).
  void route(const float* logits, int64_t n, int64_t n_expert, int64_t k, const RouterRule& rule,
             std::span<const float> selection_bias = {});
  int64_t count(int64_t expert) const {
    return begin[static_cast<size_t>(expert) + 1] - begin[static_cast<size_t>(expert)];
  }

 private:
  void mask_groups(const RouterRule& rule);
  std::vector<int32_t> cursor_;  // the counting sort's next slot per expert (kept: no allocation per step)
  std::vector<float> probs_, choice_;                    // one token's probabilities and selection scores
  std::vector<std::pair<float, int64_t>> group_scores_;  // (score, group) per group
};

}  // namespace glasswing::model
