// IQ4_NL / IQ4_XS rows as Q8_0 (quant.h requantize_to_q8_0).
#include <stdexcept>

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

}  // namespace

bool requantizes_to_q8_0(GgmlType type) {
  return type == GgmlType::IQ4_NL || type == GgmlType::IQ4_XS;
}

void requantize_to_q8_0(GgmlType type, const void* src, void* dst, int64_t n) {
  check_row(type, n, "requantize_to_q8_0");
  auto* y = static_cast<Q8_0*>(dst);
  if (type == GgmlType::IQ4_NL) {
    const auto* x = static_cast<const IQ4_NL*>(src);
    for (int64_t i = 0; i < n / kQK; ++i) iq4_block_as_q8_0(x[i].qs, x[i].d, y[i]);
    return;
  }
  if (type != GgmlType::IQ4_XS)
    throw std::invalid_argument("requantize_to_q8_0: " + gguf::ggml_type_name(type) +
                                " is not IQ4_NL or IQ4_XS");
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
