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

RowDot row_dot(GgmlType type, int64_t n) {
  const kernels::DotFn fn = kernel_for(type);
  if (!fn) throw std::invalid_argument("dot_row: unsupported tensor type " + ggml_type_name(type));
  check_row(type, n, "dot_row");
  return fn;
}

}  // namespace glasswing::quant
