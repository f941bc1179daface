// y[v][row_base + r] (+)= W[r] . x[v] for every row r of a weight slice and vector v. Each subgroup owns MR
// rows times NV vectors at a time (ROWS_PER_WG rows per workgroup, NV vectors per workgroup row): its lanes
// stride over the columns, dequantize each chunk of the MR rows once for the NV vectors and load each x chunk
// once for the MR rows, then one subgroupAdd per output. No shared memory and no barrier. On CPU
// implementations (lavapipe) every load is a per-lane loop, so loads per multiply-add are what count.
// Correct for any subgroup size. NV: 1 (matvec_*.comp, decode) or 8 (matvec8_*.comp, prefill on CPU
// devices). Included after a type_*.glsl.
#ifndef NV
#define NV 1u
#endif
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint ROWS_PER_WG = 4;  // a multiple of MR
#ifndef MR
#define MR 4u  // rows a subgroup computes together
#endif

layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer X4 { vec4 x4[]; };  // same buffer; x_stride % 4 == 0 when CHUNK % 4 == 0
#define EXPERT_TABLE_BINDING 3  // (common/row_groups.glsl)
#include "common/product_io.glsl"

void main() {
  w_aux = weight_rows() * ((p.ncols / BLOCK_ELEMS) * BLOCK_BYTES);
  uint v0 = gl_WorkGroupID.y * NV;
  uint xo[NV];  // vectors past the batch re-read the last one and store nothing
  [[unroll]] for (uint n = 0u; n < NV; ++n) xo[n] = min(v0 + n, p.nvec - 1u) * p.x_stride;
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x;
  uint nchunks = p.ncols / CHUNK;
  uint rb_stride = (p.ncols / BLOCK_ELEMS) * BLOCK_BYTES;
  for (uint r0 = gl_SubgroupID * MR; r0 < ROWS_PER_WG; r0 += gl_NumSubgroups * MR) {
    uint row0 = wg * ROWS_PER_WG + r0;
    if (row0 >= p.nrows) break;  // uniform in the subgroup
    uint gx = group_x(row0);     // (the MR rows lie in one group)
    uint rb[MR];
    // rows past the end recompute the last row and store nothing
    [[unroll]] for (uint m = 0u; m < MR; ++m) rb[m] = weight_row(min(row0 + m, p.nrows - 1u)) * rb_stride;
    float acc[MR][NV];
    [[unroll]] for (uint m = 0u; m < MR; ++m)
      [[unroll]] for (uint n = 0u; n < NV; ++n) acc[m][n] = 0.0;
    for (uint c = gl_SubgroupInvocationID; c < nchunks; c += gl_SubgroupSize) {
      float vals[MR][CHUNK];
      [[unroll]] for (uint m = 0u; m < MR; ++m) dequant_chunk(rb[m], c, vals[m]);
      [[unroll]] for (uint n = 0u; n < NV; ++n) {
        float xs[CHUNK];
        if (CHUNK % 4u == 0u) {
          uint x4o = (xo[n] + gx + c * CHUNK) >> 2;
          [[unroll]] for (uint i = 0u; i < CHUNK / 4u; ++i) {
            vec4 xv = x4[x4o + i];
            xs[4u * i] = xv.x;
            xs[4u * i + 1u] = xv.y;
            xs[4u * i + 2u] = xv.z;
            xs[4u * i + 3u] = xv.w;
          }
        } else {
          [[unroll]] for (uint i = 0u; i < CHUNK; ++i) xs[i] = x[xo[n] + gx + c * CHUNK + i];
        }
        [[unroll]] for (uint m = 0u; m < MR; ++m)
          [[unroll]] for (uint i = 0u; i < CHUNK; ++i) acc[m][n] += vals[m][i] * xs[i];
      }
    }
    [[unroll]] for (uint m = 0u; m < MR; ++m) {
      [[unroll]] for (uint n = 0u; n < NV; ++n) {
        float sum = subgroupAdd(acc[m][n]);
        if (subgroupElect() && row0 + m < p.nrows && v0 + n < p.nvec) {
          uint yo = y_index(v0 + n, row0 + m);
          y[yo] = p.accumulate != 0u ? y[yo] + sum : sum;
        }
      }
    }
  }
}
