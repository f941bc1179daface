#pragma once
// Every ggml tensor type a GGUF file may name, with its block geometry. Knowing the byte size of every
// type (also the ones we cannot run) lets the reader validate any file and name what is unsupported.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace glasswing::gguf {

enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3,
  // 4 and 5 (Q4_2, Q4_3) were removed from ggml long ago.
  Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  // 31..33 (Q4_0_4_4, Q4_0_4_8, Q4_0_8_8) were removed.
  TQ1_0 = 34, TQ2_0 = 35,
  // 36..38 (IQ4_NL_4_4, ...) were removed.
  MXFP4 = 39,
};

struct GgmlTypeTraits {
  std::string_view name;    // as ggml prints it, e.g. "q4_K"
  uint32_t block_elements;  // elements per block (1 for plain types)
  uint32_t block_bytes;     // bytes per block
};

// Traits of a type id read from a file; nullopt for ids no ggml version defines.
std::optional<GgmlTypeTraits> ggml_type_traits(uint32_t type_id);
GgmlTypeTraits ggml_type_traits(GgmlType type);  // for known enum values
std::string ggml_type_name(GgmlType type);
std::optional<GgmlType> ggml_type_from_name(std::string_view name);  // case-insensitive

}  // namespace glasswing::gguf
