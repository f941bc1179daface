// Quantizers for the i-quants and ternary types: valid encodings of ggml's formats for synthetic models and
// tests, not llama.cpp's quantizers (which search scales against an importance matrix). Each scale is chosen
// so that the largest element of its 16 or 32 maps to the grid's largest magnitude, each group of 8 (or 4)
// elements to a grid point near it: every element is rounded to the grid's nearest level, and a table built
// once per grid maps that lattice point to the grid entry nearest to it.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <span>
#include <vector>

#include "inference/quant/blocks.h"
#include "inference/quant/fp16.h"
#include "inference/quant/iq_grids.h"
#include "inference/quant/quant_internal.h"

namespace glasswing::quant {

using gguf::GgmlType;
using namespace blocks;

namespace {

// A grid's entries (dims elements of one byte each, signed for IQ1) and, for every point of levels^dims (the
// grid's distinct element values, ascending), the index of the entry nearest to it.
class Lattice {
 public:
  template <typename Entry, size_t N>
  Lattice(const std::array<Entry, N>& grid, int dims, bool is_signed) : dims_(dims) {
    entries_.resize(N * dims);
    for (size_t e = 0; e < N; ++e)
      for (int j = 0; j < dims; ++j) {
        const auto byte = static_cast<uint8_t>((static_cast<uint64_t>(grid[e]) >> (8 * j)) & 0xff);
        entries_[e * dims + j] = is_signed ? static_cast<int8_t>(byte) : byte;
      }
    levels_ = entries_;
    std::sort(levels_.begin(), levels_.end());
    levels_.erase(std::unique(levels_.begin(), levels_.end()), levels_.end());
    size_t points = 1;
    for (int j = 0; j < dims; ++j) points *= levels_.size();
    nearest_.resize(points);
    std::vector<int> value(dims);
    for (size_t p = 0; p < points; ++p) {
      size_t rest = p;
      for (int j = 0; j < dims; ++j, rest /= levels_.size()) value[j] = levels_[rest % levels_.size()];
      int best = 0;
      long best_err = -1;
      for (size_t e = 0; e < N; ++e) {
        long err = 0;
        for (int j = 0; j < dims; ++j) {
          const long diff = value[j] - entries_[e * dims + j];
          err += diff * diff;
        }
        if (best_err < 0 || err < best_err) best_err = err, best = static_cast<int>(e);
      }
      nearest_[p] = static_cast<uint16_t>(best);
    }
  }

  // The entry for the target t[0..dims) (in code units).
  int encode(const float* t) const {
    size_t point = 0, stride = 1;
    for (int j = 0; j < dims_; ++j, stride *= levels_.size()) {
      size_t k = 0;
      for (size_t i = 1; i < levels_.size(); ++i)
        if (std::fabs(t[j] - static_cast<float>(levels_[i])) <
            std::fabs(t[j] - static_cast<float>(levels_[k])))
          k = i;
      point += k * stride;
    }
    return nearest_[point];
  }

  int max_level() const { return levels_.back(); }

 private:
  int dims_;
  std::vector<int> entries_, levels_;
  std::vector<uint16_t> nearest_;
};

const Lattice& lattice(GgmlType type) {
  switch (type) {
    case GgmlType::IQ2_XXS: {
      static const Lattice l(kIq2xxsGrid, 8, false);
      return l;
    }
    case GgmlType::IQ2_XS: {
      static const Lattice l(kIq2xsGrid, 8, false);
      return l;
    }
    case GgmlType::IQ2_S: {
      static const Lattice l(kIq2sGrid, 8, false);
      return l;
    }
    case GgmlType::IQ3_XXS: {
      static const Lattice l(kIq3xxsGrid, 4, false);
      return l;
    }
    case GgmlType::IQ3_S: {
      static const Lattice l(kIq3sGrid, 4, false);
      return l;
    }
    default: {  // IQ1_S, IQ1_M
      static const Lattice l(kIq1sGrid, 8, true);
      return l;
    }
  }
}

float max_abs(const float* x, int n) {
  float m = 0.0f;
  for (int j = 0; j < n; ++j) m = std::max(m, std::fabs(x[j]));
  return m;
}

// The sign bits of 8 elements; with even_parity (the types that store 7 bits and imply the eighth), the sign
// of the smallest-magnitude element is given up when an odd number are negative.
uint32_t sign_mask(const float* x, bool even_parity) {
  uint32_t mask = 0;
  for (int j = 0; j < 8; ++j)
    if (x[j] < 0.0f) mask |= 1u << j;
  if (even_parity && std::popcount(mask) % 2 == 1) {
    int smallest = 0;
    for (int j = 1; j < 8; ++j)
      if (std::fabs(x[j]) < std::fabs(x[smallest])) smallest = j;
    mask ^= 1u << smallest;
  }
  return mask;
}

// Magnitudes of 8 elements in code units of scale db.
void magnitudes(const float* x, float db, float* t) {
  const float inv = db != 0.0f ? 1.0f / db : 0.0f;
  for (int j = 0; j < 8; ++j) t[j] = std::fabs(x[j]) * inv;
}

// The super-block scale (as stored) for sub-block scales s[0..n) whose largest must be top · d.
uint16_t super_scale(const float* s, int n, float top) {
  return f32_to_fp16(*std::max_element(s, s + n) / top);
}

// A 4-bit scale index for the unit scale s with unit(ls) = d · (0.5 + ls) · step.
int half_step_index(float s, float d, float step) {
  return d == 0.0f ? 0 : std::clamp(static_cast<int>(std::lround(s / (d * step) - 0.5f)), 0, 15);
}
// A scale index for unit(ls) = d · (2 ls + 1), ls < limit.
int odd_index(float s, float d, int limit) {
  return d == 0.0f ? 0 : std::clamp(static_cast<int>(std::lround((s / d - 1.0f) / 2.0f)), 0, limit - 1);
}

void quant_iq2_xxs(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<IQ2_XXS*>(dst);
  const Lattice& grid = lattice(GgmlType::IQ2_XXS);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float s[8];
    for (int ib = 0; ib < 8; ++ib) s[ib] = max_abs(x + 32 * ib, 32) / static_cast<float>(grid.max_level());
    y[i].d = super_scale(s, 8, 15.5f * 0.25f);
    const float d = fp16_to_f32(y[i].d);
    auto* qs = reinterpret_cast<uint8_t*>(y[i].qs);
    for (int ib = 0; ib < 8; ++ib) {
      const int ls = half_step_index(s[ib], d, 0.25f);
      const float db = d * (0.5f + static_cast<float>(ls)) * 0.25f;
      uint32_t aux = static_cast<uint32_t>(ls) << 28;
      for (int l = 0; l < 4; ++l) {
        const float* g = x + 32 * ib + 8 * l;
        float t[8];
        magnitudes(g, db, t);
        qs[8 * ib + l] = static_cast<uint8_t>(grid.encode(t));
        aux |= (sign_mask(g, true) & 127) << (7 * l);
      }
      std::memcpy(qs + 8 * ib + 4, &aux, 4);
    }
  }
}

// IQ2_XS and IQ2_S: scales per 16 elements.
template <typename Block>
void iq2_scales(const float* x, Block& b, float (&db)[16], float top) {
  float s[16];
  for (int k = 0; k < 16; ++k) s[k] = max_abs(x + 16 * k, 16) / top;
  b.d = super_scale(s, 16, 15.5f * 0.25f);
  const float d = fp16_to_f32(b.d);
  for (int ib = 0; ib < 8; ++ib) {
    const int lo = half_step_index(s[2 * ib], d, 0.25f), hi = half_step_index(s[2 * ib + 1], d, 0.25f);
    b.scales[ib] = static_cast<uint8_t>(lo | (hi << 4));
    db[2 * ib] = d * (0.5f + static_cast<float>(lo)) * 0.25f;
    db[2 * ib + 1] = d * (0.5f + static_cast<float>(hi)) * 0.25f;
  }
}

void quant_iq2_xs(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<IQ2_XS*>(dst);
  const Lattice& grid = lattice(GgmlType::IQ2_XS);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float db[16];
    iq2_scales(x, y[i], db, static_cast<float>(grid.max_level()));
    for (int g = 0; g < 32; ++g) {
      float t[8];
      magnitudes(x + 8 * g, db[g / 2], t);
      y[i].qs[g] = static_cast<uint16_t>(grid.encode(t) | ((sign_mask(x + 8 * g, true) & 127) << 9));
    }
  }
}

void quant_iq2_s(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<IQ2_S*>(dst);
  const Lattice& grid = lattice(GgmlType::IQ2_S);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    y[i] = IQ2_S{};
    float db[16];
    iq2_scales(x, y[i], db, static_cast<float>(grid.max_level()));
    for (int g = 0; g < 32; ++g) {
      float t[8];
      magnitudes(x + 8 * g, db[g / 2], t);
      const int index = grid.encode(t);
      y[i].qs[g] = static_cast<uint8_t>(index & 255);
      y[i].qh[g / 4] |= static_cast<uint8_t>((index >> 8) << (2 * (g % 4)));
      y[i].qs[kQKK / 8 + g] = static_cast<uint8_t>(sign_mask(x + 8 * g, false));
    }
  }
}

void quant_iq3_xxs(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<IQ3_XXS*>(dst);
  const Lattice& grid = lattice(GgmlType::IQ3_XXS);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float s[8];
    for (int ib = 0; ib < 8; ++ib) s[ib] = max_abs(x + 32 * ib, 32) / static_cast<float>(grid.max_level());
    y[i].d = super_scale(s, 8, 15.5f * 0.5f);
    const float d = fp16_to_f32(y[i].d);
    for (int ib = 0; ib < 8; ++ib) {
      const int ls = half_step_index(s[ib], d, 0.5f);
      const float db = d * (0.5f + static_cast<float>(ls)) * 0.5f;
      uint32_t aux = static_cast<uint32_t>(ls) << 28;
      for (int l = 0; l < 4; ++l) {
        const float* g = x + 32 * ib + 8 * l;
        float t[8];
        magnitudes(g, db, t);
        y[i].qs[8 * ib + 2 * l] = static_cast<uint8_t>(grid.encode(t));
        y[i].qs[8 * ib + 2 * l + 1] = static_cast<uint8_t>(grid.encode(t + 4));
        aux |= (sign_mask(g, true) & 127) << (7 * l);
      }
      std::memcpy(y[i].qs + kQKK / 4 + 4 * ib, &aux, 4);
    }
  }
}

void quant_iq3_s(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<IQ3_S*>(dst);
  const Lattice& grid = lattice(GgmlType::IQ3_S);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    y[i] = IQ3_S{};
    float s[8];
    for (int ib = 0; ib < 8; ++ib) s[ib] = max_abs(x + 32 * ib, 32) / static_cast<float>(grid.max_level());
    y[i].d = super_scale(s, 8, 31.0f);
    const float d = fp16_to_f32(y[i].d);
    for (int ib = 0; ib < 8; ++ib) {
      const int ls = odd_index(s[ib], d, 16);
      y[i].scales[ib / 2] |= static_cast<uint8_t>(ls << (4 * (ib % 2)));
      const float db = d * static_cast<float>(1 + 2 * ls);
      for (int l = 0; l < 4; ++l) {
        const float* g = x + 32 * ib + 8 * l;
        float t[8];
        magnitudes(g, db, t);
        for (int k = 0; k < 2; ++k) {
          const int index = grid.encode(t + 4 * k);
          y[i].qs[8 * ib + 2 * l + k] = static_cast<uint8_t>(index & 255);
          y[i].qh[ib] |= static_cast<uint8_t>((index >> 8) << (2 * l + k));
        }
        y[i].signs[4 * ib + l] = static_cast<uint8_t>(sign_mask(g, false));
      }
    }
  }
}

// IQ1: values dl · (g + δ) with g in {-1, 0, 1} and δ = ±1/8 following the elements' mean. Returns the grid
// index of the 8 elements at x under dl and δ.
int iq1_group(const Lattice& grid, const float* x, float dl, float delta) {
  const float inv = dl != 0.0f ? 1.0f / dl : 0.0f;
  float t[8];
  for (int j = 0; j < 8; ++j) t[j] = x[j] * inv - delta;
  return grid.encode(t);
}
float iq1_delta(const float* x, int n) {
  float sum = 0.0f;
  for (int j = 0; j < n; ++j) sum += x[j];
  return sum < 0.0f ? -0.125f : 0.125f;
}

void quant_iq1_s(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<IQ1_S*>(dst);
  const Lattice& grid = lattice(GgmlType::IQ1_S);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float s[8];
    for (int ib = 0; ib < 8; ++ib) s[ib] = max_abs(x + 32 * ib, 32) / 1.125f;
    y[i].d = super_scale(s, 8, 15.0f);
    const float d = fp16_to_f32(y[i].d);
    for (int ib = 0; ib < 8; ++ib) {
      const int ls = odd_index(s[ib], d, 8);
      const float dl = d * static_cast<float>(2 * ls + 1);
      const float delta = iq1_delta(x + 32 * ib, 32);
      int qh = (ls << 12) | (delta < 0.0f ? 0x8000 : 0);
      for (int l = 0; l < 4; ++l) {
        const int index = iq1_group(grid, x + 32 * ib + 8 * l, dl, delta);
        y[i].qs[4 * ib + l] = static_cast<uint8_t>(index & 255);
        qh |= (index >> 8) << (3 * l);
      }
      y[i].qh[ib] = static_cast<uint16_t>(qh);
    }
  }
}

void quant_iq1_m(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<IQ1_M*>(dst);
  const Lattice& grid = lattice(GgmlType::IQ1_M);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    y[i] = IQ1_M{};
    float s[16];
    for (int k = 0; k < 16; ++k) s[k] = max_abs(x + 16 * k, 16) / 1.125f;
    const uint16_t dh = super_scale(s, 16, 15.0f);
    const float d = fp16_to_f32(dh);
    uint16_t sc[4] = {};
    for (int k = 0; k < 16; ++k) {
      const int ls = odd_index(s[k], d, 8);
      sc[k / 4] = static_cast<uint16_t>(sc[k / 4] | (ls << (3 * (k % 4))));
      const float dl = d * static_cast<float>(2 * ls + 1);
      for (int h = 0; h < 2; ++h) {
        const int g = 2 * k + h;  // the 8-element group
        const float delta = iq1_delta(x + 8 * g, 8);
        const int index = iq1_group(grid, x + 8 * g, dl, delta);
        y[i].qs[g] = static_cast<uint8_t>(index & 255);
        const int nibble = (index >> 8) | (delta < 0.0f ? 8 : 0);
        y[i].qh[g / 2] = static_cast<uint8_t>(y[i].qh[g / 2] | (nibble << (4 * (g % 2))));
      }
    }
    for (int k = 0; k < 4; ++k) sc[k] = static_cast<uint16_t>(sc[k] | (((dh >> (4 * k)) & 0xf) << 12));
    std::memcpy(y[i].scales, sc, sizeof sc);
  }
}

// Ternary codes c + 1 (c = round(x / max|x|)) packed base 3, most significant digit first, then scaled to a
// byte as ⌈v · 256 / 3^5⌉ so that the decoder's multiply-and-shift reads the digits back.
int ternary(float v, float inv) {
  return std::clamp(static_cast<int>(std::lround(v * inv)), -1, 1) + 1;
}
uint8_t pack_trits(const int* digits, int count) {
  int v = 0;
  for (int k = 0; k < count; ++k) v = 3 * v + digits[k];
  for (int k = count; k < 5; ++k) v *= 3;
  return static_cast<uint8_t>((v * 256 + 242) / 243);
}

void quant_tq1_0(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<TQ1_0*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    const float d = max_abs(x, kQKK);
    y[i].d = f32_to_fp16(d);
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    int digits[5];
    for (int m = 0; m < 32; ++m) {
      for (int k = 0; k < 5; ++k) digits[k] = ternary(x[32 * k + m], inv);
      y[i].qs[m] = pack_trits(digits, 5);
    }
    for (int m = 0; m < 16; ++m) {
      for (int k = 0; k < 5; ++k) digits[k] = ternary(x[160 + 16 * k + m], inv);
      y[i].qs[32 + m] = pack_trits(digits, 5);
    }
    for (int j = 0; j < 4; ++j) {
      for (int k = 0; k < 4; ++k) digits[k] = ternary(x[240 + 4 * k + j], inv);
      y[i].qh[j] = pack_trits(digits, 4);
    }
  }
}

void quant_tq2_0(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<TQ2_0*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    y[i] = TQ2_0{};
    const float d = max_abs(x, kQKK);
    y[i].d = f32_to_fp16(d);
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    for (int e = 0; e < kQKK; ++e) {
      const int h = e / 128, l = (e % 128) / 32, m = e % 32;
      y[i].qs[32 * h + m] = static_cast<uint8_t>(y[i].qs[32 * h + m] | (ternary(x[e], inv) << (2 * l)));
    }
  }
}

}  // namespace

QuantizeFn sub32_quantize_fn(GgmlType type) {
  switch (type) {
    case GgmlType::IQ2_XXS:
      return quant_iq2_xxs;
    case GgmlType::IQ2_XS:
      return quant_iq2_xs;
    case GgmlType::IQ2_S:
      return quant_iq2_s;
    case GgmlType::IQ3_XXS:
      return quant_iq3_xxs;
    case GgmlType::IQ3_S:
      return quant_iq3_s;
    case GgmlType::IQ1_S:
      return quant_iq1_s;
    case GgmlType::IQ1_M:
      return quant_iq1_m;
    case GgmlType::TQ1_0:
      return quant_tq1_0;
    case GgmlType::TQ2_0:
      return quant_tq2_0;
    default:
      return nullptr;
  }
}

}  // namespace glasswing::quant
