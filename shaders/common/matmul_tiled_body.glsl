// Y[t][row_base + r] (+)= W[r] . X[t] for a batch of vectors (prefill on GPUs): a register-blocked tiled
// GEMM. A workgroup of (BM/TM)*(BN/TN) invocations owns a BM x BN output tile and walks K in steps of BK:
// it dequantizes the BM x BK weight tile into shared memory once (dequant_chunk of the type file, so every
// layout works) and copies the BN x BK activation tile beside it, both stored k-major as vec4s. Each
// invocation then computes TM x TN outputs from TM/4 + TN/4 vec4 shared loads per k. Its row quads are
// tr, tr + BM/TM, ... (and token quads likewise), so that neighbouring lanes read neighbouring vec4s (no
// bank conflicts). Needs x_stride % 4 == 0 and ncols % 4 == 0 (the host checks). Included after a type file.
// Expert tiles (p.expert_tiles, a mixture's prompt): the weight is a stack of experts of nrows rows each and
// workgroup row y takes its tokens from entry y of expert_table: (expert, first vector, vectors <= BN),
// so that every expert's batch of a step multiplies in one dispatch.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 256;  // (BM/TM) * (BN/TN)
layout(constant_id = 1) const uint BM = 64;   // rows per tile, a multiple of TM
layout(constant_id = 2) const uint BN = 64;   // vectors per tile, a multiple of TN
layout(constant_id = 3) const uint BK = 32;   // a multiple of 16 (CHUNK)
layout(constant_id = 4) const uint TM = 4;    // rows per invocation, a multiple of 4
layout(constant_id = 5) const uint TN = 4;    // vectors per invocation, a multiple of 4

layout(std430, binding = 1) readonly buffer X4 { vec4 x4[]; };
#define EXPERT_TABLE_BINDING 3  // (expert tiles; common/row_groups.glsl)
#include "common/product_io.glsl"

shared vec4 ws[BK * (BM / 4u)];  // ws[k * BM/4 + q] = rows 4q..4q+3 at column k0 + k
shared vec4 xs[BK * (BN / 4u)];  // xs[k * BN/4 + q] = vectors 4q..4q+3 at column k0 + k

void main() {
  w_aux = weight_rows() * ((p.ncols / BLOCK_ELEMS) * BLOCK_BYTES);
  const uint QM = BM / 4u, QN = BN / 4u;   // quads per tile side
  const uint PM = BM / TM, PN = BN / TN;   // invocations per tile side
  uint m0 = gl_WorkGroupID.x * BM, n0 = gl_WorkGroupID.y * BN, n_end = p.nvec;
  uint expert_row0 = 0u;  // (expert tiles: the tile's expert's first row in the stack)
  if (p.expert_tiles != 0u && !expert_tile(gl_WorkGroupID.y, BN, expert_row0, n0, n_end)) return;
  uint tid = gl_LocalInvocationID.x;
  uint tr = tid % PM, tc = tid / PM;
  uint rb_stride = (p.ncols / BLOCK_ELEMS) * BLOCK_BYTES;
  uint gx = group_x(m0);  // (the tile's rows lie in one group)
  vec4 acc[TM / 4u][TN];
  [[unroll]] for (uint i = 0u; i < TM / 4u; ++i)
    [[unroll]] for (uint j = 0u; j < TN; ++j) acc[i][j] = vec4(0.0);

  for (uint k0 = 0u; k0 < p.ncols; k0 += BK) {
    // weight tile: BM rows x BK/CHUNK chunks; rows vary fastest (conflict-free shared stores), except for
    // one-element chunks (f32/f16 rows), where columns vary fastest so that the global loads coalesce
    for (uint job = tid; job < BM * (BK / CHUNK); job += WG) {
      uint r, ch;
      if (CHUNK >= 4u) {
        r = job % BM;
        ch = job / BM;
      } else {
        ch = job % (BK / CHUNK);
        r = job / (BK / CHUNK);
      }
      uint e0 = k0 + ch * CHUNK;
      float vals[CHUNK];
      if (m0 + r < p.nrows && e0 < p.ncols) {
        dequant_chunk((expert_row0 + weight_row(m0 + r)) * rb_stride, e0 / CHUNK, vals);
      } else {
        [[unroll]] for (uint i = 0u; i < CHUNK; ++i) vals[i] = 0.0;
      }
      [[unroll]] for (uint i = 0u; i < CHUNK; ++i) ws[(ch * CHUNK + i) * QM + (r >> 2)][r & 3u] = vals[i];
    }
    // activation tile: BN vectors x BK/4 quads of columns, vectors fastest
    for (uint job = tid; job < BN * (BK / 4u); job += WG) {
      uint n = job % BN, kq = job / BN;
      uint k = k0 + 4u * kq;
      vec4 xv = (n0 + n < n_end && k < p.ncols) ? x4[((n0 + n) * p.x_stride + gx + k) >> 2] : vec4(0.0);
      [[unroll]] for (uint c = 0u; c < 4u; ++c) xs[(4u * kq + c) * QN + (n >> 2)][n & 3u] = xv[c];
    }
    barrier();
    [[unroll]] for (uint k = 0u; k < BK; ++k) {
      vec4 a[TM / 4u], b[TN / 4u];
      [[unroll]] for (uint i = 0u; i < TM / 4u; ++i) a[i] = ws[k * QM + tr + i * PM];
      [[unroll]] for (uint j = 0u; j < TN / 4u; ++j) b[j] = xs[k * QN + tc + j * PN];
      [[unroll]] for (uint i = 0u; i < TM / 4u; ++i)
        [[unroll]] for (uint j = 0u; j < TN / 4u; ++j)
          [[unroll]] for (uint c = 0u; c < 4u; ++c) acc[i][4u * j + c] += a[i] * b[j][c];
    }
    barrier();
  }
  [[unroll]] for (uint i = 0u; i < TM / 4u; ++i) {
    [[unroll]] for (uint j = 0u; j < TN / 4u; ++j) {
      [[unroll]] for (uint c = 0u; c < 4u; ++c) {
        uint t = n0 + 4u * (tc + j * PN) + c;
        if (t >= n_end) continue;
        [[unroll]] for (uint e = 0u; e < 4u; ++e) {
          uint r = m0 + 4u * (tr + i * PM) + e;
          if (r < p.nrows) {
            uint yo = y_index(t, r);
            float v = acc[i][4u * j + c][e];
            y[yo] = p.accumulate != 0u ? y[yo] + v : v;
          }
        }
      }
    }
  }
}
