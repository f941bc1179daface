// Reference decoders, one per type, written to give exactly ggml's dequantize_row_* results: the same
// operations in the same order (x*d, then + m), so files decode to identical floats.
#include <cstring>
#include <stdexcept>
#include <string>

#include "inference/quant/blocks.h"
#include "inference/quant/dot_kernels.h"
#include "inference/quant/fp16.h"
#include "inference/quant/quant.h"
#include "inference/quant/quant_internal.h"

namespace glasswing::quant {

namespace {

using namespace blocks;

void dequant_f32(const void* src, float* y, int64_t n) {
  std::memcpy(y, src, static_cast<size_t>(n) * 4);
}

void dequant_f16(const void* src, float* y, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_f32(h[i]);
}

void dequant_bf16(const void* src, float* y, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_f32(h[i]);
}

void dequant_q8_0(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Q8_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK) {
    const float d = fp16_to_f32(x[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = x[i].qs[j] * d;
  }
}

void dequant_q4_0(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Q4_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK) {
    const float d = fp16_to_f32(x[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = ((x[i].qs[j] & 0xF) - 8) * d;
      y[j + 16] = ((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequant_q4_1(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Q4_1*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK) {
    const float d = fp16_to_f32(x[i].d);
    const float m = fp16_to_f32(x[i].m);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = (x[i].qs[j] & 0xF) * d + m;
      y[j + 16] = (x[i].qs[j] >> 4) * d + m;
    }
  }
}

void dequant_q5_0(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Q5_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK) {
    const float d = fp16_to_f32(x[i].d);
    const uint32_t qh = load_u32(x[i].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const int h0 = ((qh >> j) & 1) << 4;
      const int h1 = ((qh >> (j + 16)) & 1) << 4;
      y[j] = (((x[i].qs[j] & 0xF) | h0) - 16) * d;
      y[j + 16] = (((x[i].qs[j] >> 4) | h1) - 16) * d;
    }
  }
}

void dequant_q5_1(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Q5_1*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK) {
    const float d = fp16_to_f32(x[i].d);
    const float m = fp16_to_f32(x[i].m);
    const uint32_t qh = load_u32(x[i].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const int h0 = ((qh >> j) & 1) << 4;
      const int h1 = ((qh >> (j + 16)) & 1) << 4;
      y[j] = ((x[i].qs[j] & 0xF) | h0) * d + m;
      y[j + 16] = ((x[i].qs[j] >> 4) | h1) * d + m;
    }
  }
}

// Q2_K: 16 groups of 16; group g uses scales[g] (low nibble scale, high nibble min). Codes: each 128-element
// half reads 32 bytes of qs; bits 2k..2k+1 of byte l hold element 32k + l of that half.
void dequant_q2_k(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Q2_K*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = fp16_to_f32(x[i].d);
    const float dmin = fp16_to_f32(x[i].dmin);
    const uint8_t* q = x[i].qs;
    int is = 0;
    for (int half = 0; half < 2; ++half, q += 32) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int part = 0; part < 2; ++part) {
          const uint8_t sc = x[i].scales[is++];
          const float dl = d * (sc & 0xF);
          const float ml = dmin * (sc >> 4);
          for (int l = 0; l < 16; ++l) *y++ = dl * ((q[l + 16 * part] >> shift) & 3) - ml;
        }
      }
    }
  }
}

// Q3_K: as Q2_K for the low 2 bits; the third bit comes from hmask bit k (k = 0..7 over the 8 groups of
// 32), byte l; a clear bit subtracts 4. Scales are signed 6-bit (minus 32), no mins.
void dequant_q3_k(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Q3_K*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = fp16_to_f32(x[i].d);
    int8_t scales[16];
    q3k_scales(x[i].scales, scales);
    const uint8_t* q = x[i].qs;
    const uint8_t* hm = x[i].hmask;
    int is = 0;
    uint8_t m = 1;
    for (int half = 0; half < 2; ++half, q += 32) {
      for (int shift = 0; shift < 8; shift += 2, m = static_cast<uint8_t>(m << 1)) {
        for (int part = 0; part < 2; ++part) {
          const float dl = d * scales[is++];
          for (int l = 0; l < 16; ++l) {
            const int k = l + 16 * part;
            *y++ = dl * (((q[k] >> shift) & 3) - ((hm[k] & m) ? 0 : 4));
          }
        }
      }
    }
  }
}

// Q4_K: 8 groups of 32 with 6-bit scale/min each; each 64 elements read 32 bytes (low nibbles first).
void dequant_q4_k(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Q4_K*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = fp16_to_f32(x[i].d);
    const float dmin = fp16_to_f32(x[i].dmin);
    const uint8_t* q = x[i].qs;
    for (int g = 0; g < 8; g += 2, q += 32) {
      uint8_t sc, mn;
      scale_min_k4(g, x[i].scales, sc, mn);
      const float d1 = d * sc, m1 = dmin * mn;
      scale_min_k4(g + 1, x[i].scales, sc, mn);
      const float d2 = d * sc, m2 = dmin * mn;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
    }
  }
}

// Q5_K: Q4_K plus a fifth bit: group g's bit is bit g of qh[l].
void dequant_q5_k(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Q5_K*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = fp16_to_f32(x[i].d);
    const float dmin = fp16_to_f32(x[i].dmin);
    const uint8_t* ql = x[i].qs;
    const uint8_t* qh = x[i].qh;
    for (int g = 0; g < 8; g += 2, ql += 32) {
      uint8_t sc, mn;
      scale_min_k4(g, x[i].scales, sc, mn);
      const float d1 = d * sc, m1 = dmin * mn;
      scale_min_k4(g + 1, x[i].scales, sc, mn);
      const float d2 = d * sc, m2 = dmin * mn;
      const uint8_t u1 = static_cast<uint8_t>(1u << g), u2 = static_cast<uint8_t>(2u << g);
      for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
    }
  }
}

// Q6_K: per 128 elements, 64 bytes of ql and 32 of qh. Element 32k + l (k = 0..3) takes the low or high
// nibble of ql[l] / ql[l+32] and bits 2k..2k+1 of qh[l]; codes are offset by 32; scales per 16 elements.
void dequant_q6_k(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Q6_K*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = fp16_to_f32(x[i].d);
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    const int8_t* sc = x[i].scales;
    for (int half = 0; half < 2; ++half, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[is] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
    }
  }
}

// 32 indices into a 16-entry codebook (IQ4_NL's nibble order, MXFP4's too) times the scale d
void dequant_codebook_block(const int8_t (&codebook)[16], const uint8_t* qs, float d, float* y) {
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = d * codebook[qs[j] & 0xf];
    y[j + kQK / 2] = d * codebook[qs[j] >> 4];
  }
}

void dequant_iq4_nl(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const IQ4_NL*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK)
    dequant_codebook_block(kIq4Values, x[i].qs, fp16_to_f32(x[i].d), y);
}

void dequant_iq4_xs(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const IQ4_XS*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = fp16_to_f32(x[i].d);
    for (int ib = 0; ib < kQKK / kQK; ++ib, y += kQK)
      dequant_codebook_block(kIq4Values, x[i].qs + ib * (kQK / 2),
                             d * static_cast<float>(iq4_xs_scale(x[i], ib)), y);
  }
}

void dequant_mxfp4(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const MXFP4*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK)
    dequant_codebook_block(kMxfp4Values, x[i].qs, mxfp4_scale(x[i].e), y);
}

}  // namespace

DequantizeFn dequantize_fn(GgmlType type) {
  switch (type) {
    case GgmlType::F32:
      return dequant_f32;
    case GgmlType::F16:
      return dequant_f16;
    case GgmlType::BF16:
      return dequant_bf16;
    case GgmlType::Q8_0:
      return dequant_q8_0;
    case GgmlType::Q4_0:
      return dequant_q4_0;
    case GgmlType::Q4_1:
      return dequant_q4_1;
    case GgmlType::Q5_0:
      return dequant_q5_0;
    case GgmlType::Q5_1:
      return dequant_q5_1;
    case GgmlType::Q2_K:
      return dequant_q2_k;
    case GgmlType::Q3_K:
      return dequant_q3_k;
    case GgmlType::Q4_K:
      return dequant_q4_k;
    case GgmlType::Q5_K:
      return dequant_q5_k;
    case GgmlType::Q6_K:
      return dequant_q6_k;
    case GgmlType::IQ4_NL:
      return dequant_iq4_nl;
    case GgmlType::IQ4_XS:
      return dequant_iq4_xs;
    case GgmlType::MXFP4:
      return dequant_mxfp4;
    default:
      return sub32_dequantize_fn(type);
  }
}

bool can_dequantize(GgmlType type) {
  return dequantize_fn(type) != nullptr;
}

void check_row(GgmlType type, int64_t n, const char* what) {
  const auto traits = gguf::ggml_type_traits(type);
  if (n < 0 || traits.block_bytes == 0 || n % traits.block_elements != 0) {
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(n) +
                                " elements is not a multiple of " + ggml_type_name(type) + "'s block size " +
                                std::to_string(traits.block_elements));
  }
}

DequantizeFn fast_dequantize_fn(GgmlType type) {
  static const bool avx2 = kernels::cpu_has_avx2();
  const DequantizeFn fast = avx2 ? kernels::avx2_dequant(type) : nullptr;
  return fast ? fast : dequantize_fn(type);
}

void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n) {
  const DequantizeFn fn = fast_dequantize_fn(type);
  if (!fn) throw std::invalid_argument("dequantize_row: unsupported tensor type " + ggml_type_name(type));
  check_row(type, n, "dequantize_row");
  fn(src, dst, n);
}

}  // namespace glasswing::quant
