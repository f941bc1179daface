// The gated delta rule's bindings, push constants and addressing (Qwen3.5, Qwen3-Next), shared by its per-head
// kernel (delta_rule.comp) and its per-row kernel for GPUs (delta_rule_rows.comp): the hooks both bodies call
// (common/delta_head_body.glsl, common/delta_rows_body.glsl). g = softplus(α + dt_bias[h]) · a[h] decays the
// whole state by e^g, β = σ(β logit), value head h reads key head h % n_k_heads (h / (n_v / n_k) with
// Qwen3-Next's grouping); the gate is SiLU(z).
layout(std430, binding = 0) readonly buffer QKV { float qkv[]; };      // (n_tokens, 2·key_dim + value_dim)
layout(std430, binding = 1) readonly buffer Z { float z[]; };          // (n_tokens, value_dim) the gate's logits
layout(std430, binding = 2) readonly buffer Beta { float beta_in[]; }; // (n_tokens, n_v_heads) logits
layout(std430, binding = 3) readonly buffer Alpha { float alpha[]; };  // (n_tokens, n_v_heads)
layout(std430, binding = 4) readonly buffer DtBias { float dt_bias[]; };
layout(std430, binding = 5) readonly buffer A { float a_log[]; };      // −exp(A_log) per value head
layout(std430, binding = 6) readonly buffer Norm { float norm_w[]; };  // (head_v_dim)
layout(std430, binding = 7) buffer State { float S[]; };               // (n_v_heads, head_v_dim, head_k_dim)
layout(std430, binding = 8) writeonly buffer Out { float o_out[]; };   // (n_tokens, value_dim)
layout(push_constant) uniform Push {
  uint n_tokens;
  uint n_k_heads;
  uint n_v_heads;
  uint dk;
  uint dv;
  float eps;
  uint grouped;  // Qwen3-Next: key head h / (n_v / n_k), β and α packed per key head in one row of 2·n_v
} p;

uint key_dim() { return p.dk; }
uint value_dim() { return p.dv; }
uint channels() { return 2u * p.n_k_heads * p.dk + p.n_v_heads * p.dv; }
uint key_head(uint h) { return p.grouped != 0u ? h / (p.n_v_heads / p.n_k_heads) : h % p.n_k_heads; }
uint q_at(uint t, uint h) { return t * channels() + key_head(h) * p.dk; }
uint k_at(uint t, uint h) { return q_at(t, h) + p.n_k_heads * p.dk; }
uint v_at(uint t, uint h) { return t * channels() + 2u * p.n_k_heads * p.dk + h * p.dv; }
uint out_at(uint t, uint h) { return t * p.n_v_heads * p.dv + h * p.dv; }
// β and α of value head h at token t (Qwen3-Next: packed per key head, β then α)
uint beta_at(uint t, uint h) {
  const uint r = p.n_v_heads / p.n_k_heads;
  return p.grouped != 0u ? t * 2u * p.n_v_heads + (h / r) * 2u * r + h % r : t * p.n_v_heads + h;
}
float token_decay(uint t, uint h) {
  const float pre = alpha[beta_at(t, h) + (p.grouped != 0u ? p.n_v_heads / p.n_k_heads : 0u)] + dt_bias[h];
  return exp((pre > 20.0 ? pre : log(1.0 + exp(pre))) * a_log[h]);
}
float column_decay(uint t, uint h, uint j) { return 1.0; }
float beta_of(uint t, uint h) { return 1.0 / (1.0 + exp(-beta_in[beta_at(t, h)])); }
float gate(float zv) { return zv / (1.0 + exp(-zv)); }
