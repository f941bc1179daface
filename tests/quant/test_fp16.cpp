// fp16 / bf16 conversions against hand-computed bit patterns and, where the CPU has it, F16C hardware.
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "inference/quant/cpu_features.h"
#include "inference/quant/fp16.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace glasswing::quant;

TEST_CASE("fp16 to f32 decodes known bit patterns") {
  CHECK(fp16_to_f32(0x3c00) == 1.0f);
  CHECK(fp16_to_f32(0xc000) == -2.0f);
  CHECK(fp16_to_f32(0x3555) == 0x1.554p-2f);  // 0.333251953125
  CHECK(fp16_to_f32(0x7bff) == 65504.0f);
  CHECK(fp16_to_f32(0x0400) == 0x1p-14f);  // smallest normal
  CHECK(fp16_to_f32(0x0001) == 0x1p-24f);  // smallest subnormal
  CHECK(fp16_to_f32(0x03ff) == 1023 * 0x1p-24f);
  CHECK(fp16_to_f32(0x8001) == -0x1p-24f);
  CHECK(std::bit_cast<uint32_t>(fp16_to_f32(0x8000)) == 0x80000000u);  // -0
  CHECK(fp16_to_f32(0x7c00) == std::numeric_limits<float>::infinity());
  CHECK(fp16_to_f32(0xfc00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(fp16_to_f32(0x7e00)));
  CHECK(std::isnan(fp16_to_f32(0x7c01)));  // signalling NaN stays a NaN
}

TEST_CASE("f32 to fp16 rounds to nearest even, keeps subnormals, saturates to inf") {
  CHECK(f32_to_fp16(1.0f) == 0x3c00);
  CHECK(f32_to_fp16(-2.0f) == 0xc000);
  CHECK(f32_to_fp16(1.0f + 0x1p-11f) == 0x3c00);      // tie -> even (down)
  CHECK(f32_to_fp16(1.0f + 3 * 0x1p-11f) == 0x3c02);  // tie -> even (up)
  CHECK(f32_to_fp16(1.0f + 0x1p-11f + 0x1p-20f) == 0x3c01);
  CHECK(f32_to_fp16(65504.0f) == 0x7bff);
  CHECK(f32_to_fp16(65519.0f) == 0x7bff);
  CHECK(f32_to_fp16(65520.0f) == 0x7c00);
  CHECK(f32_to_fp16(1e10f) == 0x7c00);
  CHECK(f32_to_fp16(-1e10f) == 0xfc00);
  CHECK(f32_to_fp16(0x1p-24f) == 0x0001);
  CHECK(f32_to_fp16(0x1p-25f) == 0x0000);  // tie -> even (0)
  CHECK(f32_to_fp16(0x1p-25f * 1.0001f) == 0x0001);
  CHECK(f32_to_fp16(3 * 0x1p-25f) == 0x0002);  // tie -> even (2)
  CHECK(f32_to_fp16(1023 * 0x1p-24f) == 0x03ff);
  CHECK(f32_to_fp16(0x1p-14f - 0x1p-26f) == 0x0400);  // rounds up into the normals
  CHECK(f32_to_fp16(1e-10f) == 0x0000);
  CHECK(f32_to_fp16(-1e-10f) == 0x8000);
  CHECK(f32_to_fp16(std::numeric_limits<float>::infinity()) == 0x7c00);
  const uint16_t nan = f32_to_fp16(std::numeric_limits<float>::quiet_NaN());
  CHECK((nan & 0x7c00) == 0x7c00);
  CHECK((nan & 0x03ff) != 0);
}

TEST_CASE("every fp16 value survives a round trip through f32") {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = fp16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      REQUIRE((f32_to_fp16(f) & 0x7c00) == 0x7c00);
      continue;
    }
    REQUIRE(f32_to_fp16(f) == h);
  }
}

#if defined(__x86_64__)
__attribute__((target("f16c"))) static uint16_t hw_f32_to_fp16(float f) {
  return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
}
__attribute__((target("f16c"))) static float hw_fp16_to_f32(uint16_t h) {
  return _cvtsh_ss(h);
}

TEST_CASE("fp16 conversions equal F16C hardware on random and boundary floats") {
  if (!cpu_has_f16c()) {
    WARN("CPU has no F16C; hardware comparison not run");
    return;
  }
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float a = fp16_to_f32(static_cast<uint16_t>(h)), b = hw_fp16_to_f32(static_cast<uint16_t>(h));
    REQUIRE(std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b));
  }
  std::mt19937 rng(42);
  for (int i = 0; i < 2000000; ++i) {
    uint32_t bits = rng();
    // Half the samples in the interesting exponent range (around fp16's normal/subnormal span).
    if (i & 1) bits = (bits & 0x807fffffu) | ((100u + rng() % 45u) << 23);
    const float f = std::bit_cast<float>(bits);
    if (std::isnan(f)) continue;
    REQUIRE(f32_to_fp16(f) == hw_f32_to_fp16(f));
  }
}
#endif

TEST_CASE("bf16 conversions") {
  CHECK(bf16_to_f32(0x3f80) == 1.0f);
  CHECK(bf16_to_f32(0xc040) == -3.0f);
  CHECK(bf16_to_f32(0x0001) == 0x1p-133f);  // subnormal kept
  CHECK(bf16_to_f32(0x7f80) == std::numeric_limits<float>::infinity());
  CHECK(f32_to_bf16(1.0f) == 0x3f80);
  CHECK(f32_to_bf16(1.0f + 0x1p-8f) == 0x3f80);             // tie -> even (down)
  CHECK(f32_to_bf16(1.0f + 3 * 0x1p-8f) == 0x3f82);         // tie -> even (up)
  CHECK(f32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f) == 0x3f81);  // above the tie
  CHECK(f32_to_bf16(0x1p-133f) == 0x0001);
  CHECK(f32_to_bf16(std::numeric_limits<float>::max()) == 0x7f80);      // rounds up to inf
  const uint16_t nan = f32_to_bf16(std::bit_cast<float>(0x7f800001u));  // signalling NaN
  CHECK((nan & 0x7f80) == 0x7f80);
  CHECK((nan & 0x0040) != 0);  // made quiet
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = bf16_to_f32(static_cast<uint16_t>(h));
    if (!std::isnan(f)) REQUIRE(f32_to_bf16(f) == h);
  }
}
