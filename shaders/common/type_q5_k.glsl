// q5_K (176 bytes / 256): f16 d, f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]. As q4_K plus a 5th bit:
// bit t of qh[l] for sub-block t.
#include "common/kscale.glsl"
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 176u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint s = c & 15u;
  uint t = s >> 1;
  float sc, mn;
  scale_min_k4(b + 4u, t, sc, mn);
  float dl = w_f16(b) * sc;
  float ml = w_f16(b + 2u) * mn;
  uint l0 = 16u * (s & 1u);
  uint q = b + 48u + 32u * (t >> 1) + l0;
  uint shift = (t & 1u) * 4u;
  [[unroll]] for (uint l = 0u; l < 16u; ++l) {
    uint hb = (w_u8(b + 16u + l0 + l) >> t) & 1u;
    v[l] = dl * float(((w_u8(q + l) >> shift) & 15u) | (hb << 4)) - ml;
  }
}
