// Row groups: several small products in one dispatch (latent attention's per-head k_b and v_b, stacked into
// one matrix). Row r of the slice lies in group g = (row_base + r) / group_rows, which reads its input
// vector at x + g * x_group and writes its outputs from y + g * y_group (its own y_stride per vector as
// usual). group_rows = 0: one group, a plain product. The host keeps every kernel's block of rows that
// share one x load (a subgroup's MR rows, a pass, a GEMM tile) inside one group (kRowGroupRows in ops.h).
// Included after the push block (fields group_rows, x_group, y_group).
uint group_x(uint r) { return p.group_rows == 0u ? 0u : ((p.row_base + r) / p.group_rows) * p.x_group; }
uint y_index(uint v, uint r) {
  uint row = p.row_base + r;
  if (p.group_rows == 0u) return v * p.y_stride + row;
  uint g = row / p.group_rows;
  return v * p.y_stride + g * p.y_group + (row - g * p.group_rows);
}
