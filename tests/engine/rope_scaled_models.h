#pragma once
// Tiny synthetic models with RoPE scaling that ../shared has no model of, for the engine and Vulkan tests:
// YaRN (Qwen2.5 / Qwen3 long-context GGUFs) and LongRoPE (Phi-3.5, Phi-4-mini, Phi-3.5-MoE, MiniCPM4).
#include <filesystem>
#include <string>
#include <vector>

#include "tests/engine/engine_test_util.h"
#include "tests/gguf_copy.h"
#include "tests/test_support.h"

namespace glasswing::test {

// `shape` (test-tiny: llama pairs, test-tiny-qwen3: NeoX) with 4x YaRN over an original context of 64.
inline std::filesystem::path yarn_model_file(const std::string& shape) {
  const std::string arch = shape == "test-tiny" ? "llama" : "qwen3";
  const auto out = temp_dir("rope-scaled-models") / ("yarn-" + shape + ".gguf");
  rewrite_model(synth_model_file(shape, gguf::GgmlType::Q8_0), out, [&](gguf::GgufWriter& w) {
    w.set_string(arch + ".rope.scaling.type", "yarn");
    w.set_f32(arch + ".rope.scaling.factor", 4.0f);
    w.set_u32(arch + ".rope.scaling.original_context_length", 64);
  });
  return out;
}

// `shape` (test-tiny-phi3, test-tiny-minicpm, test-tiny-minicpm3 or test-tiny-phimoe) with LongRoPE: short
// and long factors over an original context of 32 (of the trained 128), rotary on 32 dimensions (phi3: of its
// 64, as Phi-4-mini rotates three quarters; minicpm3: its 16), and attn_factor 1.19 where the converter
// writes one (phi3, phimoe: not MiniCPM's). with_short: false leaves the short factors out (a broken file).
inline std::filesystem::path longrope_model_file(bool with_short = true,
                                                 const std::string& shape = "test-tiny-phi3") {
  const std::string arch =
      shape == "test-tiny-phi3" ? "phi3" : shape.substr(std::string("test-tiny-").size());
  const size_t pairs = arch == "minicpm3" ? 8 : 16;  // (MiniCPM3's tiny heads turn 16 dimensions)
  std::vector<float> shorter(pairs), longer(pairs);
  for (size_t i = 0; i < pairs; ++i) {
    shorter[i] = 1.0f + 0.05f * static_cast<float>(i);
    longer[i] = 1.0f + 0.6f * static_cast<float>(i);
  }
  std::vector<std::pair<std::string, std::vector<float>>> vectors = {{"rope_factors_long.weight", longer}};
  if (with_short) vectors.emplace_back("rope_factors_short.weight", shorter);
  const auto out = temp_dir("rope-scaled-models") / ((with_short ? "longrope" : "longrope-half") +
                                                     (arch == "phi3" ? "" : "-" + arch) + ".gguf");
  rewrite_model(
      synth_model_file(shape, gguf::GgmlType::Q8_0), out,
      [&](gguf::GgufWriter& w) {
        w.set_u32(arch + ".rope.dimension_count", static_cast<uint32_t>(2 * pairs));
        w.set_u32(arch + ".rope.scaling.original_context_length", 32);
        if (arch.rfind("minicpm", 0) != 0) w.set_f32(arch + ".rope.scaling.attn_factor", 1.19f);
      },
      vectors);
  return out;
}

}  // namespace glasswing::test
