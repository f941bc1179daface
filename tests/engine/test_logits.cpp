// Every shared model, evaluated in one batch from position 0, against llama.cpp's logits.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <thread>

#include "inference/cpu/cpu_backend.h"
#include "inference/model/model.h"
#include "inference/model/session.h"
#include "tests/engine/engine_test_util.h"
#include "tests/test_support.h"

using namespace glasswing;

namespace {

struct Case {
  const char* model;      // under models/
  const char* reference;  // under reference/logits/
  bool gpt2;
  float tolerance;  // largest |Δ| accepted
};

// F32/F16 weights: only the reference's F16 KV cache and summation order differ (~0.01).
constexpr float kFloat = 0.02f;
// Quantized weights: llama.cpp also rounds the activations of every matmul to 8 bits (Q8_0 / Q8_K), which
// this engine does not; that alone moves these random-weight models by 0.07-0.31 (measured). A wrong decoder
// moves them by 0.5-7 (shared/README.md), so the bound still catches every decoding error.
constexpr float kQuantized = 0.4f;

float max_abs_diff(const std::vector<float>& a, std::span<const float> b) {
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

}  // namespace

TEST_CASE("CPU logits match the reference for every shared model", "[engine][logits]") {
  const Case c = GENERATE(values<Case>({
      {"stories260K.gguf", "stories260K", false, kFloat},
      {"synthetic/synth-llama-F16.gguf", "synth-llama-F16", false, kFloat},
      {"synthetic/synth-llama-Q8_0.gguf", "synth-llama-Q8_0", false, kQuantized},
      {"synthetic/synth-llama-Q4_0.gguf", "synth-llama-Q4_0", false, kQuantized},
      {"synthetic/synth-llama-Q4_1.gguf", "synth-llama-Q4_1", false, kQuantized},
      {"synthetic/synth-llama-Q5_0.gguf", "synth-llama-Q5_0", false, kQuantized},
      {"synthetic/synth-llama-Q5_1.gguf", "synth-llama-Q5_1", false, kQuantized},
      {"synthetic/synth-llama-Q2_K.gguf", "synth-llama-Q2_K", false, kQuantized},
      {"synthetic/synth-llama-Q3_K_M.gguf", "synth-llama-Q3_K_M", false, kQuantized},
      {"synthetic/synth-llama-Q4_K_M.gguf", "synth-llama-Q4_K_M", false, kQuantized},
      {"synthetic/synth-llama-Q5_K_M.gguf", "synth-llama-Q5_K_M", false, kQuantized},
      {"synthetic/synth-llama-Q6_K.gguf", "synth-llama-Q6_K", false, kQuantized},
      {"synthetic/synth-qwen2-f32.gguf", "synth-qwen2-f32", false, kFloat},
      {"synthetic/synth-qwen2-Q8_0.gguf", "synth-qwen2-Q8_0", false, kQuantized},
      {"synthetic/synth-qwen2-Q4_K_M.gguf", "synth-qwen2-Q4_K_M", false, kQuantized},
      {"synthetic/synth-gpt2-Q8_0.gguf", "synth-gpt2-Q8_0", true, kQuantized},
  }));
  const auto model_path = test::require_shared(std::string("models/") + c.model);
  const auto ref_path = test::require_shared(std::string("reference/logits/") + c.reference + ".logits.f32");

  auto model = model::Model::load(model_path);
  cpu::CpuBackend backend(*model);
  model::Session session(*model, backend);
  const auto& tokens = c.gpt2 ? test::kGpt2ReferenceTokens : test::kLlamaReferenceTokens;
  const auto logits = backend.forward(session, tokens, /*want_all_logits=*/true);

  const auto reference = test::read_f32_file(ref_path);
  REQUIRE(reference.size() == tokens.size() * static_cast<size_t>(model->desc().n_vocab));
  REQUIRE(logits.size() == reference.size());
  const float diff = max_abs_diff(reference, logits);
  std::printf("max |Δ| %-22s %.5f (tolerance %.2f)\n", c.reference, diff, c.tolerance);
  std::fflush(stdout);
  CHECK(diff <= c.tolerance);
}

TEST_CASE("Decoding token by token gives the same logits as one batch", "[engine][logits]") {
  const auto model_path = test::require_shared("models/synthetic/synth-qwen2-f32.gguf");
  auto model = model::Model::load(model_path);
  cpu::CpuBackend backend(*model);
  model::Session batch(*model, backend), stepwise(*model, backend);
  const auto& tokens = test::kLlamaReferenceTokens;
  const auto all = backend.forward(batch, tokens, true);
  const auto n_vocab = static_cast<size_t>(model->desc().n_vocab);
  float worst = 0;
  for (size_t t = 0; t < tokens.size(); ++t) {
    const auto one = backend.forward(stepwise, std::span(&tokens[t], 1), false);
    for (size_t i = 0; i < n_vocab; ++i) worst = std::max(worst, std::fabs(one[i] - all[t * n_vocab + i]));
  }
  CHECK(stepwise.position() == static_cast<int64_t>(tokens.size()));
  CHECK(worst < 1e-3f);
}

TEST_CASE("Sessions on one backend may run from several threads", "[engine][logits]") {
  auto model = model::Model::load(test::require_shared("models/stories260K.gguf"));
  cpu::CpuBackend backend(*model);
  const auto& tokens = test::kLlamaReferenceTokens;
  model::Session alone(*model, backend);
  const auto expected = backend.forward(alone, tokens, true);
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] {
      model::Session session(*model, backend);
      for (size_t t = 0; t < tokens.size(); ++t) backend.forward(session, std::span(&tokens[t], 1), false);
      backend.attention_summary(session, {0, session.position()});
      session.truncate(0);
      const auto all = backend.forward(session, tokens, true);
      results[i].assign(all.begin(), all.end());
    });
  for (auto& t : threads) t.join();
  for (const auto& r : results) CHECK(std::equal(r.begin(), r.end(), expected.begin(), expected.end()));
}
