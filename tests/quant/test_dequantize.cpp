// Dequantization on hand-built blocks. Each test writes the block bytes itself from ggml's documented layout
// (byte offsets of ggml-common.h), with power-of-two scales so every expected value is exact, and computes
// the expected floats from the logical codes, never through the code under test.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "inference/gguf/ggml_type.h"
#include "inference/quant/dot_kernels.h"
#include "inference/quant/quant.h"
#include "inference/quant/quant_internal.h"

using glasswing::gguf::GgmlType;
using glasswing::quant::dequantize_row;

namespace {

using Bytes = std::vector<uint8_t>;

// fp16 encodings of the scales used below (exact powers of two and small multiples).
constexpr uint16_t kHalf1 = 0x3c00, kHalf0_5 = 0x3800, kHalf0_25 = 0x3400, kHalf0_125 = 0x3000;
constexpr uint16_t kHalfMinus1 = 0xbc00, kHalf2 = 0x4000, kHalf0_0625 = 0x2c00;

void put_half(Bytes& b, size_t off, uint16_t h) {
  b[off] = static_cast<uint8_t>(h & 0xff);
  b[off + 1] = static_cast<uint8_t>(h >> 8);
}

std::vector<float> decode(GgmlType type, const Bytes& b, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n), -12345.0f);
  dequantize_row(type, b.data(), out.data(), n);
  return out;
}

std::vector<int> random_codes(std::mt19937& rng, int count, int lo, int hi) {
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<int> v(static_cast<size_t>(count));
  for (auto& c : v) c = dist(rng);
  return v;
}

}  // namespace

TEST_CASE("f32, f16 and bf16 rows decode") {
  const float f[3] = {1.5f, -0.0f, 3e-39f};
  Bytes b(12);
  std::memcpy(b.data(), f, 12);
  CHECK(decode(GgmlType::F32, b, 3) == std::vector<float>{1.5f, -0.0f, 3e-39f});

  Bytes h(6);
  put_half(h, 0, 0x3e00);  // 1.5
  put_half(h, 2, 0x8001);  // -2^-24
  put_half(h, 4, 0x7bff);  // 65504
  CHECK(decode(GgmlType::F16, h, 3) == std::vector<float>{1.5f, -0x1p-24f, 65504.0f});

  Bytes bf(4);
  put_half(bf, 0, 0x3fc0);  // 1.5
  put_half(bf, 2, 0xc2f7);  // -123.5
  CHECK(decode(GgmlType::BF16, bf, 2) == std::vector<float>{1.5f, -123.5f});
}

TEST_CASE("q8_0: d * int8") {
  Bytes b(2 * 34);
  put_half(b, 0, kHalf0_5);
  put_half(b, 34, kHalfMinus1);
  for (int j = 0; j < 32; ++j) {
    b[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(j * 8 - 128));
    b[36 + j] = static_cast<uint8_t>(static_cast<int8_t>(127 - j));
  }
  const auto y = decode(GgmlType::Q8_0, b, 64);
  for (int j = 0; j < 32; ++j) {
    REQUIRE(y[j] == (j * 8 - 128) * 0.5f);
    REQUIRE(y[32 + j] == -(127 - j));
  }
}

TEST_CASE("q4_0: low nibbles are elements 0..15, high nibbles 16..31, offset 8") {
  Bytes b(18);
  put_half(b, 0, kHalf0_25);
  for (int j = 0; j < 16; ++j) b[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const auto y = decode(GgmlType::Q4_0, b, 32);
  for (int j = 0; j < 16; ++j) {
    REQUIRE(y[j] == (j - 8) * 0.25f);
    REQUIRE(y[16 + j] == (15 - j - 8) * 0.25f);
  }
  // One literal byte: 0x9f -> low nibble 15 (+7), high nibble 9 (+1).
  b[2] = 0x9f;
  const auto z = decode(GgmlType::Q4_0, b, 32);
  CHECK(z[0] == 7 * 0.25f);
  CHECK(z[16] == 1 * 0.25f);
}

TEST_CASE("q4_1: d * nibble + m") {
  Bytes b(20);
  put_half(b, 0, kHalf0_5);
  put_half(b, 2, kHalfMinus1);
  for (int j = 0; j < 16; ++j) b[4 + j] = static_cast<uint8_t>(((j * 7) & 15) | (((j * 3 + 1) & 15) << 4));
  const auto y = decode(GgmlType::Q4_1, b, 32);
  for (int j = 0; j < 16; ++j) {
    REQUIRE(y[j] == ((j * 7) & 15) * 0.5f - 1.0f);
    REQUIRE(y[16 + j] == ((j * 3 + 1) & 15) * 0.5f - 1.0f);
  }
}

TEST_CASE("q5_0 and q5_1: fifth bit of element j is bit j of the little-endian qh") {
  std::mt19937 rng(5);
  const auto codes = random_codes(rng, 32, 0, 31);
  auto pack = [&](Bytes& b, size_t qh_off, size_t qs_off) {
    uint32_t qh = 0;
    for (int j = 0; j < 32; ++j) qh |= static_cast<uint32_t>(codes[j] >> 4) << j;
    for (int k = 0; k < 4; ++k) b[qh_off + k] = static_cast<uint8_t>(qh >> (8 * k));
    for (int j = 0; j < 16; ++j)
      b[qs_off + j] = static_cast<uint8_t>((codes[j] & 15) | ((codes[j + 16] & 15) << 4));
  };
  Bytes b0(22);
  put_half(b0, 0, kHalf0_125);
  pack(b0, 2, 6);
  const auto y0 = decode(GgmlType::Q5_0, b0, 32);
  for (int j = 0; j < 32; ++j) REQUIRE(y0[j] == (codes[j] - 16) * 0.125f);

  Bytes b1(24);
  put_half(b1, 0, kHalf0_25);
  put_half(b1, 2, kHalf2);
  pack(b1, 4, 8);
  const auto y1 = decode(GgmlType::Q5_1, b1, 32);
  for (int j = 0; j < 32; ++j) REQUIRE(y1[j] == codes[j] * 0.25f + 2.0f);

  // Literal: qh = 0x80000001 sets the high bit of elements 0 and 31 only.
  Bytes lit(22, 0);
  put_half(lit, 0, kHalf1);
  lit[2] = 0x01;
  lit[5] = 0x80;
  const auto z = decode(GgmlType::Q5_0, lit, 32);
  CHECK(z[0] == 0.0f);
  CHECK(z[1] == -16.0f);
  CHECK(z[31] == 0.0f);
}

TEST_CASE("q2_K: 2-bit codes, 4-bit scale and min per 16 elements") {
  std::mt19937 rng(2);
  const auto codes = random_codes(rng, 256, 0, 3);
  const auto sc = random_codes(rng, 16, 0, 15);
  const auto mn = random_codes(rng, 16, 0, 15);
  Bytes b(84, 0);
  for (int g = 0; g < 16; ++g) b[g] = static_cast<uint8_t>(sc[g] | (mn[g] << 4));
  for (int e = 0; e < 256; ++e) {
    const int half = e / 128, k = (e % 128) / 32, l = e % 32;
    b[16 + 32 * half + l] |= static_cast<uint8_t>(codes[e] << (2 * k));
  }
  put_half(b, 80, kHalf0_5);
  put_half(b, 82, kHalf0_25);
  const auto y = decode(GgmlType::Q2_K, b, 256);
  for (int e = 0; e < 256; ++e) REQUIRE(y[e] == 0.5f * sc[e / 16] * codes[e] - 0.25f * mn[e / 16]);
}

TEST_CASE("q3_K: hmask high bits and the 6-bit scale packing") {
  std::mt19937 rng(3);
  const auto codes = random_codes(rng, 256, 0, 7);  // stored code; value = code - 4
  const auto sc = random_codes(rng, 16, 0, 63);     // stored scale; value = scale - 32
  Bytes b(110, 0);
  for (int e = 0; e < 256; ++e) {
    const int half = e / 128, k = (e % 128) / 32, l = e % 32;
    b[32 + 32 * half + l] |= static_cast<uint8_t>((codes[e] & 3) << (2 * k));
    if (codes[e] & 4) b[l] |= static_cast<uint8_t>(1 << (4 * half + k));
  }
  for (int j = 0; j < 16; ++j) {  // as ggml's quantize_row_q3_K_ref packs them
    if (j < 8)
      b[96 + j] = static_cast<uint8_t>(sc[j] & 15);
    else
      b[96 + j - 8] |= static_cast<uint8_t>((sc[j] & 15) << 4);
    b[96 + 8 + j % 4] |= static_cast<uint8_t>((sc[j] >> 4) << (2 * (j / 4)));
  }
  put_half(b, 108, kHalf0_0625);
  const auto y = decode(GgmlType::Q3_K, b, 256);
  for (int e = 0; e < 256; ++e) REQUIRE(y[e] == 0.0625f * (sc[e / 16] - 32) * (codes[e] - 4));

  // Literal: all-zero scale bytes except byte 8 = 0b11 -> scale 0 is 48 - 32 = 16, scale 4 is -32.
  // All hmask bits clear and qs zero -> every code is -4.
  Bytes lit(110, 0);
  lit[96 + 8] = 0x03;
  put_half(lit, 108, kHalf1);
  const auto z = decode(GgmlType::Q3_K, lit, 256);
  CHECK(z[0] == -64.0f);
  CHECK(z[15] == -64.0f);
  CHECK(z[16] == 128.0f);  // scale 1 = 0 - 32
  CHECK(z[64] == 128.0f);  // scale 4 = -32
}

namespace {
// Packs 8 six-bit scales and mins the way ggml's quantize_row_q4_K_ref does.
void pack_k4_scales(Bytes& b, size_t off, const std::vector<int>& sc, const std::vector<int>& mn) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      b[off + j] = static_cast<uint8_t>(sc[j]);
      b[off + j + 4] = static_cast<uint8_t>(mn[j]);
    } else {
      b[off + j + 4] = static_cast<uint8_t>((sc[j] & 0xF) | ((mn[j] & 0xF) << 4));
      b[off + j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
      b[off + j] |= static_cast<uint8_t>((mn[j] >> 4) << 6);
    }
  }
}
}  // namespace

TEST_CASE("q4_K: 6-bit packed scales and mins per 32 elements") {
  std::mt19937 rng(4);
  const auto codes = random_codes(rng, 256, 0, 15);
  const auto sc = random_codes(rng, 8, 0, 63);
  const auto mn = random_codes(rng, 8, 0, 63);
  Bytes b(144, 0);
  put_half(b, 0, kHalf0_125);
  put_half(b, 2, kHalf0_5);
  pack_k4_scales(b, 4, sc, mn);
  for (int e = 0; e < 256; ++e) {
    const int g = e / 32, l = e % 32;
    b[16 + 32 * (g / 2) + l] |= static_cast<uint8_t>(codes[e] << (g % 2 ? 4 : 0));
  }
  const auto y = decode(GgmlType::Q4_K, b, 256);
  for (int e = 0; e < 256; ++e) REQUIRE(y[e] == 0.125f * sc[e / 32] * codes[e] - 0.5f * mn[e / 32]);

  // Literal: scale 4 = low nibble of byte 8 | top bits of byte 0; min 4 = high nibble of byte 8 | top of 4.
  Bytes lit(144, 0);
  put_half(lit, 0, kHalf1);
  put_half(lit, 2, kHalf1);
  lit[4 + 0] = 0xC0;                                     // scale 0 = 0, scale 4 high bits = 3
  lit[4 + 4] = 0x40;                                     // min 0 = 0, min 4 high bits = 1
  lit[4 + 8] = 0x21;                                     // scale 4 low = 1, min 4 low = 2
  for (int l = 0; l < 32; ++l) lit[16 + 64 + l] = 0x0F;  // group 4: code 15
  const auto z = decode(GgmlType::Q4_K, lit, 256);
  CHECK(z[128] == 49.0f * 15 - 18.0f);
  CHECK(z[0] == 0.0f);
}

TEST_CASE("q5_K: fifth bit of group g is bit g of qh[l]") {
  std::mt19937 rng(6);
  const auto codes = random_codes(rng, 256, 0, 31);
  const auto sc = random_codes(rng, 8, 0, 63);
  const auto mn = random_codes(rng, 8, 0, 63);
  Bytes b(176, 0);
  put_half(b, 0, kHalf0_25);
  put_half(b, 2, kHalf0_125);
  pack_k4_scales(b, 4, sc, mn);
  for (int e = 0; e < 256; ++e) {
    const int g = e / 32, l = e % 32;
    b[48 + 32 * (g / 2) + l] |= static_cast<uint8_t>((codes[e] & 15) << (g % 2 ? 4 : 0));
    if (codes[e] & 16) b[16 + l] |= static_cast<uint8_t>(1 << g);
  }
  const auto y = decode(GgmlType::Q5_K, b, 256);
  for (int e = 0; e < 256; ++e) REQUIRE(y[e] == 0.25f * sc[e / 32] * codes[e] - 0.125f * mn[e / 32]);
}

TEST_CASE("q6_K: ql nibbles, qh 2-bit pairs, int8 scales per 16 elements") {
  std::mt19937 rng(7);
  const auto codes = random_codes(rng, 512, 0, 63);  // two super-blocks; value = code - 32
  const auto sc = random_codes(rng, 32, -128, 127);
  Bytes b(2 * 210, 0);
  for (int e = 0; e < 512; ++e) {
    const int blk = e / 256, r = e % 256, half = r / 128, k = (r % 128) / 32, l = r % 32;
    const size_t base = 210 * static_cast<size_t>(blk);
    const size_t ql = base + 64 * half + l + (k % 2 ? 32 : 0);
    b[ql] |= static_cast<uint8_t>((codes[e] & 15) << (k >= 2 ? 4 : 0));
    b[base + 128 + 32 * half + l] |= static_cast<uint8_t>((codes[e] >> 4) << (2 * k));
  }
  for (int blk = 0; blk < 2; ++blk) {
    for (int g = 0; g < 16; ++g)
      b[210 * blk + 192 + g] = static_cast<uint8_t>(static_cast<int8_t>(sc[16 * blk + g]));
    put_half(b, 210 * blk + 208, blk ? kHalf0_0625 : kHalf0_5);
  }
  const auto y = decode(GgmlType::Q6_K, b, 512);
  for (int e = 0; e < 512; ++e) {
    const float d = e < 256 ? 0.5f : 0.0625f;
    REQUIRE(y[e] == d * sc[e / 16] * (codes[e] - 32));
  }
}

TEST_CASE("can_dequantize lists exactly the supported types") {
  using glasswing::quant::can_dequantize;
  for (auto t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1,
                 GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K,
                 GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS, GgmlType::MXFP4})
    CHECK(can_dequantize(t));
  for (auto t : {GgmlType::IQ1_S, GgmlType::IQ1_M, GgmlType::IQ2_XXS, GgmlType::IQ2_XS, GgmlType::IQ2_S,
                 GgmlType::IQ3_XXS, GgmlType::IQ3_S, GgmlType::TQ1_0, GgmlType::TQ2_0})
    CHECK(can_dequantize(t));
  for (auto t : {GgmlType::Q8_1, GgmlType::Q8_K, GgmlType::I32, GgmlType::F64})
    CHECK_FALSE(can_dequantize(t));
}

TEST_CASE("bad element counts and types are rejected with an exception") {
  Bytes b(210 * 2, 0);
  float out[512];
  CHECK_THROWS_AS(dequantize_row(GgmlType::Q4_0, b.data(), out, 33), std::invalid_argument);
  CHECK_THROWS_AS(dequantize_row(GgmlType::Q6_K, b.data(), out, 128), std::invalid_argument);
  CHECK_THROWS_AS(dequantize_row(GgmlType::Q8_K, b.data(), out, 256), std::invalid_argument);
  CHECK_THROWS_AS(dequantize_row(GgmlType::IQ2_XXS, b.data(), out, 128), std::invalid_argument);
  CHECK_THROWS_WITH(dequantize_row(GgmlType::Q4_K, b.data(), out, 100), Catch::Contains("q4_K"));
  CHECK_THROWS_AS(glasswing::quant::dot_row(GgmlType::Q8_0, b.data(), out, 31), std::invalid_argument);
}

TEST_CASE("the AVX2 decoders give the reference decoders' floats bit for bit") {
  // Random payloads and random (not power-of-two) scales, so that every rounding step of d * q - m counts: a
  // fused multiply-add, another order or another conversion would change some of the bits.
  if (!glasswing::quant::kernels::cpu_has_avx2()) {
    WARN("this CPU has no AVX2: dequantize_row uses the reference decoders");
    return;
  }
  std::mt19937 rng(41);
  int checked = 0;
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                     GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    const auto fast = glasswing::quant::kernels::avx2_dequant(t);
    if (!fast) continue;
    ++checked;
    const auto traits = glasswing::gguf::ggml_type_traits(t);
    const int64_t blocks = 37, n = blocks * traits.block_elements;
    Bytes b(static_cast<size_t>(blocks * traits.block_bytes));
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    // keep every f16 scale finite and sane: the halves at the types' scale offsets get exponents 10..17
    const auto offsets = t == GgmlType::Q6_K                          ? std::vector<size_t>{208}
                         : t == GgmlType::Q8_0 || t == GgmlType::Q4_0 ? std::vector<size_t>{0}
                                                                      : std::vector<size_t>{0, 2};
    for (int64_t i = 0; i < blocks; ++i)
      for (size_t off : offsets)
        put_half(b, static_cast<size_t>(i * traits.block_bytes) + off,
                 static_cast<uint16_t>(((rng() & 1u) << 15) | ((10u + rng() % 8) << 10) | (rng() & 0x3ffu)));
    std::vector<float> want(static_cast<size_t>(n)), got(static_cast<size_t>(n), -1.0f);
    glasswing::quant::dequantize_fn(t)(b.data(), want.data(), n);
    fast(b.data(), got.data(), n);
    INFO(glasswing::gguf::ggml_type_name(t));
    CHECK(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) == 0);
    // and dequantize_row takes the fast one
    CHECK(decode(t, b, n) == got);
  }
  CHECK(checked == 5);  // q8_0, q4_0, q4_K, q5_K, q6_K
}

namespace {
// ggml's IQ4 codebook (ggml-common.h kvalues_iq4nl), written out here rather than taken from the code under
// test
constexpr int kCodebook[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
}  // namespace

TEST_CASE("iq4_nl: nibbles index the non-linear codebook, low nibbles elements 0..15, high 16..31") {
  Bytes b(18);
  put_half(b, 0, kHalf0_5);
  for (int j = 0; j < 16; ++j) b[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const auto y = decode(GgmlType::IQ4_NL, b, 32);
  for (int j = 0; j < 16; ++j) {
    REQUIRE(y[j] == kCodebook[j] * 0.5f);
    REQUIRE(y[16 + j] == kCodebook[15 - j] * 0.5f);
  }
}

TEST_CASE("mxfp4: E2M1 nibbles (low: elements 0..15) under an E8M0 power-of-two scale") {
  // E2M1's values {0, 0.5, 1, 1.5, 2, 3, 4, 6} and their negatives (sign bit 8), written out from the OCP
  // microscaling spec rather than taken from the code under test; the block scale is 2^(e - 127)
  constexpr float kE2M1[16] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0.0f, -0.5f, -1, -1.5f, -2, -3, -4, -6};
  for (int e : {127, 120, 135, 146, 1, 0, 150, 250}) {
    INFO("e " << e);
    Bytes b(17);
    b[0] = static_cast<uint8_t>(e);
    for (int j = 0; j < 16; ++j) b[1 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
    const auto y = decode(GgmlType::MXFP4, b, 32);
    const float scale = std::ldexp(1.0f, e - 127);
    for (int j = 0; j < 16; ++j) {
      REQUIRE(y[j] == kE2M1[j] * scale);
      REQUIRE(y[16 + j] == kE2M1[15 - j] * scale);
    }
  }
}

TEST_CASE("iq4_xs: a 6-bit scale per 32 elements (4 low bits in scales_l, 2 high in scales_h), minus 32") {
  // layout: d (fp16), scales_h (u16), scales_l[4], qs[128]
  Bytes b(136);
  put_half(b, 0, kHalf0_25);
  const int ls[8] = {0, 31, 32, 33, 47, 63, 16, 40};  // each sub-block's 6-bit scale
  uint16_t scales_h = 0;
  for (int ib = 0; ib < 8; ++ib) {
    b[4 + ib / 2] |= static_cast<uint8_t>((ls[ib] & 0xf) << (4 * (ib % 2)));
    scales_h |= static_cast<uint16_t>((ls[ib] >> 4) << (2 * ib));
  }
  put_half(b, 2, scales_h);
  std::mt19937 rng(5);
  const auto codes = random_codes(rng, 256, 0, 15);
  for (int ib = 0; ib < 8; ++ib)
    for (int j = 0; j < 16; ++j)
      b[8 + ib * 16 + j] = static_cast<uint8_t>(codes[ib * 32 + j] | (codes[ib * 32 + 16 + j] << 4));
  const auto y = decode(GgmlType::IQ4_XS, b, 256);
  for (int ib = 0; ib < 8; ++ib)
    for (int j = 0; j < 32; ++j) {
      INFO("sub-block " << ib << " element " << j);
      REQUIRE(y[ib * 32 + j] == 0.25f * static_cast<float>(ls[ib] - 32) * kCodebook[codes[ib * 32 + j]]);
    }
}
