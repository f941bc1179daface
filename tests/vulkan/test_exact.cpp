// The Vulkan engine's reference-compatible mode (vulkan-llamacpp, inference/vulkan/exact_forward.h) on every
// shared model: llama.cpp's logits within 0.02 (bit for bit on lavapipe), batched prefill and single-token
// decode steps, agreement with the CPU engine's cpu-llamacpp, attention maps; validation layer silent.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>

#include "inference/cpu/cpu_backend.h"
#include "inference/model/model.h"
#include "inference/model/session.h"
#include "inference/vulkan/vulkan_backend.h"
#include "tests/engine/engine_test_util.h"
#include "tests/engine/rope_scaled_models.h"
#include "tests/test_support.h"
#include "tests/vulkan/vk_test_support.h"

using namespace glasswing;
using glasswing::test::max_abs_diff;

namespace {

// The bound; the mode is built to reach 0 (see the printed maxima).
constexpr float kTolerance = 0.02f;

std::unique_ptr<vulkan::VulkanBackend> exact_backend(const model::Model& m) {
  vulkan::test::context();  // exits 77 when there is no device; also sets GLASSWING_VULKAN_VALIDATION=1
  auto b = std::make_unique<vulkan::VulkanBackend>(m);
  b->set_rounding(model::Rounding::LlamaCpp);
  return b;
}

// vulkan-llamacpp against cpu-llamacpp over a sequence longer than one GPU batch (so the split prefill is
// covered too), every position's logits.
void compare_with_cpu(const model::Model& model, const char* name) {
  auto gpu = exact_backend(model);
  cpu::CpuBackend cpu(model, 0, model::Rounding::LlamaCpp);
  std::vector<int32_t> tokens(70);
  for (size_t i = 0; i < tokens.size(); ++i)
    tokens[i] = static_cast<int32_t>((i * 37 + 1) % model.desc().n_vocab);
  model::Session gs(model, *gpu, 80), cs(model, cpu, 80);
  const auto g = gpu->forward(gs, tokens, true);
  const auto c = cpu.forward(cs, tokens, true);
  const float d = max_abs_diff(g, c);
  std::printf("vulkan-llamacpp vs cpu-llamacpp %s: max|d| %.3g\n", name, d);
  CHECK(d <= 1e-6f);
  vulkan::test::require_no_validation_messages(gpu->context());
}

// The Q8_0 synth model `shape` on the default Vulkan device: vulkan-llamacpp's rounding refused with a
// message that contains `what` and points to cpu-llamacpp, the validation layer silent.
void check_refused(const std::string& shape, const std::string& what) {
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  vulkan::test::context();  // exits 77 when there is no device
  vulkan::VulkanBackend gpu(*model);
  CHECK_THROWS_WITH(gpu.set_rounding(model::Rounding::LlamaCpp),
                    Catch::Contains(what) && Catch::Contains("use cpu-llamacpp"));
  vulkan::test::require_no_validation_messages(gpu.context());
}

}  // namespace

TEST_CASE("vulkan-llamacpp logits match llama.cpp's for every shared model, prefill and decode") {
  const test::ReferenceModel c =
      GENERATE(from_range(std::begin(test::kReferenceModels), std::end(test::kReferenceModels)));
  INFO(c.model);
  const auto ref = test::read_f32_file(
      test::require_shared(std::string("reference/logits/") + c.reference + ".logits.f32"));
  auto model = model::Model::load(test::require_shared(std::string("models/") + c.model));
  const auto& tokens = c.gpt2 ? test::kGpt2ReferenceTokens : test::kLlamaReferenceTokens;
  const int64_t n_vocab = model->desc().n_vocab;
  REQUIRE(ref.size() == tokens.size() * static_cast<size_t>(n_vocab));
  auto gpu = exact_backend(*model);

  // The whole sequence in one batch, every position's logits.
  model::Session s(*model, *gpu, static_cast<int64_t>(tokens.size()));
  const auto all = gpu->forward(s, tokens, /*want_all_logits=*/true);
  const float batched = max_abs_diff(all, ref);

  // A prefill owing only its last logits, then one decode step per remaining token.
  const size_t prefill = tokens.size() / 2;
  model::Session s2(*model, *gpu, static_cast<int64_t>(tokens.size()));
  float stepped = max_abs_diff(gpu->forward(s2, std::span(tokens).first(prefill), false),
                               std::span(ref).subspan((prefill - 1) * n_vocab, n_vocab));
  for (size_t i = prefill; i < tokens.size(); ++i)
    stepped = std::max(stepped, max_abs_diff(gpu->forward(s2, std::span(tokens).subspan(i, 1), false),
                                             std::span(ref).subspan(i * n_vocab, n_vocab)));
  std::printf("vulkan-llamacpp %-20s max|d| batched %.3g, prefill+decode %.3g\n", c.reference, batched,
              stepped);
  CHECK(batched <= kTolerance);
  CHECK(stepped <= kTolerance);
  vulkan::test::require_no_validation_messages(gpu->context());
}

TEST_CASE("vulkan-llamacpp computes what cpu-llamacpp computes, bit for bit on lavapipe") {
  // stories260K covers the host SwiGLU (n_ff 172) and the F32 ggml_vec_dot_f32 order; gpt2 the GELU table.
  const char* name =
      GENERATE("synthetic/synth-llama-Q4_K_M.gguf", "synthetic/synth-qwen2-Q8_0.gguf",
               "synthetic/synth-llama-Q5_1.gguf", "stories260K.gguf", "synthetic/synth-gpt2-Q8_0.gguf");
  INFO(name);
  auto model = model::Model::load(test::require_shared(std::string("models/") + name));
  compare_with_cpu(*model, name);
}

TEST_CASE(
    "vulkan-llamacpp computes what cpu-llamacpp computes on qwen3, phi3 and with Llama 3.1's RoPE scaling") {
  // ../shared has neither: synthetic models (tests/engine/test_architectures.cpp checks the CPU engine's
  // against a textbook forward pass).
  const char* shape = GENERATE("test-tiny-qwen3", "test-tiny-llama3", "test-tiny-phi3", "test-tiny-smollm3");
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  compare_with_cpu(*model, shape);
}

TEST_CASE("vulkan-llamacpp computes what cpu-llamacpp computes on starcoder2, stablelm and internlm2") {
  // (LayerNorms with biases and biased GELU as gpt2's, biased q, k and v as qwen2's, partial NeoX RoPE)
  const char* shape = GENERATE("test-tiny-starcoder2", "test-tiny-stablelm", "test-tiny-internlm2");
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  compare_with_cpu(*model, shape);
}

TEST_CASE(
    "vulkan-llamacpp computes what cpu-llamacpp computes on baichuan, orion, xverse, starcoder, olmo, "
    "chatglm and "
    "qwen (Qwen 1)") {
  // (llama's layers; Orion's LayerNorms with biases as gpt2's, NeoX RoPE as qwen2's; starcoder: gpt2's block,
  // whose GELU table and learned positions it runs, over one KV head; olmo without clip_qkv: llama's layers
  // with LayerNorms whose gains are 1; packed q|k|v with biases, chatglm's half-head RoPE in adjacent pairs
  // and packed gate|up, qwen's NeoX)
  const char* shape =
      GENERATE("test-tiny-baichuan", "test-tiny-orion", "test-tiny-xverse", "test-tiny-starcoder",
               "test-tiny-starcoder-untied", "test-tiny-olmo", "test-tiny-chatglm", "test-tiny-qwen");
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  compare_with_cpu(*model, shape);
}

TEST_CASE("vulkan-llamacpp computes what cpu-llamacpp computes with YaRN and LongRoPE scaling") {
  // (its session of 80 positions is past the LongRoPE model's original 32: the long factors)
  const std::string name = GENERATE("yarn-test-tiny", "yarn-test-tiny-qwen3", "longrope");
  auto model = model::Model::load(name == "longrope" ? test::longrope_model_file()
                                                     : test::yarn_model_file(name.substr(5)));
  compare_with_cpu(*model, name.c_str());
}

TEST_CASE("vulkan-llamacpp refuses olmo's clamped q, k and v by name (cpu-llamacpp runs them)") {
  check_refused("test-tiny-olmo-clip", "does not run olmo with q, k and v clamped (attention.clamp_kqv)");
}

TEST_CASE("vulkan-llamacpp refuses gemma3 by name (cpu-llamacpp runs it)") {
  check_refused("test-tiny-gemma3", "does not run gemma3");
}

TEST_CASE("vulkan-llamacpp refuses apertus's xIELU by name (cpu-llamacpp runs it)") {
  check_refused("test-tiny-apertus", "does not run apertus (scaled embeddings, GeGLU, ReLU², xIELU)");
}

TEST_CASE("vulkan-llamacpp refuses Ministral 3's attention temperature by name (cpu-llamacpp runs it)") {
  check_refused("test-tiny-mistral3", "does not run mistral3 with Llama 4's attention temperature tuning");
}

TEST_CASE("vulkan-llamacpp refuses parallel blocks by name (cpu-llamacpp runs them)") {
  check_refused("test-tiny-gptneox", "does not run parallel blocks (gptneox)");
}

TEST_CASE("vulkan-llamacpp refuses falcon and nemotron by name (cpu-llamacpp runs them)") {
  // (Falcon's parallel block; Nemotron's ReLU²)
  check_refused("test-tiny-falcon", "does not run parallel blocks (falcon)");
  check_refused("test-tiny-nemotron", "does not run nemotron (");
}

TEST_CASE("vulkan-llamacpp refuses deci by name (cpu-llamacpp runs it)") {
  // (Llama-Nemotron's layers without attention, attention replaced by one matrix, KV heads per layer)
  check_refused("test-tiny-deci", "does not run deci (layers of their own shapes");
}

TEST_CASE("vulkan-llamacpp attention maps are distributions and match cpu-llamacpp") {
  auto model = model::Model::load(test::require_shared("models/synthetic/synth-llama-Q8_0.gguf"));
  auto gpu = exact_backend(*model);
  cpu::CpuBackend cpu(*model, 0, model::Rounding::LlamaCpp);
  const auto& tokens = test::kLlamaReferenceTokens;
  model::Session s(*model, *gpu, 40), cs(*model, cpu, 40);
  gpu->forward(s, tokens, false);
  cpu.forward(cs, tokens, false);
  const int64_t n = static_cast<int64_t>(tokens.size());
  for (int64_t layer : {0, 3})
    for (int64_t head : {0, 5}) {
      const auto g = gpu->attention(s, layer, head, {0, n}, {0, n});
      const auto c = cpu.attention(cs, layer, head, {0, n}, {0, n});
      CHECK(max_abs_diff(g.probs, c.probs) < 1e-4f);
      for (int64_t q = 0; q < n; ++q) {
        double sum = 0;
        for (int64_t k = 0; k < n; ++k) sum += g.probs[static_cast<size_t>(q * n + k)];
        CHECK(std::fabs(sum - 1.0) < 1e-4);
      }
    }
  const auto gsum = gpu->attention_summary(s, {1, n});
  const auto csum = cpu.attention_summary(cs, {1, n});
  REQUIRE(gsum.size() == csum.size());
  for (size_t i = 0; i < gsum.size(); ++i) {
    CHECK(std::fabs(gsum[i].entropy - csum[i].entropy) < 1e-3f);
    CHECK(std::fabs(gsum[i].max_prob - csum[i].max_prob) < 1e-4f);
  }
  vulkan::test::require_no_validation_messages(gpu->context());
}

#ifdef GLASSWING_CLI_PATH
TEST_CASE("glasswing-cli logits --backend vulkan-llamacpp writes llama.cpp's logits") {
  vulkan::test::context();  // exits 77 without a Vulkan device
  const auto model_path = test::require_shared("models/synthetic/synth-llama-Q4_K_M.gguf");
  const auto ref =
      test::read_f32_file(test::require_shared("reference/logits/synth-llama-Q4_K_M.logits.f32"));
  const auto dir = test::temp_dir("vulkan_llamacpp_cli");
  std::string tokens;
  for (int32_t t : test::kLlamaReferenceTokens) tokens += (tokens.empty() ? "" : ",") + std::to_string(t);
  const std::string cmd = "'" + vulkan::test::cli_path() + "' logits --backend vulkan-llamacpp -m '" +
                          model_path.string() + "' --tokens " + tokens + " --out '" +
                          (dir / "logits.f32").string() + "' > '" + (dir / "out.txt").string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  INFO(test::read_file(dir / "out.txt"));
  REQUIRE(status == 0);
  const auto logits = test::read_f32_file(dir / "logits.f32");
  const float d = max_abs_diff(logits, ref);
  std::printf("glasswing-cli logits --backend vulkan-llamacpp synth-llama-Q4_K_M: max|d| %.3g\n", d);
  CHECK(d <= kTolerance);
}
#endif
