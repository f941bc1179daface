#include "inference/cpu/kernels.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "inference/cpu/dot_f32.h"
#include "inference/cpu/gemm_f32.h"
#include "inference/quant/quant.h"

namespace glasswing::cpu {

void matmul(float* out, const float* x, const model::WeightMatrix& w, model::Vector bias, int64_t n_batch,
            ThreadPool& pool) {
  const int64_t n = w.n_cols, d = w.n_rows;
  const bool is_f32 = w.type == gguf::GgmlType::F32;
  const bool decode = n_batch == 1 && !is_f32;
  const quant::RowDot row_dot = decode ? quant::row_dot(w.type, n) : nullptr;
  const quant::RowDotMins row_dot_mins = decode ? quant::row_dot_mins(w.type, n) : nullptr;
  thread_local std::vector<float> sums32;  // x's sums per 32 elements, for row_dot_mins (reused across calls)
  if (row_dot_mins) {
    sums32.resize(static_cast<size_t>(n / 32));
    quant::sums_of_32(x, n, sums32.data());
  }
  const float* sums = sums32.data();
  static const GemmKernel gemm = best_gemm_kernel();
  if (!decode && n_batch >= 8 && gemm != GemmKernel::Portable) {
    const int64_t group = gemm_rows_group(gemm);
    // Prefill: the inputs packed once into panels of 16 (gemm_f32.h), then every group of 6 or 12 rows
    // (dequantized once) against all of them.
    thread_local std::vector<float> panels;  // reused across calls
    panels.resize(static_cast<size_t>(x_panels_size(n, n_batch)));
    float* px = panels.data();
    pool.parallel_for(x_panel_blocks(n_batch), [&](int64_t first, int64_t end, int) {
      pack_x_panels(px, {x, n}, n, n_batch, first, end);
    });
    pool.parallel_for(d, [&](int64_t begin, int64_t end, int) {
      thread_local std::vector<float> tile;  // (group, n) rows, reused across calls
      if (!is_f32 && tile.size() < static_cast<size_t>(group * n))
        tile.resize(static_cast<size_t>(group * n));
      for (int64_t r0 = begin; r0 < end; r0 += group) {
        const int64_t n_rows = std::min(group, end - r0);
        const float* rows[kMaxGroupRows] = {};
        for (int64_t k = 0; k < n_rows; ++k) {
          if (is_f32) {
            rows[k] = static_cast<const float*>(w.row(r0 + k));
          } else {
            quant::dequantize_row(w.type, w.row(r0 + k), &tile[static_cast<size_t>(k * n)], n);
            rows[k] = &tile[static_cast<size_t>(k * n)];
          }
        }
        gemm_rows(gemm, rows, n_rows, n, px, n, n_batch,
                  {.data = out + r0, .input_stride = d, .bias = bias.empty() ? nullptr : bias.data() + r0});
      }
    });
    return;
  }
  pool.parallel_for(d, [&](int64_t begin, int64_t end, int) {
    auto bias_at = [&](int64_t r) { return bias.empty() ? 0.0f : bias[static_cast<size_t>(r)]; };
    if (row_dot_mins) {
      for (int64_t r = begin; r < end; ++r) out[r] = row_dot_mins(w.row(r), x, sums, n) + bias_at(r);
      return;
    }
    if (row_dot) {
      // Decode: memory-bound, so read each stored row once and dot it in place.
      for (int64_t r = begin; r < end; ++r) out[r] = row_dot(w.row(r), x, n) + bias_at(r);
      return;
    }
    // Prefill: a tile of four rows (dequantized once) against every input, so each input is read once per
    // tile.
    thread_local std::vector<float> tile;  // (4, n), reused across calls
    if (!is_f32 && tile.size() < static_cast<size_t>(4 * n)) tile.resize(static_cast<size_t>(4 * n));
    for (int64_t r0 = begin; r0 < end; r0 += 4) {
      const int64_t n_rows = std::min<int64_t>(4, end - r0);
      const float* rows[4];
      for (int64_t k = 0; k < 4; ++k) {
        const int64_t r = r0 + std::min(k, n_rows - 1);  // a short tile repeats its last row
        if (is_f32) {
          rows[k] = static_cast<const float*>(w.row(r));
        } else {
          if (k < n_rows) quant::dequantize_row(w.type, w.row(r), &tile[static_cast<size_t>(k * n)], n);
          rows[k] = &tile[static_cast<size_t>(std::min(k, n_rows - 1) * n)];
        }
      }
      float dots[4], dots2[4];
      int64_t t = 0;
      for (; t + 2 <= n_batch; t += 2) {  // two inputs per pass (dot4x2: the same bits as dot4)
        dot4x2(rows, x + t * n, x + (t + 1) * n, n, dots, dots2);
        for (int64_t k = 0; k < n_rows; ++k) {
          out[t * d + r0 + k] = dots[k] + bias_at(r0 + k);
          out[(t + 1) * d + r0 + k] = dots2[k] + bias_at(r0 + k);
        }
      }
      for (; t < n_batch; ++t) {
        dot4(rows, x + t * n, n, dots);
        for (int64_t k = 0; k < n_rows; ++k) out[t * d + r0 + k] = dots[k] + bias_at(r0 + k);
      }
    }
  });
}

void rmsnorm(float* out, const float* x, model::Vector gain, int64_t n, float eps) {
  // ggml's order of operations (f32 squares summed in double, f32 mean and 1/sqrtf), so that
  // Rounding::LlamaCpp starts every sublayer from the same bits as llama.cpp.
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(ss / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * gain[static_cast<size_t>(i)];
}

void layernorm(float* out, const float* x, model::Vector gain, model::Vector bias, int64_t n, float eps) {
  // ggml's order of operations: f32 mean and variance from double sums, f32 centring and 1/sqrtf.
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  double sum2 = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i] - mean;
    sum2 += static_cast<double>(v * v);
  }
  const float variance = static_cast<float>(sum2 / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(variance + eps);
  for (int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<size_t>(i);
    out[i] = (x[i] - mean) * scale * gain[k] + (bias.empty() ? 0.0f : bias[k]);
  }
}

void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos, float freq_base,
          model::RopeKind kind, model::Vector divisors, float mscale) {
  if (kind == model::RopeKind::None) return;
  const int64_t half = n_rot / 2;
  for (int64_t i = 0; i < half; ++i) {
    // Pair i turns at θ_i = pos · base^(−2i / n_rot) (/ its frequency divisor), the same in both pairings.
    double theta = static_cast<double>(pos) * std::pow(static_cast<double>(freq_base), -2.0 * i / n_rot);
    if (!divisors.empty()) theta /= divisors[static_cast<size_t>(i)];
    const float c = static_cast<float>(std::cos(theta)) * mscale,
                s = static_cast<float>(std::sin(theta)) * mscale;
    const int64_t i0 = kind == model::RopeKind::Normal ? 2 * i : i;
    const int64_t i1 = kind == model::RopeKind::Normal ? 2 * i + 1 : i + half;
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + h * head_dim;
      const float a = v[i0], b = v[i1];
      v[i0] = a * c - b * s;
      v[i1] = a * s + b * c;
    }
  }
}

void add(float* x, const float* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += b[i];
}

void swiglu(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void swiglu_oai(float* gate, const float* up, int64_t n) {
  constexpr float kAlpha = 1.702f, kLimit = 7.0f;
  for (int64_t i = 0; i < n; ++i) {
    const float g = std::min(gate[i], kLimit), u = std::clamp(up[i], -kLimit, kLimit);
    gate[i] = g / (1.0f + std::exp(kAlpha * (-g))) * (u + 1.0f);
  }
}

void softcap(float* x, int64_t n, float cap) {
  if (cap <= 0.0f) return;
  const float inv = 1.0f / cap;
  for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i] * inv) * cap;
}

void gelu(float* x, int64_t n) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    x[i] = 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * v * (1.0f + 0.044715f * v * v)));
  }
}

}  // namespace glasswing::cpu
