// Each sampling method's effect on small, known distributions.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "inference/sampling/sampler.h"

using namespace glasswing::sampling;
using Catch::Matchers::WithinAbs;

namespace {
// Logits whose softmax is exactly `probs`.
std::vector<float> logits_of(std::initializer_list<double> probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return l;
}

SamplerSettings plain(float temperature = 1.0f) {
  SamplerSettings s;
  s.temperature = temperature;
  s.top_k = 0;
  s.top_p = 1.0f;
  s.min_p = 0.0f;
  s.repeat_penalty = 1.0f;
  return s;
}

std::vector<int32_t> ids(const std::vector<Candidate>& c) {
  std::vector<int32_t> v;
  for (const auto& x : c) v.push_back(x.id);
  return v;
}
}  // namespace

TEST_CASE("Greedy picks the largest logit, the lowest id on a tie", "[engine][sampler]") {
  Sampler s(plain(0.0f));
  CHECK(s.sample(std::vector<float>{0.1f, 2.0f, -1.0f, 1.9f}, {}) == 1);
  CHECK(s.sample(std::vector<float>{3.0f, 1.0f, 3.0f}, {}) == 0);
}

TEST_CASE("Temperature 1 with no filters keeps the model's distribution", "[engine][sampler]") {
  Sampler s(plain());
  const auto& d = s.distribution(logits_of({0.1, 0.6, 0.3}), {});
  REQUIRE(ids(d) == std::vector<int32_t>{1, 2, 0});
  CHECK_THAT(d[0].prob, WithinAbs(0.6, 1e-6));
  CHECK_THAT(d[1].prob, WithinAbs(0.3, 1e-6));
  CHECK_THAT(d[2].prob, WithinAbs(0.1, 1e-6));
}

TEST_CASE("Temperature sharpens below 1 and flattens above", "[engine][sampler]") {
  const auto logits = logits_of({0.6, 0.3, 0.1});
  Sampler cold(plain(0.5f)), hot(plain(2.0f));
  // T = 0.5 squares the probabilities (then renormalises): 0.36 / 0.46
  CHECK_THAT(cold.distribution(logits, {})[0].prob, WithinAbs(0.36 / 0.46, 1e-5));
  // T = 2 takes square roots: sqrt(0.6) / (sqrt(0.6) + sqrt(0.3) + sqrt(0.1))
  const double r = std::sqrt(0.6) / (std::sqrt(0.6) + std::sqrt(0.3) + std::sqrt(0.1));
  CHECK_THAT(hot.distribution(logits, {})[0].prob, WithinAbs(r, 1e-5));
}

TEST_CASE("Top-k keeps the k most likely tokens", "[engine][sampler]") {
  auto settings = plain();
  settings.top_k = 2;
  Sampler s(settings);
  const auto& d = s.distribution(logits_of({0.1, 0.5, 0.15, 0.25}), {});
  REQUIRE(ids(d) == std::vector<int32_t>{1, 3});
  CHECK_THAT(d[0].prob, WithinAbs(0.5 / 0.75, 1e-5));
  for (int i = 0; i < 200; ++i) {
    const int32_t t = s.sample(logits_of({0.1, 0.5, 0.15, 0.25}), {});
    CHECK((t == 1 || t == 3));
  }
}

TEST_CASE("Top-p keeps the smallest set reaching p", "[engine][sampler]") {
  auto settings = plain();
  settings.top_p = 0.8f;
  Sampler s(settings);
  // 0.5 + 0.25 = 0.75 < 0.8, so the third (0.15) is needed; 0.1 is dropped.
  CHECK(ids(s.distribution(logits_of({0.1, 0.5, 0.15, 0.25}), {})) == std::vector<int32_t>{1, 3, 2});
  settings.top_p = 0.5f;
  Sampler tight(settings);
  CHECK(ids(tight.distribution(logits_of({0.1, 0.5, 0.15, 0.25}), {})) == std::vector<int32_t>{1});
}

TEST_CASE("Min-p drops tokens below a fraction of the top probability", "[engine][sampler]") {
  auto settings = plain();
  settings.min_p = 0.4f;  // floor 0.4 × 0.5 = 0.2
  Sampler s(settings);
  CHECK(ids(s.distribution(logits_of({0.1, 0.5, 0.15, 0.25}), {})) == std::vector<int32_t>{1, 3});
}

TEST_CASE("Repetition penalty lowers recent tokens only, once each", "[engine][sampler]") {
  auto settings = plain(0.0f);
  settings.repeat_penalty = 2.0f;
  settings.repeat_window = 2;
  Sampler s(settings);
  const std::vector<float> logits = {3.0f, 2.0f, -1.0f};
  CHECK(s.sample(logits, std::vector<int32_t>{0}) == 1);        // 3 / 2 = 1.5 < 2
  CHECK(s.sample(logits, std::vector<int32_t>{0, 5, 7}) == 0);  // token 0 is outside the window of 2
  // Repeated three times in the window, token 0 is still divided once: 3 / 2 = 1.5 beats 1.2.
  CHECK(s.sample(std::vector<float>{3.0f, 1.2f}, std::vector<int32_t>{0, 0}) == 0);
  settings.temperature = 1.0f;
  Sampler t(settings);
  const auto& d = t.distribution(logits, std::vector<int32_t>{2});  // negative logits are multiplied
  for (const auto& c : d)
    if (c.id == 2) CHECK_THAT(c.logit, WithinAbs(-2.0, 1e-6));
}

TEST_CASE("Draws follow the distribution", "[engine][sampler]") {
  auto settings = plain();
  settings.seed = 1234;
  Sampler s(settings);
  std::map<int32_t, int> counts;
  const int n = 20000;
  for (int i = 0; i < n; ++i) counts[s.sample(logits_of({0.2, 0.5, 0.3}), {})]++;
  // Binomial standard deviation at n = 20000 is at most 0.0036; 0.02 is over five of them.
  CHECK_THAT(counts[0] / double(n), WithinAbs(0.2, 0.02));
  CHECK_THAT(counts[1] / double(n), WithinAbs(0.5, 0.02));
  CHECK_THAT(counts[2] / double(n), WithinAbs(0.3, 0.02));
}

TEST_CASE("The same seed and settings give the same tokens", "[engine][sampler]") {
  auto settings = plain(0.9f);
  settings.top_k = 50;
  settings.seed = 42;
  std::vector<float> logits(100);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(std::sin(i * 0.37) * 3);
  Sampler a(settings), b(settings);
  settings.seed = 43;
  Sampler c(settings);
  std::vector<int32_t> ta, tb, tc;
  for (int i = 0; i < 64; ++i) {
    ta.push_back(a.sample(logits, {}));
    tb.push_back(b.sample(logits, {}));
    tc.push_back(c.sample(logits, {}));
  }
  CHECK(ta == tb);
  CHECK(ta != tc);
}
