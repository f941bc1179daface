// A minimal CPU dequantizer for the plain types, q8_0 and q4_0, written from ggml's block layouts, until
// quant::dequantize_row (the engine's, covering every type) is available to this branch.
#include "tests/vulkan/reference_dequant.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace glasswing::vulkan::test {

using gguf::GgmlType;

namespace {
float half_to_float(uint16_t h) {
  const uint32_t sign = h >> 15, exp = (h >> 10) & 31, mant = h & 1023;
  float v;
  if (exp == 0)
    v = std::ldexp(float(mant), -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = std::ldexp(float(mant | 1024), int(exp) - 25);
  return sign ? -v : v;
}
uint16_t u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
}  // namespace

std::vector<GgmlType> reference_types() {
  return {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0};
}

void reference_dequantize(GgmlType type, const void* src, float* dst, int64_t n) {
  const auto* p = static_cast<const uint8_t*>(src);
  switch (type) {
    case GgmlType::F32:
      std::memcpy(dst, p, n * 4);
      return;
    case GgmlType::F16:
      for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(u16(p + 2 * i));
      return;
    case GgmlType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint32_t u = uint32_t{u16(p + 2 * i)} << 16;
        std::memcpy(&dst[i], &u, 4);
      }
      return;
    case GgmlType::Q8_0:
      for (int64_t b = 0; b < n / 32; ++b, p += 34) {
        const float d = half_to_float(u16(p));
        for (int i = 0; i < 32; ++i) dst[b * 32 + i] = d * static_cast<int8_t>(p[2 + i]);
      }
      return;
    case GgmlType::Q4_0:
      for (int64_t b = 0; b < n / 32; ++b, p += 18) {
        const float d = half_to_float(u16(p));
        for (int i = 0; i < 16; ++i) {
          dst[b * 32 + i] = d * (float(p[2 + i] & 15) - 8);
          dst[b * 32 + 16 + i] = d * (float(p[2 + i] >> 4) - 8);
        }
      }
      return;
    default:
      throw std::invalid_argument("no reference dequantizer for this type");
  }
}

}  // namespace glasswing::vulkan::test
