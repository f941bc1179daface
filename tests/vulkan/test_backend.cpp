// The Vulkan backend end to end: every shared model's logits against llama.cpp's reference and against the
// CPU engine, batched prefill and the re-submitted decode step, and attention maps.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <random>
#include <tuple>

#include "inference/cpu/cpu_backend.h"
#include "inference/model/backend_registry.h"
#include "inference/model/model.h"
#include "inference/model/session.h"
#include "inference/quant/quant.h"
#include "inference/vulkan/dispatch_profile.h"
#include "inference/vulkan/gpu_layout.h"
#include "inference/vulkan/vulkan_backend.h"
#include "tests/engine/engine_test_util.h"
#include "tests/engine/rope_scaled_models.h"
#include "tests/gguf_copy.h"
#include "tests/test_support.h"
#include "tests/vulkan/vk_test_support.h"

using namespace glasswing;
using glasswing::test::max_abs_diff;

namespace {

// As tests/engine/test_logits.cpp: float weights differ from the reference only by its F16 KV cache and the
// summation order; quantized ones also by llama.cpp rounding activations to 8 bits, which neither engine
// does.
constexpr float kFloat = 0.02f;
constexpr float kQuantized = 0.4f;
// Against the CPU engine, which computes the same thing in another order.
constexpr float kVsCpu = 5e-4f;

std::unique_ptr<vulkan::VulkanBackend> vulkan_backend(const model::Model& m) {
  vulkan::test::context();  // exits 77 when there is no device; also sets GLASSWING_VULKAN_VALIDATION=1
  return std::make_unique<vulkan::VulkanBackend>(m);
}

// The tokens the synthetic-model cases run: a prefill of the first 7 (every position's logits), then one
// decode step per token.
const std::vector<int32_t> kSteps = {1, 17, 250, 3, 99, 42, 7, 180, 260, 5, 64};
constexpr size_t kPrefill = 7;

// kSteps through both engines' sessions, each result against the CPU engine's.
void check_steps_against_cpu(model::Backend& gpu, model::Session& s, cpu::CpuBackend& cpu,
                             model::Session& cs) {
  const auto all = gpu.forward(s, std::span(kSteps).first(kPrefill), true);
  REQUIRE(all.size() == kPrefill * static_cast<size_t>(s.model().desc().n_vocab));
  CHECK(max_abs_diff(all, cpu.forward(cs, std::span(kSteps).first(kPrefill), true)) <= kVsCpu);
  for (size_t i = kPrefill; i < kSteps.size(); ++i) {
    INFO("position " << i);
    CHECK(max_abs_diff(gpu.forward(s, std::span(kSteps).subspan(i, 1), false),
                       cpu.forward(cs, std::span(kSteps).subspan(i, 1), false)) <= kVsCpu);
  }
}

// Every head's overview cell of the sessions after kSteps, against the CPU engine's.
void check_summaries_against_cpu(model::Backend& gpu, model::Session& s, cpu::CpuBackend& cpu,
                                 model::Session& cs) {
  const model::Range q{0, static_cast<int64_t>(kSteps.size())};
  const auto gs = gpu.attention_summary(s, q), css = cpu.attention_summary(cs, q);
  REQUIRE(gs.size() == css.size());
  for (size_t i = 0; i < gs.size(); ++i) {
    CHECK(gs[i].max_prob == Approx(css[i].max_prob).margin(1e-4));
    CHECK(gs[i].entropy == Approx(css[i].entropy).margin(1e-3));
    CHECK(gs[i].first_token == Approx(css[i].first_token).margin(1e-4));
  }
}

// Fresh sessions of 32 positions on both engines: kSteps (check_steps_against_cpu), then head 3 of layer 1's
// map and every head's overview cell, against the CPU engine's.
void check_model_against_cpu(const model::Model& model, model::Backend& gpu, cpu::CpuBackend& cpu) {
  model::Session s(model, gpu, 32), cs(model, cpu, 32);
  check_steps_against_cpu(gpu, s, cpu, cs);
  const model::Range q{0, static_cast<int64_t>(kSteps.size())};
  CHECK(max_abs_diff(gpu.attention(s, 1, 3, q, q).probs, cpu.attention(cs, 1, 3, q, q).probs) <= 1e-4f);
  check_summaries_against_cpu(gpu, s, cpu, cs);
}

// A 100-token prompt (more than lavapipe's steps of 64; the GPU-sized run takes it in one) in fresh sessions.
void check_long_prompt_against_cpu(const model::Model& model, model::Backend& gpu, cpu::CpuBackend& cpu,
                                   uint32_t seed) {
  std::vector<int32_t> prompt(100);  // the tiny models' context: 128
  std::mt19937 rng(seed);
  for (auto& t : prompt) t = static_cast<int32_t>(rng() % model.desc().n_vocab);
  model::Session s(model, gpu, 100), cs(model, cpu, 100);
  CHECK(max_abs_diff(gpu.forward(s, prompt, false), cpu.forward(cs, prompt, false)) <= kVsCpu);
}

// A hybrid model's sessions on Vulkan and on the CPU engine side by side: a prompt, `steps` one-token steps
// (34 or more pass a recurrent state's checkpoint at 38), then for each of `backs` both taken back there and
// forward another way; each step's logits compared.
void check_steps_against_cpu(model::Session& s, model::Session& cs, int steps, std::vector<int64_t> backs) {
  const std::vector<int32_t> tokens = {1, 17, 250, 3, 99, 42, 7};
  CHECK(max_abs_diff(s.backend().forward(s, tokens, true), cs.backend().forward(cs, tokens, true)) <= kVsCpu);
  for (int i = 0; i < steps; ++i) {
    const int32_t next = 5 + (i * 37) % 280;
    CHECK(max_abs_diff(s.backend().forward(s, std::span(&next, 1), false),
                       cs.backend().forward(cs, std::span(&next, 1), false)) <= kVsCpu);
  }
  for (const int64_t back : backs) {
    INFO("back to " << back);
    s.truncate(back);
    cs.truncate(back);
    const std::vector<int32_t> other = {60, 61, 62};
    CHECK(max_abs_diff(s.backend().forward(s, other, false), cs.backend().forward(cs, other, false)) <=
          kVsCpu);
  }
}

// A prompt of 120 random tokens (two recorded steps of 64) in fresh sessions of 128, all logits compared; the
// sessions are left holding it.
void check_long_prompt_against_cpu(model::Session& ls, model::Session& lcs, uint32_t seed) {
  std::vector<int32_t> long_prompt(120);
  std::mt19937 rng(seed);
  for (auto& t : long_prompt) t = static_cast<int32_t>(rng() % ls.model().desc().n_vocab);
  CHECK(max_abs_diff(ls.backend().forward(ls, long_prompt, true),
                     lcs.backend().forward(lcs, long_prompt, true)) <= kVsCpu);
}

// Head `head` of layer `layer`'s map over the last 50 queries of check_long_prompt_against_cpu's sessions
// (a prompt of 120), against the CPU engine's.
void check_long_map_against_cpu(model::Backend& gpu, model::Session& ls, model::Backend& cpu,
                                model::Session& lcs, int64_t layer, int64_t head) {
  const model::Range q{70, 120}, k{0, 120};
  CHECK(max_abs_diff(gpu.attention(ls, layer, head, q, k).probs,
                     cpu.attention(lcs, layer, head, q, k).probs) < 1e-4f);
}

// The Q8_0 synth model `shape` on the GPU against the CPU engine: short prompts, decode and a long prompt
// drawn with `seed`, with the validation layer silent.
void check_shape_against_cpu(const std::string& shape, uint32_t seed) {
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  check_model_against_cpu(*model, *gpu, cpu);
  check_long_prompt_against_cpu(*model, *gpu, cpu, seed);
  vulkan::test::require_no_validation_messages(gpu->context());
}

}  // namespace

TEST_CASE("Vulkan logits match the reference and the CPU engine for every shared model", "[backend]") {
  const test::ReferenceModel c =
      GENERATE(from_range(std::begin(test::kReferenceModels), std::end(test::kReferenceModels)));
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
  CHECK(max_abs_diff(logits, ref) <= (c.quantized ? kQuantized : kFloat));

  cpu::CpuBackend cpu(*model);
  model::Session cpu_session(*model, cpu, static_cast<int64_t>(tokens.size()));
  CHECK(max_abs_diff(logits, cpu.forward(cpu_session, tokens, true)) <= kVsCpu);
  vulkan::test::require_no_validation_messages(gpu->context());
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
  vulkan::test::require_no_validation_messages(gpu->context());
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
  vulkan::test::require_no_validation_messages(gpu->context());
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
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("The memory estimate is what a session allocates, and long contexts take shorter steps",
          "[backend]") {
  // 512-token steps as on a GPU; stories260K has 8 heads, so at 32768 positions one token's score row is 1
  // MiB and lavapipe's 128 MiB binding limit caps the scratch at 128 tokens per step.
  auto model = model::Model::load(test::require_shared("models/stories260K.gguf"));
  vulkan::test::context();  // exits 77 when there is no device
  auto gpu = [&] {
    vulkan::test::ScopedEnv batch("GLASSWING_VULKAN_BATCH", "512");
    return std::make_unique<vulkan::VulkanBackend>(*model);
  }();
  const auto& d = model->desc();
  for (int64_t n_ctx : {int64_t{256}, int64_t{32768}}) {
    INFO("n_ctx " << n_ctx);
    const model::MemoryEstimate e = gpu->estimate_memory(n_ctx);
    const auto caches = gpu->create_caches(n_ctx);
    const uint64_t logit_rows =
        uint64_t(std::min(vulkan::VulkanBackend::kMaxLogitRows, vulkan::VulkanBackend::kGpuMaxBatch));
    const uint64_t logits = logit_rows * d.n_vocab * sizeof(float);
    // caches->bytes(): K, V and Q caches (layers aligned to the device's offset alignment) and the scores.
    CHECK(e.session_bytes <= caches->bytes() + logits);
    CHECK(e.session_bytes + uint64_t(3 * d.n_layer) * 256 >= caches->bytes() + logits);
  }
  const uint64_t range = gpu->context().device().info().max_storage_buffer_range;
  const uint64_t row = uint64_t(d.n_head) * 32768 * sizeof(float);
  const model::MemoryEstimate e = gpu->estimate_memory(32768);
  const uint64_t kvq = uint64_t(d.n_layer) * 32768 * (2 * d.kv_dim() + d.q_dim()) * sizeof(float);
  // the GPU kernels' split-K decode attention scratch beside them
  const uint64_t split =
      vulkan::use_gpu_kernels(gpu->context().device().info())
          ? vulkan::Recorder::attention_split_bytes(uint32_t(d.n_head), uint32_t(d.head_dim), 32768)
          : 0;
  const uint64_t scores =
      e.session_bytes - kvq - split - uint64_t(vulkan::VulkanBackend::kMaxLogitRows) * d.n_vocab * 4;
  CHECK(scores == row * std::min<uint64_t>(512, std::min<uint64_t>(range, 256ull << 20) / row));
  // and a prompt longer than such a step still matches the CPU engine
  std::vector<int32_t> tokens(300);
  std::mt19937 rng(9);
  for (auto& t : tokens) t = static_cast<int32_t>(rng() % d.n_vocab);
  tokens[0] = 1;
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 32768), cs(*model, cpu, 400);
  CHECK(max_abs_diff(gpu->forward(s, tokens, false), cpu.forward(cs, tokens, false)) <= kVsCpu);
  // and one-token steps past 256 keys (the GPU kernels split them into runs of 256)
  for (int32_t t : {5, 17}) {
    const std::vector<int32_t> one{t};
    CHECK(max_abs_diff(gpu->forward(s, one, false), cpu.forward(cs, one, false)) <= kVsCpu);
  }
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE(
    "Vulkan runs qwen3, phi3, gemma2, gemma3, smollm3 and Llama 3.1's RoPE scaling as the CPU engine does",
    "[backend]") {
  // ../shared has none of them: synthetic models, whose CPU logits tests/engine/test_architectures.cpp checks
  // against a textbook forward pass. qwen3: per-head q and k norms, heads wider than n_embd / n_head; phi3:
  // packed q|k|v and gate|up; test-tiny-llama3: rope_freqs dividing each RoPE pair's frequency; gemma3:
  // sliding windows of 4 keys, post-sublayer norms, GeGLU, scaled embeddings; gemma2: also soft-capping.
  using T = gguf::GgmlType;
  const auto [shape, type] =
      GENERATE(std::pair{"test-tiny-qwen3", T::F32}, std::pair{"test-tiny-qwen3", T::Q8_0},
               std::pair{"test-tiny-qwen3", T::Q4_0}, std::pair{"test-tiny-llama3", T::F16},
               std::pair{"test-tiny-llama3", T::Q8_0}, std::pair{"test-tiny-phi3", T::F16},
               std::pair{"test-tiny-phi3", T::Q4_K}, std::pair{"test-tiny-gemma3", T::F32},
               std::pair{"test-tiny-gemma3", T::Q8_0}, std::pair{"test-tiny-gemma2", T::F32},
               std::pair{"test-tiny-gemma2", T::Q8_0}, std::pair{"test-tiny-smollm3", T::Q8_0},
               std::pair{"test-tiny-granite", T::Q8_0}, std::pair{"test-tiny-granite", T::F32},
               std::pair{"test-tiny-glm4", T::Q8_0}, std::pair{"test-tiny-glm4", T::F32},
               std::pair{"test-tiny-olmo2", T::Q8_0}, std::pair{"test-tiny-olmo2", T::F32});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  REQUIRE((model->desc().traits->qk_norm || model->desc().traits->packed_gate_up ||
           model->desc().traits->post_norms || !model->weights().rope_freqs.empty() ||
           model->desc().traits->no_rope_step > 0 || model->desc().traits->granite_scales));
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  // (the Q cache holds the normalized, rotated queries: the attention maps agree too)
  check_model_against_cpu(*model, *gpu, cpu);
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan turns RoPE with YaRN and LongRoPE scaling as the CPU engine does", "[backend]") {
  // YaRN on llama and NeoX pairs; LongRoPE (partial rotary, attn_factor) in a session within its original
  // context (short factors) and one past it (long factors). Prefill, then the one-token steps, whose kernels
  // rotate on their own.
  const auto [file, n_ctx] = GENERATE(std::pair{std::string("yarn-test-tiny"), int64_t{32}},
                                      std::pair{std::string("yarn-test-tiny-qwen3"), int64_t{32}},
                                      std::pair{std::string("longrope"), int64_t{16}},
                                      std::pair{std::string("longrope"), int64_t{64}},
                                      std::pair{std::string("test-tiny-mistral3"), int64_t{32}});
  INFO(file << ", n_ctx " << n_ctx);
  // (mistral3: YaRN at unit magnitude, its file written by synth)
  auto model =
      model::Model::load(file == "longrope"             ? test::longrope_model_file()
                         : file == "test-tiny-mistral3" ? test::synth_model_file(file, gguf::GgmlType::Q8_0)
                                                        : test::yarn_model_file(file.substr(5)));
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, n_ctx), cs(*model, cpu, n_ctx);
  check_steps_against_cpu(*gpu, s, cpu, cs);
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs Ministral 3's attention temperature as the CPU engine does", "[backend]") {
  // test-tiny-mistral3: every layer's queries times 1 + 0.1 · ln(1 + ⌊pos / 32⌋): decode steps across its
  // first step at 32, sessions taken back before and after it, a prompt of 120 across three steps, its map
  auto model = model::Model::load(test::synth_model_file("test-tiny-mistral3", gguf::GgmlType::Q8_0));
  REQUIRE(model->desc().attn_temp_floor == 32);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  {
    model::Session s(*model, *gpu, 64), cs(*model, cpu, 64);
    check_steps_against_cpu(s, cs, 36, {40, 20});
  }
  model::Session ls(*model, *gpu, 128), lcs(*model, cpu, 128);
  check_long_prompt_against_cpu(ls, lcs, 11);
  const model::Range q{100, 120}, k{0, 120};
  CHECK(max_abs_diff(gpu->attention(ls, 1, 2, q, k).probs, cpu.attention(lcs, 1, 2, q, k).probs) <= 1e-4f);
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs mixtures of experts (qwen3moe, Mixtral, GLM-4.5) as the CPU engine does",
          "[backend]") {
  // 4 experts, 2 per token (GLM-4.5's: a dense first layer, shared experts, a sigmoid router). F32: gate and
  // up as two matrices per expert and a SwiGLU dispatch; quantized: one gate|up matrix per expert
  // (matvec_swiglu). Prefill batches, decode steps (one token per expert), a prompt longer than a step, and
  // the attention maps.
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-qwen3moe", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-qwen3moe", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-mixtral", gguf::GgmlType::Q4_0},
                                      std::pair{"test-tiny-granitemoe", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-glm4moe", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-glm4moe-qk", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-qwen2moe", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-ernie4_5-moe", gguf::GgmlType::Q4_0},
                                      std::pair{"test-tiny-olmoe", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  REQUIRE(model->desc().n_expert == 4);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  check_model_against_cpu(*model, *gpu, cpu);
  // more tokens than one step takes: the experts of every step see only that step's tokens
  check_long_prompt_against_cpu(*model, *gpu, cpu, 11);
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE(
    "Vulkan runs MiniMax-M2, dots.llm1 and Ling 1.0 and 2.0 (bailingmoe, bailingmoe2) as the CPU engine does",
    "[backend]") {
  // minimax-m2: q and k normalized whole, partial RoPE, every layer a mixture (renormalized without a key);
  // dots1: per-head norms, a dense first layer, two shared experts; bailingmoe2: packed q|k|v, expert groups
  // (the best one of two), a shared expert of its own width, an MTP layer skipped; bailingmoe: llama's
  // attention, softmax experts beside two shared ones. Prefill batches, decode
  // steps, a prompt longer than a step, and the attention maps; vulkan-llamacpp refuses each by name.
  const auto [shape, type] =
      GENERATE(std::pair{"minimax-m2", gguf::GgmlType::Q8_0}, std::pair{"dots1", gguf::GgmlType::F32},
               std::pair{"bailingmoe2", gguf::GgmlType::Q4_0}, std::pair{"bailingmoe", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(std::string("test-tiny-") + shape, type));
  REQUIRE(model->desc().n_expert == 4);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  check_model_against_cpu(*model, *gpu, cpu);
  check_long_prompt_against_cpu(*model, *gpu, cpu, 11);
  CHECK_THROWS_WITH(
      gpu->set_rounding(model::Rounding::LlamaCpp),
      Catch::Contains(std::string("does not run mixtures of experts (") + shape + "); use cpu-llamacpp"));
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs Arcee Trinity (afmoe) and SmallThinker as the CPU engine does", "[backend]") {
  // afmoe: each head's output gated by its own attn_gate matrix, sandwich norms, windows of 4 on three layers
  // of four, DeepSeek-style experts after a dense layer; smallthinker: ReGLU experts whose router reads the
  // layer's input before attention, the first layer of four without RoPE. Prefill batches, decode steps, a
  // prompt longer than a step, and the attention maps; vulkan-llamacpp refuses each by name.
  const auto [shape, type] = GENERATE(
      std::pair{"afmoe", gguf::GgmlType::Q8_0}, std::pair{"afmoe", gguf::GgmlType::F32},
      std::pair{"smallthinker", gguf::GgmlType::Q8_0}, std::pair{"smallthinker", gguf::GgmlType::Q4_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(std::string("test-tiny-") + shape, type));
  REQUIRE(model->desc().n_expert == 4);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  check_model_against_cpu(*model, *gpu, cpu);
  check_long_prompt_against_cpu(*model, *gpu, cpu, 11);
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains(std::string("does not run ") + shape));
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs K-EXAONE (exaone-moe) and North (cohere2moe) as the CPU engine does", "[backend]") {
  // exaone-moe: per-head q and k norms, windows of 4 keys on the layers the file's pattern marks (0, 2, 3),
  // RoPE only there, a dense first layer, a shared expert, a biased sigmoid router; the MTP layer skipped.
  // cohere2moe: Cohere2's parallel block (the router and experts reading the attention norm's output),
  // windows on layers 0, 1 and 3, a dense first layer, an unbiased sigmoid router, scaled logits; with
  // Command A+'s shared experts, averaged with the routed experts' sum; with RMSNorms where the file gives an
  // RMS epsilon. Prefill batches, decode steps, a prompt longer than a step (past the windows), and the
  // attention maps; vulkan-llamacpp refuses each by name.
  const auto [shape, type] = GENERATE(
      std::pair{"exaone-moe", gguf::GgmlType::Q8_0}, std::pair{"exaone-moe", gguf::GgmlType::F32},
      std::pair{"cohere2moe", gguf::GgmlType::Q8_0}, std::pair{"cohere2moe", gguf::GgmlType::F32},
      std::pair{"cohere2moe-shared", gguf::GgmlType::Q8_0},
      std::pair{"cohere2moe-shared", gguf::GgmlType::F32}, std::pair{"cohere2moe-rms", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  const std::string arch =
      std::string(shape).substr(0, std::string(shape).find('-', 7));  // (the shape's family)
  auto model = model::Model::load(test::synth_model_file(std::string("test-tiny-") + shape, type));
  REQUIRE(model->desc().n_expert == 4);
  REQUIRE(model->desc().is_local(0));
  REQUIRE(!model->desc().is_local(arch == "exaone-moe" ? 1 : 2));
  if (std::string(shape) == "cohere2moe-shared") REQUIRE(model->desc().n_expert_shared == 2);
  if (std::string(shape) == "cohere2moe-rms") REQUIRE(model->desc().traits->norm == model::NormKind::Rms);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  check_model_against_cpu(*model, *gpu, cpu);
  check_long_prompt_against_cpu(*model, *gpu, cpu, 11);
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains("does not run " + arch + " (sliding windows"));
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs deepseek2's multi-head latent attention as the CPU engine does", "[backend]") {
  // The latent as one KV head of 16 + 64 (RoPE key first), each head's query through its k_b and output
  // through its v_b as per-head mat-vecs over strided views; one attn_q, or q through a rank of 96. Prefill,
  // decode steps, a prompt longer than a step, the maps and the overview. "-wide": a latent of 128 and v
  // heads of 128, so that k_b and v_b run stacked, all heads in one product (row groups).
  // (mistral4: the queries, and the Q cache's rows, times the attention temperature, from position 8 on)
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-deepseek2", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-deepseek2-q", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-deepseek2-wide", gguf::GgmlType::Q4_0},
                                      std::pair{"test-tiny-deepseek2-wide", gguf::GgmlType::F16},
                                      std::pair{"test-tiny-mistral4", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  REQUIRE(model->desc().is_mla());
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  check_model_against_cpu(*model, *gpu, cpu);
  check_long_prompt_against_cpu(*model, *gpu, cpu, 5);
  {
    // the Q cache keeps each head unabsorbed (16 + 32 floats); the maps absorb the queries they read, here
    // 3 rows per submission
    CHECK(model->desc().q_cache_dim() == 4 * 48);
    // one cache for the latent keys and values: the estimate counts it once, as the session allocates it
    const auto caches = gpu->create_caches(64);
    const uint64_t latent = uint64_t(model->desc().head_dim);  // the RoPE key and the latent: 80 or 144
    const uint64_t kq = uint64_t(2) * 64 * (latent + 4 * 48) * sizeof(float);
    const uint64_t scores = uint64_t(gpu->capabilities().max_batch) * 4 * 64 * sizeof(float);
    CHECK(caches->bytes() >= kq + scores);
    CHECK(caches->bytes() < kq + scores + uint64_t(2) * 64 * latent * sizeof(float));  // (no V cache beside)
    CHECK(gpu->estimate_memory(64).session_bytes >= kq);
    vulkan::test::ScopedEnv map_rows("GLASSWING_VULKAN_MAP_ROWS", "3");
    model::Session s(*model, *gpu, 16), cs(*model, cpu, 16);
    gpu->forward(s, std::span(kSteps).first(kPrefill), false);
    cpu.forward(cs, std::span(kSteps).first(kPrefill), false);
    const model::Range q{1, static_cast<int64_t>(kPrefill)}, k{0, static_cast<int64_t>(kPrefill)};
    CHECK(max_abs_diff(gpu->attention(s, 1, 2, q, k).probs, cpu.attention(cs, 1, 2, q, k).probs) <= 1e-4f);
    const auto gs = gpu->attention_summary(s, q), css = cpu.attention_summary(cs, q);
    for (size_t i = 0; i < gs.size(); ++i) CHECK(gs[i].entropy == Approx(css[i].entropy).margin(1e-3));
  }
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains("does not run multi-head latent attention (" +
                                    model->desc().architecture + "); use cpu-llamacpp"));
  vulkan::test::require_no_validation_messages(gpu->context());
}

// One decode step after kSteps' prefill, on a backend made with the environment variable `name` set to
// `value`: its logits, and the dispatches it recorded (counted where the profiler runs).
static std::pair<std::vector<float>, uint64_t> decode_step_with(const model::Model& model, const char* name,
                                                                const char* value) {
  auto gpu = [&] {
    vulkan::test::ScopedEnv knob(name, value);
    return vulkan_backend(model);
  }();
  model::Session s(model, *gpu, 16);
  gpu->forward(s, std::span(kSteps).first(kPrefill), false);
  const auto calls = [] {
    uint64_t n = 0;
    for (const auto& row : vulkan::dispatch_profile()) n += row.calls;
    return n;
  };
  const uint64_t before = calls();
  const auto logits = gpu->forward(s, std::span(kSteps).subspan(kPrefill, 1), false);
  std::vector<float> out(logits.begin(), logits.end());
  vulkan::test::require_no_validation_messages(gpu->context());
  return {std::move(out), calls() - before};
}

TEST_CASE("Latent attention's stacked heads take one dispatch per matrix and give what one per head gives",
          "[backend][profile]") {
  // test-tiny-deepseek2-wide: 2 layers of 4 heads whose k_b and v_b are whole row groups. With
  // GLASSWING_VULKAN_STACK_HEADS=0 each head runs its own product: a decode step records 2 x 2 x 3 = 12
  // dispatches more (counted where the profiler runs, vulkan_tests_profile:*) for the same logits.
  auto model = model::Model::load(test::synth_model_file("test-tiny-deepseek2-wide", gguf::GgmlType::Q4_0));
  const auto [stacked, stacked_calls] = decode_step_with(*model, "GLASSWING_VULKAN_STACK_HEADS", "1");
  const auto [per_head, per_head_calls] = decode_step_with(*model, "GLASSWING_VULKAN_STACK_HEADS", "0");
  CHECK(max_abs_diff(stacked, per_head) <= 1e-5f);
  if (vulkan::profiling_enabled() && vulkan::has_timestamps(vulkan::test::context().device()))
    CHECK(per_head_calls - stacked_calls == 12);
  else
    WARN("the dispatches are counted by vulkan_tests_profile:* (GLASSWING_VULKAN_PROFILE=1)");
}

TEST_CASE(
    "A mixture's decode step runs the experts it picked in one product per matrix, as one per expert does",
    "[backend][profile]") {
  // 2 layers of 4 experts of 64 rows, 2 per token, in a plain type (both kernel sets take expert ids for
  // it): stacked, a decode step's experts run each matrix, bias and activation as one dispatch per layer;
  // with GLASSWING_VULKAN_STACK_EXPERTS=0 as one per expert, 2 x (2 - 1) x each kind more: test-tiny-qwen3moe
  // (gate, up, SwiGLU, down) 8, test-tiny-gpt-oss (the same and the three biases) 14 (counted where the
  // profiler runs, vulkan_tests_profile:*), for the same logits.
  const auto [shape, type, more] = GENERATE(std::tuple{"test-tiny-qwen3moe", gguf::GgmlType::F16, 8},
                                            std::tuple{"test-tiny-gpt-oss", gguf::GgmlType::F32, 14});
  INFO(shape);
  auto model = model::Model::load(test::synth_model_file(shape, type));
  REQUIRE(model->desc().n_expert_used == 2);
  const auto [stacked, stacked_calls] = decode_step_with(*model, "GLASSWING_VULKAN_STACK_EXPERTS", "1");
  const auto [per_expert, per_expert_calls] = decode_step_with(*model, "GLASSWING_VULKAN_STACK_EXPERTS", "0");
  CHECK(max_abs_diff(stacked, per_expert) <= 1e-5f);
  if (vulkan::profiling_enabled() && vulkan::has_timestamps(vulkan::test::context().device()))
    CHECK(per_expert_calls - stacked_calls == uint64_t(more));
  else
    WARN("the dispatches are counted by vulkan_tests_profile:* (GLASSWING_VULKAN_PROFILE=1)");
}

TEST_CASE("A mixture's prompt multiplies every expert's batch in one tiled GEMM per matrix",
          "[backend][profile]") {
  // The GPU kernels (forced here): a prompt's experts, stacked, take one tiled GEMM per matrix and layer over
  // all their batches (expert tiles); with GLASSWING_VULKAN_EXPERT_TILES=0 one per expert with tokens. The
  // prompt's logits alike; where the profiler runs, test-tiny-qwen3moe's gate, up and down GEMMs: at least
  // 3 fewer per layer (each token picks 2 experts: at least 2 have tokens).
  vulkan::test::ScopedEnv kernels("GLASSWING_VULKAN_KERNELS", "gpu");
  auto model = model::Model::load(test::synth_model_file("test-tiny-qwen3moe", gguf::GgmlType::F16));
  const auto prompt_with = [&](const char* tiles) {
    auto gpu = [&] {
      vulkan::test::ScopedEnv expert_tiles("GLASSWING_VULKAN_EXPERT_TILES", tiles);
      return vulkan_backend(*model);
    }();
    model::Session s(*model, *gpu, 16);
    const auto gemms =
        [] {  // (the tiled GEMM's, or the tensor-core GEMM's where GLASSWING_VULKAN_COOPMAT is on)
          uint64_t n = 0;
          for (const auto& row : vulkan::dispatch_profile())
            n +=
                row.shader.starts_with("matmul_tiled") || row.shader.starts_with("matmul_cm") ? row.calls : 0;
          return n;
        };
    const uint64_t before = gemms();
    const auto logits = gpu->forward(s, std::span(kSteps).first(kPrefill), true);
    std::vector<float> out(logits.begin(), logits.end());
    vulkan::test::require_no_validation_messages(gpu->context());
    return std::pair{out, gemms() - before};
  };
  const auto [tiled, tiled_gemms] = prompt_with("1");
  const auto [per_expert, per_expert_gemms] = prompt_with("0");
  CHECK(max_abs_diff(tiled, per_expert) <= 1e-5f);
  if (vulkan::profiling_enabled() && vulkan::has_timestamps(vulkan::test::context().device()))
    CHECK(per_expert_gemms >= tiled_gemms + 3 * uint64_t(model->desc().n_layer));
  else
    WARN("the dispatches are counted by vulkan_tests_profile:* (GLASSWING_VULKAN_PROFILE=1)");
}

TEST_CASE("A mixture's decode step chooses its experts on the device, as the host does",
          "[backend][profile]") {
  // With every mixture layer's experts stacked, a decode step runs route_experts.comp after each router and
  // the stacked products read the ids it wrote: one submission per token, recorded once. The routers and
  // families: softmax renormalized (qwen3moe) or not, with a gated shared expert (qwen2moe); the chosen
  // logits' softmax with biased experts (gpt-oss); a sigmoid steered by a selection bias and scaled, after a
  // dense layer, beside shared experts (glm4moe); groups (deepseek2-wide: the better of 2); weights on the
  // input (llama4); the residual scale on the weights (granitemoe); each expert's output scale beside a
  // dense FFN (gemma4); ReGLU experts routed from the layer's input (smallthinker); ReLU² experts
  // (nemotron-h-moe). Each decode step's logits against the host's routing
  // (GLASSWING_VULKAN_ROUTE_ON_DEVICE=0), and where the profiler runs, one route_experts dispatch per mixture
  // layer per step.
  const std::string shape =
      GENERATE("test-tiny-qwen3moe", "test-tiny-qwen2moe", "test-tiny-gpt-oss", "test-tiny-glm4moe",
               "test-tiny-deepseek2-wide", "test-tiny-llama4", "test-tiny-granitemoe", "test-tiny-gemma4-moe",
               "test-tiny-smallthinker", "test-tiny-nemotron-h-moe");
  INFO(shape);
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::F32));
  const auto& d = model->desc();
  auto host = [&] {
    vulkan::test::ScopedEnv route("GLASSWING_VULKAN_ROUTE_ON_DEVICE", "0");
    return vulkan_backend(*model);
  }();
  auto device = vulkan_backend(*model);
  CHECK(!host->routes_on_device());
  REQUIRE(device->routes_on_device());
  // (prompts too where the GPU kernels' expert tiles run them: vulkan_tests_gpu:*)
  CHECK(device->routes_prompts_on_device() == vulkan::use_gpu_kernels(device->context().device().info()));
  model::Session hs(*model, *host, 16), ds(*model, *device, 16);
  const auto prompt = std::span(kSteps).first(kPrefill);
  CHECK(max_abs_diff(host->forward(hs, prompt, false), device->forward(ds, prompt, false)) <= 1e-5f);
  const auto routes = [] {
    for (const auto& row : vulkan::dispatch_profile())
      if (row.shader == "route_experts") return row.calls;
    return uint64_t{0};
  };
  int64_t mixture_layers = 0;
  for (int64_t l = 0; l < d.n_layer; ++l) mixture_layers += d.has_ffn(l) && d.moe_layer(l);
  REQUIRE(mixture_layers > 0);
  for (size_t i = kPrefill; i < kSteps.size(); ++i) {
    INFO("decode step " << i - kPrefill);
    const auto token = std::span(kSteps).subspan(i, 1);
    const auto want = host->forward(hs, token, false);
    const std::vector<float> expect(want.begin(), want.end());
    const uint64_t before = routes();
    const auto got = device->forward(ds, token, false);
    CHECK(max_abs_diff(expect, std::vector<float>(got.begin(), got.end())) <= 1e-5f);
    if (vulkan::profiling_enabled() && vulkan::has_timestamps(vulkan::test::context().device()))
      CHECK(routes() - before == uint64_t(mixture_layers));
  }
  vulkan::test::require_no_validation_messages(device->context());
}

TEST_CASE("Vulkan runs seed_oss (attention biases, the output's too) as the CPU engine does", "[backend]") {
  auto model = model::Model::load(test::synth_model_file("test-tiny-seed-oss", gguf::GgmlType::Q8_0));
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  check_model_against_cpu(*model, *gpu, cpu);
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs parallel blocks (GPT-NeoX, Phi-2, Command-R, Cohere2) as the CPU engine does",
          "[backend]") {
  const std::string shape =
      GENERATE("test-tiny-gptneox", "test-tiny-phi2", "test-tiny-command-r", "test-tiny-cohere2");
  INFO(shape);
  check_shape_against_cpu(shape, 11);
}

TEST_CASE("Vulkan runs gemma (Gemma 1), exaone, exaone4 and arcee as the CPU engine does", "[backend]") {
  const std::string shape = GENERATE("test-tiny-gemma", "test-tiny-exaone", "test-tiny-exaone4",
                                     "test-tiny-exaone4-swa", "test-tiny-arcee");
  INFO(shape);
  check_shape_against_cpu(shape, 12);
}

TEST_CASE("Vulkan runs starcoder2, stablelm, internlm2 and apertus as the CPU engine does", "[backend]") {
  // (apertus: xIELU with each layer's parameters)
  const std::string shape =
      GENERATE("test-tiny-starcoder2", "test-tiny-stablelm", "test-tiny-internlm2", "test-tiny-apertus");
  INFO(shape);
  check_shape_against_cpu(shape, 12);
}

TEST_CASE("Vulkan runs baichuan, orion and xverse as the CPU engine does", "[backend]") {
  // (Baichuan 7B's 32 layers; Orion's LayerNorms with biases and NeoX pairs)
  const std::string shape = GENERATE("test-tiny-baichuan", "test-tiny-orion", "test-tiny-xverse");
  INFO(shape);
  check_shape_against_cpu(shape, 12);
}

TEST_CASE("Vulkan runs falcon (one norm and two) and nemotron as the CPU engine does", "[backend]") {
  // (Falcon-7B's single KV head, Falcon-40B's attn_norm_2 beside attn_norm; Nemotron's ReLU² after a
  // LayerNorm, RoPE on half of each head)
  // (and Falcon-7B's 71 query heads over one KV head)
  const std::string shape =
      GENERATE("test-tiny-falcon", "test-tiny-falcon-40b", "test-tiny-nemotron", "test-falcon-71-heads");
  INFO(shape);
  check_shape_against_cpu(shape, 12);
}

TEST_CASE("Vulkan runs olmo (LayerNorms without parameters, q, k and v clamped) as the CPU engine does",
          "[backend]") {
  const std::string shape = GENERATE("test-tiny-olmo", "test-tiny-olmo-clip");
  INFO(shape);
  check_shape_against_cpu(shape, 15);
}

TEST_CASE("Vulkan runs starcoder (learned positions, multi-query attention) as the CPU engine does",
          "[backend]") {
  // (gpt2's block over one KV head; tied and untied output)
  const std::string shape = GENERATE("test-tiny-starcoder", "test-tiny-starcoder-untied");
  INFO(shape);
  check_shape_against_cpu(shape, 14);
}

TEST_CASE("Vulkan runs chatglm and qwen (Qwen 1) as the CPU engine does, attention maps too", "[backend]") {
  // (chatglm: packed q|k|v with biases over 2 KV heads, RoPE on half of each head in adjacent pairs, packed
  // gate|up; qwen: packed q|k|v with biases, NeoX RoPE over whole heads, the halved FFN width)
  const std::string shape = GENERATE("test-tiny-chatglm", "test-tiny-qwen");
  INFO(shape);
  check_shape_against_cpu(shape, 12);
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 32), cs(*model, cpu, 32);
  const std::vector<int32_t> tokens = {1, 17, 250, 3, 99, 42, 7, 180};
  gpu->forward(s, tokens, false);
  cpu.forward(cs, tokens, false);
  const model::Range q{0, static_cast<int64_t>(tokens.size())};
  for (int64_t layer : {0, 1})
    for (int64_t head : {0, 3})
      CHECK(max_abs_diff(gpu->attention(s, layer, head, q, q).probs,
                         cpu.attention(cs, layer, head, q, q).probs) <= 1e-4f);
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE(
    "Vulkan runs StableLM 2 12B's and Command R+'s per-head LayerNorms of q and k as the CPU engine does",
    "[backend]") {
  const std::string shape = GENERATE("test-tiny-stablelm-12b-style", "test-tiny-command-r-plus");
  INFO(shape);
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  REQUIRE(model->desc().qk_layer_norm);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  check_model_against_cpu(*model, *gpu, cpu);
  check_long_prompt_against_cpu(*model, *gpu, cpu, 12);
  // (the llama.cpp-compatible mode has no such norms: refused by name)
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains("does not run per-head LayerNorms of q and k"));
  vulkan::test::require_no_validation_messages(gpu->context());
}

namespace {

// The attention maps of `layers` (head `head`) after the same 8 tokens on the GPU and the CPU engine agree.
void check_maps_against_cpu(const model::Model& model, vulkan::VulkanBackend& gpu, cpu::CpuBackend& cpu,
                            std::initializer_list<int64_t> layers, int64_t head) {
  model::Session s(model, gpu, 32), cs(model, cpu, 32);
  const std::vector<int32_t> tokens = {1, 17, 250, 3, 99, 42, 7, 180};
  gpu.forward(s, tokens, false);
  cpu.forward(cs, tokens, false);
  const model::Range q{0, static_cast<int64_t>(tokens.size())};
  for (int64_t layer : layers)
    CHECK(max_abs_diff(gpu.attention(s, layer, head, q, q).probs,
                       cpu.attention(cs, layer, head, q, q).probs) <= 1e-4f);
}

// The session estimate is what a session of 64 positions allocates (caches and logits), give or take the
// placeholders of absent caches.
void check_estimate_is_allocation(const model::Model& model, vulkan::VulkanBackend& gpu) {
  const uint64_t logits =
      uint64_t(std::min<int64_t>(vulkan::VulkanBackend::kMaxLogitRows, gpu.capabilities().max_batch)) *
      model.desc().n_vocab * sizeof(float);
  const auto caches = gpu.create_caches(64);
  const uint64_t estimate = gpu.estimate_memory(64).session_bytes;
  CHECK(estimate <= caches->bytes() + logits);
  CHECK(estimate + 64 >= caches->bytes() + logits);
}

}  // namespace

TEST_CASE(
    "Vulkan runs gemma4 (layer shapes, shared keys and values, per-layer inputs) as the CPU engine does",
    "[backend]") {
  auto model = model::Model::load(test::synth_model_file("test-tiny-gemma4", gguf::GgmlType::Q8_0));
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  check_model_against_cpu(*model, *gpu, cpu);
  check_long_prompt_against_cpu(*model, *gpu, cpu, 13);
  // the maps of a layer that reads another's keys (4 reads 2's) and of a sliding one
  check_maps_against_cpu(*model, *gpu, cpu, {3, 4}, 2);
  // the estimate is what a session allocates: each layer's caches at its own width, none for the sharing
  // layers' keys and values (as the CPU engine's)
  check_estimate_is_allocation(*model, *gpu);
  CHECK(cpu.estimate_memory(64).session_bytes == cpu.create_caches(64)->bytes());
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE(
    "Vulkan runs gemma3n (AltUp, LAuReL, sparse FFN gates, shared keys and values) as the CPU engine does",
    "[backend]") {
  auto model = model::Model::load(test::synth_model_file("test-tiny-gemma3n", gguf::GgmlType::Q8_0));
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  check_model_against_cpu(*model, *gpu, cpu);
  check_long_prompt_against_cpu(*model, *gpu, cpu, 13);
  // the maps of the layers that read others' keys (4 reads 2's, 5 reads 3's)
  check_maps_against_cpu(*model, *gpu, cpu, {4, 5}, 1);
  check_estimate_is_allocation(*model, *gpu);  // (the estimate is what a session allocates)
  // the llama.cpp-compatible mode refuses it by name (cpu-llamacpp runs it)
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains("does not run gemma3n") && Catch::Contains("use cpu-llamacpp"));
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs gemma4's mixture (experts beside the dense FFN) as the CPU engine does", "[backend]") {
  auto model = model::Model::load(test::synth_model_file("test-tiny-gemma4-moe", gguf::GgmlType::Q8_0));
  REQUIRE(model->desc().n_expert == 4);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  check_model_against_cpu(*model, *gpu, cpu);
  check_long_prompt_against_cpu(*model, *gpu, cpu, 14);
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan turns deepseek2 with DeepSeek's YaRN as the CPU engine does", "[backend]") {
  const auto yarn = test::temp_dir("vulkan-deepseek2") / "yarn.gguf";
  test::rewrite_model(test::synth_model_file("test-tiny-deepseek2", gguf::GgmlType::Q8_0), yarn,
                      [](gguf::GgufWriter& w) {
                        w.set_string("deepseek2.rope.scaling.type", "yarn");
                        w.set_f32("deepseek2.rope.scaling.factor", 4.0f);
                        w.set_u32("deepseek2.rope.scaling.original_context_length", 16);
                        w.set_f32("deepseek2.rope.scaling.yarn_log_multiplier", 0.0707f);
                      });
  auto model = model::Model::load(yarn);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 32), cs(*model, cpu, 32);
  check_steps_against_cpu(*gpu, s, cpu, cs);
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("A mixture's memory estimate counts its expert buffers, not its dense feed_forward_length",
          "[backend]") {
  auto model = model::Model::load(test::synth_model_file("test-tiny-qwen3moe", gguf::GgmlType::Q8_0));
  auto gpu = vulkan_backend(*model);
  const auto& d = model->desc();
  const model::MemoryEstimate e = gpu->estimate_memory(64);
  // at least the batch rows of one step: input, gate|up, up, hidden and output rows per (token, expert)
  const uint64_t pairs = uint64_t(gpu->capabilities().max_batch) * d.n_expert_used;
  CHECK(e.scratch_bytes >= pairs * (2 * d.n_embd + 4 * d.n_ff_exp) * sizeof(float));
  // a dense width of 2^40 (metadata only in a mixture) sizes nothing
  const auto in = gguf::GgufFile::open(test::synth_model_file("test-tiny-qwen3moe", gguf::GgmlType::Q8_0));
  gguf::GgufWriter w;
  test::copy_metadata(in, w);
  w.set_u64("qwen3moe.feed_forward_length", uint64_t{1} << 40);
  test::copy_tensors(in, w);
  const auto odd = test::temp_dir("vulkan-moe") / "dense-width.gguf";
  w.write(odd.string());
  auto odd_model = model::Model::load(odd);
  vulkan::VulkanBackend odd_gpu(*odd_model);
  CHECK(odd_gpu.estimate_memory(64).scratch_bytes == e.scratch_bytes);
  model::Session s(*model, *gpu, 16), os(*odd_model, odd_gpu, 16);
  const std::vector<int32_t> tokens = {1, 17, 250, 3};
  CHECK(max_abs_diff(gpu->forward(s, tokens, false), odd_gpu.forward(os, tokens, false)) == 0.0f);
  // the llama.cpp-compatible mode refuses a mixture by name
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains("does not run mixtures of experts (qwen3moe); use cpu-llamacpp"));
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs Hunyuan (q and k norms after RoPE, a shared expert) as the CPU engine does",
          "[backend]") {
  // the heads normalized at unit gain before RoPE, the gains multiplied in by rope_store after it (the fused
  // decode kernels step aside); hunyuan-moe's shared expert beside the routed ones. Prefill then decode
  // steps.
  const std::string arch = GENERATE("hunyuan-dense", "hunyuan-moe");
  INFO(arch);
  auto model = model::Model::load(test::synth_model_file("test-tiny-" + arch, gguf::GgmlType::Q8_0));
  REQUIRE(model->desc().traits->qk_norm_after_rope);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 16), cs(*model, cpu, 16);
  const std::vector<int32_t> tokens = {1, 17, 250, 3, 99, 42, 7};
  CHECK(max_abs_diff(gpu->forward(s, tokens, true), cpu.forward(cs, tokens, true)) <= kVsCpu);
  for (const int32_t next : {12, 200, 5}) {
    CHECK(max_abs_diff(gpu->forward(s, std::span(&next, 1), false),
                       cpu.forward(cs, std::span(&next, 1), false)) <= kVsCpu);
  }
  // the llama.cpp-compatible mode refuses them by name (its kernels normalize before RoPE)
  CHECK_THROWS_WITH(
      gpu->set_rounding(model::Rounding::LlamaCpp),
      Catch::Contains("does not run q and k norms after RoPE (" + arch + "); use cpu-llamacpp"));
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("codebook and i-quant weights run on Vulkan as on the CPU engine", "[backend]") {
  // Read in their file layout: CPU devices as int8 tiles under one or two scales per 32 elements, GPUs
  // decoding the blocks (and the i-quants' codebooks, appended to each slice) in the kernels; both the CPU
  // engine's floats (IQ4_XS's d·(s − 32) and IQ1's d·(g ± 1/8) included). test-tiny's rows are 256 and 512
  // wide: every matrix has the type.
  const auto type =
      GENERATE(gguf::GgmlType::IQ4_NL, gguf::GgmlType::IQ4_XS, gguf::GgmlType::MXFP4, gguf::GgmlType::IQ1_S,
               gguf::GgmlType::IQ1_M, gguf::GgmlType::IQ2_XXS, gguf::GgmlType::IQ2_XS, gguf::GgmlType::IQ2_S,
               gguf::GgmlType::IQ3_XXS, gguf::GgmlType::IQ3_S, gguf::GgmlType::TQ1_0, gguf::GgmlType::TQ2_0);
  INFO(gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file("test-tiny", type));
  REQUIRE(model->weights().layers[0].wq.type == type);
  const std::vector<int32_t> tokens = {1, 17, 250, 3, 99, 42, 7};
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 16), cs(*model, cpu, 16);
  CHECK(max_abs_diff(gpu->forward(s, tokens, true), cpu.forward(cs, tokens, true)) <= kVsCpu);
  const int32_t next = 12;
  CHECK(max_abs_diff(gpu->forward(s, std::span(&next, 1), false),
                     cpu.forward(cs, std::span(&next, 1), false)) <= kVsCpu);
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs gpt-oss (attention sinks, biases, clamped SwiGLU experts) as the CPU engine does",
          "[backend]") {
  // test-tiny-gpt-oss: a window of 4 keys on layer 0 with YaRN on both layers, sinks on every head, biased
  // attention, router and experts; MXFP4 experts read as they are. Prefill, decode steps, a prompt longer
  // than a step, the maps and the summaries (whose rows leave the sink's share out).
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::MXFP4);
  INFO(gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file("test-tiny-gpt-oss", type));
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 32), cs(*model, cpu, 32);
  check_steps_against_cpu(*gpu, s, cpu, cs);
  const model::Range q{0, static_cast<int64_t>(kSteps.size())};
  for (int64_t layer : {0, 1}) {
    INFO("layer " << layer);
    CHECK(max_abs_diff(gpu->attention(s, layer, 2, q, q).probs, cpu.attention(cs, layer, 2, q, q).probs) <=
          1e-4f);
  }
  check_summaries_against_cpu(*gpu, s, cpu, cs);
  check_long_prompt_against_cpu(*model, *gpu, cpu, 13);
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs LFM2's short-convolution layers as the CPU engine does", "[backend]") {
  // test-tiny-lfm2 (attention on layers 2 and 4 of five) and test-tiny-lfm2moe (experts after a dense first
  // layer): prefill, decode steps, a prompt of several recorded steps, a session taken back and forward
  // another way (the convolution cache kept per position), the maps of its attention layers.
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-lfm2", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-lfm2", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-lfm2moe", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-lfm2-swa", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  const auto& d = model->desc();
  REQUIRE(d.n_conv_layers() > 0);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  // (going back: the convolution reads the inputs the session kept there; the long prompt's second step
  // reads its first's)
  model::Session s(*model, *gpu, 32), cs(*model, cpu, 32);
  check_steps_against_cpu(s, cs, 3, {4});
  model::Session ls(*model, *gpu, 128), lcs(*model, cpu, 128);
  check_long_prompt_against_cpu(ls, lcs, 3);

  // maps of the attention layers; a convolution layer has none, and its summary heads are NaN
  const int64_t attn_layer = std::string(shape) == "test-tiny-lfm2moe" ? 3 : 4;
  REQUIRE(d.has_attention(attn_layer));
  check_long_map_against_cpu(*gpu, ls, cpu, lcs, attn_layer, 1);
  CHECK_THROWS_WITH(gpu->attention(ls, 0, 0, {0, 4}, {0, 4}), Catch::Contains("short convolution"));
  const auto gs = gpu->attention_summary(ls, {70, 120});
  const auto csum = cpu.attention_summary(lcs, {70, 120});
  REQUIRE(gs.size() == csum.size());
  for (size_t i = 0; i < gs.size(); ++i) {
    INFO("layer " << gs[i].layer << " head " << gs[i].head);
    if (!d.has_attention(gs[i].layer)) {
      CHECK(std::isnan(gs[i].entropy));
      CHECK(std::isnan(csum[i].max_prob));
      continue;
    }
    CHECK(std::fabs(gs[i].entropy - csum[i].entropy) < 1e-3f);
    CHECK(std::fabs(gs[i].max_prob - csum[i].max_prob) < 1e-4f);
  }

  // the estimate counts the caches of each kind of layer
  const uint64_t logits =
      uint64_t(std::min(vulkan::VulkanBackend::kMaxLogitRows, gpu->capabilities().max_batch)) * d.n_vocab * 4;
  const auto caches = gpu->create_caches(256);
  CHECK(gpu->estimate_memory(256).session_bytes <= caches->bytes() + logits);
  CHECK(gpu->estimate_memory(256).session_bytes + uint64_t(4 * d.n_layer) * 256 >= caches->bytes() + logits);

  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains("does not run short-convolution or recurrent layers (lfm2"));
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs Qwen3.5's gated delta nets and gated attention as the CPU engine does", "[backend]") {
  // test-tiny-qwen35 (attention on layers 2 and 5 of six) and its mixture: prefill, decode steps, a prompt of
  // several recorded steps, and a session taken back (the delta-net state restored from a checkpoint and the
  // tokens after it evaluated again), against the CPU engine doing the same.
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-qwen35", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-qwen35", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-qwen35moe", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-qwen3next", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  const auto& d = model->desc();
  REQUIRE(d.n_delta_layers() == 4);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 128), cs(*model, cpu, 128);
  check_steps_against_cpu(s, cs, 40, {44, 20, 2});
  // (going back to 44 restored the checkpoint taken at 38; the last prompt, 3 tokens at 2, one before its
  // last token, at 4)
  CHECK(s.caches().newest_checkpoint() == 4);
  model::Session ls(*model, *gpu, 128), lcs(*model, cpu, 128);
  check_long_prompt_against_cpu(ls, lcs, 4);
  check_long_map_against_cpu(*gpu, ls, cpu, lcs, 5, 1);
  CHECK_THROWS_WITH(gpu->attention(ls, 0, 0, {0, 4}, {0, 4}), Catch::Contains("gated delta net"));

  const uint64_t logits =
      uint64_t(std::min(vulkan::VulkanBackend::kMaxLogitRows, gpu->capabilities().max_batch)) * d.n_vocab * 4;
  const auto caches = gpu->create_caches(128);
  CHECK(gpu->estimate_memory(128).session_bytes <= caches->bytes() + logits);
  CHECK(gpu->estimate_memory(128).session_bytes + uint64_t(6 * d.n_layer) * 256 >= caches->bytes() + logits);
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp), Catch::Contains("recurrent layers (qwen3"));
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs Granite 4.0-H's Mamba-2 layers as the CPU engine does", "[backend]") {
  // test-tiny-granitehybrid (Mamba-2 on layers 0, 1 and 3 with B and C in 2 groups, attention without RoPE,
  // granite's multipliers) and its mixture (one group): prefill, decode steps, a session taken back, a long
  // prompt.
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-granitehybrid", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-granitehybrid", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-granitehybrid-moe", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-granitehybrid-moe", gguf::GgmlType::F32});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  const auto& d = model->desc();
  REQUIRE(d.n_mamba_layers() == 3);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 128), cs(*model, cpu, 128);
  check_steps_against_cpu(s, cs, 34, {40, 3});
  model::Session ls(*model, *gpu, 128), lcs(*model, cpu, 128);
  check_long_prompt_against_cpu(ls, lcs, 6);
  check_long_map_against_cpu(*gpu, ls, cpu, lcs, 2, 3);
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs Nemotron-H (Mamba-2, attention and ReLU² FFN layers) as the CPU engine does",
          "[backend]") {
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-nemotron-h", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-nemotron-h", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-nemotron-h-moe", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 128), cs(*model, cpu, 128);
  check_steps_against_cpu(s, cs, 3, {4});
  model::Session ls(*model, *gpu, 128), lcs(*model, cpu, 128);
  check_long_prompt_against_cpu(ls, lcs, 7);
  const auto gs = gpu->attention_summary(ls, {70, 120});
  const auto csum = cpu.attention_summary(lcs, {70, 120});
  for (size_t i = 0; i < gs.size(); ++i) {
    INFO("layer " << gs[i].layer << " head " << gs[i].head);
    if (gs[i].layer != 3) {
      CHECK(std::isnan(gs[i].entropy));
      continue;
    }
    CHECK(std::fabs(gs[i].entropy - csum[i].entropy) < 1e-3f);
  }
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs mamba2 and mamba (Mamba-1, Falcon-Mamba) as the CPU engine does", "[backend]") {
  // test-tiny-mamba2 (3 Mamba-2 layers alone), test-tiny-mamba (3 Mamba-1 layers) and -falcon-mamba (dt, B
  // and C RMS-normalized): prefill, decode steps past a checkpoint, sessions taken back, a long prompt; no
  // attention to map; vulkan-llamacpp refuses them by name
  const auto [shape, type] = GENERATE(
      std::pair{"test-tiny-mamba2", gguf::GgmlType::Q8_0}, std::pair{"test-tiny-mamba2", gguf::GgmlType::F32},
      std::pair{"test-tiny-mamba", gguf::GgmlType::Q8_0}, std::pair{"test-tiny-mamba", gguf::GgmlType::F32},
      std::pair{"test-tiny-falcon-mamba", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  const auto& d = model->desc();
  REQUIRE(d.n_attention_layers() == 0);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 128), cs(*model, cpu, 128);
  check_steps_against_cpu(s, cs, 34, {40, 3});
  model::Session ls(*model, *gpu, 128), lcs(*model, cpu, 128);
  check_long_prompt_against_cpu(ls, lcs, 9);
  CHECK(gpu->attention_summary(ls, {70, 120}).empty());
  CHECK_THROWS_WITH(gpu->attention(ls, 0, 0, {70, 120}, {0, 120}),
                    Catch::Contains(d.architecture + " has no attention layers"));
  // the estimate counts the recurrent state and its checkpoints, and no attention scores
  const uint64_t logits =
      uint64_t(std::min(vulkan::VulkanBackend::kMaxLogitRows, gpu->capabilities().max_batch)) * d.n_vocab * 4;
  const auto caches = gpu->create_caches(256);
  CHECK(gpu->estimate_memory(256).session_bytes <= caches->bytes() + logits);
  CHECK(gpu->estimate_memory(256).session_bytes + uint64_t(4 * d.n_layer) * 256 >= caches->bytes() + logits);
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains("recurrent layers (" + d.architecture + ")"));
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs Falcon-H1's Mamba-2 beside attention in every layer as the CPU engine does",
          "[backend]") {
  // test-tiny-falcon-h1 (3 layers of Mamba-2 and attention side by side, no Mamba-2 norm) and "-norm" (with
  // it): prefill, decode steps past a checkpoint, sessions taken back, a long prompt, every layer's map.
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-falcon-h1", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-falcon-h1", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-falcon-h1-norm", gguf::GgmlType::F32});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  const auto& d = model->desc();
  REQUIRE(d.n_mamba_layers() == 3);
  REQUIRE(d.n_attention_layers() == 3);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 128), cs(*model, cpu, 128);
  check_steps_against_cpu(s, cs, 34, {40, 3});
  model::Session ls(*model, *gpu, 128), lcs(*model, cpu, 128);
  check_long_prompt_against_cpu(ls, lcs, 8);
  for (int64_t l = 0; l < d.n_layer; ++l) check_long_map_against_cpu(*gpu, ls, cpu, lcs, l, 1);
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains("recurrent layers (falcon-h1"));
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE(
    "Vulkan runs llama4 (chunked attention, the NoPE layers' temperature, q and k normalized after RoPE, "
    "experts weighted on their input) as the CPU engine does",
    "[backend]") {
  // test-tiny-llama4: chunks of 4 positions on layers 0 to 2, layer 3 without RoPE whose queries' temperature
  // rises every 3 positions (scale 0.5), q and k heads normalized after RoPE, experts on layers 1 and 3 (one
  // per token, its input times the router's sigmoid) beside a shared expert, dense FFNs on 0 and 2
  auto model = model::Model::load(test::synth_model_file("test-tiny-llama4", gguf::GgmlType::Q8_0));
  const auto& d = model->desc();
  REQUIRE((d.attn_chunk == 4 && d.qk_rms_norm && d.chunked(1) && !d.chunked(3) && d.moe_layer(1) &&
           !d.moe_layer(2) && d.attn_temperature(3, 5) != 1.0f));
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  // (kSteps cross the chunks' starts at 4 and 8; layer 1's map and every overview cell against the CPU's)
  check_model_against_cpu(*model, *gpu, cpu);
  check_long_prompt_against_cpu(*model, *gpu, cpu, 15);
  // a chunked layer's map: rows summing to 1, zeros before the query's chunk (and after the query); the NoPE
  // layer's (its queries kept at their temperature in the Q cache) as the CPU's
  model::Session s(*model, *gpu, 32), cs(*model, cpu, 32);
  const std::vector<int32_t> tokens = {1, 17, 250, 3, 99, 42, 7, 180, 260, 5};
  gpu->forward(s, tokens, false);
  cpu.forward(cs, tokens, false);
  const model::Range q{0, static_cast<int64_t>(tokens.size())};
  for (int64_t layer : {0, 3})
    CHECK(max_abs_diff(gpu->attention(s, layer, 2, q, q).probs, cpu.attention(cs, layer, 2, q, q).probs) <=
          1e-4f);
  const auto map = gpu->attention(s, 0, 1, q, q);
  const auto n = static_cast<size_t>(q.size());
  REQUIRE(map.probs.size() == n * n);
  for (size_t i = 0; i < n; ++i) {
    INFO("query " << i);
    float sum = 0;
    for (size_t j = 0; j < n; ++j) {
      const float p = map.probs[i * n + j];
      sum += p;
      if (j < i / 4 * 4 || j > i)
        CHECK(p == 0.0f);
      else
        CHECK(p > 0.0f);
    }
    CHECK(sum == Approx(1.0f).margin(1e-5));
  }
  // the estimate is what a session allocates; the scratch counts the experts' input weights
  const uint64_t logits =
      uint64_t(std::min<int64_t>(vulkan::VulkanBackend::kMaxLogitRows, gpu->capabilities().max_batch)) *
      d.n_vocab * sizeof(float);
  const auto caches = gpu->create_caches(64);
  const uint64_t estimate = gpu->estimate_memory(64).session_bytes;
  CHECK(estimate <= caches->bytes() + logits);
  CHECK(estimate + 64 >= caches->bytes() + logits);
  const uint64_t pairs = uint64_t(gpu->capabilities().max_batch) * d.n_expert_used;
  CHECK(gpu->estimate_memory(64).scratch_bytes >=
        pairs * (2 * d.n_embd + 4 * d.n_ff_exp + 1) * sizeof(float));
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs minicpm, minicpm3 and phimoe as the CPU engine does", "[backend]") {
  // test-tiny-minicpm: granite's multipliers, tied embeddings; test-tiny-minicpm3: latent attention read from
  // one attn_kv_b, NeoX RoPE; test-tiny-phimoe: RMSNorms then their biases (as llama.cpp runs Phi-3.5-MoE's
  // norms), biased attention and classifier, 4 experts (2 per token); each also with LongRoPE in a session
  // within its original context (short factors) and one past it (long factors)
  const std::string shape = GENERATE("test-tiny-minicpm", "test-tiny-minicpm3", "test-tiny-phimoe");
  INFO(shape);
  check_shape_against_cpu(shape, 13);
  for (const int64_t n_ctx : {int64_t{16}, int64_t{64}}) {
    INFO("LongRoPE, n_ctx " << n_ctx);
    auto model = model::Model::load(test::longrope_model_file(true, shape));
    auto gpu = vulkan_backend(*model);
    cpu::CpuBackend cpu(*model);
    model::Session s(*model, *gpu, n_ctx), cs(*model, cpu, n_ctx);
    check_steps_against_cpu(*gpu, s, cpu, cs);
    vulkan::test::require_no_validation_messages(gpu->context());
  }
}

TEST_CASE("vulkan-llamacpp refuses minicpm, minicpm3 and phimoe by name", "[backend]") {
  // (its reference-compatible kernels know neither granite's multipliers, latent attention nor mixtures;
  // cpu-llamacpp runs them)
  const std::string shape = GENERATE("test-tiny-minicpm", "test-tiny-minicpm3", "test-tiny-phimoe");
  const std::string arch = shape.substr(std::string("test-tiny-").size());
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  auto gpu = vulkan_backend(*model);
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains("(" + arch + ")") && Catch::Contains("use cpu-llamacpp"));
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("vulkan-llamacpp refuses llama4 by name", "[backend]") {
  // (its reference-compatible kernels know no chunks, temperatures or input-weighted experts; cpu-llamacpp
  // runs it)
  auto model = model::Model::load(test::synth_model_file("test-tiny-llama4", gguf::GgmlType::Q8_0));
  auto gpu = vulkan_backend(*model);
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains("does not run llama4") && Catch::Contains("use cpu-llamacpp"));
  vulkan::register_vulkan_backend("0");  // (naming the device: the registry's vulkan-llamacpp on lavapipe)
  CHECK_THROWS_WITH(model::create_backend("vulkan-llamacpp", *model), Catch::Contains("does not run llama4"));
  vulkan::register_vulkan_backend();  // the default selector again, for any test after this one
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs Jamba's Mamba-1 layers, NoPE attention and experts as the CPU engine does",
          "[backend]") {
  // test-tiny-jamba (Mamba-1 on layers 0, 1 and 3 with dt, B and C normalized with gains of their own,
  // attention without RoPE on layer 2, experts on layers 1 and 3): prefill, decode steps past a checkpoint,
  // sessions taken back, a long prompt, attention maps and summaries of the attention layer alone;
  // vulkan-llamacpp refuses it by name
  const auto type = GENERATE(gguf::GgmlType::Q8_0, gguf::GgmlType::F32);
  INFO(gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file("test-tiny-jamba", type));
  const auto& d = model->desc();
  REQUIRE(d.n_mamba_layers() == 3);
  REQUIRE(d.mamba.dt_b_c_gains);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 128), cs(*model, cpu, 128);
  check_steps_against_cpu(s, cs, 34, {40, 3});
  model::Session ls(*model, *gpu, 128), lcs(*model, cpu, 128);
  check_long_prompt_against_cpu(ls, lcs, 6);
  check_long_map_against_cpu(*gpu, ls, cpu, lcs, 2, 3);
  const auto gs = gpu->attention_summary(ls, {70, 120});
  const auto csum = cpu.attention_summary(lcs, {70, 120});
  REQUIRE(gs.size() == csum.size());
  for (size_t i = 0; i < gs.size(); ++i) {
    INFO("layer " << gs[i].layer << " head " << gs[i].head);
    if (gs[i].layer != 2) {
      CHECK(std::isnan(gs[i].entropy));
      continue;
    }
    CHECK(std::fabs(gs[i].entropy - csum[i].entropy) < 1e-3f);
  }
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains("recurrent layers (jamba)"));
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs deci (Llama-Nemotron's layers of their own shapes) as the CPU engine does",
          "[backend]") {
  // test-tiny-deci: attention over 2, 1, 4 and 2 KV heads, layers without attention (one without an FFN
  // too), attention replaced by one matrix, an attention layer without an FFN, FFNs of four widths
  const auto type = GENERATE(gguf::GgmlType::Q8_0, gguf::GgmlType::F32);
  INFO(gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file("test-tiny-deci", type));
  const model::ModelDescription& d = model->desc();
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 64), cs(*model, cpu, 64);
  check_steps_against_cpu(s, cs, 6, {9, 4});
  // the maps of the layers with 1 and 4 KV heads; the overview's layers without attention left empty
  const model::Range q{0, s.position()};
  for (const int64_t l : {3, 4}) {
    INFO("layer " << l);
    CHECK(max_abs_diff(gpu->attention(s, l, 3, q, q).probs, cpu.attention(cs, l, 3, q, q).probs) <= 1e-4f);
  }
  const auto gs = gpu->attention_summary(s, q), css = cpu.attention_summary(cs, q);
  REQUIRE(gs.size() == css.size());
  for (size_t i = 0; i < gs.size(); ++i) {
    INFO("layer " << gs[i].layer << " head " << gs[i].head);
    if (!d.has_attention(gs[i].layer)) {
      CHECK(std::isnan(gs[i].entropy));
      continue;
    }
    CHECK(gs[i].entropy == Approx(css[i].entropy).margin(1e-3));
    CHECK(gs[i].max_prob == Approx(css[i].max_prob).margin(1e-4));
  }
  check_long_prompt_against_cpu(*model, *gpu, cpu, 13);
  vulkan::test::require_no_validation_messages(gpu->context());
}

// The model at `path` with every attn_v.weight (Kimi Linear: its KDA layers' v) dequantized to F32, as a
// Q4_K_M file has v of another type than q and k: three projections, not one fused.
std::filesystem::path with_f32_values(const std::filesystem::path& path) {
  const auto in = gguf::GgufFile::open(path);
  gguf::GgufWriter w;
  test::copy_metadata(in, w);
  std::vector<std::vector<float>> kept;
  for (const auto& t : in.tensors()) {
    if (!t.name.ends_with(".attn_v.weight")) {
      w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
      continue;
    }
    const uint64_t cols = t.dims[0], rows = t.dims[1];
    auto& f = kept.emplace_back(cols * rows);
    for (uint64_t r = 0; r < rows; ++r)
      quant::dequantize_row(t.type, t.data + r * (t.n_bytes / rows), f.data() + r * cols, int64_t(cols));
    w.add_tensor(t.name, gguf::GgmlType::F32, t.dims,
                 {reinterpret_cast<const uint8_t*>(f.data()), f.size() * sizeof(float)});
  }
  const auto out = test::temp_dir("vulkan-kimi") / "kimi-f32-values.gguf";
  w.write(out.string());
  return out;
}

TEST_CASE("Vulkan runs Kimi Linear's Kimi Delta Attention and latent attention as the CPU engine does",
          "[backend]") {
  // test-tiny-kimi-linear (Kimi Delta Attention on layers 0 and 2, latent attention without RoPE on 1 and 3,
  // experts after a dense first layer): prefill, decode steps, a prompt of several recorded steps, and a
  // session taken back (the state restored from a checkpoint and the tokens after it evaluated again),
  // against the CPU engine doing the same. (q, k and v of one type: one fused matrix where the kernels fuse
  // them; v of another type: three projections into planes)
  const auto [type, apart] =
      GENERATE(std::pair{gguf::GgmlType::Q8_0, false}, std::pair{gguf::GgmlType::F32, false},
               std::pair{gguf::GgmlType::Q8_0, true});
  INFO(gguf::ggml_type_name(type) << (apart ? ", v in F32" : ""));
  const auto path = test::synth_model_file("test-tiny-kimi-linear", type);
  auto model = model::Model::load(apart ? with_f32_values(path) : path);
  const auto& d = model->desc();
  REQUIRE(d.delta.kda);
  CHECK((model->weights().layers[0].wv.type == gguf::GgmlType::F32) ==
        (apart || type == gguf::GgmlType::F32));
  REQUIRE(d.n_delta_layers() == 2);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  model::Session s(*model, *gpu, 128), cs(*model, cpu, 128);
  check_steps_against_cpu(s, cs, 40, {44, 20, 2});
  CHECK(s.caches().newest_checkpoint() == 4);
  model::Session ls(*model, *gpu, 128), lcs(*model, cpu, 128);
  check_long_prompt_against_cpu(ls, lcs, 4);
  check_long_map_against_cpu(*gpu, ls, cpu, lcs, 3, 1);
  CHECK_THROWS_WITH(gpu->attention(ls, 2, 0, {0, 4}, {0, 4}), Catch::Contains("Kimi Delta Attention"));
  const auto summary = gpu->attention_summary(ls, {100, 120});
  for (const model::HeadSummary& h : summary) CHECK(std::isnan(h.entropy) == (h.layer % 2 == 0));

  const uint64_t logits =
      uint64_t(std::min(vulkan::VulkanBackend::kMaxLogitRows, gpu->capabilities().max_batch)) * d.n_vocab * 4;
  const auto caches = gpu->create_caches(128);
  CHECK(gpu->estimate_memory(128).session_bytes <= caches->bytes() + logits);
  CHECK(gpu->estimate_memory(128).session_bytes + uint64_t(6 * d.n_layer) * 256 >= caches->bytes() + logits);
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("vulkan-llamacpp refuses kimi-linear by name", "[backend]") {
  auto model = model::Model::load(test::synth_model_file("test-tiny-kimi-linear", gguf::GgmlType::Q8_0));
  auto gpu = vulkan_backend(*model);
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp), Catch::Contains("kimi-linear"));
  vulkan::register_vulkan_backend("0");
  CHECK_THROWS_WITH(model::create_backend("vulkan-llamacpp", *model),
                    Catch::Contains("does not run kimi-linear (Kimi Delta Attention)"));
  vulkan::register_vulkan_backend();  // the default selector again, for any test after this one
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("Vulkan runs bloom, mpt and Baichuan 13B (ALiBi) as the CPU engine does, attention maps too",
          "[backend]") {
  // (ALiBi's per-head slopes on the scores in every attention kernel and in the maps; bloom's embeddings
  // LayerNorm'd; mpt's clip_qkv; bloom's 12 heads and Baichuan 13B's 6, so that heads past the largest power
  // of two take m1's odd powers; vulkan-llamacpp still refuses them by name, its kernels have no ALiBi)
  const std::string shape =
      GENERATE("test-tiny-bloom", "test-tiny-mpt", "test-tiny-mpt-clip", "test-tiny-baichuan13");
  INFO(shape);
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  const auto& d = model->desc();
  REQUIRE(d.alibi_max_bias > 0.0f);
  auto gpu = vulkan_backend(*model);
  cpu::CpuBackend cpu(*model);
  check_model_against_cpu(*model, *gpu, cpu);
  check_long_prompt_against_cpu(*model, *gpu, cpu, 16);
  {  // every head's map after a long prompt: the biases grow with the distance
    std::vector<int32_t> prompt(90);
    std::mt19937 rng(3);
    for (auto& t : prompt) t = static_cast<int32_t>(rng() % d.n_vocab);
    model::Session s(*model, *gpu, 100), cs(*model, cpu, 100);
    gpu->forward(s, prompt, false);
    cpu.forward(cs, prompt, false);
    const model::Range q{60, 90}, k{0, 90};
    for (int64_t h = 0; h < d.n_head; ++h)
      CHECK(max_abs_diff(gpu->attention(s, d.n_layer - 1, h, q, k).probs,
                         cpu.attention(cs, d.n_layer - 1, h, q, k).probs) <= 1e-4f);
  }
  CHECK_THROWS_WITH(gpu->set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains("does not run " + d.architecture) && Catch::Contains("ALiBi"));
  vulkan::register_vulkan_backend("0");  // (naming the device: the registry's Vulkan backends on lavapipe)
  CHECK_THROWS_WITH(model::create_backend("vulkan-llamacpp", *model),
                    Catch::Contains("does not run " + d.architecture) && Catch::Contains("ALiBi"));
  vulkan::register_vulkan_backend();  // the default selector again, for any test after this one
  vulkan::test::require_no_validation_messages(gpu->context());
}
