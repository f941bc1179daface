#pragma once
// The reference engine: the forward pass on the CPU, in plain C++, read top to bottom like llama2.c's run.c.
// Every other backend is checked against it.
#include <cmath>
#include <cstdint>
#include <mutex>
#include <vector>

#include "inference/cpu/attention_f32.h"
#include "inference/cpu/gemm_f32.h"
#include "inference/cpu/thread_pool.h"
#include "inference/model/backend.h"
#include "inference/model/expert_routing.h"
#include "inference/model/model.h"
#include "inference/model/rounding.h"

namespace glasswing::cpu {

// A session's caches on the host, all F32 and post-RoPE. Each attention layer has its K, V and Q rows, each
// short-convolution layer (LFM2) its convolution inputs, at the layer's ModelDescription::cache_slot.
struct CpuCaches : model::SessionCaches {
  CpuCaches(const model::ModelDescription& d, int64_t n_ctx);
  uint64_t bytes() const override;

  int64_t n_ctx, q_dim;  // (q_dim: the latent attention's unabsorbed query width, q_cache_dim)
  bool v_is_k;           // latent attention: the values are the keys (v stays empty, v_at reads k)
  // Each attention layer that keeps its own: (n_ctx, its kv_dim) post-RoPE keys and values, one layer after
  // the other; (n_ctx, its q_dim) post-RoPE queries, kept for the attention maps (latent attention:
  // unabsorbed, ModelDescription::q_cache_dim). Gemma 4's layers differ in width, and its last layers read
  // an earlier layer's keys and values (ModelDescription::kv_layer): where each layer's rows start and how
  // wide they are.
  std::vector<float> k, v, q;
  std::vector<size_t> kv_base, q_base;
  std::vector<int64_t> kv_width, q_width;
  // (n_conv_layers, n_ctx, n_embd) b·x of every position of each short-convolution layer: the convolution's
  // inputs, kept whole (not only the last kernel - 1) so that a session can go back to any position
  std::vector<float> conv;
  int64_t conv_dim;
  std::vector<int64_t> slot;  // per layer: ModelDescription::cache_slot
  // The recurrent layers (Qwen3.5's delta nets, Granite 4.0-H's Mamba-2): each one's state (delta net:
  // n_v_heads × head_v_dim × head_k_dim; Mamba-2: n_head × head_dim × d_state) and its convolution's last
  // conv_kernel - 1 inputs (× its channels), after the session's positions; with checkpoints of both
  std::vector<float> delta_state, delta_window;
  int64_t state_floats = 0, window_floats = 0;
  model::StateCheckpoints<float> checkpoints;
  bool recurrent() const override { return !delta_state.empty(); }
  void checkpoint(int64_t position) override;
  int64_t newest_checkpoint() const override { return checkpoints.newest(); }
  int64_t rewind(int64_t position) override;
  float* state_at(int64_t layer) {
    return &delta_state[static_cast<size_t>(slot[size_t(layer)] * state_floats)];
  }
  float* window_at(int64_t layer) {
    return &delta_window[static_cast<size_t>(slot[size_t(layer)] * window_floats)];
  }

  float* k_at(int64_t layer, int64_t pos) { return &k[kv_at(layer, pos)]; }
  float* v_at(int64_t layer, int64_t pos) { return &(v_is_k ? k : v)[kv_at(layer, pos)]; }
  float* q_at(int64_t layer, int64_t pos) {
    const auto l = static_cast<size_t>(layer);
    return &q[q_base[l] + static_cast<size_t>(pos * q_width[l])];
  }
  float* conv_at(int64_t layer, int64_t pos) { return &conv[at(layer, pos, conv_dim)]; }
  const float* k_at(int64_t layer, int64_t pos) const {
    return const_cast<CpuCaches*>(this)->k_at(layer, pos);
  }
  const float* v_at(int64_t layer, int64_t pos) const {
    return const_cast<CpuCaches*>(this)->v_at(layer, pos);
  }
  const float* q_at(int64_t layer, int64_t pos) const {
    return const_cast<CpuCaches*>(this)->q_at(layer, pos);
  }

 private:
  size_t at(int64_t layer, int64_t pos, int64_t width) const {
    return static_cast<size_t>((slot[static_cast<size_t>(layer)] * n_ctx + pos) * width);
  }
  size_t kv_at(int64_t layer, int64_t pos) const {
    const auto l = static_cast<size_t>(layer);
    return kv_base[l] + static_cast<size_t>(pos * kv_width[l]);
  }
};

// Activations of up to max_batch tokens, allocated once and reused by every forward.
struct Scratch {
  Scratch(const model::ModelDescription& d, int64_t max_batch);
  std::vector<float> x;         // (max_batch, n_embd), the residual stream
  std::vector<float> xb;        // (max_batch, max(n_embd, q_dim)), normed input of a sublayer
  std::vector<float> xb2;       // (max_batch, n_embd), a sublayer's output before the residual add
  std::vector<float> attn_res;  // (max_batch, n_embd), a parallel block's attention output (else empty)
  std::vector<float> qkv;       // (max_batch, q_dim + 2·kv_dim), fused projection (gpt2)
  std::vector<float> q;         // (max_batch, q_dim)
  std::vector<float> k;         // (max_batch, kv_dim)
  std::vector<float> v;         // (max_batch, kv_dim)
  std::vector<float> att_out;   // (max_batch, q_dim), attention-weighted values of every head
  std::vector<float> hb;        // (max_batch, dense_ff_width), MLP hidden (gate)
  std::vector<float> hb2;       // (max_batch, dense_ff_width), MLP hidden (up)
  // mixture of experts (empty for dense models): router logits, each token's chosen experts and
  // weights with the tokens routed to each expert, an expert's batch of inputs, hidden and output rows, and
  // every chosen expert's output per token before the weighted sum
  std::vector<float> router;  // (max_batch, n_expert)
  model::ExpertRouting routing;
  std::vector<float> moe_x, moe_g, moe_u, moe_d;  // (max_batch, n_embd | n_ff_exp | n_ff_exp | n_embd)
  std::vector<float> moe_out;                     // (max_batch, n_expert_used, n_embd)
  std::vector<float> shexp_gate;                  // (max_batch) the shared expert's gate logits (Qwen2-MoE)
  // multi-head latent attention (empty otherwise): the query before absorption (max_batch, n_head, nope +
  // n_rot), its low-rank step (max_batch, q_rank), the latent with the RoPE key (max_batch, kv_rank + n_rot),
  // one head's input and output of k_b or v_b, and every head's value for wo (max_batch, n_head·v_head)
  std::vector<float> mla_q, mla_qa, mla_kv, mla_in, mla_out, mla_o;
  std::vector<float> conv_bcx;  // (max_batch, 3·n_embd) a short-convolution layer's b, c, x (empty otherwise)
  // a delta-net layer's q|k|v, gate z, β and α logits per token, and its output (before out_proj); an
  // attention layer's output gates (ArchTraits::attn_output_gate) and its q|gate projection
  std::vector<float> dn_qkv, dn_z, dn_beta, dn_alpha, dn_out, attn_gate, q_gate;
  std::vector<float> kda_g, kda_lo;  // Kimi Delta Attention's decay per channel, its low-rank projections
  std::vector<float> mb_in, mb_y;    // a Mamba-2 layer's in_proj rows (z, x|B|C, dt) and its output
  // a Mamba-1 layer's x_proj rows (max_batch, dt_rank + 2·d_state: dt, B, C) and its step per channel
  // (max_batch, d_inner); gains of 1 for Falcon-Mamba's norms of dt, B and C, which have none
  std::vector<float> mb_xdb, mb_dt, mb_ones;
  std::vector<float> ssm_res;  // (max_batch, n_embd) Falcon-H1's Mamba-2 output beside attention
  // Gemma 4: every layer's per-layer input per token (max_batch, n_layer, per_layer_embd), one token's row of
  // the per-layer token table (n_layer·per_layer_embd), one layer's gated input (max_batch, per_layer_embd)
  std::vector<float> ple, ple_own, ple_g;
  // Gemma 4's mixtures: the dense FFN's normalized output, the router's input (max_batch, n_embd)
  std::vector<float> ffn_res, router_in;
  std::vector<float> ones;  // (max head_dim) unit gains: Gemma 4's weightless RMSNorm of V
  // Gemma 3n: AltUp's streams and the layer's predictions of them (n_inputs blocks of (max_batch, n_embd),
  // a stream's tokens contiguous), the router's outputs (max_batch, n_inputs), the coefficients made from
  // them (max_batch, n_inputs²), a stream-sized row block for projections (max_batch, n_embd), LAuReL's
  // low-rank rows (max_batch, rank) and its output (max_batch, n_embd)
  std::vector<float> alt, alt_pred, alt_m, alt_c, alt_tmp, laurel_lo, laurel;
  std::vector<float>
      att;  // (n_threads, gqa_group, n_ctx), score rows per thread; grows with the largest session
  std::vector<float>
      run_out;  // attention_groups' outputs per task and query head, when keys are split in runs
  std::vector<SoftmaxStats> run_stats;    // and their softmax maxima and sums
  std::vector<float> k_panels, v_panels;  // a prompt step's keys and values as GEMM inputs, per KV head
};

// How the forward pass rounds between its f32 operations (see inference/model/rounding.h).
using Rounding = model::Rounding;

class CpuBackend final : public model::Backend {
 public:
  static constexpr int64_t kMaxBatch = 256;  // prompt tokens per batched step

  explicit CpuBackend(const model::Model& model, int n_threads = 0, Rounding rounding = Rounding::Fast);

  std::string name() const override { return "cpu"; }
  model::BackendCapabilities capabilities() const override;
  model::MemoryEstimate estimate_memory(int64_t n_ctx) const override;
  std::unique_ptr<model::SessionCaches> create_caches(int64_t n_ctx) override;

 protected:
  void forward_impl(model::Session& session, std::span<const int32_t> tokens, bool want_all_logits) override;
  model::AttentionMatrix attention_impl(const model::Session& session, int64_t layer, int64_t head,
                                        model::Range queries, model::Range keys) override;
  std::vector<model::HeadSummary> attention_summary_impl(const model::Session& session,
                                                         model::Range queries) override;

 private:
  // Runs n tokens at positions pos0…pos0+n−1; writes the logits of tokens [first_logit, n) to `logits`.
  void per_layer_inputs(const int32_t* tokens, int64_t n);
  void forward_batch(CpuCaches& c, const int32_t* tokens, int64_t n, int64_t pos0, int64_t first_logit,
                     float* logits);

  struct ContextScratch {
    size_t att, run_out, run_stats, panels;  // elements of the Scratch vectors of those names (panels: each)
  };
  ContextScratch context_scratch(int64_t n_ctx) const;

  // A one-token step's attention deep in the context (cpu_backend.cpp): taken when a KV head's keys and
  // values exceed group_bytes_ (default half of a 2 MiB L2), keys in runs of run_keys_. Benchmark and test
  // knobs: $GLASSWING_CPU_ATTN_GROUP_KIB (0: always) and $GLASSWING_CPU_ATTN_RUN_KEYS.
  int64_t group_bytes_ = int64_t{1} << 20;
  int64_t run_keys_ = 512;
  void attention_groups(CpuCaches& c, int64_t l, int64_t pos0);
  // The mixture-of-experts FFN of n tokens: s_.xb (normalized) -> s_.xb2.
  // (router_in: the router's input rows; null: xb, the experts' input)
  void moe_ffn(const model::LayerWeights& L, int64_t n, const float* router_in = nullptr);
  // (sparsity: Gemma 3n's Gaussian top-k quantile on the gate; NaN: none. xielu: Apertus's layer's xIELU)
  void dense_ffn(const model::LayerWeights& L, int64_t n, int64_t n_ff, float sparsity = std::nanf(""),
                 const model::ModelDescription::XIelu* xielu = nullptr);
  // Gemma 3n's AltUp (cpu_backend.cpp): the streams from the embedding in s_.x, a layer's prediction (its
  // active stream into s_.x), its correction by the layer's output in s_.x with the per-layer input, and
  // the streams merged back into s_.x rows [first, n) for the classifier.
  void altup_modalities(const model::LayerWeights& L, const float* x, int64_t n);
  void altup_init(int64_t n);
  void altup_predict(const model::LayerWeights& L, int64_t n);
  void altup_correct(const model::LayerWeights& L, int64_t l, int64_t n);
  void altup_merge(int64_t first, int64_t n);
  void laurel(const model::LayerWeights& L, int64_t n);
  void gemma4_moe(const model::LayerWeights& L, int64_t n);
  void gelu_rows(float* x, int64_t n) const;
  void mla_qkv(const model::LayerWeights& L, int64_t n);
  // A short-convolution layer's mixing of n tokens at pos0 (LFM2): s_.xb (normalized) -> s_.xb2.
  void short_conv(CpuCaches& c, const model::LayerWeights& L, int64_t l, int64_t n, int64_t pos0);
  // A gated delta-net layer's mixing of n tokens (Qwen3.5): s_.xb (normalized) -> s_.xb2.
  void delta_net(CpuCaches& c, const model::LayerWeights& L, int64_t l, int64_t n);
  void kda(CpuCaches& c, const model::LayerWeights& L, int64_t l, int64_t n);
  // A Mamba-2 layer's mixing of n tokens (Granite 4.0-H): s_.xb (normalized) -> s_.xb2.
  void mamba2(CpuCaches& c, const model::LayerWeights& L, int64_t l, int64_t n);
  void mamba1(CpuCaches& c, const model::LayerWeights& L, int64_t l, int64_t n);
  void mla_values(const model::LayerWeights& L, int64_t n);
  void swiglu_rows(float* gate, const float* up, int64_t rows, int64_t width) const;
  void absorb_queries(const model::LayerWeights& L, const float* src, int64_t src_row, int64_t pe_at,
                      int64_t nope_at, int64_t n, float* dst, float* in, float* out);
  // Layer l's queries at `positions` as attention reads them ((count, q_dim)): under latent attention
  // absorbed from the cache's unabsorbed ones (as mla_qkv does), else empty (the cache holds them).
  std::vector<float> map_queries(const CpuCaches& c, int64_t l, model::Range positions);

  // Prompt steps' attention (Rounding::Fast, the GEMM kernel): the step's keys and values packed once per KV
  // head, then head h's queries t0 .. t0 + gemm_rows_group - 1 against them.
  void pack_kv_panels(CpuCaches& c, int64_t l, int64_t n_keys);
  void attention_block(int64_t layer, int64_t h, int64_t t0, int64_t n, int64_t pos0, int64_t n_total,
                       GemmKernel gemm);

  // matmul, or under Rounding::LlamaCpp matmul_like_ggml (inference/cpu/ggml_kernels.h).
  void project(float* out, const float* x, const model::WeightMatrix& w, model::Vector bias, int64_t n);

  const model::Model& model_;
  Rounding rounding_;
  ThreadPool pool_;
  Scratch s_;
  std::mutex mutex_;  // one forward or attention job at a time: scratch and pool are shared by all sessions
};

// Scores of (layer, head)'s query q (head_dim floats) at `pos` against keys 0…pos, softmaxed: att (pos + 1);
// with the head's attention sink (head_sink) in the softmax.
void attention_row(float* att, const float* q, const CpuCaches& c, const model::ModelDescription& d,
                   int64_t layer, int64_t head, int64_t pos, float sink = -INFINITY);
// The sink logit of one head (gpt-oss), −inf where the model has none.
inline float head_sink(const model::LayerWeights& L, int64_t head) {
  return L.attn_sinks.empty() ? -INFINITY : L.attn_sinks[static_cast<size_t>(head)];
}

}  // namespace glasswing::cpu
