// The i-quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S) and ternary types (TQ1_0, TQ2_0).
// Decoding is checked three ways: against codebook entries written here as literals from ggml-common.h (so a
// mis-copied table or a wrong index fails); against a second decoder written in this file the way ggml's
// dequantize_row_* walks the raw bytes, on random blocks, bit for bit; and by the quantizers' round trip.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "inference/gguf/ggml_type.h"
#include "inference/quant/dot_kernels.h"
#include "inference/quant/fp16.h"
#include "inference/quant/iq_grids.h"
#include "inference/quant/iquants.h"
#include "inference/quant/quant.h"
#include "inference/quant/quant_internal.h"

using glasswing::gguf::GgmlType;
using namespace glasswing::quant;

namespace {

using Bytes = std::vector<uint8_t>;

const GgmlType kSub32Types[] = {GgmlType::IQ1_S,  GgmlType::IQ1_M, GgmlType::IQ2_XXS,
                                GgmlType::IQ2_XS, GgmlType::IQ2_S, GgmlType::IQ3_XXS,
                                GgmlType::IQ3_S,  GgmlType::TQ1_0, GgmlType::TQ2_0};

size_t block_bytes(GgmlType t) {
  return glasswing::gguf::ggml_type_traits(t).block_bytes;
}

void put16(Bytes& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v & 0xff);
  b[off + 1] = static_cast<uint8_t>(v >> 8);
}
uint16_t get16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t get32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0] | (p[1] << 8) | (p[2] << 16)) | (static_cast<uint32_t>(p[3]) << 24);
}

std::vector<float> decode(GgmlType type, const Bytes& b) {
  const int64_t n = static_cast<int64_t>(b.size() / block_bytes(type)) * 256;
  std::vector<float> out(static_cast<size_t>(n), -12345.0f);
  dequantize_row(type, b.data(), out.data(), n);
  return out;
}

// ggml's decoders, one block at a time, written from dequantize_row_* in ggml-quants.c: pointers walk the
// raw bytes at ggml-common.h's offsets.
float sgn(uint32_t signs, int j) {
  return (signs >> j) & 1 ? -1.0f : 1.0f;
}
uint8_t byte_of(uint64_t entry, int j) {
  return static_cast<uint8_t>(entry >> (8 * j));
}

void ggml_block(GgmlType t, const uint8_t* x, float* y) {
  switch (t) {
    case GgmlType::IQ2_XXS: {  // d, u16 qs[32]
      const float d = fp16_to_f32(get16(x));
      for (int ib = 0; ib < 8; ++ib) {
        const uint8_t* aux8 = x + 2 + 8 * ib;
        const uint32_t aux1 = get32(aux8 + 4);
        const float db = d * (0.5f + static_cast<float>(aux1 >> 28)) * 0.25f;
        for (int l = 0; l < 4; ++l, y += 8)
          for (int j = 0; j < 8; ++j)
            y[j] = db * byte_of(kIq2xxsGrid[aux8[l]], j) * sgn(kKsignsIq2xs[(aux1 >> (7 * l)) & 127], j);
      }
      return;
    }
    case GgmlType::IQ2_XS: {  // d, u16 qs[32], scales[8]
      const float d = fp16_to_f32(get16(x));
      for (int ib = 0; ib < 8; ++ib) {
        const uint8_t sc = x[66 + ib];
        const float db[2] = {d * (0.5f + static_cast<float>(sc & 0xf)) * 0.25f,
                             d * (0.5f + static_cast<float>(sc >> 4)) * 0.25f};
        for (int l = 0; l < 4; ++l, y += 8) {
          const uint16_t q = get16(x + 2 + 2 * (4 * ib + l));
          for (int j = 0; j < 8; ++j)
            y[j] = db[l / 2] * byte_of(kIq2xsGrid[q & 511], j) * sgn(kKsignsIq2xs[q >> 9], j);
        }
      }
      return;
    }
    case GgmlType::IQ2_S: {  // d, qs[64] (32 + 32 signs), qh[8], scales[8]
      const float d = fp16_to_f32(get16(x));
      const uint8_t* qs = x + 2;
      const uint8_t* signs = qs + 32;
      for (int ib = 0; ib < 8; ++ib, qs += 4, signs += 4) {
        const uint8_t sc = x[74 + ib], qh = x[66 + ib];
        const float db[2] = {d * (0.5f + static_cast<float>(sc & 0xf)) * 0.25f,
                             d * (0.5f + static_cast<float>(sc >> 4)) * 0.25f};
        for (int l = 0; l < 4; ++l, y += 8)
          for (int j = 0; j < 8; ++j)
            y[j] =
                db[l / 2] * byte_of(kIq2sGrid[qs[l] | ((qh << (8 - 2 * l)) & 0x300)], j) * sgn(signs[l], j);
      }
      return;
    }
    case GgmlType::IQ3_XXS: {  // d, qs[96]
      const float d = fp16_to_f32(get16(x));
      const uint8_t* qs = x + 2;
      for (int ib = 0; ib < 8; ++ib, qs += 8) {
        const uint32_t aux = get32(x + 2 + 64 + 4 * ib);
        const float db = d * (0.5f + static_cast<float>(aux >> 28)) * 0.5f;
        for (int l = 0; l < 4; ++l, y += 8) {
          const uint32_t signs = kKsignsIq2xs[(aux >> (7 * l)) & 127];
          for (int j = 0; j < 4; ++j) {
            y[j] = db * byte_of(kIq3xxsGrid[qs[2 * l]], j) * sgn(signs, j);
            y[j + 4] = db * byte_of(kIq3xxsGrid[qs[2 * l + 1]], j) * sgn(signs, j + 4);
          }
        }
      }
      return;
    }
    case GgmlType::IQ3_S: {  // d, qs[64], qh[8], signs[32], scales[4]
      const float d = fp16_to_f32(get16(x));
      const uint8_t* qs = x + 2;
      const uint8_t* qh = x + 66;
      const uint8_t* signs = x + 74;
      for (int ib = 0; ib < 8; ++ib, qs += 8, signs += 4) {
        const float db = d * static_cast<float>(1 + 2 * ((x[106 + ib / 2] >> (4 * (ib % 2))) & 0xf));
        for (int l = 0; l < 4; ++l, y += 8)
          for (int j = 0; j < 4; ++j) {
            y[j] = db * byte_of(kIq3sGrid[qs[2 * l] | ((qh[ib] << (8 - 2 * l)) & 256)], j) * sgn(signs[l], j);
            y[j + 4] = db * byte_of(kIq3sGrid[qs[2 * l + 1] | ((qh[ib] << (7 - 2 * l)) & 256)], j) *
                       sgn(signs[l], j + 4);
          }
      }
      return;
    }
    case GgmlType::IQ1_S: {  // d, qs[32], u16 qh[8]
      const float d = fp16_to_f32(get16(x));
      for (int ib = 0; ib < 8; ++ib) {
        const uint16_t qh = get16(x + 34 + 2 * ib);
        const float dl = d * static_cast<float>(2 * ((qh >> 12) & 7) + 1);
        const float delta = qh & 0x8000 ? -0.125f : 0.125f;
        for (int l = 0; l < 4; ++l, y += 8)
          for (int j = 0; j < 8; ++j)
            y[j] = dl * (static_cast<int8_t>(
                             byte_of(kIq1sGrid[x[2 + 4 * ib + l] | (((qh >> (3 * l)) & 7) << 8)], j)) +
                         delta);
      }
      return;
    }
    case GgmlType::IQ1_M: {  // qs[32], qh[16], scales[8]
      const uint16_t sc[4] = {get16(x + 48), get16(x + 50), get16(x + 52), get16(x + 54)};
      const float d = fp16_to_f32(static_cast<uint16_t>((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) |
                                                        ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000)));
      const uint8_t* qs = x;
      const uint8_t* qh = x + 32;
      for (int ib = 0; ib < 8; ++ib, qs += 4, qh += 2) {
        const float dl1 = d * static_cast<float>(2 * ((sc[ib / 2] >> (6 * (ib % 2))) & 7) + 1);
        const float dl2 = d * static_cast<float>(2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 7) + 1);
        const int idx[4] = {qs[0] | ((qh[0] << 8) & 0x700), qs[1] | ((qh[0] << 4) & 0x700),
                            qs[2] | ((qh[1] << 8) & 0x700), qs[3] | ((qh[1] << 4) & 0x700)};
        const float delta[4] = {qh[0] & 0x08 ? -0.125f : 0.125f, qh[0] & 0x80 ? -0.125f : 0.125f,
                                qh[1] & 0x08 ? -0.125f : 0.125f, qh[1] & 0x80 ? -0.125f : 0.125f};
        for (int l = 0; l < 4; ++l, y += 8)
          for (int j = 0; j < 8; ++j)
            y[j] = (l < 2 ? dl1 : dl2) * (static_cast<int8_t>(byte_of(kIq1sGrid[idx[l]], j)) + delta[l]);
      }
      return;
    }
    case GgmlType::TQ1_0: {  // qs[48], qh[4], d
      const uint8_t pow3[6] = {1, 3, 9, 27, 81, 243};
      const float d = fp16_to_f32(get16(x + 52));
      for (int n = 0; n < 5; ++n)
        for (int m = 0; m < 32; ++m)
          *y++ = static_cast<float>(((static_cast<uint8_t>(x[m] * pow3[n]) * 3) >> 8) - 1) * d;
      for (int n = 0; n < 5; ++n)
        for (int m = 0; m < 16; ++m)
          *y++ = static_cast<float>(((static_cast<uint8_t>(x[32 + m] * pow3[n]) * 3) >> 8) - 1) * d;
      for (int n = 0; n < 4; ++n)
        for (int j = 0; j < 4; ++j)
          *y++ = static_cast<float>(((static_cast<uint8_t>(x[48 + j] * pow3[n]) * 3) >> 8) - 1) * d;
      return;
    }
    case GgmlType::TQ2_0: {  // qs[64], d
      const float d = fp16_to_f32(get16(x + 64));
      for (int j = 0; j < 64; j += 32)
        for (int l = 0; l < 4; ++l)
          for (int m = 0; m < 32; ++m) *y++ = static_cast<float>(((x[j + m] >> (2 * l)) & 3) - 1) * d;
      return;
    }
    default:
      FAIL("not a Sub32 type");
  }
}

// Random bytes with a finite super-block scale (a power of two times 1..2, magnitude 2^-8..2^-4).
Bytes random_blocks(GgmlType t, int blocks, std::mt19937& rng) {
  Bytes b(block_bytes(t) * static_cast<size_t>(blocks));
  for (auto& v : b) v = static_cast<uint8_t>(rng());
  std::uniform_real_distribution<float> mag(0.004f, 0.06f);
  for (int i = 0; i < blocks; ++i) {
    const size_t base = block_bytes(t) * static_cast<size_t>(i);
    const uint16_t d = f32_to_fp16((rng() & 1 ? -1.0f : 1.0f) * mag(rng));
    if (t == GgmlType::IQ1_M) {  // the scale's four nibbles on top of the scales' u16s
      for (int k = 0; k < 4; ++k) {
        const uint16_t sc =
            static_cast<uint16_t>((get16(&b[base + 48 + 2 * k]) & 0x0fff) | (((d >> (4 * k)) & 0xf) << 12));
        put16(b, base + 48 + 2 * k, sc);
      }
    } else {
      const size_t off = t == GgmlType::TQ1_0 ? 52 : t == GgmlType::TQ2_0 ? 64 : 0;
      put16(b, base + off, d);
    }
  }
  return b;
}

}  // namespace

TEST_CASE("i-quant codebook entries: literals from ggml-common.h") {
  // first, a middle and last entries of each table, copied by hand from ggml-common.h
  CHECK(kKsignsIq2xs[1] == 129);
  CHECK(kKsignsIq2xs[127] == 255);
  CHECK(kIq2xxsGrid[1] == 0x080808080808082bull);
  CHECK(kIq2xxsGrid[255] == 0x2b2b2b1908081908ull);
  CHECK(kIq2xsGrid[511] == 0x2b2b2b2b2b2b2b2bull);
  CHECK(kIq2xsGrid[509] == 0x2b2b2b2b082b2b2bull);
  CHECK(kIq2sGrid[1022] == 0x2b2b2b2b2b082b08ull);
  CHECK(kIq3xxsGrid[255] == 0x3e341c04u);
  CHECK(kIq3xxsGrid[2] == 0x04040424u);
  CHECK(kIq3sGrid[510] == 0x0f0d0703u);
  CHECK(kIq1sGrid[1] == 0xffffffffffffff01ull);
  CHECK(kIq1sGrid[2046] == 0x01010101010101ffull);
}

TEST_CASE("i-quant blocks decode to the codebook entries their indices name") {
  SECTION("iq2_xxs: index 255, signs of group 1 from ksigns[3] (elements 0, 1 negative), scale 15") {
    Bytes b(66, 0);
    put16(b, 0, 0x3c00);  // d = 1
    b[2] = 255;           // group 0: entry 255
    b[3] = 1;             // group 1: entry 1
    const uint32_t aux = (3u << 7) | (15u << 28);
    std::memcpy(&b[6], &aux, 4);
    const auto y = decode(GgmlType::IQ2_XXS, b);
    const float db = 15.5f * 0.25f;
    // 0x2b2b2b1908081908 from element 0 up: 08 19 08 08 19 2b 2b 2b
    const int g0[8] = {0x08, 0x19, 0x08, 0x08, 0x19, 0x2b, 0x2b, 0x2b};
    for (int j = 0; j < 8; ++j) CHECK(y[j] == db * g0[j]);
    // entry 1: 0x080808080808082b -> 2b 08 08 ..., ksigns[3] = 3: elements 0 and 1 negative
    CHECK(y[8] == -db * 0x2b);
    CHECK(y[9] == -db * 0x08);
    CHECK(y[10] == db * 0x08);
  }
  SECTION("iq3_xxs: entry 255 = bytes 04 1c 34 3e, scale 0 -> d/4") {
    Bytes b(98, 0);
    put16(b, 0, 0x4000);  // d = 2
    b[2] = 255;
    const auto y = decode(GgmlType::IQ3_XXS, b);
    const float db = 2.0f * 0.5f * 0.5f;
    CHECK(y[0] == db * 0x04);
    CHECK(y[1] == db * 0x1c);
    CHECK(y[2] == db * 0x34);
    CHECK(y[3] == db * 0x3e);
    CHECK(y[4] == db * 0x04);  // entry 0 = 04 04 04 04
  }
  SECTION("iq1_s: entry 2046 (ff then seven 01) with negative delta, scale 7 -> 15 d") {
    Bytes b(50, 0);
    put16(b, 0, 0x3800);  // d = 0.5
    b[2] = 2046 & 255;
    const uint16_t qh = static_cast<uint16_t>((2046 >> 8) | (7 << 12) | 0x8000);
    put16(b, 34, qh);
    const auto y = decode(GgmlType::IQ1_S, b);
    CHECK(y[0] == 7.5f * (-1.0f - 0.125f));
    for (int j = 1; j < 8; ++j) CHECK(y[j] == 7.5f * (1.0f - 0.125f));
  }
  SECTION("tq2_0 and tq1_0: codes 0, 1, 2 are -d, 0, d") {
    Bytes b(66, 0);
    b[0] = 0b00100100;  // element 0: code 0, element 32: code 1, element 64: code 2
    put16(b, 64, 0x3c00);
    auto y = decode(GgmlType::TQ2_0, b);
    CHECK(y[0] == -1.0f);
    CHECK(y[32] == 0.0f);
    CHECK(y[64] == 1.0f);
    CHECK(y[96] == -1.0f);
    Bytes t(54, 0);
    // digits (2, 1, 0, 0, 2) most significant first: 2·81 + 1·27 + 2 = 191 -> ⌈191·256/243⌉ = 202
    t[0] = 202;
    put16(t, 52, 0x4000);  // d = 2
    y = decode(GgmlType::TQ1_0, t);
    CHECK(y[0] == 2.0f);
    CHECK(y[32] == 0.0f);
    CHECK(y[64] == -2.0f);
    CHECK(y[96] == -2.0f);
    CHECK(y[128] == 2.0f);
  }
}

TEST_CASE("i-quant and ternary rows decode as ggml's dequantize_row_* does, bit for bit") {
  std::mt19937 rng(77);
  for (GgmlType t : kSub32Types) {
    INFO(glasswing::gguf::ggml_type_name(t));
    CHECK(can_dequantize(t));
    CHECK(is_sub32_type(t));
    for (int trial = 0; trial < 20; ++trial) {
      const Bytes b = random_blocks(t, 3, rng);
      const auto y = decode(t, b);
      std::vector<float> expected(y.size());
      for (size_t i = 0; i < 3; ++i) ggml_block(t, b.data() + i * block_bytes(t), expected.data() + 256 * i);
      REQUIRE(y == expected);  // dequantize_row: the AVX2 decoder where the CPU has one
      std::vector<float> reference(y.size());
      dequantize_fn(t)(b.data(), reference.data(), static_cast<int64_t>(y.size()));
      REQUIRE(reference == expected);  // the portable one
    }
  }
  CHECK_FALSE(is_sub32_type(GgmlType::IQ4_XS));
  CHECK_FALSE(is_sub32_type(GgmlType::Q2_K));
}

TEST_CASE("i-quant dot products equal decode-then-multiply") {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (GgmlType t : kSub32Types) {
    INFO(glasswing::gguf::ggml_type_name(t));
    for (int blocks : {1, 3, 16}) {
      const Bytes row = random_blocks(t, blocks, rng);
      const int64_t n = 256 * blocks;
      std::vector<float> x(static_cast<size_t>(n)), w(static_cast<size_t>(n));
      for (auto& v : x) v = normal(rng);
      dequantize_row(t, row.data(), w.data(), n);
      double ref = 0, magnitude = 0;
      for (int64_t i = 0; i < n; ++i) {
        ref += static_cast<double>(w[i]) * x[i];
        magnitude += std::fabs(static_cast<double>(w[i]) * x[i]);
      }
      REQUIRE(magnitude > 0);
      CHECK(std::fabs(dot_row(t, row.data(), x.data(), n) - ref) <= 1e-5 * magnitude);
      CHECK(std::fabs(dot_row_reference(t, row.data(), x.data(), n) - ref) <= 1e-5 * magnitude);
      CHECK(row_dot(t, n)(row.data(), x.data(), n) == dot_row(t, row.data(), x.data(), n));
      CHECK(std::fabs(kernels::portable(t)(row.data(), x.data(), n) - ref) <= 1e-5 * magnitude);
      if (kernels::cpu_has_avx2()) {
        REQUIRE(kernels::avx2(t) != nullptr);
        CHECK(std::fabs(kernels::avx2(t)(row.data(), x.data(), n) - ref) <= 1e-5 * magnitude);
      }
    }
    CHECK_THROWS_AS(dot_row(t, nullptr, nullptr, 128), std::invalid_argument);
  }
}

TEST_CASE("i-quant quantizers: valid blocks close to the input") {
  // Relative RMS error of random normal rows: bounds about 1.2 x what these quantizers reach (Q3_K's reaches
  // 0.15, IQ3_S's 0.17) (a 2-bit grid of 256 points per 8 elements cannot do much better), so a broken index,
  // sign or scale fails.
  const std::pair<GgmlType, double> bounds[] = {
      {GgmlType::IQ1_S, 0.8},   {GgmlType::IQ1_M, 0.72}, {GgmlType::IQ2_XXS, 0.5},
      {GgmlType::IQ2_XS, 0.45}, {GgmlType::IQ2_S, 0.38}, {GgmlType::IQ3_XXS, 0.27},
      {GgmlType::IQ3_S, 0.2},   {GgmlType::TQ1_0, 0.95}, {GgmlType::TQ2_0, 0.95}};
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (const auto& [t, bound] : bounds) {
    INFO(glasswing::gguf::ggml_type_name(t));
    REQUIRE(can_quantize(t));
    const int64_t n = 256 * 64;
    std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
    for (auto& v : x) v = normal(rng);
    Bytes q(block_bytes(t) * static_cast<size_t>(n / 256));
    quantize_row(t, x.data(), q.data(), n);
    dequantize_row(t, q.data(), y.data(), n);
    double err = 0, norm = 0;
    for (int64_t i = 0; i < n; ++i) {
      err += (static_cast<double>(y[i]) - x[i]) * (static_cast<double>(y[i]) - x[i]);
      norm += static_cast<double>(x[i]) * x[i];
    }
    const double rel = std::sqrt(err / norm);
    INFO("relative RMS error " << rel);
    CHECK(rel < bound);
    // signs follow the input wherever an element is large (the parity rule gives up only the smallest one);
    // IQ1's signs come with its grid points, not separately
    if (t != GgmlType::IQ1_S && t != GgmlType::IQ1_M) {
      int wrong_sign = 0;
      for (int64_t i = 0; i < n; ++i)
        if (std::fabs(x[i]) > 0.04f && y[i] != 0.0f && (y[i] < 0) != (x[i] < 0)) ++wrong_sign;
      CHECK(wrong_sign == 0);
    }
    // a zero row stays zero
    std::vector<float> zeros(256, 0.0f), z(256, 1.0f);
    quantize_row(t, zeros.data(), q.data(), 256);
    dequantize_row(t, q.data(), z.data(), 256);
    for (float v : z) CHECK(v == 0.0f);
  }
}

TEST_CASE("ternary values come back exactly from tq1_0 and tq2_0") {
  std::mt19937 rng(2);
  std::vector<float> x(512), y(512);
  for (auto& v : x) v = 0.5f * static_cast<float>(static_cast<int>(rng() % 3) - 1);
  x[7] = 0.5f;  // the row's largest magnitude is the scale
  x[300] = -0.5f;
  for (GgmlType t : {GgmlType::TQ1_0, GgmlType::TQ2_0}) {
    INFO(glasswing::gguf::ggml_type_name(t));
    Bytes q(block_bytes(t) * 2);
    quantize_row(t, x.data(), q.data(), 512);
    dequantize_row(t, q.data(), y.data(), 512);
    CHECK(y == x);
  }
}
