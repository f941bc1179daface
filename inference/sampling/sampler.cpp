#include "inference/sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace glasswing::sampling {

namespace {
// Most likely first; equal logits by id, so the order (and the draw) never depends on the sort algorithm.
bool more_likely(const Candidate& a, const Candidate& b) {
  return a.logit != b.logit ? a.logit > b.logit : a.id < b.id;
}

// prob = softmax(logit) over the candidates.
void normalise(std::vector<Candidate>& c) {
  const float max = c.front().logit;  // sorted
  double sum = 0;
  for (auto& x : c) sum += (x.prob = std::exp(x.logit - max));
  for (auto& x : c) x.prob = static_cast<float>(x.prob / sum);
}
}  // namespace

Sampler::Sampler(const SamplerSettings& settings) : settings_(settings), rng_(settings.seed) {}

double Sampler::uniform() {
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

const std::vector<Candidate>& Sampler::distribution(std::span<const float> logits,
                                                    std::span<const int32_t> history) {
  if (logits.empty()) throw std::invalid_argument("sampler: no logits");
  const SamplerSettings& s = settings_;
  auto& c = candidates_;
  c.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) c[i] = {static_cast<int32_t>(i), logits[i], 0.0f};

  // repetition penalty, once per distinct token of the window
  if (s.repeat_penalty != 1.0f && s.repeat_window > 0) {
    const size_t n = std::min(history.size(), static_cast<size_t>(s.repeat_window));
    penalised_.assign(c.size(), false);
    for (int32_t id : history.subspan(history.size() - n)) {
      const auto i = static_cast<size_t>(id);
      if (id < 0 || i >= c.size() || penalised_[i]) continue;
      penalised_[i] = true;
      c[i].logit = logits[i] > 0 ? logits[i] / s.repeat_penalty : logits[i] * s.repeat_penalty;
    }
  }

  if (s.temperature <= 0) {
    const Candidate best = *std::min_element(c.begin(), c.end(), more_likely);
    c.assign(1, Candidate{best.id, best.logit, 1.0f});
    return c;
  }

  // top-k
  size_t keep = c.size();
  if (s.top_k > 0 && static_cast<size_t>(s.top_k) < keep) {
    keep = static_cast<size_t>(s.top_k);
    std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(keep), c.end(), more_likely);
    c.resize(keep);
  } else {
    std::sort(c.begin(), c.end(), more_likely);
  }

  // top-p: the smallest prefix whose probability reaches p
  if (s.top_p < 1.0f) {
    normalise(c);
    double cumulative = 0;
    size_t n = 0;
    while (n < c.size()) {
      cumulative += c[n++].prob;
      if (cumulative >= s.top_p) break;
    }
    c.resize(n);
  }

  // min-p: relative to the most likely token
  if (s.min_p > 0) {
    normalise(c);
    const float floor = s.min_p * c.front().prob;
    size_t n = 1;
    while (n < c.size() && c[n].prob >= floor) ++n;
    c.resize(n);
  }

  // temperature, then the final distribution
  for (auto& x : c) x.logit /= s.temperature;
  normalise(c);
  return c;
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
  const auto& dist = distribution(logits, history);
  if (dist.size() == 1) return dist.front().id;
  const double u = uniform();
  double cumulative = 0;
  for (const auto& x : dist) {
    cumulative += x.prob;
    if (u < cumulative) return x.id;
  }
  return dist.back().id;  // rounding left u just above the sum
}

}  // namespace glasswing::sampling
