// The 6-bit (scale, min) pair j of q4_K / q5_K, packed in 12 bytes at off (ggml's get_scale_min_k4).
void scale_min_k4(uint off, uint j, out float sc, out float mn) {
  if (j < 4u) {
    sc = float(w_u8(off + j) & 63u);
    mn = float(w_u8(off + j + 4u) & 63u);
  } else {
    sc = float((w_u8(off + j + 4u) & 15u) | ((w_u8(off + j - 4u) >> 6) << 4));
    mn = float((w_u8(off + j + 4u) >> 4) | ((w_u8(off + j) >> 6) << 4));
  }
}
