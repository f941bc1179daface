#version 450
#extension GL_GOOGLE_include_directive : require
// Mamba-1's selective scan over this step's tokens (state-spaces' Mamba, Falcon-Mamba), one invocation per
// channel c: with dt = softplus(dt_proj · dt + dt_bias[c]) and the channel's state (d_state floats), state ←
// e^{dt·A[c]} ⊙ state + (x_c·dt) B, y_c = state · C + D[c]·x_c, times SiLU(z_c). B and C (x_proj's rows after
// dt) pass through shared memory, RMS-normalized where b_c_rms, times their gains (Jamba's own; ones for
// Falcon-Mamba, whose norms have none). The state is
// stored state dimension first (element (c, k) at k · d_inner + c), so that neighbouring invocations read
// neighbouring floats.
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };        // (n_tokens, d_inner) after the conv
layout(std430, binding = 1) readonly buffer In { float xz[]; };      // in_proj rows: x, z (d_inner each)
layout(std430, binding = 2) readonly buffer XDB { float xdb[]; };    // x_proj rows: dt, B, C
layout(std430, binding = 3) readonly buffer Dt { float dt_in[]; };   // (n_tokens, d_inner) dt_proj · dt
layout(std430, binding = 4) readonly buffer DtBias { float dt_bias[]; };
layout(std430, binding = 5) readonly buffer A { float a[]; };        // (d_inner, d_state) −exp(A_log)
layout(std430, binding = 6) readonly buffer D { float dskip[]; };    // per channel
layout(std430, binding = 7) buffer State { float S[]; };             // (d_state, d_inner)
layout(std430, binding = 8) writeonly buffer Y { float y[]; };       // (n_tokens, d_inner)
layout(std430, binding = 9) readonly buffer G { float gain[]; };  // B's norm gains, then C's (d_state each)
layout(push_constant) uniform Push {
  uint n_tokens;
  uint d_inner;
  uint d_state;
  uint dt_rank;
  uint b_c_rms;  // Falcon-Mamba, Jamba: B and C RMS-normalized (dt was, before dt_proj)
  float eps;
} p;
const uint kMaxState = 256;
const uint kThreads = 64;
shared float B_sh[2 * kMaxState];  // B, then its gains
shared float C_sh[2 * kMaxState];  // C, then its gains

void main() {
  const uint c = gl_GlobalInvocationID.x, tid = gl_LocalInvocationID.x;
  const uint row_len = p.dt_rank + 2u * p.d_state;
  for (uint t = 0; t < p.n_tokens; ++t) {
    const uint row = t * row_len + p.dt_rank;
    for (uint k = tid; k < p.d_state; k += kThreads) {
      B_sh[k] = xdb[row + k];
      C_sh[k] = xdb[row + p.d_state + k];
      if (p.b_c_rms != 0u) {  // (the gains multiply after the norm: applied below with the scales)
        B_sh[k + kMaxState] = gain[k];
        C_sh[k + kMaxState] = gain[p.d_state + k];
      }
    }
    barrier();
    if (c < p.d_inner) {  // (the invocations past the channels take part in the barriers only)
      float b_scale = 1.0, c_scale = 1.0;
      if (p.b_c_rms != 0u) {
        float sb = 0.0, sc = 0.0;
        for (uint k = 0; k < p.d_state; ++k) {
          sb += B_sh[k] * B_sh[k];
          sc += C_sh[k] * C_sh[k];
        }
        b_scale = 1.0 / sqrt(sb / float(p.d_state) + p.eps);
        c_scale = 1.0 / sqrt(sc / float(p.d_state) + p.eps);
      }
      const float pre = dt_in[t * p.d_inner + c] + dt_bias[c];
      const float dt = pre > 20.0 ? pre : log(1.0 + exp(pre));
      const float xc = x[t * p.d_inner + c];
      const float x_dt = xc * dt;
      float acc = 0.0;
      for (uint k = 0; k < p.d_state; ++k) {
        const uint i = k * p.d_inner + c;
        const float bk = p.b_c_rms != 0u ? B_sh[k] * b_scale * B_sh[k + kMaxState] : B_sh[k];
        const float ck = p.b_c_rms != 0u ? C_sh[k] * c_scale * C_sh[k + kMaxState] : C_sh[k];
        const float s = S[i] * exp(dt * a[c * p.d_state + k]) + bk * x_dt;
        S[i] = s;
        acc += s * ck;
      }
      acc += xc * dskip[c];
      const float z = xz[t * 2u * p.d_inner + p.d_inner + c];
      y[t * p.d_inner + c] = acc * (z / (1.0 + exp(-z)));
    }
    barrier();  // (B_sh and C_sh are the next token's)
  }
}
