// get_rows (common/get_rows_body.glsl) over CPU devices' tiles (the layout is in common/matvec_tiles.glsl): per
// group and block the quants (64 texels of nibbles for TILES_NIBBLES, else 128 of int8 q stored as the byte
// q + 128), then the scales
// (TILES_TWO_SCALES: two per row, for 16 elements each) and, with TILES_MIN, the mins (x = d q - min;
// TILES_TWO_MINS: two scales and two mins). The get_rows_<kernel>_tiles.comp files pick the variant: q8_0
// (q8_0, q5_0), q6_k (q6_k, q3_k), i8m (q5_1, q5_k), q2_k, q4_0 and q4m (q4_1, q4_k).
#if defined(TILES_Q4_0) || defined(TILES_Q4_MIN)
#define TILES_NIBBLES
#endif
#ifdef TILES_Q4_MIN
#define TILES_MIN
#endif
#ifdef TILES_NIBBLES
const uint QUANTS = 64u;  // texels of quants per group and block
#else
const uint QUANTS = 128u;
#endif
#ifdef TILES_TWO_MINS  // q2_k: a scale and a min per 16 elements
#define TILES_TWO_SCALES
const uint TILE = QUANTS + 64u;
#elif defined(TILES_TWO_SCALES) || defined(TILES_MIN)
const uint TILE = QUANTS + 32u;
#else
const uint TILE = QUANTS + 16u;
#endif
#include "common/weights.glsl"
#include "common/get_rows_io.glsl"

void main() {
  uint t = gl_WorkGroupID.x;
  uint row = (p.by_position != 0u ? st.n_past + t : st.token_ids[t]) - p.first_row;  // unsigned: see body
  if (row >= p.nrows) return;
  uint nblk = p.ncols / 32u;
  uint j = row & 63u;  // the row's place in its group of 64
  uint lane_order = 8u * (j & 7u) + (j >> 3);
#ifdef TILES_NIBBLES
  for (uint c = gl_LocalInvocationID.x; c < nblk; c += 64u) {  // one block: 32 elements in one texel
    uint tile = ((row >> 6) * nblk + c) * TILE;  // texel index of the tile
    uvec4 q = w4[tile + j];
    uint half_scale = 0u;
#else
  for (uint c = gl_LocalInvocationID.x; c < p.ncols / 16u; c += 64u) {  // 16 elements: half a block
    uint tile = ((row >> 6) * nblk + (c >> 1)) * TILE;
    uvec4 q = w4[tile + j * 2u + (c & 1u)];
    uint half_scale = c & 1u;
#endif
#ifdef TILES_TWO_SCALES
    float d = uintBitsToFloat(w[(tile + QUANTS) * 4u + 2u * lane_order + half_scale]);
#else
    float d = uintBitsToFloat(w[(tile + QUANTS) * 4u + lane_order]);
#endif
#ifdef TILES_TWO_MINS
    float mn = uintBitsToFloat(w[(tile + QUANTS + 32u) * 4u + 2u * lane_order + half_scale]);
#elif defined(TILES_MIN)
    float mn = uintBitsToFloat(w[(tile + QUANTS + 16u) * 4u + lane_order]);
#else
    const float mn = 0.0;
#endif
    [[unroll]] for (uint jj = 0u; jj < 4u; ++jj) {
      [[unroll]] for (uint k = 0u; k < 4u; ++k) {
#ifdef TILES_NIBBLES  // element 4jj + k in the low nibble, element 16 + 4jj + k in the high one
        uint lo4 = (q[jj] >> (8u * k)) & 15u, hi4 = (q[jj] >> (8u * k + 4u)) & 15u;
#ifdef TILES_MIN
        float lo = d * float(lo4) - mn, hi = d * float(hi4) - mn;
#else
        float lo = d * (float(lo4) - 8.0), hi = d * (float(hi4) - 8.0);  // q4_0
#endif
        uint oi = t * p.out_stride + c * 32u + 4u * jj + k;
        o[oi] = p.accumulate != 0u ? o[oi] + lo : lo;
        o[oi + 16u] = p.accumulate != 0u ? o[oi + 16u] + hi : hi;
#else
        float v = d * (float((q[jj] >> (8u * k)) & 255u) - 128.0) - mn;  // stored as q + 128
        uint oi = t * p.out_stride + c * 16u + 4u * jj + k;
        o[oi] = p.accumulate != 0u ? o[oi] + v : v;
#endif
      }
    }
  }
}
