// How attention scores are shaped beyond q·k·scale (common/attention_push.glsl, attention_probs.comp,
// attention_summary.comp), and the logits' soft-capping (softcap.comp): one definition, so the forward pass
// and the attention maps agree.

// The first key a query at position pos sees, by the kernels' `window` word (ops.h, AttentionParams::window):
// 0, every key; n, a sliding window of n keys, itself included; n | KEYS_IN_CHUNKS, the query's own chunk of
// n positions, chunks aligned to 0 (Llama 4: from ⌊pos / n⌋·n).
const uint KEYS_IN_CHUNKS = 0x80000000u;
uint window_first_key(uint pos, uint window) {
  if ((window & KEYS_IN_CHUNKS) != 0u) {
    uint chunk = window & ~KEYS_IN_CHUNKS;
    return pos / chunk * chunk;
  }
  return window != 0u && pos + 1u > window ? pos + 1u - window : 0u;
}

// ALiBi (BLOOM, MPT, Baichuan 13B): head h adds slope · (key − query position) to its scaled (and capped)
// scores, as the CPU engine does (ModelDescription::alibi_slope, whose m0 and m1 the host passes): with n the
// largest power of two ≤ n_heads, heads below n take m0^(h+1), the others m1^(2(h−n)+1). m0 = 0: no ALiBi.
float alibi_slope(float m0, float m1, uint n_heads, uint h) {
  if (m0 == 0.0) return 0.0;
  uint n = 1u << uint(findMSB(n_heads));
  return h < n ? pow(m0, float(h + 1u)) : pow(m1, float(2u * (h - n) + 1u));
}
float alibi_bias(float slope, uint qpos, uint kpos) {
  return slope * float(int(kpos) - int(qpos));
}

// c·tanh(s / c), gemma2's soft-capping, with tanh as 1 - 2/(exp(2z)+1): finite for any z, where GLSL's tanh
// may return NaN for large |z|. s as it is for c = 0.
float soft_capped(float s, float c) {
  return c == 0.0 ? s : c * (1.0 - 2.0 / (exp(2.0 * s / c) + 1.0));
}
