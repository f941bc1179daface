// Quantizers producing the same bytes as ggml's quantize_row_*_ref (what llama-quantize writes without an
// importance matrix): same search for scales, same rounding (nearest_int's round-half-even trick, roundf,
// truncating casts), same float operation order.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "inference/quant/blocks.h"
#include "inference/quant/fp16.h"
#include "inference/quant/quant.h"
#include "inference/quant/quant_internal.h"

namespace glasswing::quant {

namespace {

using namespace blocks;

constexpr float kGroupMaxEps = 1e-15f;

// Round to nearest, ties to even, for |v| < 2^22: adding 1.5 * 2^23 leaves the integer in the mantissa.
int nearest_int(float v) {
  const float biased = v + 12582912.f;
  int32_t i;
  std::memcpy(&i, &biased, 4);
  return (i & 0x007fffff) - 0x00400000;
}

template <typename T>
T min_of(T a, T b) {
  return a < b ? a : b;
}
template <typename T>
T max_of(T a, T b) {
  return a > b ? a : b;
}

void quant_f32(const float* x, void* dst, int64_t n) {
  std::memcpy(dst, x, static_cast<size_t>(n) * 4);
}

void quant_f16(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) y[i] = f32_to_fp16(x[i]);
}

void quant_bf16(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) y[i] = f32_to_bf16(x[i]);
}

void quant_q8_0(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<Q8_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    float amax = 0;
    for (int j = 0; j < kQK; ++j) amax = max_of(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = f32_to_fp16(d);
    for (int j = 0; j < kQK; ++j) y[i].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  }
}

// The value of largest magnitude, with its sign (Q4_0, Q5_0 map it to the most negative code).
float signed_absmax(const float* x, int n) {
  float amax = 0, max = 0;
  for (int j = 0; j < n; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void quant_q4_0(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<Q4_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    const float d = signed_absmax(x, kQK) / -8;
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = f32_to_fp16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      const uint8_t q0 =
          static_cast<uint8_t>(min_of(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f))));
      const uint8_t q1 =
          static_cast<uint8_t>(min_of(15, static_cast<int>(static_cast<int8_t>(x[j + 16] * id + 8.5f))));
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void min_max(const float* x, int n, float& min, float& max) {
  min = FLT_MAX;
  max = -FLT_MAX;
  for (int j = 0; j < n; ++j) {
    if (x[j] < min) min = x[j];
    if (x[j] > max) max = x[j];
  }
}

void quant_q4_1(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<Q4_1*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    float min, max;
    min_max(x, kQK, min, max);
    const float d = (max - min) / 15;
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = f32_to_fp16(d);
    y[i].m = f32_to_fp16(min);
    for (int j = 0; j < kQK / 2; ++j) {
      const uint8_t q0 =
          static_cast<uint8_t>(min_of(15, static_cast<int>(static_cast<int8_t>((x[j] - min) * id + 0.5f))));
      const uint8_t q1 = static_cast<uint8_t>(
          min_of(15, static_cast<int>(static_cast<int8_t>((x[j + 16] - min) * id + 0.5f))));
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

// Stores 32 five-bit codes: low nibbles in qs (element j low, j+16 high), fifth bits in the u32 qh.
void pack_q5(const uint8_t codes[32], uint8_t qh_out[4], uint8_t qs[16]) {
  uint32_t qh = 0;
  for (int j = 0; j < 16; ++j) {
    qs[j] = static_cast<uint8_t>((codes[j] & 0x0F) | ((codes[j + 16] & 0x0F) << 4));
    qh |= static_cast<uint32_t>((codes[j] & 0x10u) >> 4) << j;
    qh |= static_cast<uint32_t>((codes[j + 16] & 0x10u) >> 4) << (j + 16);
  }
  for (int k = 0; k < 4; ++k) qh_out[k] = static_cast<uint8_t>(qh >> (8 * k));
}

void quant_q5_0(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<Q5_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    const float d = signed_absmax(x, kQK) / -16;
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = f32_to_fp16(d);
    uint8_t codes[32];
    for (int j = 0; j < kQK; ++j)
      codes[j] = static_cast<uint8_t>(min_of(31, static_cast<int>(static_cast<int8_t>(x[j] * id + 16.5f))));
    pack_q5(codes, y[i].qh, y[i].qs);
  }
}

void quant_q5_1(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<Q5_1*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    float min, max;
    min_max(x, kQK, min, max);
    const float d = (max - min) / 31;
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = f32_to_fp16(d);
    y[i].m = f32_to_fp16(min);
    uint8_t codes[32];
    for (int j = 0; j < kQK; ++j) codes[j] = static_cast<uint8_t>((x[j] - min) * id + 0.5f);
    pack_q5(codes, y[i].qh, y[i].qs);
  }
}

// Best symmetric scale for n values with codes in [-nmax, nmax-1] (weights x^2), trying 18 scales around
// nmax/max. Returns the scale; L gets code + nmax. (ggml's make_qx_quants with rmse_type 1.)
float make_qx_quants(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.f;
  }
  float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = max_of(-nmax, min_of(nmax - 1, nearest_int(iscale * x[i])));
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = max_of(-nmax, min_of(nmax - 1, nearest_int(iscale * x[i])));
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i)
        L[i] = static_cast<int8_t>(nmax + max_of(-nmax, min_of(nmax - 1, nearest_int(iscale * x[i]))));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// Best asymmetric (scale, min) for codes 0..nmax under weights, searching nstep+1 candidate scales.
// Returns the scale; *the_min gets -min (>= 0). (ggml's make_qkx2_quants.)
float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min,
                       uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad) {
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *the_min = -min;
    return 0.f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = static_cast<uint8_t>(max_of(0, min_of(nmax, nearest_int(iscale * (x[i] - min)))));
    float diff = scale * L[i] + min - x[i];
    diff = use_mad ? std::fabs(diff) : diff * diff;
    best_error += weights[i] * diff;
  }
  if (nstep < 1) {
    *the_min = -min;
    return scale;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = max_of(0, min_of(nmax, nearest_int(iscale * (x[i] - min))));
      Laux[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        float diff = this_scale * Laux[i] + this_min - x[i];
        diff = use_mad ? std::fabs(diff) : diff * diff;
        cur_error += weights[i] * diff;
      }
      if (cur_error < best_error) {
        for (int i = 0; i < n; ++i) L[i] = Laux[i];
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *the_min = -min;
  return scale;
}

// Symmetric 3-bit codes with a few rounds of coordinate descent (ggml's make_q3_quants, do_rmse = true).
float make_q3_quants(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.f;
  }
  const float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = max_of(-nmax, min_of(nmax - 1, nearest_int(iscale * x[i])));
    L[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  for (int itry = 0; itry < 5; ++itry) {
    int n_changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * L[i];
      if (slx > 0) {
        float sl2 = suml2 - w * L[i] * L[i];
        const int new_l = max_of(-nmax, min_of(nmax - 1, nearest_int(x[i] * sl2 / slx)));
        if (new_l != L[i]) {
          slx += w * x[i] * new_l;
          sl2 += w * new_l * new_l;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = static_cast<int8_t>(new_l);
            sumlx = slx;
            suml2 = sl2;
            ++n_changed;
          }
        }
      }
    }
    if (!n_changed) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// 2-bit codes of 4 groups of 32 per 128 elements, bits 2k of byte l = element 32k + l.
void pack_2bit(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < kQKK; j += 128)
    for (int l = 0; l < 32; ++l)
      qs[j / 4 + l] =
          static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

void quant_q2_k(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<Q2_K*>(dst);
  uint8_t L[kQKK], Laux[16];
  float weights[16], mins[16], scales[16];
  const float q4scale = 15.f;
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] =
          make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    if (max_scale > 0) {
      const float iscale = q4scale / max_scale;
      for (int j = 0; j < 16; ++j) y[i].scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
      y[i].d = f32_to_fp16(max_scale / q4scale);
    } else {
      for (int j = 0; j < 16; ++j) y[i].scales[j] = 0;
      y[i].d = f32_to_fp16(0.f);
    }
    if (max_min > 0) {
      const float iscale = q4scale / max_min;
      for (int j = 0; j < 16; ++j) y[i].scales[j] |= static_cast<uint8_t>(nearest_int(iscale * mins[j]) << 4);
      y[i].dmin = f32_to_fp16(max_min / q4scale);
    } else {
      y[i].dmin = f32_to_fp16(0.f);
    }
    for (int j = 0; j < 16; ++j) {
      const float d = fp16_to_f32(y[i].d) * (y[i].scales[j] & 0xF);
      if (!d) continue;
      const float dm = fp16_to_f32(y[i].dmin) * (y[i].scales[j] >> 4);
      for (int ii = 0; ii < 16; ++ii)
        L[16 * j + ii] = static_cast<uint8_t>(max_of(0, min_of(3, nearest_int((x[16 * j + ii] + dm) / d))));
    }
    pack_2bit(L, y[i].qs);
  }
}

void quant_q3_k(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<Q3_K*>(dst);
  int8_t L[kQKK];
  float scales[16];
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float max_scale = 0, amax = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
      const float scale = std::fabs(scales[j]);
      if (scale > amax) {
        amax = scale;
        max_scale = scales[j];
      }
    }
    std::memset(y[i].scales, 0, 12);
    if (max_scale) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; ++j) {
        int8_t l = static_cast<int8_t>(nearest_int(iscale * scales[j]));
        l = static_cast<int8_t>(max_of<int>(-32, min_of<int>(31, l)) + 32);
        if (j < 8)
          y[i].scales[j] = static_cast<uint8_t>(l & 0xF);
        else
          y[i].scales[j - 8] |= static_cast<uint8_t>((l & 0xF) << 4);
        l = static_cast<int8_t>(l >> 4);
        y[i].scales[j % 4 + 8] |= static_cast<uint8_t>(l << (2 * (j / 4)));
      }
      y[i].d = f32_to_fp16(1 / iscale);
    } else {
      y[i].d = f32_to_fp16(0.f);
    }
    int8_t sc[16];
    q3k_scales(y[i].scales, sc);
    for (int j = 0; j < 16; ++j) {
      const float d = fp16_to_f32(y[i].d) * sc[j];
      if (!d) continue;
      for (int ii = 0; ii < 16; ++ii)
        L[16 * j + ii] = static_cast<int8_t>(max_of(-4, min_of(3, nearest_int(x[16 * j + ii] / d))) + 4);
    }
    // The third bit of element j goes to hmask[j % 32], bit j / 32.
    std::memset(y[i].hmask, 0, sizeof(y[i].hmask));
    uint8_t low[kQKK];
    for (int j = 0; j < kQKK; ++j) {
      int l = L[j];
      if (l > 3) {
        y[i].hmask[j % 32] |= static_cast<uint8_t>(1 << (j / 32));
        l -= 4;
      }
      low[j] = static_cast<uint8_t>(l);
    }
    pack_2bit(low, y[i].qs);
  }
}

// Packs 8 six-bit scales and mins (see blocks::scale_min_k4).
void pack_k4_scales(const uint8_t ls[8], const uint8_t lm[8], uint8_t out[12]) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      out[j] = ls[j];
      out[j + 4] = lm[j];
    } else {
      out[j + 4] = static_cast<uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
      out[j - 4] |= static_cast<uint8_t>((ls[j] >> 4) << 6);
      out[j] |= static_cast<uint8_t>((lm[j] >> 4) << 6);
    }
  }
}

// Shared by Q4_K (nmax 15) and Q5_K (nmax 31): per-32 (scale, min) search, then 6-bit quantized scales
// relative to the block maxima, then codes recomputed against the stored scales.
template <int kNmax>
void k_quant_scales_and_codes(const float* x, uint16_t& d_out, uint16_t& dmin_out, uint8_t scales_out[12],
                              uint8_t L[kQKK]) {
  uint8_t Laux[32];
  float weights[32], mins[8], scales[8];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
    scales[j] = kNmax == 15 ? make_qkx2_quants(32, 15, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -1.f,
                                               0.1f, 20, false)
                            : make_qkx2_quants(32, 31, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.5f,
                                               0.1f, 15, false);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    ls[j] = min_of<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_scale * scales[j])));
    lm[j] = min_of<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_min * mins[j])));
  }
  std::memset(scales_out, 0, 12);
  pack_k4_scales(ls, lm, scales_out);
  d_out = f32_to_fp16(max_scale / 63.f);
  dmin_out = f32_to_fp16(max_min / 63.f);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    scale_min_k4(j, scales_out, sc, m);
    const float d = fp16_to_f32(d_out) * sc;
    if (!d) continue;
    const float dm = fp16_to_f32(dmin_out) * m;
    for (int ii = 0; ii < 32; ++ii)
      L[32 * j + ii] = static_cast<uint8_t>(max_of(0, min_of(kNmax, nearest_int((x[32 * j + ii] + dm) / d))));
  }
}

void quant_q4_k(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<Q4_K*>(dst);
  uint8_t L[kQKK];
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    k_quant_scales_and_codes<15>(x, y[i].d, y[i].dmin, y[i].scales, L);
    uint8_t* q = y[i].qs;
    for (int j = 0; j < kQKK; j += 64, q += 32)
      for (int l = 0; l < 32; ++l) q[l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
  }
}

void quant_q5_k(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<Q5_K*>(dst);
  uint8_t L[kQKK];
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    k_quant_scales_and_codes<31>(x, y[i].d, y[i].dmin, y[i].scales, L);
    std::memset(y[i].qh, 0, sizeof(y[i].qh));
    uint8_t* ql = y[i].qs;
    uint8_t m1 = 1, m2 = 2;
    for (int j = 0; j < kQKK; j += 64, ql += 32) {
      for (int l = 0; l < 32; ++l) {
        int l1 = L[j + l], l2 = L[j + l + 32];
        if (l1 > 15) {
          l1 -= 16;
          y[i].qh[l] |= m1;
        }
        if (l2 > 15) {
          l2 -= 16;
          y[i].qh[l] |= m2;
        }
        ql[l] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
      m1 = static_cast<uint8_t>(m1 << 2);
      m2 = static_cast<uint8_t>(m2 << 2);
    }
  }
}

void quant_q6_k(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<Q6_K*>(dst);
  int8_t L[kQKK];
  float scales[16];
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float max_scale = 0, max_abs_scale = 0;
    for (int ib = 0; ib < 16; ++ib) {
      scales[ib] = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
      const float abs_scale = std::fabs(scales[ib]);
      if (abs_scale > max_abs_scale) {
        max_abs_scale = abs_scale;
        max_scale = scales[ib];
      }
    }
    if (max_abs_scale < kGroupMaxEps) {
      std::memset(&y[i], 0, sizeof(Q6_K));
      continue;
    }
    const float iscale = -128.f / max_scale;
    y[i].d = f32_to_fp16(1 / iscale);
    for (int ib = 0; ib < 16; ++ib)
      y[i].scales[ib] = static_cast<int8_t>(min_of(127, nearest_int(iscale * scales[ib])));
    for (int j = 0; j < 16; ++j) {
      const float d = fp16_to_f32(y[i].d) * y[i].scales[j];
      if (!d) continue;
      for (int ii = 0; ii < 16; ++ii)
        L[16 * j + ii] = static_cast<int8_t>(max_of(-32, min_of(31, nearest_int(x[16 * j + ii] / d))) + 32);
    }
    uint8_t* ql = y[i].ql;
    uint8_t* qh = y[i].qh;
    for (int j = 0; j < kQKK; j += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        const int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
        ql[l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
      }
    }
  }
}

// IQ4_NL and IQ4_XS: not llama.cpp's search (which tries several scales per block), but a valid encoding of
// the same format, for synthetic models and tests: the block's largest magnitude maps to the codebook's end
// (-127), every element to its nearest codebook value.
uint8_t nearest_iq4(float v) {
  uint8_t best = 0;
  for (uint8_t i = 1; i < 16; ++i)
    if (std::fabs(v - kIq4Values[i]) < std::fabs(v - kIq4Values[best])) best = i;
  return best;
}

// 32 elements as 16 bytes of codebook indices at scale d (element j low nibble, j+16 high, as IQ4_NL)
void pack_iq4(const float* x, float d, uint8_t* qs) {
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int j = 0; j < kQK / 2; ++j)
    qs[j] = static_cast<uint8_t>(nearest_iq4(x[j] * id) | (nearest_iq4(x[j + kQK / 2] * id) << 4));
}

// The signed element of largest magnitude of x[0, n).
float signed_max(const float* x, int n) {
  float m = 0.0f;
  for (int j = 0; j < n; ++j)
    if (std::fabs(x[j]) > std::fabs(m)) m = x[j];
  return m;
}

void quant_iq4_nl(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<IQ4_NL*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    const uint16_t d = f32_to_fp16(signed_max(x, kQK) / kIq4Values[0]);
    y[i].d = d;
    pack_iq4(x, fp16_to_f32(d), y[i].qs);
  }
}

// MXFP4: the smallest power-of-two scale that fits the block's largest magnitude under 12 (the doubled
// E2M1 grid's end), every element to its nearest grid value (not llama.cpp's, a valid encoding).
void quant_mxfp4(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<MXFP4*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    int e = 0;
    if (amax > 0.0f) e = std::clamp(static_cast<int>(std::ceil(std::log2(amax / 12.0f))) + 128, 0, 254);
    y[i].e = static_cast<uint8_t>(e);
    const float id = 1.0f / mxfp4_scale(y[i].e);
    auto nearest = [&](float v) {
      uint8_t best = 0;
      for (uint8_t k = 1; k < 16; ++k)
        if (std::fabs(v * id - kMxfp4Values[k]) < std::fabs(v * id - kMxfp4Values[best])) best = k;
      return best;
    };
    for (int j = 0; j < kQK / 2; ++j)
      y[i].qs[j] = static_cast<uint8_t>(nearest(x[j]) | (nearest(x[j + kQK / 2]) << 4));
  }
}

void quant_iq4_xs(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<IQ4_XS*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float scales[kQKK / kQK], max_scale = 0.0f;
    for (int ib = 0; ib < kQKK / kQK; ++ib) {
      scales[ib] = signed_max(x + ib * kQK, kQK) / kIq4Values[0];
      if (std::fabs(scales[ib]) > std::fabs(max_scale)) max_scale = scales[ib];
    }
    // 6-bit sub-block scales ls - 32 in [-32, 31] times the super-block's d; the largest is -32·d
    const uint16_t dh = f32_to_fp16(-max_scale / 32.0f);
    const float d = fp16_to_f32(dh), id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i] = IQ4_XS{};
    y[i].d = dh;
    for (int ib = 0; ib < kQKK / kQK; ++ib) {
      const int l = std::clamp(nearest_int(id * scales[ib]), -32, 31), ls = l + 32;
      y[i].scales_l[ib / 2] |= static_cast<uint8_t>((ls & 0xf) << (4 * (ib % 2)));
      y[i].scales_h |= static_cast<uint16_t>((ls >> 4) << (2 * ib));
      pack_iq4(x + ib * kQK, d * static_cast<float>(l), y[i].qs + ib * (kQK / 2));
    }
  }
}

QuantizeFn quantize_fn(GgmlType type) {
  switch (type) {
    case GgmlType::F32:
      return quant_f32;
    case GgmlType::F16:
      return quant_f16;
    case GgmlType::BF16:
      return quant_bf16;
    case GgmlType::Q8_0:
      return quant_q8_0;
    case GgmlType::Q4_0:
      return quant_q4_0;
    case GgmlType::Q4_1:
      return quant_q4_1;
    case GgmlType::Q5_0:
      return quant_q5_0;
    case GgmlType::Q5_1:
      return quant_q5_1;
    case GgmlType::Q2_K:
      return quant_q2_k;
    case GgmlType::Q3_K:
      return quant_q3_k;
    case GgmlType::Q4_K:
      return quant_q4_k;
    case GgmlType::Q5_K:
      return quant_q5_k;
    case GgmlType::Q6_K:
      return quant_q6_k;
    case GgmlType::IQ4_NL:
      return quant_iq4_nl;
    case GgmlType::IQ4_XS:
      return quant_iq4_xs;
    case GgmlType::MXFP4:
      return quant_mxfp4;
    default:
      return sub32_quantize_fn(type);
  }
}

}  // namespace

bool can_quantize(GgmlType type) {
  return quantize_fn(type) != nullptr;
}

void quantize_row(GgmlType type, const float* src, void* dst, int64_t n) {
  const QuantizeFn fn = quantize_fn(type);
  if (!fn)
    throw std::invalid_argument("quantize_row: cannot write tensor type " + gguf::ggml_type_name(type));
  check_row(type, n, "quantize_row");
  fn(src, dst, n);
}

}  // namespace glasswing::quant
