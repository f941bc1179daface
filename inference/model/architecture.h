#pragma once
// What distinguishes one transformer family from another, as data. The forward pass branches on these traits,
// never on the architecture name, so adding a family (phi3, gemma2, a sliding-window mistral) means adding a
// row here plus whatever genuinely new step it needs.
#include <span>
#include <string>
#include <string_view>

namespace glasswing::model {

enum class NormKind { Rms, Layer };  // RMSNorm (x/rms·w) or LayerNorm ((x-mean)/std·w + b)
// down(silu(gate·x) ⊙ up·x), down(gelu(up·x + b) + b), down(gelu(gate·x) ⊙ up·x) (GeGLU, gemma), or
// gpt-oss's clamped SwiGLU: g = min(gate·x, 7), u = clamp(up·x, ±7), g·σ(1.702 g)·(u + 1)
// (ReluSqr: down(relu(up·x + b)² ) + b, ungated: Nemotron-H; XIelu: down(xielu(up·x)), ungated, with each
// layer's own parameters: Apertus, ModelDescription::xielu)
// (ReGlu: down(relu(gate·x) ⊙ up·x), SmallThinker's experts)
enum class FfnKind { SwiGlu, Gelu, GeGlu, SwiGluOai, ReluSqr, XIelu, ReGlu };
enum class RopeKind { None, Normal, NeoX };  // Normal rotates pairs (2i, 2i+1); NeoX rotates (i, i + n_rot/2)

struct ArchTraits {
  std::string_view name;  // general.architecture, also the prefix of its metadata keys
  NormKind norm;
  FfnKind ffn;
  RopeKind rope;
  bool learned_positions;  // position_embd.weight added to the token embedding (gpt2)
  bool fused_qkv;          // one attn_qkv matrix instead of attn_q/attn_k/attn_v
  bool qk_norm = false;  // each head of q and k RMS-normalized (attn_q_norm, attn_k_norm) before RoPE (qwen3)
  // phi3 packs projections that the forward pass computes apart: attn_qkv (when present) holds the q, k and v
  // rows, ffn_up the gate rows then the up rows (2·n_ff). The loader views them as separate matrices, so
  // every backend runs them as it runs llama's.
  bool packed_qkv = false;
  bool packed_gate_up = false;
  // gemma2/3: token embeddings scaled by √n_embd; each sublayer's output RMS-normalized (post_attention_norm,
  // post_ffw_norm) before its residual add; sliding-window attention (attention.sliding_window keys) on every
  // layer but each swa_pattern-th, which attends to all keys (gemma3's local layers also turn with a RoPE
  // base of 10000, without RoPE scaling).
  bool embed_scale = false;
  bool post_norms = false;
  int swa_pattern = 0;
  // gpt-oss: a learned logit per head (attn_sinks) that takes part in each attention softmax without a value
  // ("attention sinks"); its sliding-window layers turn like the others (RoPE base and scaling); its
  // experts are chosen by the router's logits (plus a bias) and weighted by the softmax over the chosen
  // ones; the pre-FFN norm is named post_attention_norm.
  bool attn_sinks = false;
  bool local_rope_scaling = false;
  bool moe_softmax_weight = false;
  std::string_view ffn_norm = "ffn_norm";
  // SmolLM3: every no_rope_step-th layer attends without RoPE ("NoPE"; llama.cpp's step, a constant of the
  // architecture, not a key); 0: RoPE on every layer.
  int no_rope_step = 0;
  // granite: the multipliers of its config, as keys (embedding_scale, residual_scale, attention.scale,
  // logit_scale): see ModelDescription
  bool granite_scales = false;
  // olmo2: no norm before the sublayers (only after them, post_norms), and q and k RMS-normalized over their
  // whole width (q_dim, kv_dim) rather than per head
  bool no_pre_norms = false;
  bool qk_norm_full = false;
  // Qwen2-VL, Qwen2.5-VL, Qwen3-VL: their multimodal RoPE (rope.dimension_sections) gives an image's tokens
  // three positions (time, height, width); a text token has one in all three, which is plain RoPE, so the
  // text model runs as qwen2 / qwen3 does (text only: Glasswing reads no images).
  bool text_of_multimodal = false;
  // GLM-4.5: per-head q and k norms where the file has them (GLM-4.5 does, GLM-4.5-Air does not)
  bool qk_norm_if_present = false;
  // DeepSeek-style mixtures of experts (GLM-4.5's glm4moe): leading dense layers, shared experts beside the
  // routed ones, a sigmoid (or softmax) router whose choice a per-expert bias steers (exp_probs_b), weights
  // renormalized and scaled as keys say, and multi-token-prediction layers at the end that are skipped
  // (ModelDescription reads them)
  bool deepseek_moe = false;
  // DeepSeek-V2/V3, GLM-4.7-Flash: multi-head latent attention (ModelDescription::Mla)
  bool mla = false;
  // Qwen2-MoE: one shared expert (expert_shared_feed_forward_length wide) whose output each token weights by
  // σ(ffn_gate_inp_shexp · x), and routed weights that are not renormalized
  bool gated_shared_expert = false;
  // Ministral 3, Devstral 2 (mistral3): YaRN's frequencies without its magnitude on cos and sin (llama.cpp's
  // mistral3 graph; Hugging Face's attention_factor is 1 for their mscale = mscale_all_dim)
  bool yarn_unit_magnitude = false;
  // ERNIE 4.5's mixtures (ernie4_5-moe): leading dense layers, a softmax router whose choice a per-expert
  // bias steers, weights renormalized, and a shared expert of expert_shared_feed_forward_length where it has
  // one
  bool ernie_moe = false;
  // OLMoE: its experts weighted by their softmax probabilities as they are (not renormalized over the chosen)
  bool moe_unnormalized = false;
  // Hunyuan: the per-head q and k norms (qk_norm) come after RoPE, not before. (RMSNorm commutes with the
  // rotation, its per-element gains do not.)
  bool qk_norm_after_rope = false;
  // LFM2 (Liquid AI): a hybrid whose layers mix tokens either by attention (with qwen3's per-head q and k
  // norms) or by a gated short convolution (ModelDescription::mixers): in_proj makes b, c and x per
  // token, b·x runs through a causal depthwise convolution of shortconv_kernel taps over the positions, c
  // gates its output and out_proj projects it. The final norm is named token_embd_norm. lfm2moe adds experts
  // after the leading dense layers (a sigmoid router steered by exp_probs_b, weights renormalized).
  bool short_conv = false;
  // Qwen3.5: gated delta-net layers (ModelDescription::DeltaNet) with, every full_attention_interval-th
  // layer, attention whose q projection also makes a per-head output gate (attn_output_gate: each head's
  // output times σ(gate) before wo; q_proj's rows are [q, gate] per head)
  bool delta_net = false;
  bool attn_output_gate = false;
  // Granite 4.0-H: Mamba-2 layers (ModelDescription::Mamba2) between attention layers, which the file marks
  // with attention.head_count_kv 0 per layer
  bool mamba2 = false;
  // Nemotron-H: every layer one sublayer with its own norm (attn_norm): Mamba-2, attention (no RoPE) or an
  // FFN (the file's per-layer feed_forward_length is nonzero for these, ModelDescription::Mixer::None)
  bool single_sublayer = false;
  // GPT-NeoX, Phi-2, Command-R: attention and the FFN both read the layer's input, x + attn(norm(x)) +
  // ffn(norm'(x)): the FFN's norm is the layer's ffn_norm where the architecture has one (GPT-NeoX, whose
  // files may also switch this off: ModelDescription::parallel_residual), else the attention norm's output
  // (ffn_norm empty: the architecture has no FFN norm)
  bool parallel_block = false;
  // Command-R, Cohere2: the logits times the file's logit_scale (granite divides by its own), and LayerNorms
  // without biases
  bool logit_multiplier = false;
  bool layer_norm_bias = true;
  // StableLM 2 12B, Command R+: where the file has attn_q_norm and attn_k_norm, every head of q and of k is
  // LayerNorm'd (mean-centred, no bias, the model's LayerNorm epsilon) before RoPE, each head with gains of
  // its own ([head_dim, n_head] and [head_dim, n_head_kv]; ModelDescription::qk_layer_norm)
  bool qk_layer_norm_if_present = false;
  // Gemma 4: attention shapes per layer (ModelDescription::heads: the sliding layers' own head width, rotary
  // width and KV heads), the last layers reading an earlier layer's keys and values (kv_layer), V
  // RMS-normalized per head without gains (and V = K where a layer has no attn_v), scores q·k unscaled (the
  // q and k norms set their scale), per-layer inputs (ModelDescription::per_layer_embd) and each layer's
  // output scale (layer_output_scale)
  bool layer_shapes = false;
  // EXAONE 4.0: where the model has sliding-window layers, only they turn q and k (the full layers attend
  // without positions); without windows every layer turns
  bool rope_local_only = false;
  // Falcon-H1: every layer runs Mamba-2 and attention side by side on the output of one norm (attn_norm)
  // and adds both to the residual, x + attn(n) + ssm(n), then the FFN (ModelDescription::Mixer::
  // Mamba2Attention). The converter folds the model's muP multipliers into the weights; its FFN norm is
  // named without ".weight" (blk.N.ffn_norm), its Mamba-2 norm may be absent (no grouped norm then).
  bool parallel_hybrid = false;
  // Gemma 3n: Gemma 4's layer shapes (layer_shapes: shared keys and values, V's norm, unscaled scores,
  // per-layer inputs) around AltUp's parallel residual streams (ModelDescription::AltUp: each layer predicts
  // every stream from the others, runs on one, and corrects them all by what it did), a LAuReL low-rank
  // branch beside attention, and Gaussian top-k sparsity on the first layers' FFN gates
  bool altup = false;
  // Llama 4: its RoPE layers attend in chunks (a query sees only the keys of its own block of
  // ModelDescription::attn_chunk positions) and, where the model says so, RMS-normalize q and k per head
  // without gains after RoPE; its NoPE layers (every no_rope_step-th) scale their queries by the attention
  // temperature (ModelDescription::attn_temperature). Its MoE layers (every interleave_moe_layer_step-th)
  // weight each expert's input, not its output, by the router's sigmoid.
  bool chunked_attention = false;
  bool moe_weight_input = false;
  // Falcon-40B, Falcon-180B (the "new decoder architecture" with two norms): where a layer has attn_norm_2,
  // that norm feeds attention and attn_norm the parallel FFN (llama.cpp's converter names ln_attn
  // attn_norm_2, ln_mlp attn_norm); Falcon-7B and Falcon2-11B have attn_norm alone, which feeds both
  bool attn_norm_2 = false;
  // Pure state-space models (mamba2: Mamba-Codestral, state-spaces/mamba2; mamba: Mamba-1, Falcon-Mamba):
  // every layer one state-space mixer on its RMSNorm (attn_norm), no attention and no FFN, then the final
  // norm and the classifier. The file's attention.head_count is 0; ModelDescription reads the ssm.* keys
  // (Mamba-2's sizes, or ModelDescription::Mamba2's Mamba-1 fields where mamba2 is false).
  bool pure_ssm = false;
  // NVIDIA's DeciLM / Llama-Nemotron (deci: Nemotron Super 49B, Ultra 253B, 51B; DeciLM-7B): llama's layers
  // as a neural architecture search left them, each with its own shape (the converter's per-layer
  // attention.head_count, head_count_kv and feed_forward_length arrays): attention with its own KV heads,
  // none at all (head_count 0: no norm, nothing added), a "linear replacement" (head_count_kv 0: x +
  // attn_output·norm(x), ModelDescription::Mixer::Linear), and FFNs of their own width or none (width 0)
  bool block_configs = false;
  // Phi-3.5-MoE (phimoe): its LayerNorms (gains and biases) run as llama.cpp's phi3 graph runs them, an
  // RMSNorm then the bias, x/rms(x)·w + b (not mean-centred); the biases are required
  bool rms_norm_bias = false;
  // MiniCPM (minicpm, minicpm3): granite's multipliers (granite_scales), which default to MiniCPM's
  // constants where the file has no keys (minicpm3's converter writes none; llama.cpp's minicpm3 graph
  // hard-codes them): embeddings ×12, each sublayer's output ×1.4/√n_layer, logits ×256/n_embd
  bool minicpm_scales = false;
  // MiniCPM3: latent attention (mla) as its converter writes it: one attn_kv_b per layer (each head's k rows,
  // then its v rows) and the heads' own widths as key_length (nope + rope) and head_count_kv (n_head);
  // ModelDescription::Mla::whole_kv_b
  bool mla_whole_kv_b = false;
  // Kimi Linear (kimi-linear): Kimi Delta Attention layers (ModelDescription::DeltaNet with kda) between
  // latent-attention layers (mla, without RoPE), the file marking the attention layers with
  // attention.head_count_kv 1 and the KDA layers with 0. KDA is the gated delta rule with a decay per key
  // channel rather than per head: q, k and v each through their own projection and causal convolution (then
  // SiLU), the decay g = A·softplus(f_b·f_a·x + dt_bias) per channel, and the output RMS-normalized per head
  // times σ(g_b·g_a·x) before wo.
  bool kda = false;
  // Arcee Trinity (afmoe): each head's output times σ(gate) before wo, as Qwen3.5's attn_output_gate, but the
  // gate comes from a matrix of its own (attn_gate: q_dim rows) on the attention's normalized input
  bool attn_gate_proj = false;
  // PowerInfer SmallThinker: each layer's router reads the layer's input as it enters the layer (the residual
  // stream before the attention and without a norm), not the FFN's normalized input, so that the experts
  // can be known (and prefetched) while attention runs
  bool router_from_layer_input = false;
  // OLMo 1 (olmo): LayerNorms without learned parameters ((x - mean)/std, no gains, no biases), as its
  // checkpoints have them; the loader gives each norm gains of 1 so every backend runs it as a LayerNorm
  bool nonparametric_norms = false;
  // AI21 Jamba: Mamba-1 layers (attention.head_count_kv 0 in the file's per-layer array) between attention
  // layers without RoPE (the Mamba layers carry the positions), dt, B and C each RMS-normalized with gains of
  // their own (ssm_dt_norm, ssm_b_norm, ssm_c_norm); experts on the layers that have a router
  // (ffn_gate_inp: every other layer), chosen by softmax top-k and weighted by their probabilities as they
  // are (not renormalized), a dense SwiGLU on the others
  bool mamba1_hybrid = false;
  // BLOOM: no positions on the tokens; every head adds slope_h · (key_pos − query_pos) to its attention
  // scores before the softmax (ALiBi; ModelDescription::alibi_slope)
  bool alibi = false;
  // BLOOM: the token embeddings LayerNorm'd (token_embd_norm, with its bias) before the first layer
  bool embd_norm = false;
  // Cohere's mixtures with shared experts (Command A+): the routed experts' sum and the shared experts'
  // output averaged, (routed + shared) / 2, before the residual add (llama.cpp's cohere2moe graph)
  bool shared_experts_averaged = false;

  // Whether each head's attention output is gated by σ(gate) before wo (Qwen3.5's gate rows in wq, or
  // afmoe's own attn_gate matrix)
  bool gates_attn_output() const { return attn_output_gate || attn_gate_proj; }
};

// Every architecture this engine runs.
std::span<const ArchTraits> supported_architectures();

// The traits of `name`; throws std::runtime_error naming it and listing the supported ones.
const ArchTraits& architecture_traits(std::string_view name);

}  // namespace glasswing::model
