#version 450
#extension GL_GOOGLE_include_directive : require
// LFM2's gated short convolution over this step's tokens (positions n_past + t from the step state): per
// token and channel i, b·x (from in_proj's b, c, x rows) goes into the layer's convolution cache at its
// position, and y = c · Σ_j taps[i][j] · (b·x)[pos − (kernel − 1) + j], oldest tap first, positions before 0
// counting as zeros (as ggml_ssm_conv over llama.cpp's zeroed state). One invocation per channel walks the
// step's tokens in order, keeping the last kernel − 1 inputs in registers: the cache is read only for the
// positions before this step (written by earlier steps, or, after the session went back, by the steps it
// kept) and written once per token.
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer BCX { float bcx[]; };   // (n_tokens, 3·dim): b, c, x
layout(std430, binding = 1) readonly buffer Taps { float taps[]; }; // (dim, kernel)
layout(std430, binding = 2) buffer Cache { float cache[]; };        // (n_ctx, dim) b·x per position
layout(std430, binding = 3) writeonly buffer Y { float y[]; };      // (n_tokens, dim)
#define STATE_BINDING 4
#include "common/state.glsl"
layout(push_constant) uniform Push {
  uint n_tokens;
  uint dim;
  uint kernel;  // taps, 2..16
} p;
const uint kMaxTaps = 16;
void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.dim) return;
  const uint k = p.kernel, n_past = st.n_past;
  float window[kMaxTaps];  // window[j]: the input at position pos − (k − 1) + j
  for (uint j = 0; j + 1 < k; ++j) {
    const int src = int(n_past) - int(k - 1) + int(j);
    window[j] = src >= 0 ? cache[uint(src) * p.dim + i] : 0.0;
  }
  for (uint t = 0; t < p.n_tokens; ++t) {
    const uint row = t * 3u * p.dim;
    const float bx = bcx[row + i] * bcx[row + 2u * p.dim + i];
    cache[(n_past + t) * p.dim + i] = bx;
    window[k - 1] = bx;
    float acc = 0.0;
    for (uint j = 0; j < k; ++j) acc += taps[i * k + j] * window[j];
    y[t * p.dim + i] = bcx[row + p.dim + i] * acc;
    for (uint j = 0; j + 1 < k; ++j) window[j] = window[j + 1];
  }
}
