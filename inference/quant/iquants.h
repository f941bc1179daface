#pragma once
// The i-quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S) and the ternary types (TQ1_0, TQ2_0)
// decoded to small integers under per-16-element scales: one form that the CPU dequantizer, its dot product
// and the Vulkan engine's upload all read, so every engine computes with the same numbers.
#include <array>
#include <cstdint>
#include <type_traits>

#include "inference/gguf/ggml_type.h"

namespace glasswing::quant {

// 32 consecutive elements of such a block: element j is d[j / 16] · q[j], bit for bit the float ggml's
// dequantizer computes. The grids' magnitudes are the codes (IQ2: 8, 25, 43; IQ3_XXS: 4 .. 62; IQ3_S:
// 1 .. 15) under the block's scale; IQ1's value scale · (g ± 1/8), g in {-1, 0, 1}, is the code 8g ± 1
// under scale / 8 (exact: a power-of-two division of a normal float); the ternary types' codes are -1, 0, 1.
struct Sub32 {
  float d[2];
  int8_t q[32];
};

// True for the nine types decode_block reads.
bool is_sub32_type(gguf::GgmlType type);

// f(std::integral_constant<GgmlType, T>{}) for the one of the nine types T that type is, else none: one
// switch for every table of per-type kernels.
template <typename F, typename R>
R with_sub32_type(gguf::GgmlType type, F f, R none) {
  using T = gguf::GgmlType;
  switch (type) {
    case T::IQ1_S:
      return f(std::integral_constant<T, T::IQ1_S>{});
    case T::IQ1_M:
      return f(std::integral_constant<T, T::IQ1_M>{});
    case T::IQ2_XXS:
      return f(std::integral_constant<T, T::IQ2_XXS>{});
    case T::IQ2_XS:
      return f(std::integral_constant<T, T::IQ2_XS>{});
    case T::IQ2_S:
      return f(std::integral_constant<T, T::IQ2_S>{});
    case T::IQ3_XXS:
      return f(std::integral_constant<T, T::IQ3_XXS>{});
    case T::IQ3_S:
      return f(std::integral_constant<T, T::IQ3_S>{});
    case T::TQ1_0:
      return f(std::integral_constant<T, T::TQ1_0>{});
    case T::TQ2_0:
      return f(std::integral_constant<T, T::TQ2_0>{});
    default:
      return none;
  }
}

// The eight Sub32 of the 256-element block at `block` (the type's block_bytes bytes, any alignment).
void decode_block(gguf::GgmlType type, const void* block, Sub32 (&out)[8]);

// IQ1's grid (iq_grids.h kIq1sGrid) with each point g in {-1, 0, 1} as the byte 8g: the codes before the
// ±1 of the delta.
const std::array<uint64_t, 2048>& iq1_code_table();

}  // namespace glasswing::quant
