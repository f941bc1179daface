#version 450
// y[t][r] (+)= W[r] · x[t] (+ b[r]) as llama.cpp's x86 AVX2 CPU backend computes it (reference-compatible
// mode; the order is documented in inference/cpu/ggml_kernels.h and reproduced here step for step): the
// activation row is converted to the weight's vec_dot type (q8_0 / q8_1 / q8_K codes, or fp16 / bf16), the
// integer dot products are exact, and the f32 accumulation follows ggml's 8 lanes and horizontal sum.
// One invocation per output element, the lanes emulated sequentially: slow, exact. The weights come
// pre-decoded by the host (inference/vulkan/exact_weights.cpp): integer codes, per-block scales, minimums.
#extension GL_GOOGLE_include_directive : require
#include "common/ggml_exact.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) buffer Y { float y[]; };
layout(std430, binding = 2) readonly buffer WF { float wf[]; };       // kind 0: weight values
layout(std430, binding = 3) readonly buffer Codes { uint codes[]; };  // int16 codes, two per word
layout(std430, binding = 4) readonly buffer Blk { float blk[]; };     // per block: d, min (or dmin)
layout(std430, binding = 5) readonly buffer Mins { int mins[]; };     // kind 3: min of each 16 elements
layout(std430, binding = 6) readonly buffer Bias { float bias[]; };

layout(push_constant) uniform P {
  uint ncols, nrows, x_stride, x_offset, y_stride, y_offset, accumulate, has_bias;
  uint kind;     // 0 float weights, 1 q8_0 family (32-blocks), 2 Q6_K/Q3_K, 3 Q2_K/Q4_K/Q5_K
  uint variant;  // kind 0: activation 0 f32, 1 fp16, 2 bf16, 3 f32 in ggml_vec_dot_f32's order;
                 // kind 1: 0 plain, 1 with min, 2 Q4_0 repacked;
                 // kind 3: 0 Q2_K, 1 Q4_K, 2 Q5_K
}
p;

int code_at(uint k) {
  return bitfieldExtract(int(codes[k >> 1]), int((k & 1u) * 16u), 16);
}

float dot_float(uint r, uint xo) {
  float acc[8] = float[8](0, 0, 0, 0, 0, 0, 0, 0);
  const uint wo = r * p.ncols;
  for (uint i = 0; i < p.ncols; ++i) {
    float a = x[xo + i];
    if (p.variant == 1u) a = ex_round_fp16(a);
    if (p.variant == 2u) a = ex_round_bf16(a);
    acc[i & 7u] = ex_fma(a, wf[wo + i], acc[i & 7u]);
  }
  return ex_hsum8(acc);
}

// ggml_vec_dot_f32 (AVX2), for F32 weights tinyBLAS declines (inference/cpu/ggml_kernels.h dot_vec_f32):
// 4 × 8 FMA lanes over steps of 32 (element i in slot i mod 32), reduced (0+2, 1+3, then 0+1), lanes l + l+4,
// (0+1) + (2+3); the leftovers added one by one, not contracted.
float dot_vec_f32(uint r, uint xo) {
  float acc[32];
  for (uint i = 0; i < 32u; ++i) acc[i] = 0.0;
  const uint wo = r * p.ncols, np = p.ncols & ~31u;
  for (uint i = 0; i < np; ++i) acc[i & 31u] = ex_fma(x[xo + i], wf[wo + i], acc[i & 31u]);
  float lanes[8];
  for (uint l = 0; l < 8u; ++l) {
    precise float s02 = acc[l] + acc[16u + l], s13 = acc[8u + l] + acc[24u + l];
    precise float v = s02 + s13;
    lanes[l] = v;
  }
  precise float t0 = lanes[0] + lanes[4], t1 = lanes[1] + lanes[5], t2 = lanes[2] + lanes[6];
  precise float t3 = lanes[3] + lanes[7];
  precise float sum = (t0 + t1) + (t2 + t3);
  for (uint i = np; i < p.ncols; ++i) {
    precise float prod = x[xo + i] * wf[wo + i];
    sum = sum + prod;
  }
  return sum;
}

// Activations as q8_0 / q8_1 per 32 (ggml quantize_row_q8_0/q8_1 on x86): d = amax/127,
// q = nearbyint(x·127/amax).
float dot_q8(uint r, uint xo) {
  float acc[8] = float[8](0, 0, 0, 0, 0, 0, 0, 0);
  precise float summs = 0.0, acc0 = 0.0;
  const uint nb = p.ncols / 32u;
  for (uint b = 0; b < nb; ++b) {
    const uint x0 = xo + b * 32u, k0 = r * p.ncols + b * 32u;
    float amax = 0.0;
    for (uint i = 0; i < 32u; ++i) amax = max(amax, abs(x[x0 + i]));
    const float d = ex_div(amax, 127.0);
    const float id = amax != 0.0 ? ex_div(127.0, amax) : 0.0;
    int lane[8] = int[8](0, 0, 0, 0, 0, 0, 0, 0);
    int qsum = 0, total = 0;
    for (uint i = 0; i < 32u; ++i) {
      precise float v = x[x0 + i] * id;
      const int q = int(roundEven(v));
      qsum += q;
      const int prod = code_at(k0 + i) * q;
      lane[(i >> 2) & 7u] += prod;
      total += prod;
    }
    const float dx = ex_round_fp16(d);
    precise float ds = d * float(qsum);
    const float sx = ex_round_fp16(ds);
    const uint bi = (r * nb + b) * 2u;
    precise float dxdy = blk[bi] * dx;
    if (p.variant == 2u) {
      acc0 = ex_fma(dxdy, float(total), acc0);
      continue;
    }
    if (p.variant == 1u) summs = ex_fma(blk[bi + 1u], sx, summs);
    for (uint l = 0; l < 8u; ++l) acc[l] = ex_fma(dxdy, float(lane[l]), acc[l]);
  }
  if (p.variant == 2u) return acc0;
  precise float res = ex_hsum8(acc) + summs;
  return res;
}

// Activations as q8_K per 256 (ggml quantize_row_q8_K, reference version): iscale = -127/max (signed
// largest magnitude), q = min(127, nearbyint(iscale·x)), d = 1/iscale.
float dot_k(uint r, uint xo) {
  float acc[8] = float[8](0, 0, 0, 0, 0, 0, 0, 0);
  float accm4[4] = float[4](0, 0, 0, 0);
  precise float summs = 0.0;
  const uint nsb = p.ncols / 256u;
  for (uint sb = 0; sb < nsb; ++sb) {
    const uint x0 = xo + sb * 256u, k0 = r * p.ncols + sb * 256u;
    float mx = 0.0, amax = 0.0;
    for (uint i = 0; i < 256u; ++i) {
      const float ax = abs(x[x0 + i]);
      if (ax > amax) {
        amax = ax;
        mx = x[x0 + i];
      }
    }
    float iscale = 0.0, dy = 0.0;
    if (amax != 0.0) {
      iscale = ex_div(-127.0, mx);
      dy = ex_div(1.0, iscale);
    }
    int lane[8] = int[8](0, 0, 0, 0, 0, 0, 0, 0);
    int bsum[16] = int[16](0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    for (uint i = 0; i < 256u; ++i) {
      int q = 0;
      if (amax != 0.0) {
        precise float v = iscale * x[x0 + i];
        q = min(127, int(roundEven(v)));
      }
      lane[(i >> 2) & 7u] += code_at(k0 + i) * q;
      bsum[i >> 4] += q;
    }
    const uint bi = (r * nsb + sb) * 2u;
    precise float d = dy * blk[bi];
    if (p.kind == 2u) {
      for (uint l = 0; l < 8u; ++l) acc[l] = ex_fma(d, float(lane[l]), acc[l]);
      continue;
    }
    precise float dmin = (-dy) * blk[bi + 1u];
    const uint m0 = (r * p.ncols + sb * 256u) / 16u;  // mins of this super-block's 16 sub-blocks of 16
    if (p.variant == 0u) {                          // Q2_K: minimums first, then the scaled quants
      for (uint l = 0; l < 8u; ++l)
        acc[l] = ex_fma(
            dmin, float(mins[m0 + 2u * l] * bsum[2u * l] + mins[m0 + 2u * l + 1u] * bsum[2u * l + 1u]), acc[l]);
      for (uint l = 0; l < 8u; ++l) acc[l] = ex_fma(d, float(lane[l]), acc[l]);
    } else if (p.variant == 1u) {  // Q4_K: 4 lanes of minimum pairs (sub-blocks of 32: min of 16-group 2s)
      for (uint l = 0; l < 4u; ++l)
        accm4[l] = ex_fma(dmin,
                          float(mins[m0 + 4u * l] * (bsum[4u * l] + bsum[4u * l + 1u]) +
                                mins[m0 + 4u * l + 2u] * (bsum[4u * l + 2u] + bsum[4u * l + 3u])),
                          accm4[l]);
      for (uint l = 0; l < 8u; ++l) acc[l] = ex_fma(d, float(lane[l]), acc[l]);
    } else {  // Q5_K: one running sum of the minimums
      for (uint l = 0; l < 8u; ++l) acc[l] = ex_fma(d, float(lane[l]), acc[l]);
      int total = 0;
      for (uint s = 0; s < 8u; ++s) total += mins[m0 + 2u * s] * (bsum[2u * s] + bsum[2u * s + 1u]);
      summs = ex_fma(dmin, float(total), summs);
    }
  }
  if (p.kind == 3u && p.variant == 1u) {
    precise float m = (accm4[0] + accm4[2]) + (accm4[1] + accm4[3]);
    precise float res = ex_hsum8(acc) + m;
    return res;
  }
  if (p.kind == 3u && p.variant == 2u) {
    precise float res = ex_hsum8(acc) + summs;
    return res;
  }
  return ex_hsum8(acc);
}

void main() {
  const uint r = gl_GlobalInvocationID.x, t = gl_GlobalInvocationID.y;
  if (r >= p.nrows) return;
  const uint xo = p.x_offset + t * p.x_stride;
  float v;
  if (p.kind == 0u)
    v = p.variant == 3u ? dot_vec_f32(r, xo) : dot_float(r, xo);
  else if (p.kind == 1u)
    v = dot_q8(r, xo);
  else
    v = dot_k(r, xo);
  precise float outv = v + (p.has_bias != 0u ? bias[r] : 0.0);
  const uint yi = p.y_offset + t * p.y_stride + r;
  if (p.accumulate != 0u) {
    precise float sum = y[yi] + outv;
    y[yi] = sum;
  } else {
    y[yi] = outv;
  }
}
