#pragma once
// ggml's quantized block layouts (ggml-common.h), byte for byte. Internal to inference/quant/.
//
// Every block stores one or two fp16 scales and packed integer codes; a row of n elements is n / QK
// consecutive blocks. Sizes are asserted so a layout mistake fails to compile instead of misreading files.
#include <cstdint>
#include <cstring>

namespace glasswing::quant::blocks {

constexpr int kQK = 32;    // elements per block of the legacy types
constexpr int kQKK = 256;  // elements per super-block of the K types

// The little-endian u32 at p (any alignment): packed bits and indices inside a block.
inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

struct Q4_0 {
  uint16_t d;           // fp16 scale
  uint8_t qs[kQK / 2];  // element j in the low nibble of qs[j], element j+16 in the high nibble
};
struct Q4_1 {
  uint16_t d, m;  // fp16 scale and minimum: x = d*q + m
  uint8_t qs[kQK / 2];
};
struct Q5_0 {
  uint16_t d;
  uint8_t qh[4];  // bit j = fifth bit of element j (little-endian u32)
  uint8_t qs[kQK / 2];
};
struct Q5_1 {
  uint16_t d, m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct Q8_0 {
  uint16_t d;
  int8_t qs[kQK];
};
struct Q2_K {
  uint8_t scales[kQKK / 16];  // low nibble: 4-bit scale, high nibble: 4-bit min, per 16 elements
  uint8_t qs[kQKK / 4];       // 2-bit codes
  uint16_t d, dmin;
};
struct Q3_K {
  uint8_t hmask[kQKK / 8];  // high (third) bit of each code; a clear bit means "subtract 4"
  uint8_t qs[kQKK / 4];     // low 2 bits
  uint8_t scales[12];       // 16 six-bit scales, offset by 32
  uint16_t d;
};
struct Q4_K {
  uint16_t d, dmin;
  uint8_t scales[12];  // 8 six-bit scales and 8 six-bit mins, packed (see scale_min_k4)
  uint8_t qs[kQKK / 2];
};
struct Q5_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
struct Q6_K {
  uint8_t ql[kQKK / 2];      // low 4 bits
  uint8_t qh[kQKK / 4];      // high 2 bits
  int8_t scales[kQKK / 16];  // 8-bit signed scales, per 16 elements
  uint16_t d;
};
// IQ4_NL and IQ4_XS: 4-bit indices into a 16-value non-linear codebook, times the block's scale; IQ4_NL per
// 32 elements (like Q4_0's nibble order), IQ4_XS per super-block with a 6-bit scale (minus 32) per 32
// elements
inline constexpr int8_t kIq4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                          1,    13,   25,  38,  53,  69,  89,  113};
struct IQ4_NL {
  uint16_t d;
  uint8_t qs[kQK / 2];  // element j in the low nibble of qs[j], element j+16 in the high nibble
};
struct IQ4_XS {
  uint16_t d;
  uint16_t scales_h;            // the high 2 bits of each sub-block's 6-bit scale
  uint8_t scales_l[kQKK / 64];  // the low 4 bits, two sub-blocks per byte
  uint8_t qs[kQKK / 2];         // per 32-element sub-block: 16 bytes as IQ4_NL's
};
// Sub-block ib's signed scale (its 6-bit scale minus 32): the value is d · iq4_xs_scale · codebook value.
inline int iq4_xs_scale(const IQ4_XS& b, int ib) {
  return (((b.scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) | (((b.scales_h >> 2 * ib) & 3) << 4)) - 32;
}
// MXFP4 (OCP microscaling, gpt-oss's experts): 32 FP4 (E2M1) values under a shared power-of-two scale
// (E8M0). As ggml stores them: the E2M1 values doubled to integers (so the scale is halved), element j in
// the low nibble of qs[j], element j+16 in the high nibble.
inline constexpr int8_t kMxfp4Values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
struct MXFP4 {
  uint8_t e;  // E8M0 exponent: the doubled values are scaled by 2^(e - 128)
  uint8_t qs[kQK / 2];
};
// 2^(e - 128) as a float (denormal for e < 2), as ggml's GGML_E8M0_TO_FP32_HALF.
inline float mxfp4_scale(uint8_t e) {
  const uint32_t bits = e < 2 ? 0x00200000u << e : static_cast<uint32_t>(e - 1) << 23;
  float f;
  static_assert(sizeof f == sizeof bits);
  __builtin_memcpy(&f, &bits, sizeof f);
  return f;
}
// The i-quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S): 256-element super-blocks whose
// elements come in groups of 8 (or 4) read from a codebook of lattice points (iq_grids.h) with a sign per
// element, under a small integer scale per 32 or 16 elements. The ternary TQ1_0 / TQ2_0 (BitNet b1.58): codes
// -1, 0, 1 under one scale per 256. Layouts from ggml-common.h; decoded by iquants.h.
struct IQ2_XXS {
  uint16_t d;
  uint16_t qs[kQKK / 8];  // per 32 elements, two u32: 4 grid indices (bytes), then 4 x 7 sign bits and a
                          // 4-bit scale on top
};
struct IQ2_XS {
  uint16_t d;
  uint16_t qs[kQKK / 8];      // per 8 elements: 9-bit grid index, 7 sign bits above it
  uint8_t scales[kQKK / 32];  // two 4-bit scales per 32 elements (one per 16)
};
struct IQ2_S {
  uint16_t d;
  uint8_t qs[kQKK / 4];       // low 8 bits of the 32 grid indices, then 32 bytes of signs (one per element)
  uint8_t qh[kQKK / 32];      // the indices' high 2 bits, four groups per byte
  uint8_t scales[kQKK / 32];  // as IQ2_XS
};
struct IQ3_XXS {
  uint16_t d;
  uint8_t qs[3 * kQKK / 8];  // 64 grid indices (4 elements each), then per 32 elements a u32 as IQ2_XXS's
};
struct IQ3_S {
  uint16_t d;
  uint8_t qs[kQKK / 4];       // low 8 bits of the 64 grid indices (4 elements each)
  uint8_t qh[kQKK / 32];      // their ninth bits, one byte per 32 elements
  uint8_t signs[kQKK / 8];    // one bit per element
  uint8_t scales[kQKK / 64];  // 4-bit scales, two sub-blocks of 32 per byte
};
struct IQ1_S {
  uint16_t d;
  uint8_t qs[kQKK / 8];    // low 8 bits of the 32 grid indices
  uint16_t qh[kQKK / 32];  // per 32 elements: 4 x 3 high index bits, a 3-bit scale, the delta's sign on top
};
struct IQ1_M {
  uint8_t qs[kQKK / 8];       // low 8 bits of the 32 grid indices
  uint8_t qh[kQKK / 16];      // per 8 elements a nibble: 3 high index bits, the delta's sign
  uint8_t scales[kQKK / 32];  // 3-bit scales per 16 elements in the low 12 bits of each u16; the fp16 super
                              // scale in the four top nibbles
};
struct TQ1_0 {
  uint8_t qs[(kQKK - 4 * kQKK / 64) / 5];  // five base-3 digits per byte (240 elements)
  uint8_t qh[kQKK / 64];                   // four digits per byte (the last 16)
  uint16_t d;
};
struct TQ2_0 {
  uint8_t qs[kQKK / 4];  // 2-bit codes (code - 1 is the value)
  uint16_t d;
};
static_assert(sizeof(IQ2_XXS) == 66 && sizeof(IQ2_XS) == 74 && sizeof(IQ2_S) == 82 && sizeof(IQ3_XXS) == 98);
static_assert(sizeof(IQ3_S) == 110 && sizeof(IQ1_S) == 50 && sizeof(IQ1_M) == 56);
static_assert(sizeof(TQ1_0) == 54 && sizeof(TQ2_0) == 66);

struct Q8_K {
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16];  // sum of each 16 codes
};

static_assert(sizeof(Q4_0) == 18 && sizeof(Q4_1) == 20 && sizeof(Q5_0) == 22 && sizeof(Q5_1) == 24);
static_assert(sizeof(Q8_0) == 34 && sizeof(Q2_K) == 84 && sizeof(Q3_K) == 110 && sizeof(Q4_K) == 144);
static_assert(sizeof(Q5_K) == 176 && sizeof(Q6_K) == 210 && sizeof(Q8_K) == 292);

// Scale and min number j (0..7) of a Q4_K / Q5_K block: j < 4 are the low 6 bits of bytes j and j+4;
// j >= 4 take their low 4 bits from byte j+4 and their top 2 bits from the spare top bits of bytes j-4 / j.
inline void scale_min_k4(int j, const uint8_t* q, uint8_t& scale, uint8_t& min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// All eight scales (out[0..7]) and eight mins (out[8..15]) of a Q4_K/Q5_K block at once, with word
// operations: the same values as scale_min_k4(0..7), for kernels that convert them to floats together.
inline void scales_mins_k4(const uint8_t* q, uint8_t out[16]) {
  uint32_t w[3];
  std::memcpy(w, q, 12);
  constexpr uint32_t low6 = 0x3F3F3F3F, low4 = 0x0F0F0F0F, top2 = 0x03030303;
  // j < 4: the low six bits of bytes j (scale) and j + 4 (min). j >= 4: a nibble of byte j + 4, topped by
  // the two high bits of byte j - 4 (scale) or j (min), each shifted down within its own byte.
  const uint32_t scales_lo = w[0] & low6, mins_lo = w[1] & low6;
  const uint32_t scales_hi = (w[2] & low4) | (((w[0] >> 6) & top2) << 4);
  const uint32_t mins_hi = ((w[2] >> 4) & low4) | (((w[1] >> 6) & top2) << 4);
  std::memcpy(out, &scales_lo, 4);
  std::memcpy(out + 4, &scales_hi, 4);
  std::memcpy(out + 8, &mins_lo, 4);
  std::memcpy(out + 12, &mins_hi, 4);
}

// The 16 signed scales of a Q3_K block (each 6-bit value minus 32). Scale i has its low 4 bits in
// byte i (i < 8, low nibble) or byte i-8 (high nibble), and its top 2 bits in byte 8 + i%4, bits 2*(i/4).
// Done four scales to a word (the decode kernels call it once per 256 elements).
inline void q3k_scales(const uint8_t* packed, int8_t out[16]) {
  uint32_t w[3];
  std::memcpy(w, packed, 12);
  constexpr uint32_t low4 = 0x0F0F0F0F, top2 = 0x03030303;
  const uint32_t words[4] = {(w[0] & low4) | ((w[2] & top2) << 4),                 // scales 0..3
                             (w[1] & low4) | (((w[2] >> 2) & top2) << 4),          // 4..7
                             ((w[0] >> 4) & low4) | (((w[2] >> 4) & top2) << 4),   // 8..11
                             ((w[1] >> 4) & low4) | (((w[2] >> 6) & top2) << 4)};  // 12..15
  uint8_t u[16];
  std::memcpy(u, words, 16);
  for (int i = 0; i < 16; ++i) out[i] = static_cast<int8_t>(u[i] - 32);
}

static_assert(sizeof(IQ4_NL) == 18);
static_assert(sizeof(IQ4_XS) == 136);
static_assert(sizeof(MXFP4) == 17);

}  // namespace glasswing::quant::blocks
