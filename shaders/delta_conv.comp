#version 450
#extension GL_GOOGLE_include_directive : require
// The causal convolution of a recurrent layer over this step's tokens, then SiLU (Qwen3.5's delta nets over
// q|k|v; Mamba-2 over x|B|C, with a bias): per channel c, out[t][c] = silu(Σ_j taps[c][j] ·
// in[pos − (kernel − 1) + j][c] (+ bias[c])), oldest tap first, where the inputs before this step come from
// `window` (the layer's last kernel − 1 inputs, zeros at position 0). One invocation per channel walks the
// tokens in order and leaves the window holding the step's last inputs.
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer In { float qkv[]; };     // row t at t · in_stride + in_offset
layout(std430, binding = 1) readonly buffer Taps { float taps[]; };  // (channels, kernel)
layout(std430, binding = 2) buffer Window { float window[]; };       // (kernel - 1, channels), oldest first
layout(std430, binding = 3) writeonly buffer Out { float y[]; };     // (n_tokens, channels)
layout(std430, binding = 4) readonly buffer Bias { float bias[]; };  // (channels), read when has_bias
layout(push_constant) uniform Push {
  uint n_tokens;
  uint channels;
  uint kernel;  // taps, 2..16
  uint in_stride;
  uint in_offset;
  uint has_bias;
} p;
const uint kMaxTaps = 16;
void main() {
  const uint c = gl_GlobalInvocationID.x;
  if (c >= p.channels) return;
  const uint k = p.kernel;
  const float b = p.has_bias != 0u ? bias[c] : 0.0;
  float w[kMaxTaps];
  for (uint j = 0; j + 1 < k; ++j) w[j] = window[j * p.channels + c];
  for (uint t = 0; t < p.n_tokens; ++t) {
    w[k - 1] = qkv[t * p.in_stride + p.in_offset + c];
    float acc = 0.0;
    for (uint j = 0; j < k; ++j) acc += taps[c * k + j] * w[j];
    acc += b;
    y[t * p.channels + c] = acc / (1.0 + exp(-acc));
    for (uint j = 0; j + 1 < k; ++j) w[j] = w[j + 1];
  }
  for (uint j = 0; j + 1 < k; ++j) window[j * p.channels + c] = w[j];
}
