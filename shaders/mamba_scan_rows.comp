#version 450
#extension GL_EXT_control_flow_attributes : require
// mamba_scan.comp for GPUs: the same selective scan, spread over each head's channels. A channel's state row
// (d_state floats) updates on its own given the token's B, C and dt, so a workgroup takes ROWS channels of
// one head, LANES invocations per channel, each holding d_state / LANES of the row in registers for the whole
// step (read and written once per step); a head spreads over head_dim / ROWS workgroups instead of one
// (Granite-4.0-H-350M: 96 workgroups of 128, not 48 of 64 with half idle). Per token each invocation sums
// its part of state · C, the channel's lanes add theirs through shared memory, and lane 0 writes
// y_p = state · C + D[h]·x_p times SiLU(z_p). Lane l owns state dimensions l, l + LANES, ...; invocation
// l · ROWS + r runs lane l of channel r (neighbouring invocations, neighbouring floats of the state). Needs
// d_state a multiple of LANES up to LANES · MAX_C and head_dim a multiple of ROWS (the host checks).
const uint ROWS = 16u, LANES = 8u, MAX_C = 32u;
layout(local_size_x = 128) in;  // ROWS · LANES
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
shared float part[2][ROWS * LANES];  // by token parity: one barrier per token

void main() {
  const uint h = gl_WorkGroupID.x, tid = gl_LocalInvocationID.x;
  const uint lane = tid / ROWS, rloc = tid % ROWS;
  const uint hd = p.d_inner / p.n_head, g = h / (p.n_head / p.n_group);
  const uint c = gl_WorkGroupID.y * ROWS + rloc;  // this invocation's channel within the head
  const uint channels = p.d_inner + 2u * p.n_group * p.d_state;
  const uint nk = p.d_state / LANES;
  const uint s0 = h * p.d_state * hd + c;  // element (c, k) at s0 + k · hd
  float s[MAX_C];
  [[unroll]] for (uint j = 0u; j < MAX_C; ++j)
    if (j < nk) s[j] = S[s0 + (lane + j * LANES) * hd];
  for (uint t = 0u; t < p.n_tokens; ++t) {
    const uint row = t * channels, par = t & 1u;
    const uint bo = row + p.d_inner + g * p.d_state + lane, co = bo + p.n_group * p.d_state;
    const float pre = zin[t * p.in_dim + p.d_inner + channels + h] + dt_bias[h];
    const float dt = pre > 20.0 ? pre : log(1.0 + exp(pre));
    const float decay = exp(dt * a[h]);
    const float x = xbc[row + h * hd + c];
    const float x_dt = x * dt;
    float acc = 0.0;
    [[unroll]] for (uint j = 0u; j < MAX_C; ++j)
      if (j < nk) {
        s[j] = s[j] * decay + xbc[bo + j * LANES] * x_dt;
        acc += s[j] * xbc[co + j * LANES];
      }
    part[par][tid] = acc;
    barrier();
    if (lane == 0u) {
      float total = dskip[h] * x;
      [[unroll]] for (uint l = 0u; l < LANES; ++l) total += part[par][l * ROWS + rloc];
      const float z = zin[t * p.in_dim + h * hd + c];
      y[t * p.d_inner + h * hd + c] = total * (z / (1.0 + exp(-z)));
    }
  }
  [[unroll]] for (uint j = 0u; j < MAX_C; ++j)
    if (j < nk) S[s0 + (lane + j * LANES) * hd] = s[j];
}
