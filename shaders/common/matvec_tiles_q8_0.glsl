// y[v][row_base + r] (+)= W[r] . x[v] over q8_0 weights for CPU implementations (lavapipe), reading the
// weights and x as rgba32ui storage texel buffers (16-byte texels). llvmpipe turns an image load into one
// 16-byte load per lane (a gather; ~5% fewer instructions than a uniform-texel-buffer texelFetch, which is a
// function call clobbering every vector register), but a storage-buffer load whose address differs per lane
// into a branchy per-lane loop per 32-bit word, which made the storage-buffer matvec cost ~10 instructions
// per multiply-add. Each lane loads everything of one q8_0 block (32 columns) first and then computes: x for
// NV vectors, then per row its two quant texels and its scale. The block's scale multiplies the block's dot
// product once.
// Layout (repack_q8_0_tiles in ops.cpp), in 16-byte texels: for every group of 8 rows and every block a tile
// of 18 texels: row i's 32 quants at texels 2i and 2i + 1, then the 8 rows' f32 scales (texels 16 and 17).
// Each lane owns MR rows and walks them block by block (no cross-lane reduction: on llvmpipe a subgroupAdd
// and the store after it cost as much as a whole 576-column row).
// Included by matvec_q8_0_tiles.comp (NV 1), matvec8_q8_0_tiles.comp (NV 8) and their _swiglu variants.
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 8;
layout(constant_id = 1) const uint ROWS_PER_WG = 8;  // a multiple of MR

// Bindings 0 and 1 (the weights and x as storage buffers) stay in the layout for the shared recording code.
layout(std430, binding = 2) buffer Y { float y[]; };
layout(binding = 3, rgba32ui) readonly uniform uimageBuffer w_texels;  // the weight slice (binding 0) as 16-byte texels
layout(binding = 4, rgba32ui) readonly uniform uimageBuffer x_texels;  // x (binding 1) as 16-byte texels

layout(push_constant) uniform Push {
  uint ncols;       // elements per weight row
  uint nrows;       // rows in this slice
  uint row_base;    // first output index of this slice
  uint x_stride;    // elements between input vectors (a multiple of 4)
  uint y_stride;    // elements between output vectors
  uint accumulate;  // 1: y += W.x (fused residual add)
  uint nvec;        // vectors in the batch
} p;

void main() {
  const uint nblk = p.ncols / 32u;
  uint v0 = gl_WorkGroupID.y * NV;
  uint xo[NV];  // texel index of each vector; vectors past the batch re-read the last one and store nothing
  [[unroll]] for (uint n = 0u; n < NV; ++n) xo[n] = (min(v0 + n, p.nvec - 1u) * p.x_stride) >> 2;
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x;
  // Output rows; with SWIGLU the rows are gate rows then the matching up rows, and out[r] is
  // silu(gate_r . x) * (up_r . x): a lane's first MO accumulators are gate rows, the next MO their up rows.
#ifdef SWIGLU
  const uint MO = MR / 2u;
  const uint nout = p.nrows / 2u;
#else
  const uint MO = MR;
  const uint nout = p.nrows;
#endif
  const uint rows_per_sg = MO * gl_SubgroupSize;
  for (uint r0 = gl_SubgroupID * rows_per_sg; r0 < ROWS_PER_WG; r0 += gl_NumSubgroups * rows_per_sg) {
    uint row0 = wg * ROWS_PER_WG + r0;
    if (row0 >= nout) break;  // uniform in the subgroup
    // This lane's output rows: row0 + m * subgroup size + lane. Rows past the end recompute the last row and
    // store nothing.
    uint tile0[MR], qi[MR];  // each row's first tile (texel index), its quants' texel in a tile
    [[unroll]] for (uint m = 0u; m < MR; ++m) {
      uint row = min(row0 + (m % MO) * gl_SubgroupSize + gl_SubgroupInvocationID, nout - 1u) + (m / MO) * nout;
      tile0[m] = (row >> 3) * nblk * 18u;
      qi[m] = row & 7u;
    }
    float acc[MR][NV];
    [[unroll]] for (uint m = 0u; m < MR; ++m)
      [[unroll]] for (uint n = 0u; n < NV; ++n) acc[m][n] = 0.0;
    for (uint b = 0u; b < nblk; ++b) {  // the same trip count in every lane: no masking
      vec4 xs[NV][8];
      [[unroll]] for (uint n = 0u; n < NV; ++n)
        [[unroll]] for (uint i = 0u; i < 8u; ++i)
          xs[n][i] = uintBitsToFloat(imageLoad(x_texels, int(xo[n] + b * 8u + i)));
      [[unroll]] for (uint m = 0u; m < MR; ++m) {
        uint tile = tile0[m] + b * 18u;
        uvec4 q0 = imageLoad(w_texels, int(tile + qi[m] * 2u));
        uvec4 q1 = imageLoad(w_texels, int(tile + qi[m] * 2u + 1u));
        float d = uintBitsToFloat(imageLoad(w_texels, int(tile + 16u + (qi[m] >> 2)))[qi[m] & 3u]);
        vec4 qf[8];
        [[unroll]] for (uint j = 0u; j < 8u; ++j) {
          int word = int(j < 4u ? q0[j] : q1[j - 4u]);
          qf[j] = vec4(float((word << 24) >> 24), float((word << 16) >> 24), float((word << 8) >> 24),
                       float(word >> 24));
        }
        [[unroll]] for (uint n = 0u; n < NV; ++n) {
          vec4 s = qf[0] * xs[n][0];
          [[unroll]] for (uint j = 1u; j < 8u; ++j) s += qf[j] * xs[n][j];
          acc[m][n] += d * ((s.x + s.y) + (s.z + s.w));
        }
      }
    }
    [[unroll]] for (uint m = 0u; m < MO; ++m) {
      uint row = row0 + m * gl_SubgroupSize + gl_SubgroupInvocationID;
      [[unroll]] for (uint n = 0u; n < NV; ++n) {
        if (row < nout && v0 + n < p.nvec) {
          uint yo = (v0 + n) * p.y_stride + p.row_base + row;
#ifdef SWIGLU
          float g = acc[m][n];
          y[yo] = g / (1.0 + exp(-g)) * acc[m + MO][n];  // as swiglu.comp
#else
          y[yo] = p.accumulate != 0u ? y[yo] + acc[m][n] : acc[m][n];
#endif
        }
      }
    }
  }
}
