// Splits an f32 into two f16 operands for the tensor-core GEMM (matmul_cm_body.glsl): v = hi + lo / F16_LO_SCALE
// to ~2^-21 relative, with hi and lo both f16 values (normal or zero) whatever the GPU does with f16
// subnormals, whatever its compiler folds and whatever its f32 -> f16 rounding mode:
// - hi is v with its mantissa cut to f16's 10 bits by an integer mask, so converting it to f16 is exact.
//   Two earlier splits lost the low parts on NVIDIA: `lo = v - float(float16_t(v))`, which a compiler may fold
//   to 0 (the H200 run was 1.5e-4 off, what f16 operands alone give), and an unscaled lo, an f16 subnormal
//   for any |v| < 2^-3, which a GPU may flush (the H100 run, 7.4e-5 off). Integer masks cannot be folded.
// - lo = (v - hi) * 2^10 is exact in f32; |v - hi| < 2^-10 |v|, so |lo| < |v| cannot overflow f16 where hi
//   does not (|v| < 65504: activations of real models are). Below f16's smallest normal (2^-14) hi is 0 and
//   lo = v * 2^10 carries v. lo's rounding to f16 costs 2^-11 of lo, under 2^-21 of v; a remainder under
//   2^-24 (absolute) may be flushed.
const float F16_LO_SCALE = 1024.0;

vec2 f16_split(float v) {
  const float hi = abs(v) < 6.103515625e-05 ? 0.0 : uintBitsToFloat(floatBitsToUint(v) & 0xFFFFE000u);
  return vec2(hi, (v - hi) * F16_LO_SCALE);
}
