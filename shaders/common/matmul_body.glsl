// Y[t][row_base + r] (+)= W[r] . X[t] for a batch of vectors (prefill). 32x32 output tile per workgroup of
// 256 invocations (2x2 outputs each); K advances 16 at a time, the weight tile is dequantized into shared
// memory once per tile instead of once per output. Included after a type_*.glsl.
const uint TM = 32u, TN = 32u, TK = 16u;
layout(local_size_x = 256) in;

layout(std430, binding = 1) readonly buffer X { float x[]; };
#include "common/product_io.glsl"

shared float ws[TM][TK + 1u];
shared float xs[TN][TK + 1u];

void main() {
  w_aux = weight_rows() * ((p.ncols / BLOCK_ELEMS) * BLOCK_BYTES);
  uint m0 = gl_WorkGroupID.x * TM, n0 = gl_WorkGroupID.y * TN;
  uint tid = gl_LocalInvocationID.x;
  uint tr = tid % 16u, tt = tid / 16u;
  uint rb_stride = (p.ncols / BLOCK_ELEMS) * BLOCK_BYTES;
  uint gx = group_x(m0);  // (the tile's rows lie in one group)
  float acc[2][2] = {{0.0, 0.0}, {0.0, 0.0}};
  for (uint k0 = 0u; k0 < p.ncols; k0 += TK) {
    for (uint idx = tid; idx < TM * (TK / CHUNK); idx += 256u) {
      uint r = idx / (TK / CHUNK), ch = idx % (TK / CHUNK);
      uint e0 = k0 + ch * CHUNK;
      float vals[CHUNK];
      if (m0 + r < p.nrows && e0 < p.ncols) {
        dequant_chunk(weight_row(m0 + r) * rb_stride, e0 / CHUNK, vals);
      } else {
        [[unroll]] for (uint i = 0u; i < CHUNK; ++i) vals[i] = 0.0;
      }
      [[unroll]] for (uint i = 0u; i < CHUNK; ++i) ws[r][ch * CHUNK + i] = vals[i];
    }
    for (uint idx = tid; idx < TN * TK; idx += 256u) {
      uint t = idx / TK, k = idx % TK;
      xs[t][k] = (n0 + t < p.nvec && k0 + k < p.ncols) ? x[(n0 + t) * p.x_stride + gx + k0 + k] : 0.0;
    }
    barrier();
    [[unroll]] for (uint k = 0u; k < TK; ++k) {
      float a0 = ws[tr][k], a1 = ws[tr + 16u][k];
      float b0 = xs[tt][k], b1 = xs[tt + 16u][k];
      acc[0][0] += a0 * b0;
      acc[0][1] += a0 * b1;
      acc[1][0] += a1 * b0;
      acc[1][1] += a1 * b1;
    }
    barrier();
  }
  [[unroll]] for (uint i = 0u; i < 2u; ++i) {
    [[unroll]] for (uint j = 0u; j < 2u; ++j) {
      uint r = m0 + tr + 16u * i, t = n0 + tt + 16u * j;
      if (r < p.nrows && t < p.nvec) {
        uint yo = y_index(t, r);
        y[yo] = p.accumulate != 0u ? y[yo] + acc[i][j] : acc[i][j];
      }
    }
  }
}
