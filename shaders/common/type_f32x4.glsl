// f32 rows whose length is a multiple of 4 (rows start 16-byte aligned): four elements per uvec4 load. The
// host picks this for matvec when it applies; f32 (type_f32.glsl) reads any row length.
const uint BLOCK_ELEMS = 1u;
const uint BLOCK_BYTES = 4u;
const uint CHUNK = 4u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uvec4 q = w4[(rb >> 4) + c];
  v[0] = uintBitsToFloat(q.x);
  v[1] = uintBitsToFloat(q.y);
  v[2] = uintBitsToFloat(q.z);
  v[3] = uintBitsToFloat(q.w);
}
