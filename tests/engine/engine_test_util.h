#pragma once
// Helpers shared by the engine tests: the reference token sequences of ../shared/README.md and a loader
// for the reference logits files.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace glasswing::test {

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

}  // namespace glasswing::test
