// out[t] (+)= row(t) of a weight matrix, dequantized: row = token_ids[t] (embeddings) or n_past + t
// (learned position embeddings). One workgroup per token. Included after a type_*.glsl.
// A table larger than maxStorageBufferRange is gathered by one dispatch per row slice, each bound to its own
// slice: a dispatch writes only the tokens whose row falls inside its slice, so the token ids can stay on
// the device (the decode step is recorded once).
#include "common/get_rows_io.glsl"

void main() {
  w_aux = p.nrows * ((p.ncols / BLOCK_ELEMS) * BLOCK_BYTES);
  uint t = gl_WorkGroupID.x;
  // Unsigned: a row before the slice wraps past nrows and is skipped too.
  uint row = (p.by_position != 0u ? st.n_past + t : st.token_ids[t]) - p.first_row;
  if (row >= p.nrows) return;
  uint rb = row * ((p.ncols / BLOCK_ELEMS) * BLOCK_BYTES);
  for (uint c = gl_LocalInvocationID.x; c < p.ncols / CHUNK; c += 64u) {
    float vals[CHUNK];
    dequant_chunk(rb, c, vals);
    [[unroll]] for (uint i = 0u; i < CHUNK; ++i) {
      uint oi = t * p.out_stride + c * CHUNK + i;
      o[oi] = p.accumulate != 0u ? o[oi] + vals[i] : vals[i];
    }
  }
}
