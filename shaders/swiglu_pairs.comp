#version 450
#extension GL_GOOGLE_include_directive : require
// out[t][r] = silu(h[t][2r]) * h[t][2r + 1]: SwiGLU over the product of interleaved gate|up rows (a batch of
// the GPU kernels' fused gate|up matrix; one vector at a time the mat-vec applies it itself).
#include "common/elementwise.glsl"
layout(std430, binding = 0) readonly buffer H { float h[]; };
layout(std430, binding = 1) writeonly buffer O { float o[]; };
layout(push_constant) uniform Push {
  uint n;         // outputs: vectors x n_ff
  uint n_ff;      // outputs per vector (h has 2 n_ff per vector)
  uint o_stride;  // elements between output vectors
} p;
void main() {
  uint i = flat_index();
  if (i >= p.n) return;
  uint t = i / p.n_ff, r = i % p.n_ff;
  float g = h[t * 2u * p.n_ff + 2u * r], u = h[t * 2u * p.n_ff + 2u * r + 1u];
  o[t * p.o_stride + r] = g / (1.0 + exp(-g)) * u;  // as swiglu.comp
}
