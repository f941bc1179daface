// Kimi Delta Attention's bindings, push constants and addressing (Kimi Linear), shared by its per-head kernel
// (kda_rule.comp) and its per-row kernel for GPUs (kda_rule_rows.comp): the hooks both bodies call. Key
// column j decays by its own e^{a[h] · softplus(g_in_j + dt_bias_j)}, β = σ(β logit); q, k and v are the
// convolutions' three planes of n_tokens rows; the gate is σ(z) (a sigmoid, not Qwen3.5's SiLU).
layout(std430, binding = 0) readonly buffer QKV { float qkv[]; };      // 3 planes of (n_tokens, inner)
layout(std430, binding = 1) readonly buffer G { float g_in[]; };       // (n_tokens, inner) f_b · f_a · x
layout(std430, binding = 2) readonly buffer Z { float z[]; };          // (n_tokens, inner) the gate's logits
layout(std430, binding = 3) readonly buffer Beta { float beta_in[]; }; // (n_tokens, n_heads) logits
layout(std430, binding = 4) readonly buffer DtBias { float dt_bias[]; };  // (inner)
layout(std430, binding = 5) readonly buffer A { float a_log[]; };      // −exp(A_log) per head
layout(std430, binding = 6) readonly buffer Norm { float norm_w[]; };  // (head_dim)
layout(std430, binding = 7) buffer State { float S[]; };               // (n_heads, head_dim, head_dim)
layout(std430, binding = 8) writeonly buffer Out { float o_out[]; };   // (n_tokens, inner)
layout(push_constant) uniform Push {
  uint n_tokens;
  uint n_heads;
  uint d;  // head_dim, of q, k and v alike
  float eps;
} p;

uint key_dim() { return p.d; }
uint value_dim() { return p.d; }
uint out_at(uint t, uint h) { return t * p.n_heads * p.d + h * p.d; }
uint q_at(uint t, uint h) { return out_at(t, h); }
uint k_at(uint t, uint h) { return p.n_tokens * p.n_heads * p.d + out_at(t, h); }
uint v_at(uint t, uint h) { return 2u * p.n_tokens * p.n_heads * p.d + out_at(t, h); }
float token_decay(uint t, uint h) { return 1.0; }
float column_decay(uint t, uint h, uint j) {
  const float pre = g_in[out_at(t, h) + j] + dt_bias[h * p.d + j];
  return exp((pre > 20.0 ? pre : log(1.0 + exp(pre))) * a_log[h]);
}
float beta_of(uint t, uint h) { return 1.0 / (1.0 + exp(-beta_in[t * p.n_heads + h])); }
float gate(float zv) { return 1.0 / (1.0 + exp(-zv)); }
