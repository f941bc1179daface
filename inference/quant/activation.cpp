// 8-bit activations and the dispatch of dot_row_q8 (see activation.h). The portable kernels decode a weight
// block to floats and multiply with the decoded activation; the AVX2 ones stay in integers per block.
#include "inference/quant/activation.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "inference/gguf/ggml_type.h"
#include "inference/quant/dot_kernels.h"
#include "inference/quant/quant_internal.h"

namespace glasswing::quant {

void quantize_activation(const float* x, int64_t n, QuantizedActivation& out) {
  out.n = n;
  out.x.assign(x, x + n);
  const int64_t blocks = n / 32;
  out.d.resize(static_cast<size_t>(blocks));
  out.qs.resize(static_cast<size_t>(blocks * 32));
  out.sums.resize(static_cast<size_t>(blocks * 2));
  for (int64_t b = 0; b < blocks; ++b) {
    const float* xb = x + 32 * b;
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float d = amax / 127;
    const float id = d ? 1.0f / d : 0.0f;
    out.d[b] = d;
    int sum[2] = {0, 0};
    for (int j = 0; j < 32; ++j) {
      const auto q = static_cast<int8_t>(std::lround(xb[j] * id));
      out.qs[32 * b + j] = q;
      sum[j / 16] += q;
    }
    out.sums[2 * b] = static_cast<int16_t>(sum[0]);
    out.sums[2 * b + 1] = static_cast<int16_t>(sum[1]);
  }
}

namespace kernels {
namespace {

template <GgmlType T>
float portable_q8_kernel(const void* row, const QuantizedActivation& xq) {
  static const DequantizeFn decode = dequantize_fn(T);
  const auto traits = gguf::ggml_type_traits(T);
  const int64_t step = traits.block_elements;
  const auto* src = static_cast<const uint8_t*>(row);
  float w[256];
  double sum = 0;
  for (int64_t i = 0; i < xq.n; i += step, src += traits.block_bytes) {
    decode(src, w, step);
    float acc = 0;
    for (int64_t j = 0; j < step; ++j) acc += w[j] * (xq.d[(i + j) / 32] * xq.qs[i + j]);
    sum += acc;
  }
  return static_cast<float>(sum);
}

}  // namespace

DotQ8Fn portable_q8(GgmlType type) {
  switch (type) {
    case GgmlType::Q8_0:
      return portable_q8_kernel<GgmlType::Q8_0>;
    case GgmlType::Q4_0:
      return portable_q8_kernel<GgmlType::Q4_0>;
    case GgmlType::Q4_1:
      return portable_q8_kernel<GgmlType::Q4_1>;
    case GgmlType::Q5_0:
      return portable_q8_kernel<GgmlType::Q5_0>;
    case GgmlType::Q5_1:
      return portable_q8_kernel<GgmlType::Q5_1>;
    case GgmlType::Q2_K:
      return portable_q8_kernel<GgmlType::Q2_K>;
    case GgmlType::Q3_K:
      return portable_q8_kernel<GgmlType::Q3_K>;
    case GgmlType::Q4_K:
      return portable_q8_kernel<GgmlType::Q4_K>;
    case GgmlType::Q5_K:
      return portable_q8_kernel<GgmlType::Q5_K>;
    case GgmlType::Q6_K:
      return portable_q8_kernel<GgmlType::Q6_K>;
    default:
      return nullptr;
  }
}

}  // namespace kernels

namespace {

constexpr size_t kTypeSlots = 64;

std::array<kernels::DotQ8Fn, kTypeSlots> build_table() {
  std::array<kernels::DotQ8Fn, kTypeSlots> table{};
  const bool avx2 = kernels::cpu_has_avx2();
  for (uint32_t id = 0; id < kTypeSlots; ++id) {
    const auto type = static_cast<GgmlType>(id);
    kernels::DotQ8Fn fn = avx2 ? kernels::avx2_q8(type) : nullptr;
    table[id] = fn ? fn : kernels::portable_q8(type);
  }
  return table;
}

}  // namespace

float dot_row_q8(GgmlType type, const void* row, const QuantizedActivation& xq) {
  static const std::array<kernels::DotQ8Fn, kTypeSlots> table = build_table();
  const auto id = static_cast<uint32_t>(type);
  const kernels::DotQ8Fn fn = id < kTypeSlots ? table[id] : nullptr;
  // Float types (and anything without an integer kernel) take the unrounded x.
  if (!fn || xq.n % 32 != 0) return dot_row(type, row, xq.x.data(), xq.n);
  check_row(type, xq.n, "dot_row_q8");
  return fn(row, xq);
}

}  // namespace glasswing::quant
