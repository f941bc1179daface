// Decoding the i-quants and ternary types into Sub32 (iquants.h), and their dequantizer and dot product.
#include "inference/quant/iquants.h"

#include <array>
#include <cstring>
#include <stdexcept>

#include "inference/quant/blocks.h"
#include "inference/quant/dot_kernels.h"
#include "inference/quant/fp16.h"
#include "inference/quant/iq_grids.h"
#include "inference/quant/quant_internal.h"

namespace glasswing::quant {

using gguf::GgmlType;
using namespace blocks;

namespace {

// Byte-wise a + b (mod 256 in each byte, no carry between bytes).
uint64_t add_bytes(uint64_t a, uint64_t b) {
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  return ((a & ~kHigh) + (b & ~kHigh)) ^ ((a ^ b) & kHigh);
}
constexpr uint64_t kOnes = 0x0101010101010101ull;

// Byte j is 0xff where bit j of the index is set: a sign mask as bytes.
constexpr std::array<uint64_t, 256> kSignBytes = [] {
  std::array<uint64_t, 256> t{};
  for (int m = 0; m < 256; ++m)
    for (int j = 0; j < 8; ++j)
      if ((m >> j) & 1) t[m] |= uint64_t{0xff} << (8 * j);
  return t;
}();

// Eight elements of an IQ2 / IQ3 group: the grid entry's magnitudes (one byte each, element 0 lowest),
// negated where the sign mask has the element's bit (in every byte at once: m ^ 0xff + 1 = -m).
void put_signed(int8_t* q, uint64_t magnitudes, uint32_t sign_mask) {
  const uint64_t s = kSignBytes[sign_mask & 255];
  const uint64_t v = add_bytes(magnitudes ^ s, s & kOnes);
  std::memcpy(q, &v, 8);
}

void both_scales(Sub32& s, float d) {
  s.d[0] = s.d[1] = d;
}

// IQ2_XXS: per 32 elements two u32: four grid indices (bytes), then four 7-bit sign indices and the 4-bit
// scale on top (value d · (0.5 + s) / 4 · grid).
void decode_iq2_xxs(const IQ2_XXS& b, Sub32 (&out)[8]) {
  const float d = fp16_to_f32(b.d);
  const auto* qs = reinterpret_cast<const uint8_t*>(b.qs);
  for (int ib = 0; ib < 8; ++ib) {
    const uint8_t* idx = qs + 8 * ib;
    const uint32_t aux = load_u32(idx + 4);
    both_scales(out[ib], d * (0.5f + static_cast<float>(aux >> 28)) * 0.25f);
    for (int l = 0; l < 4; ++l)
      put_signed(out[ib].q + 8 * l, kIq2xxsGrid[idx[l]], kKsignsIq2xs[(aux >> (7 * l)) & 127]);
  }
}

// IQ2_XS: a u16 per 8 elements (9-bit grid index, 7-bit sign index), a 4-bit scale per 16 elements.
void decode_iq2_xs(const IQ2_XS& b, Sub32 (&out)[8]) {
  const float d = fp16_to_f32(b.d);
  for (int ib = 0; ib < 8; ++ib) {
    out[ib].d[0] = d * (0.5f + static_cast<float>(b.scales[ib] & 0xf)) * 0.25f;
    out[ib].d[1] = d * (0.5f + static_cast<float>(b.scales[ib] >> 4)) * 0.25f;
    for (int l = 0; l < 4; ++l) {
      const uint16_t v = b.qs[4 * ib + l];
      put_signed(out[ib].q + 8 * l, kIq2xsGrid[v & 511], kKsignsIq2xs[v >> 9]);
    }
  }
}

// IQ2_S: 10-bit grid indices (8 bits in qs, 2 in qh), a full sign byte per 8 elements, scales as IQ2_XS.
void decode_iq2_s(const IQ2_S& b, Sub32 (&out)[8]) {
  const float d = fp16_to_f32(b.d);
  for (int ib = 0; ib < 8; ++ib) {
    out[ib].d[0] = d * (0.5f + static_cast<float>(b.scales[ib] & 0xf)) * 0.25f;
    out[ib].d[1] = d * (0.5f + static_cast<float>(b.scales[ib] >> 4)) * 0.25f;
    const uint8_t* qs = b.qs + 4 * ib;
    const uint8_t* signs = b.qs + kQKK / 8 + 4 * ib;
    for (int l = 0; l < 4; ++l) {
      const int index = qs[l] | ((b.qh[ib] << (8 - 2 * l)) & 0x300);
      put_signed(out[ib].q + 8 * l, kIq2sGrid[index], signs[l]);
    }
  }
}

// IQ3_XXS: a grid index per 4 elements; per 32 elements a u32 of four 7-bit sign indices and the 4-bit scale
// (value d · (0.5 + s) / 2 · grid).
void decode_iq3_xxs(const IQ3_XXS& b, Sub32 (&out)[8]) {
  const float d = fp16_to_f32(b.d);
  for (int ib = 0; ib < 8; ++ib) {
    const uint8_t* qs = b.qs + 8 * ib;
    const uint32_t aux = load_u32(b.qs + kQKK / 4 + 4 * ib);
    both_scales(out[ib], d * (0.5f + static_cast<float>(aux >> 28)) * 0.5f);
    for (int l = 0; l < 4; ++l) {
      const uint32_t signs = kKsignsIq2xs[(aux >> (7 * l)) & 127];
      put_signed(out[ib].q + 8 * l, kIq3xxsGrid[qs[2 * l]] | (uint64_t{kIq3xxsGrid[qs[2 * l + 1]]} << 32),
                 signs);
    }
  }
}

// IQ3_S: 9-bit grid indices per 4 elements (the ninth bits in qh), a sign bit per element, a 4-bit scale per
// 32 elements (value d · (1 + 2s) · grid).
void decode_iq3_s(const IQ3_S& b, Sub32 (&out)[8]) {
  const float d = fp16_to_f32(b.d);
  for (int ib = 0; ib < 8; ++ib) {
    both_scales(out[ib], d * static_cast<float>(1 + 2 * ((b.scales[ib / 2] >> (4 * (ib % 2))) & 0xf)));
    const uint8_t* qs = b.qs + 8 * ib;
    const int qh = b.qh[ib];
    for (int l = 0; l < 4; ++l) {
      const uint32_t signs = b.signs[4 * ib + l];
      const uint64_t lo = kIq3sGrid[qs[2 * l] | ((qh << (8 - 2 * l)) & 256)];
      const uint64_t hi = kIq3sGrid[qs[2 * l + 1] | ((qh << (7 - 2 * l)) & 256)];
      put_signed(out[ib].q + 8 * l, lo | (hi << 32), signs);
    }
  }
}

}  // namespace

const std::array<uint64_t, 2048>& iq1_code_table() {
  static const std::array<uint64_t, 2048> codes = [] {
    std::array<uint64_t, 2048> t{};
    for (size_t e = 0; e < t.size(); ++e)
      for (int j = 0; j < 8; ++j) {
        const auto g = static_cast<int8_t>(kIq1sGrid[e] >> (8 * j));
        t[e] |= uint64_t{static_cast<uint8_t>(8 * g)} << (8 * j);
      }
    return t;
  }();
  return codes;
}

namespace {

// Eight IQ1 elements: grid points g shifted by ±1/8, as the codes 8g ± 1.
void put_iq1(int8_t* q, int index, bool negative_delta) {
  const uint64_t v = add_bytes(iq1_code_table()[index], negative_delta ? ~uint64_t{0} : kOnes);
  std::memcpy(q, &v, 8);
}

// IQ1_S: 11-bit grid indices per 8 elements; per 32 elements a u16 with their high 3 bits, a 3-bit scale
// (value d · (2s + 1) · (g ± 1/8)) and the delta's sign on top.
void decode_iq1_s(const IQ1_S& b, Sub32 (&out)[8]) {
  const float d = fp16_to_f32(b.d);
  for (int ib = 0; ib < 8; ++ib) {
    const int qh = b.qh[ib];
    both_scales(out[ib], d * static_cast<float>(2 * ((qh >> 12) & 7) + 1) * 0.125f);
    for (int l = 0; l < 4; ++l)
      put_iq1(out[ib].q + 8 * l, b.qs[4 * ib + l] | (((qh >> (3 * l)) & 7) << 8), qh & 0x8000);
  }
}

// IQ1_M: grid indices as IQ1_S's with a nibble per 8 elements (3 high index bits, the delta's sign), 3-bit
// scales per 16 elements, the fp16 super-block scale spread over the scales' four top nibbles.
void decode_iq1_m(const IQ1_M& b, Sub32 (&out)[8]) {
  uint16_t sc[4];
  std::memcpy(sc, b.scales, sizeof sc);
  const uint16_t dh = static_cast<uint16_t>((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) |
                                            ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000));
  const float d = fp16_to_f32(dh);
  for (int ib = 0; ib < 8; ++ib) {
    const int s = sc[ib / 2] >> (6 * (ib % 2));
    out[ib].d[0] = d * static_cast<float>(2 * (s & 7) + 1) * 0.125f;
    out[ib].d[1] = d * static_cast<float>(2 * ((s >> 3) & 7) + 1) * 0.125f;
    const uint8_t* qs = b.qs + 4 * ib;
    const uint8_t* qh = b.qh + 2 * ib;
    for (int l = 0; l < 4; ++l) {
      const int nibble = (qh[l / 2] >> (4 * (l % 2))) & 0xf;
      put_iq1(out[ib].q + 8 * l, qs[l] | ((nibble & 7) << 8), nibble & 8);
    }
  }
}

// TQ1_0: five base-3 digits per byte, most significant first: digit n of byte v is ⌊3 · (v · 3^n mod 256) /
// 256⌋ (the bytes store ⌈v₀ · 256 / 243⌉ so that this recovers the digits). Bytes 0..31 give elements
// 32n + m, bytes 32..47 elements 160 + 16n + m, qh's four bytes (four digits each) elements 240 + 4n + j.
void decode_tq1_0(const TQ1_0& b, Sub32 (&out)[8]) {
  static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
  int8_t q[kQKK];
  auto digit = [](uint8_t v, int n) {
    const auto shifted = static_cast<uint8_t>(v * kPow3[n]);
    return static_cast<int8_t>(((shifted * 3) >> 8) - 1);
  };
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 32; ++m) q[32 * n + m] = digit(b.qs[m], n);
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 16; ++m) q[160 + 16 * n + m] = digit(b.qs[32 + m], n);
  for (int n = 0; n < 4; ++n)
    for (int j = 0; j < 4; ++j) q[240 + 4 * n + j] = digit(b.qh[j], n);
  const float d = fp16_to_f32(b.d);
  for (int ib = 0; ib < 8; ++ib) {
    both_scales(out[ib], d);
    std::memcpy(out[ib].q, q + 32 * ib, 32);
  }
}

// TQ2_0: 2-bit codes c (value c - 1): bytes 32h .. 32h + 31, bits 2l, give elements 128h + 32l + m.
void decode_tq2_0(const TQ2_0& b, Sub32 (&out)[8]) {
  const float d = fp16_to_f32(b.d);
  for (int ib = 0; ib < 8; ++ib) {
    both_scales(out[ib], d);
    const int h = ib / 4, l = ib % 4;
    for (int m = 0; m < 32; ++m) out[ib].q[m] = static_cast<int8_t>(((b.qs[32 * h + m] >> (2 * l)) & 3) - 1);
  }
}

template <typename Block>
Block copy_block(const void* p) {
  Block b;
  std::memcpy(&b, p, sizeof b);
  return b;
}

template <GgmlType T>
void dequant_sub32(const void* src, float* y, int64_t n) {
  const auto* p = static_cast<const uint8_t*>(src);
  const uint32_t bytes = gguf::ggml_type_traits(T).block_bytes;
  Sub32 sub[8];
  for (int64_t i = 0; i < n / kQKK; ++i, p += bytes) {
    decode_block(T, p, sub);
    for (const Sub32& s : sub)
      for (int j = 0; j < 32; ++j) *y++ = s.d[j / 16] * static_cast<float>(s.q[j]);
  }
}

// Integer codes times x summed per 16 elements, then scaled: the decode is the cost, not the arithmetic.
template <GgmlType T>
float dot_sub32(const void* row, const float* x, int64_t n) {
  const auto* p = static_cast<const uint8_t*>(row);
  const uint32_t bytes = gguf::ggml_type_traits(T).block_bytes;
  Sub32 sub[8];
  float acc = 0.0f;
  for (int64_t i = 0; i < n / kQKK; ++i, p += bytes) {
    decode_block(T, p, sub);
    for (const Sub32& s : sub) {
      for (int h = 0; h < 2; ++h, x += 16) {
        float part[4] = {};
        for (int j = 0; j < 16; ++j) part[j % 4] += static_cast<float>(s.q[16 * h + j]) * x[j];
        acc += s.d[h] * ((part[0] + part[1]) + (part[2] + part[3]));
      }
    }
  }
  return acc;
}

}  // namespace

bool is_sub32_type(GgmlType type) {
  return with_sub32_type(
      type, [](auto) { return true; }, false);
}

void decode_block(GgmlType type, const void* block, Sub32 (&out)[8]) {
  switch (type) {
    case GgmlType::IQ2_XXS:
      return decode_iq2_xxs(copy_block<IQ2_XXS>(block), out);
    case GgmlType::IQ2_XS:
      return decode_iq2_xs(copy_block<IQ2_XS>(block), out);
    case GgmlType::IQ2_S:
      return decode_iq2_s(copy_block<IQ2_S>(block), out);
    case GgmlType::IQ3_XXS:
      return decode_iq3_xxs(copy_block<IQ3_XXS>(block), out);
    case GgmlType::IQ3_S:
      return decode_iq3_s(copy_block<IQ3_S>(block), out);
    case GgmlType::IQ1_S:
      return decode_iq1_s(copy_block<IQ1_S>(block), out);
    case GgmlType::IQ1_M:
      return decode_iq1_m(copy_block<IQ1_M>(block), out);
    case GgmlType::TQ1_0:
      return decode_tq1_0(copy_block<TQ1_0>(block), out);
    case GgmlType::TQ2_0:
      return decode_tq2_0(copy_block<TQ2_0>(block), out);
    default:
      throw std::invalid_argument("decode_block: " + gguf::ggml_type_name(type) +
                                  " is not an i-quant or ternary type");
  }
}

DequantizeFn sub32_dequantize_fn(GgmlType type) {
  return with_sub32_type(
      type, [](auto t) -> DequantizeFn { return dequant_sub32<t()>; }, DequantizeFn{});
}

namespace kernels {
DotFn sub32_dot(GgmlType type) {
  return with_sub32_type(
      type, [](auto t) -> DotFn { return dot_sub32<t()>; }, DotFn{});
}
}  // namespace kernels

}  // namespace glasswing::quant
