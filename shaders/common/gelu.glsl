// GELU, tanh approximation (as GPT-2 and ggml compute it; gelu.comp, geglu.comp), with tanh(z) as
// 1 - 2/(exp(2z)+1): finite for any z, where GLSL tanh may return NaN for large |z|.
float gelu_tanh(float x) {
  float z = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  return 0.5 * x * (2.0 - 2.0 / (exp(2.0 * z) + 1.0));
}
