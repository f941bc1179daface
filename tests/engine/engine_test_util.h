#pragma once
// Helpers shared by the engine tests: the shared models with llama.cpp reference logits, the reference
// token sequences of ../shared/README.md, a loader for the reference logits files and a logits comparison.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "inference/gguf/ggml_type.h"
#include "inference/synth/synth_model.h"
#include "tests/test_support.h"

namespace glasswing::test {

// A shared model and its llama.cpp logits for the reference tokens below.
struct ReferenceModel {
  const char* model;      // under models/
  const char* reference;  // under reference/logits/
  bool gpt2;              // fed kGpt2ReferenceTokens, not kLlamaReferenceTokens
  bool quantized;         // has 8-bit-rounded matmul activations in llama.cpp
};

inline constexpr ReferenceModel kReferenceModels[] = {
    {"stories260K.gguf", "stories260K", false, false},
    {"synthetic/synth-llama-F16.gguf", "synth-llama-F16", false, false},
    {"synthetic/synth-llama-Q8_0.gguf", "synth-llama-Q8_0", false, true},
    {"synthetic/synth-llama-Q4_0.gguf", "synth-llama-Q4_0", false, true},
    {"synthetic/synth-llama-Q4_1.gguf", "synth-llama-Q4_1", false, true},
    {"synthetic/synth-llama-Q5_0.gguf", "synth-llama-Q5_0", false, true},
    {"synthetic/synth-llama-Q5_1.gguf", "synth-llama-Q5_1", false, true},
    {"synthetic/synth-llama-Q2_K.gguf", "synth-llama-Q2_K", false, true},
    {"synthetic/synth-llama-Q3_K_M.gguf", "synth-llama-Q3_K_M", false, true},
    {"synthetic/synth-llama-Q4_K_M.gguf", "synth-llama-Q4_K_M", false, true},
    {"synthetic/synth-llama-Q5_K_M.gguf", "synth-llama-Q5_K_M", false, true},
    {"synthetic/synth-llama-Q6_K.gguf", "synth-llama-Q6_K", false, true},
    {"synthetic/synth-qwen2-f32.gguf", "synth-qwen2-f32", false, false},
    {"synthetic/synth-qwen2-Q8_0.gguf", "synth-qwen2-Q8_0", false, true},
    {"synthetic/synth-qwen2-Q4_K_M.gguf", "synth-qwen2-Q4_K_M", false, true},
    {"synthetic/synth-gpt2-Q8_0.gguf", "synth-gpt2-Q8_0", true, true},
};

// BOS + "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun."
inline const std::vector<int32_t> kLlamaReferenceTokens = {
    1,   403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426,
    338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 262, 379, 426};
// "The quick brown fox jumps over the lazy dog. Attention is all you need!"
inline const std::vector<int32_t> kGpt2ReferenceTokens = {464,  2068, 7586,  21831, 18045, 625, 262, 16931,
                                                          3290, 13,   47406, 318,   477,   345, 761, 0};

inline std::vector<float> read_f32_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::vector<float> v(std::filesystem::file_size(path) / sizeof(float));
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
  return v;
}

// Largest |a[i] - b[i]|; a and b must be the same length.
inline float max_abs_diff(std::span<const float> a, std::span<const float> b) {
  REQUIRE(a.size() == b.size());
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

// A synthetic model of one of synth's shapes (e.g. "test-tiny-qwen3": the architectures that ../shared has no
// model of), written once per process into a temporary folder.
inline std::filesystem::path synth_model_file(const std::string& shape, gguf::GgmlType type) {
  static const std::filesystem::path dir = temp_dir("synth-models");
  const auto path = dir / (shape + "-" + gguf::ggml_type_name(type) + ".gguf");
  if (!std::filesystem::exists(path)) {
    const synth::Shape* s = synth::find_shape(shape);
    REQUIRE(s != nullptr);
    synth::Options o;
    o.shape = *s;
    o.type = type;
    synth::write_model(o, path);
  }
  return path;
}

}  // namespace glasswing::test
