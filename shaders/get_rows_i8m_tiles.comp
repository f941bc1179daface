#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows (common/get_rows_body.glsl) over int8 tiles with a min, x = d q - min (q5_1 and q5_k on CPU devices;
// the layout is in common/matvec_tiles.glsl: per group and block 128 texels of quants, 16 of scales, 16 of
// mins). One workgroup per token.
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
  for (uint c = gl_LocalInvocationID.x; c < p.ncols / 16u; c += 64u) {  // 16 elements: half a block
    uint tile = ((row >> 6) * nblk + (c >> 1)) * 160u;  // texel index of the tile
    uint lane_order = 8u * (j & 7u) + (j >> 3);
    float d = uintBitsToFloat(w[(tile + 128u) * 4u + lane_order]);
    float mn = uintBitsToFloat(w[(tile + 144u) * 4u + lane_order]);
    uvec4 q = w4[tile + j * 2u + (c & 1u)];
    [[unroll]] for (uint jj = 0u; jj < 4u; ++jj) {
      [[unroll]] for (uint k = 0u; k < 4u; ++k) {
        float v = d * float(bitfieldExtract(int(q[jj]), int(8u * k), 8)) - mn;
        uint oi = t * p.out_stride + c * 16u + 4u * jj + k;
        o[oi] = p.accumulate != 0u ? o[oi] + v : v;
      }
    }
  }
}
