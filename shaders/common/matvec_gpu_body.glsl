// y[v][row_base + r] (+)= W[r] . x[v] over a repacked weight (gpu_layout.glsl), for GPUs: the weights are
// read exactly once, 16 bytes per lane per load, consecutive lanes reading consecutive 16-byte pieces of a
// row (coalesced). Each subgroup owns MR rows at a time: a lane loads the x values of its piece once into
// registers and uses them for the MR rows, then one subgroupAdd per row. ROWS_PER_WG rows per workgroup
// (any subgroup size: the subgroups stride over them). One vector per workgroup row (gl_WorkGroupID.y).
// Included after matvec_gpu_io.glsl and a type_gpu_*.glsl (which defines UNITS, XV, load_x, unit_dot).
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 128;
layout(constant_id = 1) const uint ROWS_PER_WG = 8;  // a multiple of MR
layout(constant_id = 2) const uint MR = 2;           // rows a subgroup computes together

void main() {
  uint nb = p.ncols / BLOCK_ELEMS;
  w_aux = p.nrows * nb * BLOCK_BYTES;
  uint v = gl_WorkGroupID.y;
  uint xb = (v * p.x_stride) >> 2;
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x;
  uint units = nb * UNITS;
  for (uint r0 = gl_SubgroupID * MR; r0 < ROWS_PER_WG; r0 += gl_NumSubgroups * MR) {
    uint row0 = wg * ROWS_PER_WG + r0;
    if (row0 >= p.nrows) break;  // uniform in the subgroup
    uint rblk[MR];
    // rows past the end recompute the last row and store nothing
    [[unroll]] for (uint m = 0u; m < MR; ++m) rblk[m] = min(row0 + m, p.nrows - 1u) * nb;
    float acc[MR];
    [[unroll]] for (uint m = 0u; m < MR; ++m) acc[m] = 0.0;
    for (uint k = gl_SubgroupInvocationID; k < units; k += gl_SubgroupSize) {
      uint b = k / UNITS, u = k % UNITS;
      vec4 xv[XV];
      load_x(xb + b * (BLOCK_ELEMS / 4u), u, xv);
      [[unroll]] for (uint m = 0u; m < MR; ++m) acc[m] += unit_dot(rblk[m] + b, u, xv);
    }
    [[unroll]] for (uint m = 0u; m < MR; ++m) {
      float sum = subgroupAdd(acc[m]);
      if (subgroupElect() && row0 + m < p.nrows) {
        uint yo = v * p.y_stride + p.row_base + row0 + m;
        y[yo] = p.accumulate != 0u ? y[yo] + sum : sum;
      }
    }
  }
}
