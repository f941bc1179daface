// Exact f32 arithmetic for the reference-compatible mode (vulkan-llamacpp, inference/vulkan/exact_forward.h):
// the helpers every ggml_*_exact.comp shader uses to reproduce llama.cpp's x86 CPU results bit for bit.
//
// Every emulated expression is `precise` (SPIR-V NoContraction), so no driver fuses a*b+c on its own; where
// ggml contracts (its FMA intrinsics, GCC's -ffp-contract=fast) ex_fma() is written explicitly. GLSL's fma()
// is not used: without NoContraction SPIR-V leaves it free to be a separate multiply and add, so ex_fma()
// builds the single rounding itself from double arithmetic.
//
// Assumptions (true on lavapipe, checked by tests/vulkan/test_exact_arith.cpp): f32 and f64 add, subtract,
// multiply, divide and sqrt are correctly rounded (round to nearest even) and f64 -> f32 conversion rounds to
// nearest even. Vulkan itself only promises correctly rounded f32 add/sub/mul; a real GPU may compute
// divisions and square roots to 2.5 ulp, f64 (if it has any) at f32 precision, or flush subnormals, and then
// this mode is no longer bit-exact there.
#ifndef GGML_EXACT_GLSL
#define GGML_EXACT_GLSL

// a / b correctly rounded to f32: the f64 quotient rounded to f32. Rounding twice is harmless for ÷ and √
// because 53 >= 2·24 + 2 (Figueroa, "When is double rounding innocuous?", 1995).
float ex_div(float a, float b) {
  precise double q = double(a) / double(b);
  return float(q);
}

float ex_sqrt(float a) {
  precise double r = sqrt(double(a));
  return float(r);
}

// fma(a, b, c) with one rounding: a·b is exact in f64 (24 + 24 bits); the f64 sum is taken to odd rounding
// (Boldo & Melquiond 2008: rounding to odd in 53 bits, then to nearest in 24 bits, equals one rounding to
// nearest), using the exact error of the f64 sum (TwoSum) to detect an inexact result.
float ex_fma(float a, float b, float c) {
  precise double p = double(a) * double(b);
  precise double dc = double(c);
  precise double s = p + dc;
  precise double bb = s - p;
  precise double err = (p - (s - bb)) + (dc - bb);
  if (err != 0.0) {
    uvec2 u = unpackDouble2x32(s);  // x: low word, y: high word
    if ((u.x & 1u) == 0u) {
      // s is even: the odd neighbour on the side of the exact value (one unit in the last place away).
      if ((err > 0.0) == (s > 0.0)) {
        u.x += 1u;  // low bit was 0: no carry
      } else {
        if (u.x == 0u) u.y -= 1u;
        u.x -= 1u;
      }
      s = packDouble2x32(u);
    }
  }
  return float(s);
}

// IEEE half bits of x rounded to nearest even (as inference/quant/fp16.h f32_to_fp16 and x86 F16C do).
uint ex_half_bits(float x) {
  const uint u = floatBitsToUint(x);
  const uint sign = (u >> 16) & 0x8000u;
  const uint a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return sign | 0x7E00u | ((a >> 13) & 0x3FFu);  // NaN
  if (a >= 0x477FF000u) return sign | 0x7C00u;                         // >= 65520 rounds to inf
  if (a >= 0x38800000u) return sign | ((a + 0xFFFu + ((a >> 13) & 1u) - 0x38000000u) >> 13);
  // Subnormal half: |x|·2^24 (exact, a power-of-two scaling) rounded to nearest even; 1024 is 2^-14.
  precise float q = roundEven(uintBitsToFloat(a) * 16777216.0);
  return sign | uint(q);
}

float ex_half_to_float(uint h) {
  const uint sign = (h & 0x8000u) << 16;
  const uint e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
  if (e == 0u) {  // zero or subnormal: m·2^-24, exact
    precise float v = float(m) * 5.9604644775390625e-8;
    return uintBitsToFloat(sign | floatBitsToUint(v));
  }
  if (e == 31u) return uintBitsToFloat(sign | 0x7F800000u | (m << 13));
  return uintBitsToFloat(sign | ((e + 112u) << 23) | (m << 13));
}

float ex_round_fp16(float x) {
  return ex_half_to_float(ex_half_bits(x));
}

float ex_round_bf16(float x) {
  const uint u = floatBitsToUint(x);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return x;
  return uintBitsToFloat(((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16) << 16);
}

// ggml's AVX2 horizontal sum of 8 lanes: (lo + hi), then (0 + 2, 1 + 3), then (0 + 1).
float ex_hsum8(float acc[8]) {
  precise float a0 = acc[0] + acc[4], a1 = acc[1] + acc[5], a2 = acc[2] + acc[6], a3 = acc[3] + acc[7];
  precise float b0 = a0 + a2, b1 = a1 + a3;
  precise float r = b0 + b1;
  return r;
}

// ggml_v_expf (AVX2), as inference/cpu/ggml_kernels.cpp expf_like_ggml writes it.
float ex_expf(float x) {
  const float r = uintBitsToFloat(0x4B400000u);  // 0x1.8p23
  precise float z = ex_fma(x, uintBitsToFloat(0x3FB8AA3Bu), r);
  precise float n = z - r;
  precise float b =
      ex_fma(-n, uintBitsToFloat(0x35BFBE8Eu), ex_fma(-n, uintBitsToFloat(0x3F317200u), x));
  const uint e = floatBitsToUint(z) << 23;
  const float k = uintBitsToFloat(e + floatBitsToUint(1.0));
  if (abs(n) > 126.0) return n > 0.0 ? uintBitsToFloat(0x7F800000u) : 0.0;
  precise float u = b * b;
  precise float c1b = uintBitsToFloat(0x3F7FFFF6u) * b;
  precise float j = ex_fma(ex_fma(ex_fma(uintBitsToFloat(0x3C072010u), b, uintBitsToFloat(0x3D2B9F17u)), u,
                                  ex_fma(uintBitsToFloat(0x3E2AAF33u), b, uintBitsToFloat(0x3EFFFEDBu))),
                           u, c1b);
  return ex_fma(j, k, k);
}

#endif
