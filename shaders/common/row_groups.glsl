// Row groups: several small products in one dispatch (latent attention's per-head k_b and v_b, stacked into
// one matrix; a mixture's picked experts, below). Row r of the slice lies in group g = (row_base + r) / group_rows, which reads its input
// vector at x + g * x_group and writes its outputs from y + g * y_group (its own y_stride per vector as
// usual). group_rows = 0: one group, a plain product. The host keeps every kernel's block of rows that
// share one x load (a subgroup's MR rows, a pass, a GEMM tile) inside one group (kRowGroupRows and, without
// the CPU devices' tiles, kExpertGroupRows in ops.h).
// Expert ids (a mixture's experts, stacked into one matrix of w_rows rows, group_rows each): group g
// multiplies expert expert_ids[g], i.e. output row r of group g reads weight row
// expert_ids[g] · group_rows + (r − g · group_rows); nrows counts the output rows. w_rows = 0: none.
// Expert ids on the device (a decode step routed by route_experts.comp): with ids_on_device, group g
// multiplies expert expert_table[g], read from binding EXPERT_TABLE_BINDING (the mat-vec kernels define it;
// the host refuses the table elsewhere). An id past the stack reads its last expert rather than past it.
// Included after the push block (fields group_rows, x_group, y_group, w_rows, expert_ids, ids_on_device).
#ifdef EXPERT_TABLE_BINDING
layout(std430, binding = EXPERT_TABLE_BINDING) readonly buffer ExpertTable { uint expert_table[]; };
#endif
uint expert_id(uint g) {
#ifdef EXPERT_TABLE_BINDING
  if (p.ids_on_device != 0u) return min(expert_table[g], p.w_rows / p.group_rows - 1u);
#endif
  return p.expert_ids[g];
}
#ifdef EXPERT_TABLE_BINDING
// The GEMMs' expert tiles (a mixture's prompt, p.expert_tiles): workgroup row `tile` multiplies expert
// expert_table[3 tile] (from row expert_row0 of the stack) by vectors [n0, n_end), at most `width` of them.
// False for an empty tile, which the whole workgroup leaves before any barrier.
bool expert_tile(uint tile, uint width, out uint expert_row0, out uint n0, out uint n_end) {
  uint e = tile * 3u;
  expert_row0 = min(expert_table[e], p.w_rows / p.nrows - 1u) * p.nrows;
  n0 = expert_table[e + 1u];
  n_end = min(n0 + min(expert_table[e + 2u], width), p.nvec);
  return n0 < n_end;
}
#endif
uint group_x(uint r) { return p.group_rows == 0u ? 0u : ((p.row_base + r) / p.group_rows) * p.x_group; }
uint y_index(uint v, uint r) {
  uint row = p.row_base + r;
  if (p.group_rows == 0u) return v * p.y_stride + row;
  uint g = row / p.group_rows;
  return v * p.y_stride + g * p.y_group + (row - g * p.group_rows);
}
// SwiGLU over gate|up pairs (rows 2i and 2i + 1 give output i): output row r / 2 of its group.
uint y_index_pairs(uint v, uint r) {
  uint row = p.row_base + r;
  if (p.group_rows == 0u) return v * p.y_stride + row / 2u;
  uint g = row / p.group_rows;
  return v * p.y_stride + g * p.y_group + (row - g * p.group_rows) / 2u;
}
// The weight row (in the bound slice) output row r reads, and the slice's weight rows (where the layouts'
// second part, w_aux, begins).
uint weight_row(uint r) {
  if (p.w_rows == 0u || p.group_rows == 0u) return r;  // (expert tiles: the body adds the tile's expert)
  uint g = r / p.group_rows;
  return expert_id(g) * p.group_rows + (r - g * p.group_rows);
}
uint weight_rows() { return p.w_rows == 0u ? p.nrows : p.w_rows; }
