// Every dot kernel (portable, AVX2 where the CPU has it, and the dispatched dot_row) must equal the simple
// decode-then-multiply reference on random rows.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "inference/gguf/ggml_type.h"
#include "inference/quant/activation.h"
#include "inference/quant/blocks.h"
#include "inference/quant/dot_kernels.h"
#include "inference/quant/fp16.h"
#include "inference/quant/quant.h"
#include "inference/quant/quant_internal.h"

using glasswing::gguf::GgmlType;
using namespace glasswing::quant;

namespace {

struct ScaleField {
  size_t offset;
  bool is_min;
};

// Where the fp16 scales sit in each block (ggml-common.h); random bytes there would often be inf/NaN.
std::vector<ScaleField> scale_fields(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_0:
    case GgmlType::Q5_0:
    case GgmlType::Q8_0:
    case GgmlType::IQ4_NL:
    case GgmlType::IQ4_XS:  // (its 6-bit sub-block scales are any byte values)
      return {{0, false}};
    case GgmlType::Q4_1:
    case GgmlType::Q5_1:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
      return {{0, false}, {2, true}};
    case GgmlType::Q2_K:
      return {{80, false}, {82, true}};
    case GgmlType::Q3_K:
      return {{108, false}};
    case GgmlType::Q6_K:
      return {{208, false}};
    default:
      return {};
  }
}

std::vector<uint8_t> random_row(GgmlType t, int64_t n, std::mt19937& rng) {
  const auto traits = glasswing::gguf::ggml_type_traits(t);
  std::vector<uint8_t> row(static_cast<size_t>(n / traits.block_elements * traits.block_bytes));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  if (t == GgmlType::F32) {
    for (int64_t i = 0; i < n; ++i) {
      const float v = normal(rng);
      std::memcpy(&row[4 * i], &v, 4);
    }
    return row;
  }
  if (t == GgmlType::F16 || t == GgmlType::BF16) {
    for (int64_t i = 0; i < n; ++i) {
      const uint16_t h = t == GgmlType::F16 ? f32_to_fp16(normal(rng)) : f32_to_bf16(normal(rng));
      std::memcpy(&row[2 * i], &h, 2);
    }
    return row;
  }
  for (auto& b : row) b = static_cast<uint8_t>(rng());
  if (t == GgmlType::MXFP4) {  // each block's E8M0 exponent: scales 2^-10 .. 2^-2 (weights' range)
    for (size_t blk = 0; blk < row.size() / traits.block_bytes; ++blk)
      row[blk * traits.block_bytes] = static_cast<uint8_t>(118 + rng() % 9);
    return row;
  }
  std::uniform_real_distribution<float> scale(0.001f, 0.05f);
  for (size_t blk = 0; blk < row.size() / traits.block_bytes; ++blk) {
    for (const auto& f : scale_fields(t)) {
      const float v = f.is_min ? scale(rng) * 4 : (rng() & 1 ? -1.0f : 1.0f) * scale(rng);
      const uint16_t h = f32_to_fp16(v);
      std::memcpy(&row[blk * traits.block_bytes + f.offset], &h, 2);
    }
  }
  return row;
}

const GgmlType kTypes[] = {GgmlType::F32,  GgmlType::F16,    GgmlType::BF16,   GgmlType::Q8_0,
                           GgmlType::Q4_0, GgmlType::Q4_1,   GgmlType::Q5_0,   GgmlType::Q5_1,
                           GgmlType::Q2_K, GgmlType::Q3_K,   GgmlType::Q4_K,   GgmlType::Q5_K,
                           GgmlType::Q6_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS, GgmlType::MXFP4};

}  // namespace

TEST_CASE("fast dot kernels equal the reference on random rows") {
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const bool avx2 = kernels::cpu_has_avx2();
  if (!avx2) WARN("CPU without AVX2/FMA/F16C: only the portable kernels are compared");
  for (GgmlType t : kTypes) {
    const auto block = glasswing::gguf::ggml_type_traits(t).block_elements;
    std::vector<int64_t> sizes = {256, 768, 4096, 11008 / 256 * 256};
    if (block == 1) sizes.insert(sizes.end(), {1, 7, 37, 1001});
    for (int64_t n : sizes) {
      if (n % block) continue;
      for (int trial = 0; trial < 3; ++trial) {
        INFO(glasswing::gguf::ggml_type_name(t) << " n=" << n << " trial " << trial);
        const auto row = random_row(t, n, rng);
        std::vector<float> x(static_cast<size_t>(n)), w(static_cast<size_t>(n));
        for (auto& v : x) v = normal(rng);
        dequantize_row(t, row.data(), w.data(), n);
        double magnitude = 0;
        for (int64_t i = 0; i < n; ++i) magnitude += std::fabs(double(w[i]) * x[i]);
        const double ref = dot_row_reference(t, row.data(), x.data(), n);
        const double tol = 1e-5 * magnitude + 1e-30;
        REQUIRE(std::isfinite(ref));
        REQUIRE(std::fabs(kernels::portable(t)(row.data(), x.data(), n) - ref) <= tol);
        REQUIRE(std::fabs(dot_row(t, row.data(), x.data(), n) - ref) <= tol);
        REQUIRE(row_dot(t, n)(row.data(), x.data(), n) == dot_row(t, row.data(), x.data(), n));
        if (const RowDotMins mins = row_dot_mins(t, n)) {  // q4_K, q5_K with AVX2: x's sums precomputed
          std::vector<float> sums(static_cast<size_t>(n / 32));
          sums_of_32(x.data(), n, sums.data());
          REQUIRE(std::fabs(mins(row.data(), x.data(), sums.data(), n) - ref) <= tol);
        }
        if (avx2) {
          REQUIRE(kernels::avx2(t) != nullptr);
          REQUIRE(std::fabs(kernels::avx2(t)(row.data(), x.data(), n) - ref) <= tol);
        }
      }
    }
  }
}

TEST_CASE("row_dot_mins exists for q4_K and q5_K with AVX2 and sums_of_32 adds each 32") {
  const bool avx2 = kernels::cpu_has_avx2();
  CHECK((row_dot_mins(GgmlType::Q4_K, 256) != nullptr) == avx2);
  CHECK((row_dot_mins(GgmlType::Q5_K, 512) != nullptr) == avx2);
  CHECK(row_dot_mins(GgmlType::Q6_K, 256) == nullptr);
  CHECK(row_dot_mins(GgmlType::Q8_0, 64) == nullptr);
  if (avx2) CHECK_THROWS_WITH(row_dot_mins(GgmlType::Q4_K, 100), Catch::Contains("not a multiple"));
  std::vector<float> x(96), sums(3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) - 2.5f;
  sums_of_32(x.data(), 96, sums.data());
  for (int k = 0; k < 3; ++k) {
    double want = 0;
    for (int i = 0; i < 32; ++i) want += x[32 * k + i];
    CHECK(sums[k] == Approx(want).margin(1e-5));
  }
}

TEST_CASE("row_dot refuses what dot_row refuses") {
  CHECK_THROWS_WITH(row_dot(GgmlType::Q4_0, 33), Catch::Contains("not a multiple of q4_0's block size 32"));
  CHECK_THROWS_WITH(row_dot(static_cast<GgmlType>(1000), 32), Catch::Contains("unsupported tensor type"));
  CHECK(row_dot(GgmlType::Q8_0, 64) != nullptr);
}

TEST_CASE("dot_row of a hand-built q4_0 block") {
  // d = 0.5; element j has code j % 16 (value (j % 16 - 8) * 0.5); x = 1 everywhere but x[3] = 2.
  std::vector<uint8_t> b(18);
  b[0] = 0x00;
  b[1] = 0x38;
  for (int j = 0; j < 16; ++j) b[2 + j] = static_cast<uint8_t>(j | (j << 4));
  std::vector<float> x(32, 1.0f);
  x[3] = 2.0f;
  // sum over both halves of (j - 8) * 0.5 = 2 * 0.5 * (-8) = -8; plus the extra x[3]: (3 - 8) * 0.5 = -2.5.
  CHECK(dot_row(GgmlType::Q4_0, b.data(), x.data(), 32) == Approx(-10.5f));
}

TEST_CASE("quantize_activation: 8-bit codes per 32 within half a step, per-16 sums") {
  std::mt19937 rng(77);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> x(96);
  for (auto& v : x) v = normal(rng);
  x[40] = 0;  // a block with an exact zero
  QuantizedActivation xq;
  quantize_activation(x.data(), 96, xq);
  REQUIRE(xq.n == 96);
  REQUIRE(xq.d.size() == 3);
  for (int b = 0; b < 3; ++b) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[32 * b + j]));
    CHECK(xq.d[b] == Approx(amax / 127));
    for (int h = 0; h < 2; ++h) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += xq.qs[32 * b + 16 * h + j];
      CHECK(xq.sums[2 * b + h] == sum);
    }
    for (int j = 0; j < 32; ++j)
      REQUIRE(std::fabs(xq.d[b] * xq.qs[32 * b + j] - x[32 * b + j]) <= xq.d[b] * 0.5001f);
  }
}

TEST_CASE("8-bit activation kernels equal the exact dot with the rounded activation") {
  std::mt19937 rng(4321);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const bool avx2 = kernels::cpu_has_avx2();
  for (GgmlType t : kTypes) {
    const auto block = glasswing::gguf::ggml_type_traits(t).block_elements;
    for (int64_t n : {256, 768, 4096}) {
      if (n % block) continue;
      for (int trial = 0; trial < 3; ++trial) {
        INFO(glasswing::gguf::ggml_type_name(t) << " n=" << n << " trial " << trial);
        const auto row = random_row(t, n, rng);
        std::vector<float> x(static_cast<size_t>(n)), w(static_cast<size_t>(n)), xr(static_cast<size_t>(n));
        for (auto& v : x) v = normal(rng);
        QuantizedActivation xq;
        quantize_activation(x.data(), n, xq);
        dequantize_row(t, row.data(), w.data(), n);
        const bool rounded = kernels::portable_q8(t) != nullptr;  // float types use x itself
        double ref = 0, magnitude = 0;
        for (int64_t i = 0; i < n; ++i) {
          const double xi = rounded ? double(xq.d[i / 32]) * xq.qs[i] : x[i];
          ref += double(w[i]) * xi;
          magnitude += std::fabs(double(w[i]) * xi);
        }
        const double tol = 1e-5 * magnitude + 1e-30;
        REQUIRE(std::fabs(dot_row_q8(t, row.data(), xq) - ref) <= tol);
        if (rounded) {
          REQUIRE(std::fabs(kernels::portable_q8(t)(row.data(), xq) - ref) <= tol);
          if (avx2) {
            REQUIRE(kernels::avx2_q8(t) != nullptr);
            REQUIRE(std::fabs(kernels::avx2_q8(t)(row.data(), xq) - ref) <= tol);
          }
        }
      }
    }
  }
}

namespace {
// Calls `check` with 2000 random 12-byte packed scale fields (every bit pattern is a valid one).
template <typename Check>
void for_random_scale_fields(uint32_t seed, Check check) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int trial = 0; trial < 2000; ++trial) {
    uint8_t packed[12];
    for (auto& v : packed) v = static_cast<uint8_t>(byte(rng));
    check(packed);
  }
}
}  // namespace

TEST_CASE("q4_K/q5_K scales and mins unpacked eight at a time equal the one-pair decoder", "[quant]") {
  for_random_scale_fields(7, [](const uint8_t* packed) {
    uint8_t all[16];
    blocks::scales_mins_k4(packed, all);
    for (int j = 0; j < 8; ++j) {
      uint8_t scale = 0, min = 0;
      blocks::scale_min_k4(j, packed, scale, min);
      REQUIRE(all[j] == scale);
      REQUIRE(all[8 + j] == min);
    }
  });
}

TEST_CASE("q3_K scales unpacked four to a word equal the one-at-a-time formula", "[quant]") {
  for_random_scale_fields(11, [](const uint8_t* packed) {
    int8_t scales[16];
    blocks::q3k_scales(packed, scales);
    for (int i = 0; i < 16; ++i) {
      // Scale i: its low four bits in byte i (i < 8) or the high nibble of byte i - 8, its top two bits in
      // byte 8 + i % 4 at bit 2 * (i / 4); stored offset by 32.
      const int low = i < 8 ? (packed[i] & 0xF) : (packed[i - 8] >> 4);
      const int high = (packed[8 + i % 4] >> (2 * (i / 4))) & 3;
      REQUIRE(scales[i] == (low | (high << 4)) - 32);
    }
  });
}
