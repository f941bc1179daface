// dot_row: picks the fastest kernel this CPU runs, once per type.
#include <array>
#include <stdexcept>
#include <string>

#include "inference/quant/dot_kernels.h"
#include "inference/quant/quant.h"
#include "inference/quant/quant_internal.h"

namespace glasswing::quant {

namespace {

constexpr size_t kTypeSlots = 64;

std::array<kernels::DotFn, kTypeSlots> build_table() {
  std::array<kernels::DotFn, kTypeSlots> table{};
  const bool avx2 = kernels::cpu_has_avx2();
  for (uint32_t id = 0; id < kTypeSlots; ++id) {
    const auto type = static_cast<GgmlType>(id);
    kernels::DotFn fn = avx2 ? kernels::avx2(type) : nullptr;
    table[id] = fn ? fn : kernels::portable(type);
  }
  return table;
}

kernels::DotFn kernel_for(GgmlType type) {
  static const std::array<kernels::DotFn, kTypeSlots> table = build_table();
  const auto id = static_cast<uint32_t>(type);
  return id < kTypeSlots ? table[id] : nullptr;
}

}  // namespace

float dot_row(GgmlType type, const void* row, const float* x, int64_t n) {
  const kernels::DotFn fn = kernel_for(type);
  if (!fn) return dot_row_reference(type, row, x, n);  // throws the precise error
  check_row(type, n, "dot_row");
  return fn(row, x, n);
}

RowDotMins row_dot_mins(GgmlType type, int64_t n) {
  static const bool avx2 = kernels::cpu_has_avx2();
  const kernels::DotMinsFn fn = avx2 ? kernels::avx2_mins(type) : nullptr;
  if (fn) check_row(type, n, "dot_row");
  return fn;
}

void sums_of_32(const float* x, int64_t n, float* out) {
  for (int64_t k = 0; k < n / 32; ++k) {
    float s[4] = {};  // four interleaved partial sums, as a vectorised loop would add them
    for (int64_t i = 0; i < 32; ++i) s[i % 4] += x[32 * k + i];
    out[k] = (s[0] + s[1]) + (s[2] + s[3]);
  }
}

RowDot row_dot(GgmlType type, int64_t n) {
  const kernels::DotFn fn = kernel_for(type);
  if (!fn) throw std::invalid_argument("dot_row: unsupported tensor type " + ggml_type_name(type));
  check_row(type, n, "dot_row");
  return fn;
}

}  // namespace glasswing::quant
