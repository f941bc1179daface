#pragma once
// Random-weight models with the exact shape of real ones, for benchmarks and engine tests
// (`glasswing-cli synth`). Weights are N(0, 0.02), norms 1.0 (qwen3's per-head q and k norms 1 + N(0, 0.25),
// so that their gains are visible in the output), quantized with our ggml-exact quantizers;
// the metadata is what a llama.cpp loader needs, and the tokenizer is a working SentencePiece ("llama")
// vocabulary: <unk>, <s>, </s>, 256 byte tokens, then generated pieces with scores.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "inference/gguf/ggml_type.h"

namespace glasswing::synth {

struct Shape {
  std::string name;
  // "llama", "qwen2" (adds Q/K/V biases), "qwen3" (adds per-head q and k norms), "phi3" (q|k|v in one
  // attn_qkv, gate|up in one ffn_up), "gemma3" (qwen3's norms, post-sublayer norms, sliding windows),
  // "gemma2" (post-sublayer norms, sliding windows, soft-capping), "qwen3moe" or "gpt-oss" (attention biases
  // and sinks, sliding windows on even layers, experts with biases; its pre-FFN norm is post_attention_norm),
  // "glm4moe" (attention biases, DeepSeek-style experts: see below), "deepseek2" (latent attention and
  // DeepSeek-style experts), "lfm2" / "lfm2moe" (short-convolution layers between attention_layers),
  // "qwen35" (gated delta-net layers, attention with an output gate), "granitehybrid" (Mamba-2 layers),
  // "nemotron_h" (Mamba-2, attention without RoPE and ReLU² FFNs, each a layer of its own), "falcon-h1"
  // (Mamba-2 and attention side by side in every layer), "minimax-m2" (q and k normalized whole, every layer
  // a mixture), "dots1" (qwen3's attention, DeepSeek-style experts), "bailingmoe2" (q|k|v in one attn_qkv,
  // per-head q and k norms, DeepSeek-style experts with groups), "llama4" (chunked attention on three layers
  // of four, the fourth without RoPE; sigmoid-routed experts beside a shared one, on every moe_step-th
  // layer), "starcoder2" (LayerNorms and biases everywhere, an ungated GELU FFN), "stablelm" (LayerNorms, q,
  // k and v with biases, SwiGLU), "internlm2" (llama's layers), "apertus" (per-head q and k norms, an ungated
  // FFN with per-layer xIELU keys), "falcon" (LayerNorms, fused q|k|v and an ungated GELU FFN without
  // biases, in parallel from one norm or from two: attn_norm_2), "nemotron" (LayerNorms, an ungated ReLU²
  // FFN, RoPE on part of each head), "deci" (llama's layers each of its own shape: layer_heads below),
  // "minicpm" (llama's layers, granite's multiplier keys), "phimoe" (norms, q, k, v, output projections and
  // classifier with biases, experts in every layer), "exaone-moe" (per-head q and k norms, windows on the
  // layers sliding_layers marks, DeepSeek-style experts), "baichuan" and "xverse" (llama's layers), "orion"
  // (LayerNorms with biases, NeoX pairs), "starcoder" (gpt2's block: learned positions over n_ctx, LayerNorms
  // and every projection biased, fused q|k|v; one KV head in its presets), "olmo" (OLMo 1: llama's layers, no
  // norm tensors: its LayerNorms have no parameters), "chatglm" (q|k|v packed with biases, gate|up packed,
  // RoPE on part of each head), "qwen" (q|k|v packed with biases, feed_forward_length written twice n_ff)
  std::string arch;
  uint32_t n_embd = 0, n_layer = 0, n_head = 0, n_head_kv = 0, n_ff = 0, n_vocab = 0, n_ctx = 0;
  float rope_base = 10000.0f;
  float norm_eps = 1e-5f;
  bool tied_embeddings = false;  // no output.weight: the output projection reuses token_embd
  bool hidden = false;           // test shapes, not listed
  uint32_t key_length = 0;       // per-head width when not n_embd / n_head (qwen3), written as key_length
  // Llama 3.1+'s "llama3" RoPE scaling (factor, low_freq_factor 1, rope_high_freq_factor, the original
  // context), written as the tensor rope_freqs.weight as llama.cpp's converter does; 0: none.
  float rope_scaling_factor = 0.0f;
  uint32_t rope_original_ctx = 8192;
  uint32_t sliding_window = 0;      // gemma3: keys a local layer sees (attention.sliding_window)
  float rope_linear_factor = 0.0f;  // rope.scaling.type "linear" with this factor; 0: none
  float attn_softcap = 0.0f;        // gemma2: attn_logit_softcapping; 0: none
  float final_softcap = 0.0f;       // gemma2: final_logit_softcapping; 0: none
  // mixture of experts: n_expert SwiGLU experts of width n_ff_exp (0: n_ff, and no expert_feed_forward_length
  // key, as Mixtral's files), the router's top n_expert_used per token; 0 experts: a dense FFN
  uint32_t n_expert = 0, n_expert_used = 0, n_ff_exp = 0;
  float rope_yarn_factor = 0.0f;  // rope.scaling.type "yarn" with this factor over rope_original_ctx; 0: none
  // granite's multipliers (embedding_scale, residual_scale, attention.scale, logit_scale); 0: none written
  float embedding_scale = 0.0f, residual_scale = 0.0f, attention_scale = 0.0f, logit_scale = 0.0f;
  uint32_t rope_dims = 0;  // rope.dimension_count when RoPE turns part of each head (glm4: half); 0: all
  // glm4moe (GLM-4.5): the first n_dense_lead layers dense, n_expert_shared shared experts of n_ff_exp, a
  // sigmoid router with a selection bias, weights renormalized and times expert_weights_scale (0: no key),
  // per-head q and k norms where qk_norm (stablelm, command-r: per-head LayerNorms with gains per head, and
  // stablelm then StableLM 2 12B's layout: no q, k, v biases, no ffn_norm, the FFN in parallel), and n_nextn
  // multi-token-prediction layers after the n_layer
  uint32_t n_dense_lead = 0, n_expert_shared = 0, n_nextn = 0;
  float expert_weights_scale = 0.0f;
  bool qk_norm = false;
  // cohere2moe: the file gives an RMS epsilon (and no LayerNorm one), which llama.cpp runs as RMSNorms
  bool rms_norms = false;
  uint32_t expert_gating_func = 2;  // glm4moe, deepseek2: llama.cpp's 1 softmax, 2 sigmoid; 0: no key
  // bailingmoe2 (Ling 2.0): DeepSeek-V3's expert groups (expert_group_count and _used_count; 0: no keys) and
  // one shared expert's width where it is not n_ff_exp (expert_shared_feed_forward_length)
  uint32_t expert_groups = 0, expert_groups_used = 0, n_ff_shexp = 0;
  // deepseek2: multi-head latent attention with a latent of kv_rank, query heads of qk_nope + rope_dims
  // (through a low rank q_rank, or 0: one attn_q), values of v_head; key_length is kv_rank + rope_dims and
  // there is one KV head, as llama.cpp's converter writes them
  uint32_t q_rank = 0, kv_rank = 0, qk_nope = 0, v_head = 0;
  float attn_temp_scale = 0.0f;  // attention.temperature_scale (mistral3: Llama 4's tuning); 0: no key
  // llama4: experts on every moe_step-th layer (the others dense FFNs of n_ff; 0: every layer), beside one
  // shared expert of n_ff_exp; its RoPE layers' chunks (attention.chunk_size) and the temperature's floor
  // (attention.temperature_length) where not the real models' 8192 (0: no key)
  uint32_t moe_step = 0, attn_chunk = 0, attn_temp_floor = 0;
  bool moe_layer(uint32_t l) const {
    return n_expert && l >= n_dense_lead && (moe_step <= 1 || (l + 1) % moe_step == 0);
  }
  // kimi-linear: the latent-attention layers in attention_layers (the others Kimi Delta Attention of n_head
  // heads of dn_head_dim, conv_kernel taps), written as a per-layer head_count_kv of 1 and 0
  // lfm2, lfm2moe: the layers that attend (the others are gated short convolutions of conv_kernel taps),
  // written as a per-layer attention.head_count_kv with 0 for the convolution layers
  std::vector<uint32_t> attention_layers = {};
  uint32_t conv_kernel = 3;
  // qwen35: every full_attention_interval-th layer attends, the others are gated delta nets of dn_k_heads key
  // heads and dn_v_heads value heads of dn_head_dim, with a convolution of conv_kernel taps
  uint32_t full_attention_interval = 0, dn_k_heads = 0, dn_v_heads = 0, dn_head_dim = 0;
  // granitehybrid: Mamba-2 layers (all but attention_layers) of ssm_inner channels in ssm_heads heads, a
  // state of ssm_state per channel, B and C in ssm_groups groups; rope_off writes rope.scaling.finetuned
  // false
  uint32_t ssm_inner = 0, ssm_state = 0, ssm_heads = 0, ssm_groups = 0;
  bool rope_off = false;
  // falcon-h1: Mamba-2 (the sizes above) beside attention in every layer; ssm_norm writes its grouped norm
  // (Falcon-H1's mamba_rms_norm; llama.cpp's converter writes the tensor only where the model has one)
  bool ssm_norm = true;
  // mamba2, mamba (pure state-space models, no attention and no FFN: n_head, n_head_kv and n_ff 0): mamba2's
  // Mamba-2 layers have the sizes above; mamba's Mamba-1 layers ssm_inner channels with a state of
  // ssm_state each, dt through a rank of ssm_dt_rank, and (Falcon-Mamba) dt, B and C RMS-normalized
  // (ssm.dt_b_c_rms)
  uint32_t ssm_dt_rank = 0;
  bool dt_b_c_rms = false;
  bool pure_ssm() const { return arch == "mamba2" || arch == "mamba"; }
  // gemma4: per layer whether it slides a window (1) and its KV heads and FFN width; the sliding layers'
  // head and rotary widths (key_length and rope_dims are the full layers'), the full layers' rotated pairs
  // (rope_freqs: 1 for them, 1e30 for the rest, as Gemma 4's proportional RoPE is written), the sliding
  // layers' RoPE base, the last shared_kv_layers reading earlier layers' keys and values, per-layer inputs
  // of per_layer_embd, and full layers without attn_v (V = K) where k_eq_v
  std::vector<uint32_t> sliding_layers = {}, layer_kv_heads = {}, layer_ff = {};
  uint32_t key_length_swa = 0, rope_dims_swa = 0, rope_pairs_full = 0, shared_kv_layers = 0,
           per_layer_embd = 0;
  float rope_base_swa = 10000.0f;
  bool k_eq_v = false;
  // gemma3n (also the gemma4 fields above, without key_length_swa: one head width): AltUp's altup_inputs
  // streams, LAuReL's rank, and the first sparse_layers layers' FFN gates cut at the 95th percentile
  // (activation_sparsity_scale, −inf for the others, as llama.cpp's converter writes it)
  uint32_t altup_inputs = 0, laurel_rank = 0, sparse_layers = 0;
  // (exaone-moe: its multi-token-prediction layers, past the pattern, do not slide)
  bool sliding(uint32_t l) const { return l < sliding_layers.size() && sliding_layers[l] != 0; }
  uint32_t layer_head_dim(uint32_t l) const { return sliding(l) ? key_length_swa : head_dim(); }
  uint32_t layer_kv(uint32_t l) const { return layer_kv_heads.empty() ? n_head_kv : layer_kv_heads[l]; }
  uint32_t layer_ff_width(uint32_t l) const { return layer_ff.empty() ? n_ff : layer_ff[l]; }
  bool keeps_kv(uint32_t l) const { return l + shared_kv_layers < n_layer; }
  // nemotron_h: the layers that are FFNs alone (the others Mamba-2, or attention on attention_layers)
  std::vector<uint32_t> ffn_layers = {};
  bool ffn_layer(uint32_t layer) const {
    return std::find(ffn_layers.begin(), ffn_layers.end(), layer) != ffn_layers.end();
  }
  // deci: per layer its query heads (n_head, or 0: no attention at all), its KV heads in layer_kv_heads (0
  // where it has query heads: attention replaced by one n_embd × n_embd attn_output) and its FFN width in
  // layer_ff (0: no FFN), written as per-layer arrays as llama.cpp's converter writes block_configs
  std::vector<uint32_t> layer_heads = {};
  bool linear_attention(uint32_t l) const {
    return !layer_heads.empty() && layer_heads[l] > 0 && layer_kv(l) == 0;
  }
  bool no_attention(uint32_t l) const { return !layer_heads.empty() && layer_heads[l] == 0; }
  bool attends(uint32_t layer) const {
    if (pure_ssm()) return false;
    if (!layer_heads.empty()) return layer_heads[layer] > 0 && layer_kv(layer) > 0;
    if (full_attention_interval) return (layer + 1) % full_attention_interval == 0;
    return attention_layers.empty() ||
           std::find(attention_layers.begin(), attention_layers.end(), layer) != attention_layers.end();
  }
  uint32_t head_dim() const { return key_length ? key_length : n_head ? n_embd / n_head : 0; }
  // falcon: Falcon-40B's second norm (attn_norm_2, attention's; attn_norm then the FFN's); else one norm
  bool attn_norm_2 = false;
  // olmo: q, k and v clamped to ±clamp_kqv (attention.clamp_kqv, OLMo 1's clip_qkv); 0: not written
  float clamp_kqv = 0.0f;
  // "llama3" RoPE scaling's high_freq_factor (rope_scaling_factor above): Llama 3.1-3.3's 4, Llama 4 Scout's
  // 1 (no blend: each pair either kept or divided by the factor)
  float rope_high_freq_factor = 4.0f;
  uint64_t n_params() const;
};

// Presets: stories15m, smollm2-135m, qwen2.5-0.5b, qwen3-0.6b, phi-3-mini, tinyllama-1.1b, llama-3.2-1b,
// llama-2-7b
// (+ hidden test shapes).
const std::vector<Shape>& shapes();
// The architectures write_model writes ("llama", ...), and them as "a, b or c" for messages.
bool can_write_architecture(std::string_view arch);
std::string architecture_list();
const Shape* find_shape(std::string_view name);

struct Options {
  Shape shape;
  gguf::GgmlType type = gguf::GgmlType::F16;  // for 2-D weights; 1-D norms and biases stay F32
  uint64_t seed = 42;
  unsigned threads = 0;  // 0: all hardware threads (the output does not depend on it)
};

struct Fallback {
  std::string tensor;
  gguf::GgmlType wanted, used;
  uint64_t row_length;
};

struct Report {
  uint64_t n_params = 0;
  uint64_t file_bytes = 0;
  std::vector<Fallback> fallbacks;  // tensors whose row length the requested type cannot hold
};

// The type llama.cpp would use for a row length the requested type cannot hold (Q4_K -> Q5_0,
// Q5_K -> Q5_1, Q6_K -> Q8_0, Q2_K/Q3_K -> Q4_0 (llama.cpp: IQ4_NL), and F16 when even 32 does not divide).
gguf::GgmlType fallback_type(gguf::GgmlType wanted, uint64_t row_length);

// The SentencePiece vocabulary: n_vocab pieces, scores and token types (n_vocab >= 259 + 1).
struct Vocab {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
};
Vocab make_vocab(uint32_t n_vocab);

// Writes the model to path (atomically). Throws std::invalid_argument for a bad shape or type and
// GgufError for I/O problems.
Report write_model(const Options& options, const std::filesystem::path& path);

}  // namespace glasswing::synth
