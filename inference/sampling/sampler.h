#pragma once
// Picks the next token from logits: repetition penalty → top-k → top-p → min-p → temperature → draw, in
// llama.cpp's order. A plain value with its own seeded RNG; the draw uses only std::mt19937_64 (whose output
// the standard fixes) and arithmetic of our own, so a seed gives the same tokens on every platform.
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace glasswing::sampling {

struct SamplerSettings {
  float temperature = 0.8f;     // ≤ 0: greedy (argmax after the repetition penalty)
  int32_t top_k = 40;           // keep the k most likely tokens; ≤ 0: off
  float top_p = 0.95f;          // keep the smallest set whose probability reaches p; ≥ 1: off
  float min_p = 0.05f;          // drop tokens below min_p × the top probability; ≤ 0: off
  float repeat_penalty = 1.0f;  // divide positive (multiply negative) logits of recent tokens; 1: off
  int32_t repeat_window = 64;   // how many of the latest tokens the penalty looks at
  uint64_t seed = 0;
};

struct Candidate {
  int32_t id = 0;
  float logit = 0;  // after the penalty and the temperature
  float prob = 0;   // after every filter, renormalised
};

class Sampler {
 public:
  explicit Sampler(const SamplerSettings& settings = {});

  // The next token given the logits (n_vocab) and the tokens so far (for the repetition penalty).
  int32_t sample(std::span<const float> logits, std::span<const int32_t> history);

  // The distribution the draw uses: surviving candidates, most likely first. Greedy gives one candidate.
  // Valid until the next call.
  const std::vector<Candidate>& distribution(std::span<const float> logits, std::span<const int32_t> history);

  const SamplerSettings& settings() const { return settings_; }
  void reseed(uint64_t seed) { rng_.seed(seed); }

 private:
  double uniform();  // [0, 1) from 53 random bits

  SamplerSettings settings_;
  std::mt19937_64 rng_;
  std::vector<Candidate> candidates_;  // reused across calls
  std::vector<bool> penalised_;        // (n_vocab), reused across calls
};

}  // namespace glasswing::sampling
