#include "inference/cpu/ggml_kernels.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "inference/cpu/ggml_rounding.h"
#include "inference/gguf/ggml_type.h"
#include "inference/quant/blocks.h"
#include "inference/quant/fp16.h"
#include "inference/quant/quant.h"

namespace glasswing::cpu {

using gguf::GgmlType;

namespace {

float hsum8(const float acc[8]) {
  float a[4];
  for (int i = 0; i < 4; ++i) a[i] = acc[i] + acc[i + 4];
  const float b0 = a[0] + a[2], b1 = a[1] + a[3];
  return b0 + b1;
}

// Weight types whose dot with q8_0/q8_1 activations this file reproduces: (bytes per block, has a min).
bool q8_family(GgmlType t, size_t& block_bytes, bool& has_min) {
  switch (t) {
    case GgmlType::Q8_0:
    case GgmlType::Q4_0:
    case GgmlType::Q5_0:
      has_min = false;
      break;
    case GgmlType::Q4_1:
    case GgmlType::Q5_1:
      has_min = true;
      break;
    default:
      return false;
  }
  block_bytes = gguf::ggml_type_traits(t).block_bytes;
  return true;
}

float half_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return quant::fp16_to_f32(h);
}

// One activation row quantized to q8_0 / q8_1 as ggml's AVX2 quantize_row_q8_0/q8_1 does.
struct Q8Row {
  std::vector<int32_t> q;  // codes
  std::vector<float> d;    // fp16-rounded scale per block
  std::vector<float> s;    // fp16(d_unrounded · Σq) per block (q8_1)
};

void quantize_q8(const float* x, int64_t n, Q8Row& r) {
  const int64_t nb = n / 32;
  r.q.resize(static_cast<size_t>(n));
  r.d.resize(static_cast<size_t>(nb));
  r.s.resize(static_cast<size_t>(nb));
  for (int64_t b = 0; b < nb; ++b) {
    const float* xb = x + b * 32;
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(xb[i]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int32_t sum = 0;
    for (int i = 0; i < 32; ++i) {
      const auto v = static_cast<int32_t>(std::nearbyint(xb[i] * id));
      r.q[static_cast<size_t>(b * 32 + i)] = v;
      sum += v;
    }
    r.d[static_cast<size_t>(b)] = round_fp16(d);
    r.s[static_cast<size_t>(b)] = round_fp16(d * static_cast<float>(sum));
  }
}

// One activation row quantized to q8_K as ggml's quantize_row_q8_K (reference version, used on x86) does.
void quantize_q8_K(const float* x, int64_t n, Q8Row& r) {
  const int64_t nb = n / 256;
  r.q.assign(static_cast<size_t>(n), 0);
  r.d.assign(static_cast<size_t>(nb), 0.0f);
  for (int64_t b = 0; b < nb; ++b) {
    const float* xb = x + b * 256;
    float max = 0, amax = 0;
    for (int i = 0; i < 256; ++i)
      if (std::fabs(xb[i]) > amax) {
        amax = std::fabs(xb[i]);
        max = xb[i];
      }
    if (amax == 0.0f) continue;
    const float iscale = -127.0f / max;
    for (int i = 0; i < 256; ++i)
      r.q[static_cast<size_t>(b * 256 + i)] =
          std::min(127, static_cast<int32_t>(std::nearbyint(iscale * xb[i])));
    r.d[static_cast<size_t>(b)] = 1.0f / iscale;
  }
}

// K types without a separate min whose AVX2 vec_dot this file reproduces: byte offset of the fp16 d.
bool k_family(GgmlType t, size_t& block_bytes, size_t& d_offset) {
  switch (t) {
    case GgmlType::Q6_K:
      block_bytes = 210;
      d_offset = 208;
      return true;
    case GgmlType::Q3_K:
      block_bytes = 110;
      d_offset = 108;
      return true;
    default:
      return false;
  }
}

}  // namespace

float dot_lanes(const float* a, const float* b, int64_t n) {
  float acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] = std::fma(a[i + l], b[i + l], acc[l]);
  for (int l = 0; i < n; ++i, ++l) acc[l] = std::fma(a[i], b[i], acc[l]);
  return hsum8(acc);
}

bool uses_vec_dot_f32(GgmlType type, int64_t n_cols, int64_t n_rows) {
  return type == GgmlType::F32 && (n_cols % 8 != 0 || n_rows % 4 != 0);
}

float dot_vec_f32(const float* a, const float* b, int64_t n) {
  float acc[4][8] = {};
  const int64_t np = n & ~int64_t{31};
  for (int64_t i = 0; i < np; i += 32)
    for (int j = 0; j < 4; ++j)
      for (int l = 0; l < 8; ++l) acc[j][l] = std::fma(a[i + 8 * j + l], b[i + 8 * j + l], acc[j][l]);
  float x[8];
  for (int l = 0; l < 8; ++l) {
    const float s02 = acc[0][l] + acc[2][l], s13 = acc[1][l] + acc[3][l];
    x[l] = s02 + s13;
  }
  const float t0 = x[0] + x[4], t1 = x[1] + x[5], t2 = x[2] + x[6], t3 = x[3] + x[7];
  const float h0 = t0 + t1, h1 = t2 + t3;
  float sum = h0 + h1;
  for (int64_t i = np; i < n; ++i) sum += a[i] * b[i];  // not contracted: measured against stories260K
  return sum;
}

void swiglu_like_ggml(float* gate, const float* up, int64_t n_rows, int64_t n_ff) {
  const int64_t vectorized = n_ff & ~int64_t{7};
  for (int64_t r = 0; r < n_rows; ++r)
    for (int64_t i = 0; i < n_ff; ++i) {
      const int64_t k = r * n_ff + i;
      const float g = gate[k];
      const float e = i < vectorized ? expf_like_ggml(-g) : std::exp(-g);
      gate[k] = g / (1.0f + e) * up[k];
    }
}

KMinBlock decode_kmin(GgmlType t, const uint8_t* p) {
  KMinBlock k;
  if (t == GgmlType::Q2_K) {
    k.sub = 16;
    for (int s = 0; s < 16; ++s) {
      k.sc[s] = p[s] & 0xF;
      k.m[s] = p[s] >> 4;
    }
    k.d = half_at(p + 80);
    k.dmin = half_at(p + 82);
    return k;
  }
  k.d = half_at(p);
  k.dmin = half_at(p + 2);
  for (int s = 0; s < 8; ++s) {
    uint8_t sc, m;
    quant::blocks::scale_min_k4(s, p + 4, sc, m);
    k.sc[s] = sc;
    k.m[s] = m;
  }
  return k;
}

namespace {

// Q6_K / Q3_K against q8_K activations (ggml_vec_dot_q6_K_q8_K / q3_K, AVX2): per 256-superblock, 8 integer
// lanes (lane l = elements 4l…4l+3 of every 32, each times its 16-element scale, offsets folded in), then
// acc_l = fma(d_y·d_w, lane_l, acc_l) and hsum. The integer weights sc·(q − offset) are recovered from the
// dequantized values as w / d_w.
void matmul_k_like_ggml(float* out, const float* x, const model::WeightMatrix& w, model::Vector bias,
                        int64_t n_batch, ThreadPool& pool, size_t block_bytes, size_t d_offset) {
  const int64_t n = w.n_cols, rows = w.n_rows;
  std::vector<Q8Row> xq(static_cast<size_t>(n_batch));
  for (int64_t t = 0; t < n_batch; ++t) quantize_q8_K(x + t * n, n, xq[static_cast<size_t>(t)]);
  pool.parallel_for(rows, [&](int64_t begin, int64_t end, int) {
    thread_local std::vector<float> row;
    thread_local std::vector<int32_t> codes;
    row.resize(static_cast<size_t>(n));
    codes.resize(static_cast<size_t>(n));
    for (int64_t r = begin; r < end; ++r) {
      const auto* raw = static_cast<const uint8_t*>(w.row(r));
      quant::dequantize_row(w.type, raw, row.data(), n);
      for (int64_t sb = 0; sb < n / 256; ++sb) {
        const float d = half_at(raw + static_cast<size_t>(sb) * block_bytes + d_offset);
        for (int64_t k = sb * 256; k < sb * 256 + 256; ++k)
          codes[static_cast<size_t>(k)] =
              d == 0.0f ? 0 : static_cast<int32_t>(std::nearbyint(row[static_cast<size_t>(k)] / d));
      }
      const float b = bias.empty() ? 0.0f : bias[static_cast<size_t>(r)];
      for (int64_t t = 0; t < n_batch; ++t) {
        const Q8Row& a = xq[static_cast<size_t>(t)];
        float acc[8] = {};
        for (int64_t sb = 0; sb < n / 256; ++sb) {
          const float d =
              a.d[static_cast<size_t>(sb)] * half_at(raw + static_cast<size_t>(sb) * block_bytes + d_offset);
          int32_t lanes[8] = {};
          for (int64_t k = sb * 256; k < sb * 256 + 256; ++k)
            lanes[(k % 32) / 4] += codes[static_cast<size_t>(k)] * a.q[static_cast<size_t>(k)];
          for (int l = 0; l < 8; ++l) acc[l] = std::fma(d, static_cast<float>(lanes[l]), acc[l]);
        }
        out[t * rows + r] = hsum8(acc) + b;
      }
    }
  });
}

// Q4_K / Q5_K / Q2_K against q8_K activations, each in the order llama.cpp's x86 build runs it:
//   Q4_K (vec_dot AVX2): 8 lanes of sc·q·y with fma(d), plus 4 lanes of min pairs (m·bsum32) with fma(dmin)
//   Q5_K (vec_dot AVX2): 8 lanes of sc·q·y with fma(d), plus summs += dmin·Σ m·bsum (d = d_y·d_w, dmin =
//   −d_y·dmin_w) Q2_K (vec_dot AVX2): 8 lanes; per super-block first fma(dmin, m·bsum pairs), then fma(d,
//   sc·q·y lanes)
void matmul_kmin_like_ggml(float* out, const float* x, const model::WeightMatrix& w, model::Vector bias,
                           int64_t n_batch, ThreadPool& pool) {
  const int64_t n = w.n_cols, rows = w.n_rows, nsb = n / 256;
  const size_t block_bytes = w.type == GgmlType::Q4_K ? 144 : w.type == GgmlType::Q5_K ? 176 : 84;
  std::vector<Q8Row> xq(static_cast<size_t>(n_batch));
  for (int64_t t = 0; t < n_batch; ++t) quantize_q8_K(x + t * n, n, xq[static_cast<size_t>(t)]);
  pool.parallel_for(rows, [&](int64_t begin, int64_t end, int) {
    thread_local std::vector<float> row;
    thread_local std::vector<int32_t> codes;
    thread_local std::vector<KMinBlock> blocks;
    row.resize(static_cast<size_t>(n));
    codes.resize(static_cast<size_t>(n));
    blocks.resize(static_cast<size_t>(nsb));
    for (int64_t r = begin; r < end; ++r) {
      const auto* raw = static_cast<const uint8_t*>(w.row(r));
      quant::dequantize_row(w.type, raw, row.data(), n);
      for (int64_t sb = 0; sb < nsb; ++sb) {
        KMinBlock& k = blocks[static_cast<size_t>(sb)];
        k = decode_kmin(w.type, raw + static_cast<size_t>(sb) * block_bytes);
        for (int64_t i = 0; i < 256; ++i) {
          const int s = static_cast<int>(i / k.sub);
          const float d1 = k.d * static_cast<float>(k.sc[s]), m1 = k.dmin * static_cast<float>(k.m[s]);
          const size_t idx = static_cast<size_t>(sb * 256 + i);
          codes[idx] = d1 == 0.0f ? 0 : static_cast<int32_t>(std::nearbyint((row[idx] + m1) / d1));
        }
      }
      const float b = bias.empty() ? 0.0f : bias[static_cast<size_t>(r)];
      for (int64_t t = 0; t < n_batch; ++t) {
        const Q8Row& a = xq[static_cast<size_t>(t)];
        float acc[8] = {}, accm4[4] = {}, summs = 0;
        for (int64_t sb = 0; sb < nsb; ++sb) {
          const KMinBlock& k = blocks[static_cast<size_t>(sb)];
          const float dy = a.d[static_cast<size_t>(sb)];
          int32_t lanes[8] = {}, mins_total = 0;
          int32_t bsum[16] = {};
          for (int64_t i = 0; i < 256; ++i) {
            const size_t idx = static_cast<size_t>(sb * 256 + i);
            const int32_t v = k.sc[i / k.sub] * codes[idx] * a.q[idx];
            lanes[(i % 32) / 4] += v;
            bsum[i / 16] += a.q[idx];
          }
          if (w.type == GgmlType::Q2_K) {
            const float dmin = -dy * k.dmin;
            for (int l = 0; l < 8; ++l)
              acc[l] = std::fma(
                  dmin, static_cast<float>(k.m[2 * l] * bsum[2 * l] + k.m[2 * l + 1] * bsum[2 * l + 1]),
                  acc[l]);
            const float d = dy * k.d;
            for (int l = 0; l < 8; ++l) acc[l] = std::fma(d, static_cast<float>(lanes[l]), acc[l]);
            continue;
          }
          for (int s = 0; s < 8; ++s) mins_total += k.m[s] * (bsum[2 * s] + bsum[2 * s + 1]);
          if (w.type == GgmlType::Q4_K) {
            const float d = dy * k.d, dmin = -dy * k.dmin;
            for (int l = 0; l < 4; ++l)
              accm4[l] = std::fma(dmin,
                                  static_cast<float>(k.m[2 * l] * (bsum[4 * l] + bsum[4 * l + 1]) +
                                                     k.m[2 * l + 1] * (bsum[4 * l + 2] + bsum[4 * l + 3])),
                                  accm4[l]);
            for (int l = 0; l < 8; ++l) acc[l] = std::fma(d, static_cast<float>(lanes[l]), acc[l]);
          } else {
            const float d = dy * k.d, dmin = -dy * k.dmin;
            for (int l = 0; l < 8; ++l) acc[l] = std::fma(d, static_cast<float>(lanes[l]), acc[l]);
            summs = std::fma(dmin, static_cast<float>(mins_total), summs);
          }
        }
        float result;
        if (w.type == GgmlType::Q4_K)
          result = hsum8(acc) + ((accm4[0] + accm4[2]) + (accm4[1] + accm4[3]));
        else if (w.type == GgmlType::Q5_K)
          result = hsum8(acc) + summs;
        else
          result = hsum8(acc);
        out[t * rows + r] = result + b;
      }
    }
  });
}

}  // namespace

void matmul_like_ggml(float* out, const float* x, const model::WeightMatrix& w, model::Vector bias,
                      int64_t n_batch, ThreadPool& pool) {
  const int64_t n = w.n_cols, rows = w.n_rows;
  size_t block_bytes = 0;
  bool has_min = false;
  const bool q8 = q8_family(w.type, block_bytes, has_min) && n % 32 == 0;
  if ((w.type == GgmlType::Q4_K || w.type == GgmlType::Q5_K || w.type == GgmlType::Q2_K) && n % 256 == 0) {
    matmul_kmin_like_ggml(out, x, w, bias, n_batch, pool);
    return;
  }
  size_t k_block_bytes = 0, k_d_offset = 0;
  if (k_family(w.type, k_block_bytes, k_d_offset) && n % 256 == 0) {
    matmul_k_like_ggml(out, x, w, bias, n_batch, pool, k_block_bytes, k_d_offset);
    return;
  }
  // Activations as ggml converts them: integer codes for the q8 family, rounded floats otherwise.
  std::vector<Q8Row> xq(q8 ? static_cast<size_t>(n_batch) : 0);
  std::vector<float> xr(q8 ? 0 : static_cast<size_t>(n_batch * n));
  for (int64_t t = 0; t < n_batch; ++t) {
    if (q8)
      quantize_q8(x + t * n, n, xq[static_cast<size_t>(t)]);
    else
      round_activation_like_ggml(w.type, x + t * n, &xr[static_cast<size_t>(t * n)], n);
  }
  const bool f32_vec_dot = uses_vec_dot_f32(w.type, n, rows);
  pool.parallel_for(rows, [&](int64_t begin, int64_t end, int) {
    thread_local std::vector<float> row;
    thread_local std::vector<int32_t> codes;
    row.resize(static_cast<size_t>(n));
    codes.resize(static_cast<size_t>(n));
    for (int64_t r = begin; r < end; ++r) {
      const auto* raw = static_cast<const uint8_t*>(w.row(r));
      if (w.type == GgmlType::F32)
        std::memcpy(row.data(), raw, static_cast<size_t>(n) * sizeof(float));
      else
        quant::dequantize_row(w.type, raw, row.data(), n);
      const float b = bias.empty() ? 0.0f : bias[static_cast<size_t>(r)];
      if (!q8) {
        for (int64_t t = 0; t < n_batch; ++t)
          out[t * rows + r] =
              (f32_vec_dot ? dot_vec_f32 : dot_lanes)(&xr[static_cast<size_t>(t * n)], row.data(), n) + b;
        continue;
      }
      // Integer weight codes back from the exact dequantized values: w = d·q (+ m).
      for (int64_t blk = 0; blk < n / 32; ++blk) {
        const uint8_t* p = raw + static_cast<size_t>(blk) * block_bytes;
        const float d = half_at(p), m = has_min ? half_at(p + 2) : 0.0f;
        for (int i = 0; i < 32; ++i) {
          const size_t k = static_cast<size_t>(blk * 32 + i);
          codes[k] = d == 0.0f ? 0 : static_cast<int32_t>(std::nearbyint((row[k] - m) / d));
        }
      }
      for (int64_t t = 0; t < n_batch; ++t) {
        const Q8Row& a = xq[static_cast<size_t>(t)];
        if (w.type == GgmlType::Q4_0) {
          // Repacked Q4_0 (q4_0_8x8 gemm/gemv): one accumulator per output, whole-block integer sums.
          float acc = 0;
          for (int64_t blk = 0; blk < n / 32; ++blk) {
            int32_t sum = 0;
            for (int64_t k = blk * 32; k < blk * 32 + 32; ++k)
              sum += codes[static_cast<size_t>(k)] * a.q[static_cast<size_t>(k)];
            const float dxdy =
                half_at(raw + static_cast<size_t>(blk) * block_bytes) * a.d[static_cast<size_t>(blk)];
            acc = std::fma(dxdy, static_cast<float>(sum), acc);
          }
          out[t * rows + r] = acc + b;
          continue;
        }
        float acc[8] = {};
        float summs = 0;
        for (int64_t blk = 0; blk < n / 32; ++blk) {
          const uint8_t* p = raw + static_cast<size_t>(blk) * block_bytes;
          const float dxdy = half_at(p) * a.d[static_cast<size_t>(blk)];
          if (has_min) summs = std::fma(half_at(p + 2), a.s[static_cast<size_t>(blk)], summs);
          for (int l = 0; l < 8; ++l) {
            int32_t sum = 0;
            for (int i = 0; i < 4; ++i) {
              const size_t k = static_cast<size_t>(blk * 32 + 4 * l + i);
              sum += codes[k] * a.q[k];
            }
            acc[l] = std::fma(dxdy, static_cast<float>(sum), acc[l]);
          }
        }
        out[t * rows + r] = hsum8(acc) + summs + b;
      }
    }
  });
}

float expf_like_ggml(float x) {
  const float r = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, r);
  const float n = z - r;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const uint32_t e = std::bit_cast<uint32_t>(z) << 23;
  const float k = std::bit_cast<float>(e + std::bit_cast<uint32_t>(1.0f));
  // ggml scales these through a special path; below −87 the result is < 2^−126, zero for every use here.
  if (std::fabs(n) > 126.0f) return n > 0 ? INFINITY : 0.0f;
  const float u = b * b;
  const float j = std::fma(
      std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
      u, 0x1.ffffecp-1f * b);
  return std::fma(j, k, k);
}

void rope_cos_sin_like_ggml(int64_t pos, int64_t n_rot, float freq_base, model::Vector freq_factors,
                            const model::RopeScaling& scaling, float* cs) {
  const float theta_scale = std::pow(freq_base, -2.0f / static_cast<float>(n_rot));
  const float freq_scale = scaling.freq_scale, ext_factor = scaling.ext_factor;
  // the magnitude llama.cpp's context passes (attn_factor, with YaRN's 1 + 0.1 ln(factor) divided back out
  // of what rope_yarn multiplies in below)
  float mscale = scaling.attn_factor;
  if (ext_factor != 0.0f && freq_scale < 1.0f) {
    const float factor = 1.0f / freq_scale;
    mscale *= (0.1f * std::log(factor) + 1.0f) * (1.0f / (1.0f + 0.1f * std::log(factor)));
  }
  const int64_t half = n_rot / 2;
  float theta_base = static_cast<float>(pos);
  for (int64_t i = 0; i < half; ++i, theta_base *= theta_scale) {
    const float theta_extrap =
        freq_factors.empty() ? theta_base : theta_base / freq_factors[static_cast<size_t>(i)];
    const float theta_interp = freq_scale * theta_extrap;
    float theta = theta_interp, m = mscale;
    if (ext_factor != 0.0f) {  // YaRN: ggml's rope_yarn_ramp of i0 = 2i
      const float y =
          (static_cast<float>(i) - scaling.corr_low) / std::max(0.001f, scaling.corr_high - scaling.corr_low);
      const float ramp_mix = (1.0f - std::min(1.0f, std::max(0.0f, y))) * ext_factor;
      theta = theta_interp * (1.0f - ramp_mix) + theta_extrap * ramp_mix;
      m *= 1.0f + 0.1f * std::log(1.0f / freq_scale);
    }
    cs[2 * i] = std::cos(theta) * m;
    cs[2 * i + 1] = std::sin(theta) * m;
  }
}

void rope_like_ggml(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos, float freq_base,
                    model::RopeKind kind, model::Vector freq_factors, const model::RopeScaling& scaling) {
  if (kind == model::RopeKind::None) return;
  const int64_t half = n_rot / 2;
  float cs[2 * 512];
  if (half > 512) throw std::invalid_argument("rope_like_ggml: more than 1024 rotated dimensions");
  rope_cos_sin_like_ggml(pos, n_rot, freq_base, freq_factors, scaling, cs);
  for (int64_t i = 0; i < half; ++i) {
    const float c = cs[2 * i], s = cs[2 * i + 1];
    const int64_t i0 = kind == model::RopeKind::Normal ? 2 * i : i;
    const int64_t i1 = kind == model::RopeKind::Normal ? 2 * i + 1 : i + half;
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + h * head_dim;
      const float a = v[i0], b = v[i1];
      v[i0] = std::fma(a, c, -(b * s));
      v[i1] = std::fma(a, s, b * c);
    }
  }
}

}  // namespace glasswing::cpu
