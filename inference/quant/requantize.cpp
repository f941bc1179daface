// IQ4_NL / IQ4_XS / MXFP4 rows as Q8_0 (quant.h requantize_to_q8_0).
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "inference/quant/blocks.h"
#include "inference/quant/fp16.h"
#include "inference/quant/quant.h"
#include "inference/quant/quant_internal.h"

namespace glasswing::quant {

using namespace blocks;

namespace {

// one IQ4 32-element block (IQ4_NL's nibble order) under the fp16 scale d
void iq4_block_as_q8_0(const uint8_t* qs, uint16_t d, Q8_0& out) {
  out.d = d;
  for (int j = 0; j < kQK / 2; ++j) {
    out.qs[j] = kIq4Values[qs[j] & 0xf];
    out.qs[j + kQK / 2] = kIq4Values[qs[j] >> 4];
  }
}

// One MXFP4 block: exactly where its power-of-two scale is an fp16 number, whose int8 codes are then the
// doubled E2M1 values (scales 2^-24 .. 2^15, with the codes shifted up to 2^3 past the top); below, the
// decoded floats under the fp16 scale amax / 127; above, refused (Q8_0 cannot hold such values).
void mxfp4_block_as_q8_0(const MXFP4& b, Q8_0& out) {
  int shift = 0;  // codes · 2^shift under the scale 2^(e - 128 - shift)
  const int exp = static_cast<int>(b.e) - 128;
  if (exp > 15) shift = exp - 15;
  if (exp >= -24 && shift <= 3) {
    out.d = f32_to_fp16(mxfp4_scale(static_cast<uint8_t>(b.e - shift)));
    for (int j = 0; j < kQK / 2; ++j) {
      out.qs[j] = static_cast<int8_t>(kMxfp4Values[b.qs[j] & 0xf] * (1 << shift));
      out.qs[j + kQK / 2] = static_cast<int8_t>(kMxfp4Values[b.qs[j] >> 4] * (1 << shift));
    }
    return;
  }
  if (exp > 0)  // past 2^18 (values to 12·2^exp): beyond fp16's range, which Q8_0's scale is
    throw std::invalid_argument("requantize_to_q8_0: an MXFP4 block scale of 2^" + std::to_string(exp - 1) +
                                " is beyond what Q8_0 holds");
  float v[kQK], amax = 0.0f;  // tiny scales (below 2^-24): values under 1e-6, within Q8_0's step
  const float d = mxfp4_scale(b.e);
  for (int j = 0; j < kQK / 2; ++j) {
    v[j] = d * kMxfp4Values[b.qs[j] & 0xf];
    v[j + kQK / 2] = d * kMxfp4Values[b.qs[j] >> 4];
  }
  for (float f : v) amax = std::max(amax, std::fabs(f));
  out.d = f32_to_fp16(amax / 127.0f);
  const float q = fp16_to_f32(out.d);
  for (int j = 0; j < kQK; ++j)
    out.qs[j] = static_cast<int8_t>(q > 0.0f ? std::clamp(std::nearbyint(v[j] / q), -127.0f, 127.0f) : 0.0f);
}

}  // namespace

bool requantizes_to_q8_0(GgmlType type) {
  return type == GgmlType::IQ4_NL || type == GgmlType::IQ4_XS || type == GgmlType::MXFP4;
}

void requantize_to_q8_0(GgmlType type, const void* src, void* dst, int64_t n) {
  check_row(type, n, "requantize_to_q8_0");
  auto* y = static_cast<Q8_0*>(dst);
  if (type == GgmlType::IQ4_NL) {
    const auto* x = static_cast<const IQ4_NL*>(src);
    for (int64_t i = 0; i < n / kQK; ++i) iq4_block_as_q8_0(x[i].qs, x[i].d, y[i]);
    return;
  }
  if (type == GgmlType::MXFP4) {
    const auto* x = static_cast<const MXFP4*>(src);
    for (int64_t i = 0; i < n / kQK; ++i) mxfp4_block_as_q8_0(x[i], y[i]);
    return;
  }
  if (type != GgmlType::IQ4_XS)
    throw std::invalid_argument("requantize_to_q8_0: " + gguf::ggml_type_name(type) +
                                " is not IQ4_NL, IQ4_XS or MXFP4");
  const auto* x = static_cast<const IQ4_XS*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = fp16_to_f32(x[i].d);
    for (int ib = 0; ib < kQKK / kQK; ++ib) {
      iq4_block_as_q8_0(x[i].qs + ib * (kQK / 2), f32_to_fp16(d * static_cast<float>(iq4_xs_scale(x[i], ib))),
                        y[i * (kQKK / kQK) + ib]);
    }
  }
}

}  // namespace glasswing::quant
