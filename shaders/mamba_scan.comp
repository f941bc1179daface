#version 450
#extension GL_GOOGLE_include_directive : require
// Mamba-2's selective scan over this step's tokens (Granite 4.0-H), one workgroup per head h, B and C of group
// h / (n_head / n_group): with dt = softplus(dt + dt_bias[h]) and the head's state (head_dim channels ×
// d_state), per channel p: state ← e^{dt·A[h]} state + (x_p·dt) B, y_p = state · C + D[h]·x_p, times SiLU(z_p).
// Each invocation owns channels tid, tid + 64, ...; B and C pass through shared memory. The state is stored
// state dimension first (element (p, k) at k · head_dim + p), so that neighbouring invocations read
// neighbouring floats.
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer XBC { float xbc[]; };     // (n_tokens, channels) after the conv
layout(std430, binding = 1) readonly buffer In { float zin[]; };      // in_proj rows: z, x|B|C, dt
layout(std430, binding = 2) readonly buffer DtBias { float dt_bias[]; };
layout(std430, binding = 3) readonly buffer A { float a[]; };         // −exp(A_log) per head
layout(std430, binding = 4) readonly buffer D { float dskip[]; };     // per head
layout(std430, binding = 5) buffer State { float S[]; };              // (n_head, d_state, head_dim)
layout(std430, binding = 6) writeonly buffer Y { float y[]; };        // (n_tokens, d_inner)
layout(push_constant) uniform Push {
  uint n_tokens;
  uint d_inner;
  uint d_state;
  uint n_head;
  uint n_group;
  uint in_dim;  // in_proj's row: z (d_inner), x|B|C (channels), dt (n_head)
} p;
const uint kMaxState = 256;
const uint kThreads = 64;
shared float B_sh[kMaxState];
shared float C_sh[kMaxState];

void main() {
  const uint h = gl_WorkGroupID.x, tid = gl_LocalInvocationID.x;
  const uint hd = p.d_inner / p.n_head, g = h / (p.n_head / p.n_group);
  const uint channels = p.d_inner + 2u * p.n_group * p.d_state;
  const uint state0 = h * p.d_state * hd;
  for (uint t = 0; t < p.n_tokens; ++t) {
    const uint row = t * channels;
    for (uint k = tid; k < p.d_state; k += kThreads) {
      B_sh[k] = xbc[row + p.d_inner + g * p.d_state + k];
      C_sh[k] = xbc[row + p.d_inner + p.n_group * p.d_state + g * p.d_state + k];
    }
    barrier();
    const float pre = zin[t * p.in_dim + p.d_inner + channels + h] + dt_bias[h];
    const float dt = pre > 20.0 ? pre : log(1.0 + exp(pre));
    const float decay = exp(dt * a[h]);
    for (uint c = tid; c < hd; c += kThreads) {
      const float x = xbc[row + h * hd + c];
      const float x_dt = x * dt;
      float acc = 0.0;
      for (uint k = 0; k < p.d_state; ++k) {
        const uint i = state0 + k * hd + c;
        const float s = S[i] * decay + B_sh[k] * x_dt;
        S[i] = s;
        acc += s * C_sh[k];
      }
      acc += dskip[h] * x;
      const float z = zin[t * p.in_dim + h * hd + c];
      y[t * p.d_inner + h * hd + c] = acc * (z / (1.0 + exp(-z)));
    }
    barrier();  // (B_sh and C_sh are the next token's)
  }
}
