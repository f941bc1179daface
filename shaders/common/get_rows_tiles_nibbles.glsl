// get_rows (common/get_rows_body.glsl) over 4-bit weights in 64-row tiles (CPU devices; the layout is in
// common/matvec_tiles.glsl: per group and block 64 texels of nibbles, 16 of scales and, for TILES_Q4_MIN, 16
// of mins). One workgroup per token. Included by get_rows_q4_0_tiles.comp, get_rows_q4_1_tiles.comp and
// get_rows_q4_k_tiles.comp.
#ifdef TILES_Q4_MIN
const uint TILE = 96u;
#else
const uint TILE = 80u;
#endif
#include "common/weights.glsl"
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer Out { float o[]; };
#define STATE_BINDING 2
#include "common/state.glsl"

layout(push_constant) uniform Push {
  uint ncols;
  uint nrows;       // rows in this slice (rows outside it are skipped: the host validates ids)
  uint by_position; // 1: row = n_past + t
  uint accumulate;  // 1: out += row
  uint out_stride;
  uint first_row;   // matrix row of the slice's first row
} p;

void main() {
  uint t = gl_WorkGroupID.x;
  uint row = (p.by_position != 0u ? st.n_past + t : st.token_ids[t]) - p.first_row;  // unsigned: see body
  if (row >= p.nrows) return;
  uint nblk = p.ncols / 32u;
  uint j = row & 63u;  // the row's place in its group of 64
  for (uint c = gl_LocalInvocationID.x; c < nblk; c += 64u) {  // one block: 32 elements
    uint tile = ((row >> 6) * nblk + c) * TILE;  // texel index of the tile
    uint lane_order = 8u * (j & 7u) + (j >> 3);
    float d = uintBitsToFloat(w[(tile + 64u) * 4u + lane_order]);
#ifdef TILES_Q4_MIN
    float mn = uintBitsToFloat(w[(tile + 80u) * 4u + lane_order]);  // x = d q - min
#define DEQUANT(q) (d * float(q) - mn)
#else
#define DEQUANT(q) (d * (float(q) - 8.0))  // q4_0
#endif
    uvec4 q = w4[tile + j];
    [[unroll]] for (uint jj = 0u; jj < 4u; ++jj) {
      [[unroll]] for (uint k = 0u; k < 4u; ++k) {
        uint oi = t * p.out_stride + c * 32u + 4u * jj + k;
        float lo = DEQUANT((q[jj] >> (8u * k)) & 15u);
        float hi = DEQUANT((q[jj] >> (8u * k + 4u)) & 15u);
        o[oi] = p.accumulate != 0u ? o[oi] + lo : lo;
        o[oi + 16u] = p.accumulate != 0u ? o[oi + 16u] + hi : hi;
      }
    }
  }
}
