// What the repacked q4_K and q5_K layouts share: the 16 aux1 bytes per block (f16 d, f16 dmin, scales[12])
// and the mat-vec unit geometry (8 units per block, each 16 columns of one 64-element group: its low-nibble
// sub-block in xv[0..3], its high-nibble one in xv[4..7]). Each type file keeps its quant layout, Raw,
// load_unit and dot_unit. Included by those type files after gpu_layout.glsl.

// ggml's get_scale_min_k4 on the 12 scale bytes (bytes 4..15 of a).
void gpu_scale_min_k4(uvec4 a, uint j, out float sc, out float mn) {
  if (j < 4u) {
    sc = float(byte16(a, 4u + j) & 63u);
    mn = float(byte16(a, 8u + j) & 63u);
  } else {
    sc = float((byte16(a, 8u + j) & 15u) | ((byte16(a, j) >> 6) << 4));
    mn = float((byte16(a, 8u + j) >> 4) | ((byte16(a, 4u + j) >> 6) << 4));
  }
}

#ifdef GPU_MATVEC
const uint UNITS = 8u;
const uint XV = 8u;
void load_x(uint xb, uint u, out vec4 xv[XV]) {
  uint o = xb + 16u * (u >> 1) + 4u * (u & 1u);
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    xv[j] = xin(o + j);
    xv[4u + j] = xin(o + 8u + j);
  }
}
vec4 x_sums(in vec4 xv[XV]) {
  return vec4(dot(sum4(xv[0], xv[1], xv[2], xv[3]), vec4(1.0)), dot(sum4(xv[4], xv[5], xv[6], xv[7]), vec4(1.0)),
              0.0, 0.0);
}
#endif
