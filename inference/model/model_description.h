#pragma once
// The blueprint of a model: every size and constant the forward pass needs, read from GGUF metadata
// (never hard-coded). Sizes that the tensors also carry are checked against them when the weights load.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "inference/gguf/gguf_file.h"
#include "inference/model/architecture.h"
#include "inference/model/expert_routing.h"
#include "inference/model/rope_scaling.h"

namespace glasswing::model {

struct ModelDescription {
  std::string architecture;  // general.architecture, e.g. "llama"
  const ArchTraits* traits = nullptr;
  std::string name;     // general.name, or the file stem
  int64_t n_vocab = 0;  // rows of token_embd.weight
  int64_t n_embd = 0;   // residual stream width
  int64_t n_layer = 0;
  int64_t n_head = 0;     // query heads
  int64_t n_head_kv = 0;  // key/value heads (GQA: n_head is a multiple of it)
  int64_t head_dim = 0;   // per-head width of q and k (attention.key_length, else n_embd / n_head)
  int64_t n_ff = 0;       // MLP hidden width
  // Mixture of experts (Mixtral as llama, qwen3moe): each token's FFN is the router's n_expert_used most
  // likely of n_expert SwiGLU experts of width n_ff_exp, weighted as `router` says (Mixtral: their softmax
  // probabilities renormalized); 0: dense
  int64_t n_expert = 0, n_expert_used = 0, n_ff_exp = 0;
  RouterRule router;
  // DeepSeek-style mixtures (glm4moe): the first n_layer_dense_lead layers have a dense FFN of n_ff; the
  // others add n_expert_shared shared experts, one SwiGLU of n_ff_shexp that every token runs
  // (Qwen2-MoE: one shared expert of expert_shared_feed_forward_length, gated per token)
  int64_t n_layer_dense_lead = 0, n_expert_shared = 0, n_ff_shexp = 0;
  // Layers the file holds after the n_layer that the forward pass runs: GLM-4.5's multi-token-prediction
  // ("NextN") layer, which only speculative decoding would use
  int64_t n_layer_nextn = 0;
  // Multi-head latent attention (DeepSeek-V2/V3, GLM-4.7-Flash), as llama.cpp runs it: each token's keys and
  // values are one latent vector of kv_rank (plus a RoPE key of n_rot shared by the heads); a head's query
  // is its nope part turned into latent space by its k_b matrix (the "absorbed" key projection) and its RoPE
  // part; attention over the latent is MQA with one KV head, and each head's output goes back from latent
  // space through its v_b matrix (v_head wide) before wo. Here a head's query and key put the RoPE part
  // first: head_dim = n_rot + kv_rank, n_head_kv = 1, and the value is the key itself (the output's first
  // n_rot values are dropped). Scores scale by 1/√(nope + n_rot), the unabsorbed head's width. kv_rank 0:
  // not MLA.
  // (MiniCPM3's files hold each layer's k_b and v_b as one attn_kv_b, whole_kv_b: per head nope rows of k
  // then v_head rows of v, each kv_rank wide; Weights reads them apart.)
  struct Mla {
    int64_t q_rank = 0;  // q through a low-rank wq_a then wq_b; 0: one wq
    int64_t kv_rank = 0, nope = 0, v_head = 0;
    bool whole_kv_b = false;
  } mla;
  int64_t n_ctx_train = 0;  // context length the model was trained for
  // The longest session this engine runs: n_ctx_train, or the length where a step it lacks would start.
  // Attention temperature tuning (Llama 4's, Ministral 3's, Mistral Large 3's) multiplies each query by
  // 1 + scale · ln(1 + ⌊pos / length⌋), which is exactly 1 before `length` positions: sessions stop there.
  int64_t n_ctx_max = 0;
  float norm_eps = 1e-5f;  // RMSNorm or LayerNorm epsilon
  float rope_freq_base = 10000.0f;
  int64_t n_rot = 0;         // leading dimensions of each head that RoPE rotates
  RopeScaling rope_scaling;  // linear, YaRN, LongRoPE's magnitude (none: the default)
  float attention_scale =
      0.0f;  // multiplies q·k: 1/√head_dim (gemma 27B: 1/√(n_embd / n_head); granite's key)
  // Multipliers: of the token embeddings (gemma: √n_embd; granite's key), of each sublayer's output before
  // its residual add (granite), and of the logits (granite: 1 / its logit_scale, Command-R: its logit_scale);
  // 1: none
  float embedding_scale = 1.0f, residual_scale = 1.0f, logit_multiplier = 1.0f;
  // Attention and FFN in parallel from the layer's input (ArchTraits::parallel_block; GPT-NeoX files may
  // switch it off with use_parallel_residual, and run gpt2's sequential block with their RoPE)
  // (StableLM 2 12B: also where a stablelm file has no ffn_norm, as llama.cpp decides it)
  bool parallel_residual = false;
  // Every head of q and of k LayerNorm'd with gains of its own before RoPE (StableLM 2 12B, Command R+:
  // ArchTraits::qk_layer_norm_if_present, and the file has attn_q_norm); LayerWeights::q_norm then holds
  // n_head gain vectors of head_dim, k_norm n_head_kv
  bool qk_layer_norm = false;
  int64_t sliding_window = 0;  // keys a local layer's query sees, itself included (0: no local layers)
  float rope_freq_base_local = 10000.0f;  // RoPE base of the local layers (no RoPE scaling there)
  // Soft-capping (gemma2): attention scores become c·tanh(s / c) before the softmax, logits c·tanh(l / c); 0:
  // none
  float attn_softcap = 0.0f;
  float final_softcap = 0.0f;
  // OLMo 1 (olmo, attention.clamp_kqv: its config's clip_qkv, 8 in OLMo-7B-0424): every element of q, k and v
  // clamped to ±clamp_kqv right after its projection, before RoPE; 0: none
  float clamp_kqv = 0.0f;
  // ALiBi (ArchTraits::alibi, and Baichuan 13B by its layer count; BLOOM's and Baichuan's are llama.cpp's
  // constant 8, which their converters do not write): the bias that sets the heads' slopes (alibi_slope); 0:
  // no ALiBi
  float alibi_max_bias = 0.0f;
  bool tied_embeddings = false;  // no output.weight: the classifier reuses token_embd.weight
  // Hybrid models: how each layer mixes its tokens. Attention (every layer of the others), LFM2's gated short
  // convolution of shortconv_kernel taps (ArchTraits::short_conv: attention.head_count_kv is 0 for them in
  // the file's per-layer array), or Qwen3.5's gated delta net (ArchTraits::delta_net: all but every
  // full_attention_interval-th layer). Empty: every layer attends. Each kind keeps its own caches, indexed by
  // cache_slot.
  // (None: Nemotron-H's FFN layers, which mix nothing; Mamba2Attention: Falcon-H1's layers, which run both
  // side by side and keep both kinds of caches: K, V and Q rows per layer as attention layers do, and a
  // Mamba-2 state at the cache_slot that they number with the Mamba-2 layers)
  // (Mamba1: the selective scan of Mamba-1, ArchTraits::pure_ssm's mamba, its sizes in Mamba2's fields;
  // deci: None for its no-op attention, whose layer adds nothing before its FFN, not even a norm; Linear
  // for its "linear replacement" of attention, x + attn_output·norm(x), which mixes no tokens either)
  enum class Mixer : uint8_t {
    Attention,
    ShortConv,
    DeltaNet,
    Mamba2,
    None,
    Mamba2Attention,
    Mamba1,
    Linear
  };
  static constexpr int kMixerKinds = 8;
  std::vector<Mixer> mixers;
  int64_t shortconv_kernel = 0;
  std::vector<int32_t> layer_slots;  // per layer: its index among the layers of its kind (hybrids only)
  // The gated delta net (Qwen3.5's linear attention): per token a causal convolution of conv_kernel taps over
  // q, k and v (then SiLU), n_k_heads heads of q and k (L2-normalized) of head_k_dim, n_v_heads heads of v of
  // head_v_dim (value head h reads key head h % n_k_heads, as llama.cpp lays them out), and per value head
  // a state S (head_v_dim × head_k_dim): S ← e^g S, S ← S + β (v − S k) kᵀ, o = S q / √head_k_dim; o
  // RMS-normalized per head, times SiLU of the gate z, then out_proj.
  // Qwen3-Next (grouped): value head h reads key head h / (n_v_heads / n_k_heads), as Hugging Face's
  // repeat_interleave, and β and α come from one projection packed per key head ([β, α] of its value heads).
  // Kimi Delta Attention (kda: ArchTraits::kda) has the same state and sizes, n_head heads of q, k and v of
  // kda.head_dim each (value head h reads key head h), its decay per key channel: S ← S·diag(e^g) with g of
  // head_k_dim per head (S's columns are the key dimensions), β = σ(β logit), o = S q / √head_k_dim; o
  // RMS-normalized per head times σ of its gate. q, k and v have convolutions of their own, held here as
  // the conv_dim channels [q, k, v] of one.
  struct DeltaNet {
    int64_t conv_kernel = 0, n_k_heads = 0, n_v_heads = 0, head_k_dim = 0, head_v_dim = 0;
    bool grouped = false;
    bool kda = false;
    int64_t key_head(int64_t h) const { return grouped ? h / (n_v_heads / n_k_heads) : h % n_k_heads; }
    // Where value head h's β and α logits are in a token's row of the β (and α) projection, and that row's
    // width: separate rows of n_v_heads, or (grouped) one row of 2·n_v_heads
    int64_t beta_at(int64_t h) const {
      const int64_t r = n_v_heads / n_k_heads;
      return grouped ? (h / r) * 2 * r + h % r : h;
    }
    int64_t alpha_at(int64_t h) const { return grouped ? beta_at(h) + n_v_heads / n_k_heads : h; }
    int64_t ba_width() const { return grouped ? 2 * n_v_heads : n_v_heads; }
    int64_t key_dim() const { return n_k_heads * head_k_dim; }
    int64_t value_dim() const { return n_v_heads * head_v_dim; }
    int64_t conv_dim() const { return 2 * key_dim() + value_dim(); }  // q, k, v channels of the convolution
    int64_t state_floats() const { return n_v_heads * head_v_dim * head_k_dim; }
  } delta;
  // Mamba-2 (Granite 4.0's hybrids, ArchTraits::mamba2; its layers have attention.head_count_kv 0): in_proj
  // makes per token z (d_inner), x|B|C (d_inner + 2·n_group·d_state) and dt (n_head); x|B|C runs through a
  // causal convolution of conv_kernel taps with a bias, then SiLU; per head h of head_dim = d_inner / n_head
  // (B and C of group h / (n_head / n_group)) with dt = softplus(dt + dt_bias): state ← e^{dt·A} state +
  // dt·x Bᵀ, y = state C + D·x; y times SiLU(z), RMS-normalized per group of d_inner / n_group; out_proj.
  // Mamba-1 (v1: mamba's layers, Mixer::Mamba1; n_head and n_group 0) has the same sizes and a per-channel
  // step: in_proj makes x and z (d_inner each); x runs through the causal convolution with its bias, then
  // SiLU; x_proj makes dt (dt_rank), B and C (d_state each), which Falcon-Mamba RMS-normalizes without gains
  // (dt_b_c_rms); dt = softplus(dt_proj · dt + dt_bias) per channel c; state_c ← e^{dt_c·A_c} ⊙ state_c +
  // dt_c·x_c·B with A a row of d_state per channel, y_c = state_c · C + D_c·x_c; y times SiLU(z); out_proj.
  struct Mamba2 {
    int64_t conv_kernel = 0, d_inner = 0, d_state = 0, n_head = 0, n_group = 0;
    int64_t dt_rank = 0;
    bool dt_b_c_rms = false, v1 = false;
    // Jamba: dt, B and C normalized with gains of their own (ssm_dt_norm, ssm_b_norm, ssm_c_norm), not 1
    bool dt_b_c_gains = false;
    int64_t head_dim() const { return n_head ? d_inner / n_head : 0; }
    // the convolution's channels: x, B, C (Mamba-2), x (Mamba-1)
    int64_t conv_dim() const { return v1 ? d_inner : d_inner + 2 * n_group * d_state; }
    // in_proj's rows: z, x|B|C, dt (Mamba-2); x, z (Mamba-1)
    int64_t in_dim() const { return v1 ? 2 * d_inner : d_inner + conv_dim() + n_head; }
    int64_t x_proj_dim() const { return dt_rank + 2 * d_state; }  // Mamba-1's x_proj rows: dt, B, C
    int64_t state_floats() const { return d_inner * d_state; }
  } mamba;
  // RoPE switched off by the file (granitehybrid's rope.scaling.finetuned false: Granite 4.0-H attends
  // without positions; Baichuan 13B's 40 layers, ALiBi instead)
  bool rope_off = false;
  // Gemma 4 (ArchTraits::layer_shapes): which layers slide a window (the file's sliding_window_pattern, one
  // flag per layer; empty: the architecture's pattern), the sliding layers' head and rotary widths
  // (key_length_swa, rope.dimension_count_swa; head_dim and n_rot are the full layers'), the KV heads per
  // layer where the file gives an array (empty: n_head_kv everywhere; deci's too, 0 for its layers without
  // attention), and the FFN width per layer (empty: n_ff everywhere; deci's too, 0 for its layers without
  // an FFN).
  std::vector<uint8_t> local_layers;
  int64_t head_dim_local = 0, n_rot_local = 0;
  std::vector<int64_t> layer_kv_heads, layer_ff;
  // Layers from n_layer_kv on keep no keys and values: they attend over an earlier layer's (kv_layer); 0 or
  // n_layer: every layer keeps its own
  int64_t n_layer_kv = 0;
  // Gemma 4's per-layer inputs: per_layer_embd floats per layer and token, from per_layer_token_embd and a
  // projection of the embedding, gated into each layer's output (0: none)
  int64_t per_layer_embd = 0;
  // Gemma 3n (ArchTraits::altup): the residual stream is n_inputs parallel streams, of which the layers run
  // the first (altup.num_inputs; altup.active_idx, which must be 0); LAuReL's rank (laurel_l's rows); and
  // per layer the multiple of the FFN gate's standard deviation above its mean that Gaussian top-k sparsity
  // cuts at (activation_sparsity_scale: the normal distribution's quantile of the target sparsity; NaN: no
  // sparsity in that layer)
  struct AltUp {
    int64_t n_inputs = 0, active = 0, laurel_rank = 0;
  } altup;
  std::vector<float> ffn_sparsity;
  bool sparse_ffn(int64_t l) const {
    return !ffn_sparsity.empty() && !std::isnan(ffn_sparsity[static_cast<size_t>(l)]);
  }

  // Apertus (FfnKind::XIelu): each layer's xIELU parameters as the file holds them (the trained values before
  // their softplus: xielu.alpha_n, alpha_p, beta, eps, keys without the architecture's prefix), and the
  // activation as llama.cpp folds them, in float: with a_p = softplus(alpha_p) and a_n = beta +
  // softplus(alpha_n), x > 0: a_p·x² + beta·x, else (expm1(min(x, eps)) − x)·a_n + beta·x
  struct XIelu {
    float alpha_n, alpha_p, beta, eps;
    float a_n() const { return beta + softplus(alpha_n); }
    float a_p() const { return softplus(alpha_p); }
    static float softplus(float v) { return v > 20.0f ? v : std::log(1.0f + std::exp(v)); }
  };
  std::vector<XIelu> xielu;

  // One attention layer's shape: its KV heads, head width (q, k and v alike), rotary width, and widths of
  // all its query heads and of its key (or value) heads.
  struct Heads {
    int64_t n_head_kv, head_dim, n_rot;
    int64_t q_dim() const { return n_head_kv ? q_heads * head_dim : 0; }
    int64_t kv_dim() const { return n_head_kv * head_dim; }
    // query heads per KV head (0 for a layer without attention: deci's)
    int64_t group() const { return n_head_kv ? q_heads / n_head_kv : 0; }
    int64_t q_heads;
  };
  Heads heads(int64_t l) const {
    const bool local = head_dim_local > 0 && is_local(l);
    return {layer_kv_heads.empty() ? n_head_kv : layer_kv_heads[static_cast<size_t>(l)],
            local ? head_dim_local : head_dim, local ? n_rot_local : n_rot, n_head};
  }
  // The widest q, k|v and head of any attention layer (scratch sizes)
  int64_t max_q_dim() const;
  int64_t max_kv_dim() const;
  int64_t max_head_dim() const { return std::max(head_dim, head_dim_local); }
  // The layer whose keys and values layer l attends over: itself, or (past n_layer_kv) the last layer of its
  // kind that keeps its own, as llama.cpp shares them (n_layer_kv - 2 for a sliding layer, - 1 for a full
  // one)
  int64_t kv_layer(int64_t l) const {
    if (n_layer_kv <= 0 || l < n_layer_kv) return l;
    return n_layer_kv - (is_local(l) ? 2 : 1);
  }
  bool keeps_kv(int64_t l) const { return kv_layer(l) == l; }
  // Floats per position of every attention layer's caches: its keys and values where it keeps its own (one
  // latent under latent attention) and its queries (q_cache_dim)
  int64_t attention_cache_floats() const;
  int64_t ff_width(int64_t l) const { return layer_ff.empty() ? n_ff : layer_ff[static_cast<size_t>(l)]; }

  int64_t q_dim() const { return n_head * head_dim; }  // width of all query heads together
  bool is_mla() const { return mla.kv_rank > 0; }
  // width of the attention output that wo reads: q_dim, or every head's value under MLA
  int64_t attn_out_dim() const { return is_mla() ? n_head * mla.v_head : q_dim(); }
  // Floats per position of the query cache that a backend may keep for the attention maps: q_dim, or under
  // MLA each head's query before absorption ([its RoPE part, its nope part]: n_rot + nope, not n_rot +
  // kv_rank), from which the maps absorb the queries they need.
  int64_t q_cache_dim() const { return is_mla() ? n_head * (n_rot + mla.nope) : q_dim(); }
  int64_t kv_dim() const { return n_head_kv * head_dim; }   // width of all key (or value) heads together
  int64_t gqa_group() const { return n_head / n_head_kv; }  // query heads sharing one KV head

  Mixer mixer(int64_t l) const { return mixers.empty() ? Mixer::Attention : mixers[static_cast<size_t>(l)]; }
  // Whether layer l mixes tokens by attention (else by a short convolution or a delta net; Falcon-H1's
  // layers attend beside their Mamba-2).
  bool has_attention(int64_t l) const {
    return mixer(l) == Mixer::Attention || mixer(l) == Mixer::Mamba2Attention;
  }
  // Whether layer l runs Mamba-2 (alone, or beside attention).
  bool has_mamba2(int64_t l) const { return mixer(l) == Mixer::Mamba2 || mixer(l) == Mixer::Mamba2Attention; }
  int64_t n_mixer_layers(Mixer m) const {
    if (mixers.empty()) return m == Mixer::Attention ? n_layer : 0;
    return static_cast<int64_t>(std::count(mixers.begin(), mixers.end(), m));
  }
  int64_t n_conv_layers() const { return n_mixer_layers(Mixer::ShortConv); }
  int64_t n_delta_layers() const { return n_mixer_layers(Mixer::DeltaNet); }
  // (Mamba-1's layers count with Mamba-2's: one kind of recurrent state, sized by `mamba`)
  int64_t n_mamba_layers() const {
    return n_mixer_layers(Mixer::Mamba2) + n_mixer_layers(Mixer::Mamba2Attention) +
           n_mixer_layers(Mixer::Mamba1);
  }
  // The layers that carry a recurrent state from position to position (delta nets or Mamba-2; a model has one
  // kind), the floats of each one's state and of its convolution's last inputs.
  int64_t n_recurrent_layers() const { return n_delta_layers() + n_mamba_layers(); }
  int64_t recurrent_state_floats() const {
    return n_mamba_layers() > 0 ? mamba.state_floats() : delta.state_floats();
  }
  int64_t recurrent_window_floats() const {
    return n_mamba_layers() > 0 ? (mamba.conv_kernel - 1) * mamba.conv_dim()
                                : (delta.conv_kernel - 1) * delta.conv_dim();
  }
  int64_t n_attention_layers() const {
    return n_mixer_layers(Mixer::Attention) + n_mixer_layers(Mixer::Mamba2Attention);
  }
  // Layer l's index among the layers of its kind: its K, V and Q caches' (attention), its convolution
  // cache's (short convolution) or its recurrent state's (delta net, Mamba-2, and Falcon-H1's layers, which
  // count among the Mamba-2 ones: their K, V and Q rows are per layer).
  int64_t cache_slot(int64_t l) const {
    return layer_slots.empty() ? l : layer_slots[static_cast<size_t>(l)];
  }

  // Whether layer l has an FFN sublayer (ArchTraits::single_sublayer: only the layers without a mixer; deci:
  // the layers whose per-layer width is not 0).
  bool has_ffn(int64_t l) const {
    return (!traits->single_sublayer || mixer(l) == Mixer::None) &&
           (layer_ff.empty() || layer_ff[static_cast<size_t>(l)] > 0);
  }

  // Whether layer l's FFN is a mixture of experts (else dense, of n_ff).
  bool moe_layer(int64_t l) const {
    return n_expert > 0 && l >= n_layer_dense_lead && (l + 1) % moe_step == 0;
  }
  // The widest dense SwiGLU any layer runs (a dense FFN or the shared experts); 0: none. A mixture's
  // feed_forward_length bounds no tensor unless it has dense layers, so it sizes nothing then.
  int64_t dense_ff_width() const {
    // (n_ff: the widest; Gemma 4's mixtures run a dense FFN beside their experts)
    const bool dense = n_expert == 0 || n_layer_dense_lead > 0 || traits->layer_shapes || moe_step > 1;
    return std::max(dense ? n_ff : 0, n_ff_shexp);
  }

  // Llama 4 (ArchTraits::chunked_attention): its RoPE layers attend in chunks of attn_chunk positions (a
  // query at pos sees the keys from ⌊pos / attn_chunk⌋·attn_chunk to itself: blocks aligned to 0, unlike a
  // sliding window); its NoPE layers multiply each query by the attention temperature
  // 1 + attn_temp_scale · ln(1 + ⌊(pos + 1) / attn_temp_floor⌋); q and k heads RMS-normalized without gains
  // after RoPE on the RoPE layers where qk_rms_norm (Scout; not Maverick); mixtures on every moe_step-th
  // layer (the others dense, of n_ff)
  int64_t attn_chunk = 0;
  float attn_temp_scale = 0.0f;
  int64_t attn_temp_floor = 0;
  // (Llama 4 counts from pos + 1, Ministral 3 and Mistral Large 3 from pos: llama.cpp's f_attn_temp_offset)
  float attn_temp_offset = 0.0f;
  bool qk_rms_norm = false;
  int64_t moe_step = 1;
  // Whether `layer` attends in chunks (Llama 4's RoPE layers).
  bool chunked(int64_t layer) const {
    return attn_chunk > 0 && traits->no_rope_step > 0 && (layer + 1) % traits->no_rope_step != 0;
  }
  // The factor of the queries at `pos` in `layer` (1 but in Llama 4's NoPE layers and in every layer of the
  // Mistral files that carry attention.temperature_scale).
  float attn_temperature(int64_t layer, int64_t pos) const {
    if (attn_temp_scale == 0.0f || chunked(layer)) return 1.0f;
    // (llama.cpp's arithmetic: the quotient and its floor in float, the logarithm in double)
    const float steps =
        std::floor((static_cast<float>(pos) + attn_temp_offset) / static_cast<float>(attn_temp_floor));
    return static_cast<float>(std::log(steps + 1.0) * attn_temp_scale + 1.0);
  }

  // A sliding-window layer (gemma2/3: all but every swa_pattern-th)?
  bool is_local(int64_t layer) const {
    if (sliding_window > 0 && traits->short_conv) return true;  // (LFM2 with windows: every attention layer)
    if (!local_layers.empty()) return sliding_window > 0 && local_layers[static_cast<size_t>(layer)] != 0;
    return sliding_window > 0 && traits->swa_pattern > 0 &&
           layer % traits->swa_pattern < traits->swa_pattern - 1;
  }
  // The first key position a query at `pos` sees in `layer` (0 but in sliding-window layers).
  int64_t first_key(int64_t layer, int64_t pos) const {
    if (chunked(layer)) return pos / attn_chunk * attn_chunk;  // (Llama 4: the query's own chunk)
    return is_local(layer) ? std::max<int64_t>(0, pos - sliding_window + 1) : 0;
  }
  float rope_base(int64_t layer) const { return is_local(layer) ? rope_freq_base_local : rope_freq_base; }
  // Whether `layer` rotates q and k at all (SmolLM3's every fourth layer does not).
  bool rope_in_layer(int64_t layer) const {
    return traits->rope != RopeKind::None && !rope_off &&
           (traits->no_rope_step == 0 || (layer + 1) % traits->no_rope_step != 0) &&
           (!traits->rope_local_only || sliding_window == 0 || is_local(layer));
  }
  // Whether `layer` turns with the model's RoPE scaling (gemma's local layers do not, gpt-oss's do).
  bool rope_scaled(int64_t layer) const { return !is_local(layer) || traits->local_rope_scaling; }

  // Head h's ALiBi slope, as ggml's soft_max computes it for max_bias b over n_head heads: with n the
  // largest power of two ≤ n_head, heads h < n take m0^(h+1) with m0 = 2^(−b/n), the rest m1^(2(h−n)+1)
  // with m1 = 2^(−b/2/n) (the odd powers interleave between the first n slopes, as the ALiBi paper extends
  // them past a power of two). The head adds slope · (key_pos − query_pos) to its scores. 0: no ALiBi.
  float alibi_slope(int64_t head) const { return alibi_slope_of(head, n_head, alibi_max_bias); }
  static float alibi_slope_of(int64_t head, int64_t n_heads, float max_bias) {
    if (max_bias <= 0.0f) return 0.0f;
    const auto n = static_cast<uint32_t>(1u << static_cast<uint32_t>(std::floor(std::log2(n_heads))));
    const float m0 = std::pow(2.0f, -max_bias / static_cast<float>(n));
    const float m1 = std::pow(2.0f, -(max_bias / 2.0f) / static_cast<float>(n));
    return head < n ? std::pow(m0, static_cast<float>(head + 1))
                    : std::pow(m1, static_cast<float>(2 * (head - n) + 1));
  }

  // Reads and validates the metadata; throws std::runtime_error naming the missing or bad key.
  static ModelDescription from_gguf(const gguf::GgufFile& file);
};

}  // namespace glasswing::model
