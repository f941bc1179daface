#pragma once
// The table the RoPE shaders read (shaders/common/rope_angle.glsl). A GPU's float angle pos·ω and its cos of
// that angle lose precision as the position grows: NVIDIA's cos reduces its argument in single precision, and
// an H100/H200 run found its rotated queries 1.4e-4 off the CPU engine's at position 599 alone (the error
// grows with the position, to whole percent at 100k). So each pair's frequency is computed here in double, as
// the CPU engine computes it, and stored as turns per position in 64-bit fixed point; the shader multiplies
// by the position in integer arithmetic, keeps the fraction of a turn and only then makes it a float angle in
// [−π, π): the angle is exact to ~2^-32 turns at any position, and cos and sin see arguments where they are
// accurate.
#include <cstdint>
#include <span>
#include <vector>

namespace glasswing::vulkan {

// For n_rot rotated dims (even): pair i's frequency ω_i = base^(−2i/n_rot) / divisor_i (divisor 1 past the
// end of `divisors`) as ω_i / 2π turns, whole turns dropped (positions are integers), in units of 2^-64: the
// high word at [2i], the low word at [2i + 1]; then at [n_rot] the magnitude of cos and sin (float bits).
std::vector<uint32_t> rope_table(double base, uint32_t n_rot, std::span<const float> divisors, float mscale);

// Pair i's angle at position pos from such a table, reduced to [−π, π), as rope_angle.glsl computes it (tests
// check the shader against it and it against the double-precision angle).
float rope_table_angle(std::span<const uint32_t> table, uint32_t pos, uint32_t i);

}  // namespace glasswing::vulkan
