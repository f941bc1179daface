#include "inference/vulkan/rope_table.h"

#include <bit>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace glasswing::vulkan {

std::vector<uint32_t> rope_table(double base, uint32_t n_rot, std::span<const float> divisors, float mscale) {
  if (n_rot % 2 != 0)
    throw std::invalid_argument("RoPE needs an even number of rotated dims, not " + std::to_string(n_rot));
  std::vector<uint32_t> t(size_t{n_rot} + 1);
  for (uint32_t i = 0; i < n_rot / 2; ++i) {
    // the CPU engine's θ = pos · base^(−2i/n_rot) / divisor, per position and in turns
    double omega = std::pow(base, -2.0 * i / n_rot);
    if (i < divisors.size()) omega /= double(divisors[i]);
    if (!std::isfinite(omega) || omega < 0)
      throw std::invalid_argument("RoPE pair " + std::to_string(i) + " has no finite frequency");
    const double turns = omega / (2 * std::numbers::pi);
    // (exact: a double's fraction times a power of two; below 1, so below 2^64)
    const auto fixed = static_cast<uint64_t>(std::ldexp(turns - std::floor(turns), 64));
    t[2 * i] = static_cast<uint32_t>(fixed >> 32);
    t[2 * i + 1] = static_cast<uint32_t>(fixed);
  }
  t[n_rot] = std::bit_cast<uint32_t>(mscale);
  return t;
}

float rope_table_angle(std::span<const uint32_t> table, uint32_t pos, uint32_t i) {
  const uint64_t low = uint64_t{pos} * table[2 * i + 1];
  const auto turn = static_cast<uint32_t>(pos * table[2 * i] + static_cast<uint32_t>(low >> 32));
  return static_cast<float>(static_cast<int32_t>(turn)) * 1.46291807926715968e-9f;  // 2π / 2^32
}

}  // namespace glasswing::vulkan
