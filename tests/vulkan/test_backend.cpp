// The Vulkan backend end to end: every shared model's logits against llama.cpp's reference and against the
// CPU engine, batched prefill and the re-submitted decode step, and attention maps.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "inference/cpu/cpu_backend.h"
#include "inference/model/model.h"
#include "inference/model/session.h"
#include "inference/vulkan/vulkan_backend.h"
#include "tests/engine/engine_test_util.h"
#include "tests/test_support.h"
#include "tests/vulkan/vk_test_support.h"

using namespace glasswing;

namespace {

struct Case {
  const char* model;      // under models/
  const char* reference;  // under reference/logits/
  bool gpt2;
  float tolerance;  // largest |Δ| against the reference
};

// As tests/engine/test_logits.cpp: float weights differ from the reference only by its F16 KV cache and the
// summation order; quantized ones also by llama.cpp rounding activations to 8 bits, which neither engine
// does.
constexpr float kFloat = 0.02f;
constexpr float kQuantized = 0.4f;
// Against the CPU engine, which computes the same thing in another order.
constexpr float kVsCpu = 5e-4f;

float max_abs_diff(std::span<const float> a, std::span<const float> b) {
  REQUIRE(a.size() == b.size());
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

std::unique_ptr<vulkan::VulkanBackend> vulkan_backend(const model::Model& m) {
  vulkan::test::context();  // exits 77 when there is no device; also sets GLASSWING_VULKAN_VALIDATION=1
  return std::make_unique<vulkan::VulkanBackend>(m);
}

void require_silent(vulkan::VulkanBackend& b) {
  const auto messages = b.context().instance().messages().messages();
  for (const auto& msg : messages) UNSCOPED_INFO(msg);
  REQUIRE(b.context().instance().validation());
  REQUIRE(messages.empty());
}

}  // namespace

TEST_CASE("Vulkan logits match the reference and the CPU engine for every shared model", "[backend]") {
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
  INFO(c.model);
  const auto model_path = test::require_shared(std::string("models/") + c.model);
  const auto ref = test::read_f32_file(
      test::require_shared(std::string("reference/logits/") + c.reference + ".logits.f32"));
  const auto& tokens = c.gpt2 ? test::kGpt2ReferenceTokens : test::kLlamaReferenceTokens;
  auto model = model::Model::load(model_path);
  const int64_t n_vocab = model->desc().n_vocab;
  REQUIRE(ref.size() == tokens.size() * static_cast<size_t>(n_vocab));

  auto gpu = vulkan_backend(*model);
  model::Session session(*model, *gpu, static_cast<int64_t>(tokens.size()));
  const auto logits = gpu->forward(session, tokens, /*want_all_logits=*/true);
  CHECK(max_abs_diff(logits, ref) <= c.tolerance);

  cpu::CpuBackend cpu(*model);
  model::Session cpu_session(*model, cpu, static_cast<int64_t>(tokens.size()));
  CHECK(max_abs_diff(logits, cpu.forward(cpu_session, tokens, true)) <= kVsCpu);
  require_silent(*gpu);
}

TEST_CASE("Vulkan prefill then re-submitted decode steps reproduce the batched logits", "[backend]") {
  const auto path = test::require_shared("models/synthetic/synth-qwen2-Q4_K_M.gguf");
  const auto ref =
      test::read_f32_file(test::require_shared("reference/logits/synth-qwen2-Q4_K_M.logits.f32"));
  auto model = model::Model::load(path);
  const int64_t n_vocab = model->desc().n_vocab;
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  const auto& tokens = test::kLlamaReferenceTokens;
  const size_t prefill = 12;
  model::Session s(*model, *gpu, 64), cs(*model, cpu, 64);
  const size_t pipelines = gpu->context().pipelines_built();  // all built when the backend was created
  // Prefill with only the last token's logits (the path a chat takes).
  auto last = gpu->forward(s, std::span(tokens).first(prefill), false);
  REQUIRE(last.size() == static_cast<size_t>(n_vocab));
  CHECK(max_abs_diff(last, std::span(ref).subspan((prefill - 1) * n_vocab, n_vocab)) <= kQuantized);
  cpu.forward(cs, std::span(tokens).first(prefill), false);
  for (size_t i = prefill; i < tokens.size(); ++i) {
    INFO("position " << i);
    const auto step = gpu->forward(s, std::span(tokens).subspan(i, 1), false);
    CHECK(max_abs_diff(step, std::span(ref).subspan(i * n_vocab, n_vocab)) <= kQuantized);
    CHECK(max_abs_diff(step, cpu.forward(cs, std::span(tokens).subspan(i, 1), false)) <= kVsCpu);
  }
  CHECK(gpu->context().pipelines_built() == pipelines);
  require_silent(*gpu);
}

TEST_CASE("Vulkan attention maps and summaries match the CPU engine", "[backend]") {
  const auto path = test::require_shared("models/stories260K.gguf");
  auto model = model::Model::load(path);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  const auto& tokens = test::kLlamaReferenceTokens;
  model::Session s(*model, *gpu, 40), cs(*model, cpu, 40);
  gpu->forward(s, tokens, false);
  cpu.forward(cs, tokens, false);
  const model::Range queries{5, 31}, keys{2, 20};
  for (int64_t layer : {0, 4})
    for (int64_t head : {0, 7}) {
      const auto g = gpu->attention(s, layer, head, queries, keys);
      const auto c = cpu.attention(cs, layer, head, queries, keys);
      CHECK(max_abs_diff(g.probs, c.probs) < 1e-4f);
    }
  const auto gs = gpu->attention_summary(s, {10, 31});
  const auto csum = cpu.attention_summary(cs, {10, 31});
  REQUIRE(gs.size() == csum.size());
  for (size_t i = 0; i < gs.size(); ++i) {
    CHECK(gs[i].layer == csum[i].layer);
    CHECK(gs[i].head == csum[i].head);
    CHECK(std::fabs(gs[i].entropy - csum[i].entropy) < 1e-3f);
    CHECK(std::fabs(gs[i].max_prob - csum[i].max_prob) < 1e-4f);
    CHECK(std::fabs(gs[i].first_token - csum[i].first_token) < 1e-4f);
  }
  require_silent(*gpu);
}

TEST_CASE("Vulkan prompts longer than one recorded step are split and match the CPU engine", "[backend]") {
  auto model = model::Model::load(test::require_shared("models/stories260K.gguf"));
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  std::vector<int32_t> tokens(150);
  std::mt19937 rng(5);
  for (auto& t : tokens) t = static_cast<int32_t>(rng() % model->desc().n_vocab);
  tokens[0] = 1;
  REQUIRE(static_cast<int64_t>(tokens.size()) > vulkan::VulkanBackend::kMaxBatch * 2);
  for (bool all : {true, false}) {
    model::Session s(*model, *gpu, 200), cs(*model, cpu, 200);
    const auto g = gpu->forward(s, tokens, all);
    const auto c = cpu.forward(cs, tokens, all);
    CHECK(max_abs_diff(g, c) <= kVsCpu);
    CHECK(s.position() == 150);
  }
  require_silent(*gpu);
}
