// How attention scores are shaped beyond q·k·scale (common/attention_push.glsl, attention_probs.comp,
// attention_summary.comp), and the logits' soft-capping (softcap.comp): one definition, so the forward pass
// and the attention maps agree.

// The first key a query at position pos sees: a sliding window of `window` keys, itself included (0: all).
uint window_first_key(uint pos, uint window) {
  return window != 0u && pos + 1u > window ? pos + 1u - window : 0u;
}

// c·tanh(s / c), gemma2's soft-capping, with tanh as 1 - 2/(exp(2z)+1): finite for any z, where GLSL's tanh
// may return NaN for large |z|. s as it is for c = 0.
float soft_capped(float s, float c) {
  return c == 0.0 ? s : c * (1.0 - 2.0 / (exp(2.0 * s / c) + 1.0));
}
