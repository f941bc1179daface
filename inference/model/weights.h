#pragma once
// The model's parameters as views into the memory-mapped GGUF file: matrices stay in their stored
// (possibly quantized) format and are dequantized row by row inside the matmul. Only 1-D parameters
// (norm gains, biases) stored in a non-F32 format are converted, into storage owned here (tiny).
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "inference/gguf/gguf_file.h"
#include "inference/model/model_description.h"

namespace glasswing::model {

// A stored matrix of n_rows rows, each n_cols elements of `type` (ggml dims [n_cols, n_rows]).
struct WeightMatrix {
  std::string name;
  gguf::GgmlType type = gguf::GgmlType::F32;
  const uint8_t* data = nullptr;  // into the mapping
  int64_t n_cols = 0;             // elements per row (the input width of y = W·x)
  int64_t n_rows = 0;             // rows (the output width)
  size_t row_bytes = 0;

  const void* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
  explicit operator bool() const { return data != nullptr; }
};

using Vector = std::span<const float>;  // a 1-D parameter; empty when the model has none

struct LayerWeights {
  Vector attn_norm, attn_norm_b;  // (n_embd)
  WeightMatrix wq, wk, wv;        // (q_dim|kv_dim rows, n_embd cols); empty when fused; wq: [q, gate] per
                                  // head (2·q_dim rows) with ArchTraits::attn_output_gate
  Vector bq, bk, bv;              // (q_dim|kv_dim), optional (qwen2)
  WeightMatrix wqkv;              // (q_dim + 2·kv_dim rows, n_embd cols), fused architectures only
  Vector bqkv;                    // (q_dim + 2·kv_dim), optional
  Vector q_norm, k_norm;          // (head_dim) per-head RMSNorm gains of q and k, qk_norm architectures only
                                  // (olmo2: (q_dim) and (kv_dim), over the whole of q and of k;
                                  // qk_layer_norm: those too, head h's LayerNorm gains at h·head_dim)
  WeightMatrix w_attn_gate;       // (q_dim rows, n_embd cols) each head's output gate (afmoe's attn_gate)
  WeightMatrix wo;                // (n_embd rows, q_dim cols)
  Vector bo;                      // (n_embd), optional
  Vector attn_post_norm;          // (n_embd) on the attention's output before the residual add (gemma2/3)
  Vector ffn_norm, ffn_norm_b;    // (n_embd)
  Vector ffn_post_norm;           // (n_embd) on the FFN's output before the residual add (gemma2/3)
  WeightMatrix w_gate;            // (n_ff rows, n_embd cols), gated FFNs only (SwiGLU, GeGLU)
  WeightMatrix w_up;              // (n_ff rows, n_embd cols)
  Vector b_up;                    // (n_ff), optional
  WeightMatrix w_down;            // (n_embd rows, n_ff cols)
  Vector b_down;                  // (n_embd), optional
  // Mixture of experts (instead of w_gate, w_up, w_down): the router and each expert's matrices (views into
  // the ffn_*_exps tensors, one slice per expert)
  WeightMatrix router;                                      // (n_expert rows, n_embd cols)
  Vector router_b;                                          // (n_expert), optional (gpt-oss)
  std::vector<WeightMatrix> gate_exps, up_exps, down_exps;  // (n_ff_exp, n_embd) x2, (n_embd, n_ff_exp)
  std::vector<Vector> gate_exps_b, up_exps_b, down_exps_b;  // per expert (n_ff_exp) x2, (n_embd); or none
  Vector exp_probs_b;  // (n_expert) added to the router's probabilities to choose, not to weight (GLM-4.5)
  // the shared experts (GLM-4.5), one SwiGLU every token runs: (n_ff_shexp, n_embd) x2, (n_embd, n_ff_shexp)
  WeightMatrix gate_shexp, up_shexp, down_shexp;
  WeightMatrix shexp_gate;  // (1 row, n_embd cols): the shared expert's per-token gate logit (Qwen2-MoE)
  Vector attn_sinks;        // (n_head) each head's sink logit (gpt-oss), attn_sinks architectures only
  // Multi-head latent attention (ModelDescription::Mla) instead of wq, wk, wv: the query through wq (n_head
  // heads of nope + n_rot rows, nope first) or wq_a, its RMSNorm and wq_b; the latent and the shared RoPE key
  // (wkv_a: kv_rank rows, then n_rot), the latent's RMSNorm; per head k_b (kv_rank rows of nope: a query's
  // nope part into latent space) and v_b (v_head rows of kv_rank: its output back from latent space)
  WeightMatrix wq_a, wq_b, wkv_a;
  Vector q_a_norm, kv_a_norm;
  std::vector<WeightMatrix> k_b, v_b;
  // A short-convolution layer (ModelDescription::mixers) instead of attention: in_proj (3·n_embd rows:
  // b, then c, then x), the taps of each channel's causal convolution (n_embd × shortconv_kernel: channel i's
  // tap j at i·kernel + j, the last tap on the current position), and out_proj (n_embd rows)
  WeightMatrix conv_in, conv_out;
  Vector conv_taps;
  // A gated delta-net layer (ModelDescription::DeltaNet) instead of attention: q|k|v (conv_dim rows), the
  // gate z (value_dim rows), the convolution's taps (conv_dim × conv_kernel), each value head's decay bias,
  // its A (−exp(A_log), as the converter stores it), β's and α's projections (n_v_heads rows), the output
  // norm's gains (head_v_dim) and out_proj (n_embd rows)
  WeightMatrix dn_qkv, dn_z, dn_beta, dn_alpha, dn_out;  // (grouped: dn_beta holds β and α, dn_alpha empty)
  Vector dn_conv, dn_dt_bias, dn_a, dn_norm;
  // Kimi Delta Attention (DeltaNet::kda) runs its q, k and v projections (wq, wk, wv) through the
  // convolution's taps of ssm_conv1d_q, _k and _v (held in dn_conv as [q, k, v] channels), its decay bias
  // per channel (dn_dt_bias: key_dim), β (dn_beta: n_head rows), A per head (dn_a), the output norm (dn_norm)
  // and wo (dn_out), and two low-rank pairs: the decay's f_a (head_k_dim rows) then f_b (key_dim rows), the
  // output gate's g_a then g_b
  WeightMatrix kda_f_a, kda_f_b, kda_g_a, kda_g_b;
  // A Mamba-2 layer (ModelDescription::Mamba2) instead of attention: in_proj (z, x|B|C, dt rows), the
  // convolution's taps (conv_dim × conv_kernel) and bias, each head's dt bias, A (−exp(A_log)) and D, the
  // gated norm's gains (d_inner) and out_proj (n_embd rows)
  WeightMatrix mb_in, mb_out;
  WeightMatrix mb_x, mb_dt;  // Mamba-1's x_proj (x to dt|B|C) and dt_proj (dt_rank to d_inner)
  Vector mb_conv, mb_conv_b, mb_dt_bias, mb_a, mb_d, mb_norm;
  Vector mb_dt_norm, mb_b_norm, mb_c_norm;  // Jamba's gains of Mamba-1's dt, B and C norms
  // Gemma 4: the scale of the layer's whole output (1 float; empty: 1), and its per-layer input's gate
  // (per_layer_embd rows), projection (n_embd rows) and that projection's RMSNorm gains
  Vector out_scale;
  WeightMatrix ple_gate, ple_proj;
  Vector ple_norm;
  // Gemma 4's mixture (26B-A4B), beside its dense FFN (w_gate, w_up, w_down): the router's input gains
  // (n_embd), each expert's output scale (n_expert; empty: 1), the norms of the experts' input and of the
  // dense FFN's and the experts' outputs (n_embd)
  Vector router_scale, down_exps_scale, moe_norm, ffn_post_norm_1, moe_post_norm;
  // Gemma 3n: AltUp's router (n_inputs rows) and its input norm's gains, the projections of the router's
  // output into the prediction coefficients (n_inputs² rows) and the correction ones (n_inputs rows), the
  // corrected stream's scale before the per-layer input's gate (n_embd); LAuReL's low-rank pair (rank rows,
  // then n_embd rows) and its norm's gains
  WeightMatrix altup_router, altup_predict, altup_correct, laurel_l, laurel_r;
  Vector altup_router_norm, altup_correct_scale, laurel_norm;
};

struct Weights {
  Weights() = default;
  Weights(Weights&&) = default;  // the 1-D views stay valid: deque moves keep element addresses
  Weights& operator=(Weights&&) = default;
  Weights(const Weights&) = delete;
  Weights& operator=(const Weights&) = delete;

  WeightMatrix token_embd;                    // (n_vocab rows, n_embd cols)
  WeightMatrix position_embd;                 // (n_ctx_train rows, n_embd cols), learned positions only
  Vector token_embd_norm, token_embd_norm_b;  // (n_embd) BLOOM's LayerNorm of the embeddings
  std::vector<LayerWeights> layers;
  Vector output_norm, output_norm_b;  // (n_embd)
  WeightMatrix output;                // (n_vocab rows, n_embd cols); token_embd when tied
  Vector output_b;                    // (n_vocab), optional
  // Gemma 4's per-layer inputs (ModelDescription::per_layer_embd): each token's embedding of every layer's
  // (n_vocab rows of n_layer × per_layer_embd), the projection of the scaled embedding into them, and their
  // RMSNorm gains (per_layer_embd)
  WeightMatrix per_layer_token_embd, per_layer_model_proj;
  Vector per_layer_proj_norm;
  // Gemma 3n: the projections of the embedding into AltUp's other streams, and of those streams back at the
  // end (n_inputs − 1 matrices of n_embd × n_embd each)
  std::vector<WeightMatrix> altup_proj, altup_unembd;
  // (n_rot / 2) factors f_i dividing each RoPE pair's frequency (rope_scaling.h): Llama 3.1 and later write
  // their "llama3" scaling as rope_freqs.weight; LongRoPE (Phi-3.5, Phi-4-mini) as short factors (here) and
  // long ones, which sessions longer than rope.scaling.original_context_length use. Empty: all 1.
  Vector rope_freqs, rope_freqs_long;
  // Whether a session of n_ctx positions turns with the long factors (as llama.cpp chooses).
  bool long_rope(const ModelDescription& d, int64_t n_ctx) const;
  // The factors of such a session, and its divisors with linear or YaRN scaling folded in,
  // θ_i = pos · base^(−2i/n_rot) / divisor_i (the fast engines' RoPE, with cos and sin times mscale()).
  Vector rope_factors(const ModelDescription& d, int64_t n_ctx) const {
    return long_rope(d, n_ctx) ? rope_freqs_long : rope_freqs;
  }
  Vector rope_divisors(const ModelDescription& d, int64_t n_ctx) const {
    return long_rope(d, n_ctx) ? rope_divisors_long_ : rope_divisors_;
  }

  // Finds every tensor the architecture needs and checks its shape and type. Throws std::runtime_error
  // naming the tensor, the expected and the actual shape, or the unsupported type.
  static Weights from_gguf(const gguf::GgufFile& file, const ModelDescription& desc);

  // Bytes of every matrix (what a dense model reads per token; a mixture of experts reads its chosen ones).
  uint64_t matrix_bytes() const;

 private:
  std::deque<std::vector<float>> converted_;  // 1-D parameters stored as F16/BF16, converted once
  Vector rope_divisors_, rope_divisors_long_;
};

}  // namespace glasswing::model
