#pragma once
// Internal to the files that record the Vulkan backend's forward pass (vulkan_backend.cpp and the
// vulkan_*.cpp files beside it): what the backend keeps on the device — a model's weights per layer and in
// all, the activations every session shares, a mixture's expert buffers, and each session's caches. Not part
// of the Vulkan engine's interface.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <numeric>
#include <optional>
#include <span>
#include <tuple>
#include <vector>

#include "inference/model/expert_routing.h"
#include "inference/vulkan/gpu_layout.h"
#include "inference/vulkan/record_util.h"
#include "inference/vulkan/vk_error.h"
#include "inference/vulkan/vulkan_backend.h"

namespace glasswing::vulkan {

// One small matrix per attention head (latent attention's k_b, v_b): stacked into one matrix of row groups
// (ops.h MatShape::group_rows) where the kernels allow, so that all heads take one dispatch (DeepSeek-V2-Lite
// made 864 a decode step, one per head, layer and matrix), else each head's own.
struct HeadMatrices {
  const WeightTensor* stacked = nullptr;   // the heads' rows one after another
  uint32_t head_rows = 0;                  // rows per head in stacked
  std::vector<const WeightTensor*> heads;  // when not stacked
};

// Each head's matrix times its own part of each of n vectors: head h reads x + h * x.head (vectors x.stride
// apart) and writes y + h * y.head. One dispatch over the stacked heads, else one per head.
struct HeadStrides {
  uint32_t head = 0, stride = 0;
};
inline void project_heads(Recorder& rec, const HeadMatrices& m, const BufferRange& x, const BufferRange& y,
                          uint32_t n, HeadStrides xs, HeadStrides ys) {
  if (m.stacked) {
    rec.project(*m.stacked, x, y,
                {.n_vec = n,
                 .x_stride = xs.stride,
                 .y_stride = ys.stride,
                 .group_rows = m.head_rows,
                 .x_group = xs.head,
                 .y_group = ys.head});
    return;
  }
  for (size_t h = 0; h < m.heads.size(); ++h)
    rec.project(*m.heads[h], floats_from(x, uint64_t(h) * xs.head), floats_from(y, uint64_t(h) * ys.head),
                {.n_vec = n, .x_stride = xs.stride, .y_stride = ys.stride});
}

struct VulkanBackend::LayerTensors {
  BufferRange attn_norm, attn_norm_b, bq, bk, bv, bqkv, bo, ffn_norm, ffn_norm_b, b_up, b_down;
  BufferRange q_norm, k_norm;                 // per-head gains (qwen3), else empty
  BufferRange attn_post_norm, ffn_post_norm;  // post-sublayer norm gains (gemma3), else empty
  const WeightTensor *wq = nullptr, *wk = nullptr, *wv = nullptr, *wqkv = nullptr, *wo = nullptr;
  const WeightTensor* w_attn_gate = nullptr;  // (afmoe) each head's output gate, from the attention's input
  const WeightTensor *w_gate = nullptr, *w_up = nullptr, *w_down = nullptr;
  const WeightTensor* w_gate_up = nullptr;  // gate|up rows for Recorder::matvec_swiglu (CPU devices)
  // mixture of experts: the router and, per expert, gate|up pairs where matvec_swiglu runs (else null) or
  // gate and up (else null), and down
  const WeightTensor* router = nullptr;
  std::vector<const WeightTensor*> gate_up_exps, gate_exps, up_exps, down_exps;
  // or the experts stacked, one matrix per kind (expert ids, ops.h: the experts a step picked in one
  // product): gate|up pairs where matvec_swiglu runs (else null) or gate and up, and down; then the
  // per-expert vectors above stay empty
  const WeightTensor *gate_up_stack = nullptr, *gate_stack = nullptr, *up_stack = nullptr,
                     *down_stack = nullptr;
  BufferRange gate_b_stack, up_b_stack, down_b_stack;  // with stacked experts: their biases, a row each
  BufferRange router_b;                                // (n_expert), or empty (gpt-oss has one)
  // with stacked experts, for routing on the device: the selection bias (exp_probs_b) and the experts'
  // output scales (Gemma 4), or empty
  BufferRange selection_bias, output_scale;
  std::vector<BufferRange> gate_exps_b, up_exps_b, down_exps_b;  // per expert, or none (gpt-oss has them)
  BufferRange attn_sinks;                                        // (n_head) gpt-oss's sink logits, or empty
  // the shared experts (GLM-4.5): gate|up where matvec_swiglu runs (else null) or gate and up, and down
  const WeightTensor *gate_up_shexp = nullptr, *gate_shexp = nullptr, *up_shexp = nullptr,
                     *down_shexp = nullptr;
  const WeightTensor* shexp_gate = nullptr;  // (1 row) the shared expert's gate (Qwen2-MoE)
  // multi-head latent attention (model::LayerWeights): wq (or wq_a, its norm, wq_b), wkv_a, the latent's
  // norm, per head k_b and v_b
  const WeightTensor *wq_a = nullptr, *wq_b = nullptr, *wkv_a = nullptr;
  BufferRange q_a_norm, kv_a_norm;
  HeadMatrices k_b, v_b;
  // a short-convolution layer (LFM2) instead of attention: in_proj, the taps, out_proj
  const WeightTensor *conv_in = nullptr, *conv_out = nullptr;
  BufferRange conv_taps;
  // a gated delta-net layer (Qwen3.5; model::LayerWeights' dn_*)
  const WeightTensor *dn_qkv = nullptr, *dn_z = nullptr, *dn_beta = nullptr, *dn_alpha = nullptr,
                     *dn_out = nullptr;
  BufferRange dn_conv, dn_dt_bias, dn_a, dn_norm;
  // Kimi Delta Attention (model::LayerWeights' kda_*; q, k and v are wq, wk and wv, or wqkv fused): the
  // decay's and the output gate's low-rank pairs
  const WeightTensor *kda_f_a = nullptr, *kda_f_b = nullptr, *kda_g_a = nullptr, *kda_g_b = nullptr;
  // a Mamba-2 layer (Granite 4.0-H; model::LayerWeights' mb_*), the norm's gains per group
  const WeightTensor *mb_in = nullptr, *mb_out = nullptr;
  const WeightTensor *mb_x = nullptr, *mb_dt = nullptr;  // (Mamba-1's x_proj and dt_proj)
  BufferRange mb_conv, mb_conv_b, mb_dt_bias, mb_a, mb_d;
  // (Jamba's gains of Mamba-1's dt norm, and of its B and C norms, one after the other)
  BufferRange mb_dt_norm, mb_bc_norm;
  std::vector<BufferRange> mb_norm;
  // Gemma 4: the per-layer input's gate, projection and norm; the layer's output scale (host side: a
  // constant of the recording)
  const WeightTensor *ple_gate = nullptr, *ple_proj = nullptr;
  BufferRange ple_norm;
  float out_scale = 1.0f;
  // Gemma 3n: AltUp's router and its norm's gains, the prediction and correction coefficients' projections
  // (small: F32 on the device whatever the file's type), the correct scale; LAuReL's pair and norm
  const WeightTensor *altup_router = nullptr, *laurel_l = nullptr, *laurel_r = nullptr;
  BufferRange altup_router_norm, altup_predict, altup_correct, altup_correct_scale, laurel_norm;
  // Gemma 4's mixture: the router's input gains, the experts' input norm and the dense FFN's and experts'
  // output norms; each expert's output scale (host side: constants of the recording)
  BufferRange router_scale, moe_norm, ffn_post_norm_1, moe_post_norm;
  std::vector<float> down_exps_scale;
};

struct VulkanBackend::DeviceWeights {
  const WeightTensor* token_embd = nullptr;
  const WeightTensor* position_embd = nullptr;
  BufferRange token_embd_norm, token_embd_norm_b;  // BLOOM's LayerNorm of the embeddings
  float alibi_m0 = 0.0f, alibi_m1 = 0.0f;          // ALiBi's bases for every attention kernel (alibi_bases)
  // Gemma 4's per-layer inputs (model::Weights): the projection and its norm's gains (the token table stays
  // on the host: VulkanBackend::write_per_layer_rows)
  const WeightTensor* per_layer_model_proj = nullptr;
  BufferRange per_layer_proj_norm;
  std::vector<const WeightTensor*> altup_proj, altup_unembd;  // Gemma 3n's, one per stream past the first
  std::vector<LayerTensors> layers;
  BufferRange output_norm, output_norm_b, output_b;
  const WeightTensor* output = nullptr;
  BufferRange zeros;  // (n_embd) stands in for an absent LayerNorm bias
  // RoPE tables (rope_table.h) by (frequency base, rotated dims, divisors): every pairing of base and dims
  // the layers use, with the model's divisors (model::Weights::rope_divisors), LongRoPE's long ones for long
  // sessions, and none for sliding-window layers, which take no RoPE scaling.
  enum class RopeDivisors { None, Model, Long };
  std::map<std::tuple<float, uint32_t, RopeDivisors>, BufferRange> rope_tables;
  // (the widest head_dim) unit gains: Hunyuan's heads normalized before RoPE, their gains after; Gemma 4's
  // V heads normalized without gains
  BufferRange head_ones;
  // (max(dt_rank, 2·d_state)) unit gains: Falcon-Mamba's dt, B and C RMS-normalized without gains
  BufferRange dt_ones;
};

// Activations of up to max_batch tokens, allocated once per backend and shared by its sessions.
struct VulkanBackend::Activations {
  Arena arena;
  BufferRange x, xb, qkv, q, k, v, att_out, hb, hb2, hb3, x_last, logits;
  BufferRange xf;  // a parallel block's FFN input, normalized before attention adds to x (GPT-NeoX)
  // Gemma 4: every layer's per-layer input (max_batch, n_layer, P), one layer's slice of it and its gated
  // input (max_batch, P)
  BufferRange ple, ple_in, ple_g;
  // Gemma 4's mixtures: the router's input, the dense FFN's normalized output, the experts' sum (max_batch,
  // n_embd)
  BufferRange router_in, ffn_dense, moe_sum;
  BufferRange norm_sums;  // deferred RMSNorm: partial sums of squares (ops.h NormWrite)
  // multi-head latent attention: the query before absorption, its low-rank step, the latent with the RoPE
  // key, and every head's value for wo
  BufferRange mla_q, mla_qa, mla_kv, mla_o;
  BufferRange mla_qc;    // the queries as the Q cache keeps them: per head [RoPE part, nope part]
  BufferRange conv_bcx;  // a short-convolution layer's b, c, x rows (LFM2)
  // a delta-net layer's q|k|v before and after its convolution, gate z, β and α logits, and output; an
  // attention layer's [q, gate] rows and its gates (Qwen3.5)
  BufferRange dn_qkv, dn_conv, dn_z, dn_beta, dn_alpha, dn_out, q_gate, attn_gate;
  BufferRange kda_g, kda_f_lo, kda_g_lo;  // Kimi Delta Attention's decay input and its low-rank rows
  BufferRange mb_in, mb_xbc, mb_y;  // a Mamba-2 layer's in_proj rows, x|B|C after the convolution, output
  // a Mamba-1 layer's x_proj rows (dt, B, C), their dt packed (RMS-normalized: Falcon-Mamba), dt_proj's
  // output
  BufferRange mb_xdb, mb_dtin, mb_dt;
  BufferRange mb_res;  // (max_batch, n_embd) Falcon-H1's Mamba-2 output, added after attention's
  // Gemma 3n: the AltUp streams and the layer's predictions of them (n_inputs blocks of the step's rows),
  // the router's outputs (max_batch, n_inputs), a row block for the router's input, the correction's first
  // stream and the merge (max_batch, n_embd), LAuReL's low-rank rows and output
  BufferRange alt, alt_pred, alt_m, alt_tmp, laurel_lo, laurel;

  Activations(Device& device, const model::ModelDescription& d, int64_t max_batch)
      : arena(device, MemoryUse::DeviceLocal, 16ull << 20, "activations") {
    const uint64_t b = static_cast<uint64_t>(max_batch), f = sizeof(float);
    x = arena.allocate(b * d.n_embd * f);
    xb = arena.allocate(b * std::max(d.n_embd, d.max_q_dim()) * f);
    if (d.parallel_residual) xf = arena.allocate(b * d.n_embd * f);
    qkv = arena.allocate(b * (d.max_q_dim() + 2 * d.max_kv_dim()) * f);  // also for q, k, v uploaded as one
    q = arena.allocate(b * d.max_q_dim() * f);
    k = arena.allocate(b * d.max_kv_dim() * f);
    v = arena.allocate(b * d.max_kv_dim() * f);
    att_out = arena.allocate(b * d.max_q_dim() * f);
    if (d.traits->layer_shapes && d.n_expert > 0) {
      router_in = arena.allocate(b * d.n_embd * f);
      ffn_dense = arena.allocate(b * d.n_embd * f);
      moe_sum = arena.allocate(b * d.n_embd * f);
    }
    if (d.traits->post_norms && !d.traits->layer_shapes && d.n_expert > 0)
      moe_sum = arena.allocate(b * d.n_embd * f);  // (afmoe: the experts' sum before its norm)
    if (d.traits->shared_experts_averaged && d.n_expert_shared > 0)
      moe_sum = arena.allocate(b * d.n_embd * f);  // (Command A+: routed + shared, halved before the add)
    if (d.per_layer_embd > 0) {
      ple = arena.allocate(b * d.n_layer * d.per_layer_embd * f);
      ple_in = arena.allocate(b * d.per_layer_embd * f);
      ple_g = arena.allocate(b * d.per_layer_embd * f);
    }
    // (a dense FFN's or the shared experts' width; a mixture's dense feed_forward_length is metadata only)
    const uint64_t n_ff = static_cast<uint64_t>(d.dense_ff_width());
    hb = arena.allocate(2 * b * n_ff * f);  // also the GPU kernels' gate|up product of a batch
    hb2 = arena.allocate(b * n_ff * f);
    hb3 = arena.allocate(b * n_ff * f);
    x_last = arena.allocate(d.n_embd * f);
    if (d.is_mla()) {  // (see record_mla_qkv)
      mla_q = arena.allocate(b * d.n_head * (d.mla.nope + d.n_rot) * f);
      mla_qa = arena.allocate(b * d.mla.q_rank * f);
      mla_kv = arena.allocate(b * (d.mla.kv_rank + d.n_rot) * f);
      mla_o = arena.allocate(b * d.attn_out_dim() * f);
      mla_qc = arena.allocate(b * d.q_cache_dim() * f);
    }
    if (d.n_conv_layers() > 0) conv_bcx = arena.allocate(b * 3 * d.n_embd * f);
    if (d.n_delta_layers() > 0) {
      const auto& dn = d.delta;
      dn_qkv = arena.allocate(b * dn.conv_dim() * f);
      dn_conv = arena.allocate(b * dn.conv_dim() * f);
      dn_z = arena.allocate(b * dn.value_dim() * f);
      dn_beta = arena.allocate(b * dn.ba_width() * f);
      dn_alpha = arena.allocate(b * dn.n_v_heads * f);
      dn_out = arena.allocate(b * dn.value_dim() * f);
      if (dn.kda) {
        kda_g = arena.allocate(b * dn.key_dim() * f);
        kda_f_lo = arena.allocate(b * dn.head_k_dim * f);
        kda_g_lo = arena.allocate(b * dn.head_k_dim * f);
      }
    }
    if (d.n_mamba_layers() > 0) {
      mb_in = arena.allocate(b * d.mamba.in_dim() * f);
      mb_xbc = arena.allocate(b * d.mamba.conv_dim() * f);
      mb_y = arena.allocate(b * d.mamba.d_inner * f);
    }
    if (d.mamba.v1) {
      mb_xdb = arena.allocate(b * d.mamba.x_proj_dim() * f);
      mb_dtin = arena.allocate(b * d.mamba.dt_rank * f);
      mb_dt = arena.allocate(b * d.mamba.d_inner * f);
    }
    if (d.traits->parallel_hybrid) mb_res = arena.allocate(b * d.n_embd * f);
    if (d.traits->altup) {
      const uint64_t N = static_cast<uint64_t>(d.altup.n_inputs);
      alt = arena.allocate(N * b * d.n_embd * f);
      alt_pred = arena.allocate(N * b * d.n_embd * f);
      alt_m = arena.allocate(b * N * f);
      alt_tmp = arena.allocate(b * d.n_embd * f);
      laurel_lo = arena.allocate(b * d.altup.laurel_rank * f);
      laurel = arena.allocate(b * d.n_embd * f);
    }
    if (d.traits->attn_output_gate) q_gate = arena.allocate(b * 2 * d.q_dim() * f);
    if (d.traits->gates_attn_output()) attn_gate = arena.allocate(b * d.q_dim() * f);
    logits = arena.allocate(std::min<uint64_t>(b, kMaxLogitRows) * d.n_vocab * f);
    norm_sums = arena.allocate(b * kMaxNormStride * f);
  }
};

// A mixture of experts' buffers (n_expert > 0 only), allocated once per backend like Activations: the
// router's probabilities (read back by the host, which routes), what the host writes after routing, and each
// expert's batch of rows. A batch row is one (token, chosen expert); every expert's rows start at a multiple
// of row_align, so that each expert's rows can be bound on their own.
struct VulkanBackend::ExpertScratch {
  struct Batch {
    int64_t expert = 0;
    uint32_t first_row = 0, rows = 0;
  };
  Arena arena;
  uint32_t row_align, capacity;          // rows
  BufferRange router;                    // (max_batch, n_expert) logits
  BufferRange gate_logits;               // (max_batch) the shared expert's gate logits (Qwen2-MoE)
  BufferRange x, gate, up, hidden, out;  // (capacity, n_embd | 2 n_ff_exp | n_ff_exp | n_ff_exp | n_embd)
  Buffer logits;                         // readback: the router's logits
  Buffer rows, slots, weights;  // upload: per batch row its token; per (token, rank) its batch row; weight
  // upload (Llama 4, moe_weight_input; else empty): per batch row its token's weight for that expert, which
  // multiplies the row before the expert runs (weights then holds 1s)
  std::optional<Buffer> row_weights;
  // A decode step routed on the device (record_routed_experts): route_experts.comp's chosen ids and weights
  // (and Llama 4's input weights) per rank; rank r's rows are batch row r: rank_rows holds 0..k-1 (each
  // rank's output row), token_rows k zeros (the one token each rank gathers), both written once.
  BufferRange routed_ids, routed_weights, routed_row_weights;
  Buffer rank_rows, token_rows;
  // A prompt routed on the device: batch_experts.comp's rows (per row its token, its weight on the input) and
  // slots (per pair its row), and the expert tiles over them
  BufferRange batch_rows, batch_slots, batch_row_weights, tile_table;
  // upload: a prompt's expert tiles for the GPU kernels' tiled GEMM (ops.h ExpertTiles): each batch in runs
  // of at most kExpertTileVectors rows, (expert, first row, rows) each
  Buffer tiles;
  uint32_t n_tiles = 0;
  model::ExpertRouting routing;
  std::vector<Batch> batches;  // this layer's experts with tokens, in expert order
  uint32_t n_rows = 0;         // batch rows in use, padding included

  ExpertScratch(Device& device, const model::ModelDescription& d, int64_t max_batch)
      : arena(device, MemoryUse::DeviceLocal, 16ull << 20, "expert activations"),
        row_align(align_rows(device.info(), d)),
        capacity(rows_for(device.info(), d, max_batch)),
        logits(Buffer::Create(device, uint64_t(max_batch) * d.n_expert * sizeof(float), MemoryUse::Readback,
                              "the router logits")),
        rows(Buffer::Create(device, uint64_t(capacity) * sizeof(uint32_t), MemoryUse::Upload,
                            "the expert batch rows")),
        slots(Buffer::Create(device, uint64_t(max_batch) * d.n_expert_used * sizeof(uint32_t),
                             MemoryUse::Upload, "the expert output rows")),
        weights(Buffer::Create(device, uint64_t(max_batch) * d.n_expert_used * sizeof(float),
                               MemoryUse::Upload, "the expert weights")),
        rank_rows(Buffer::Create(device, uint64_t(d.n_expert_used) * sizeof(uint32_t), MemoryUse::Upload,
                                 "the ranks' expert rows")),
        token_rows(Buffer::Create(device, uint64_t(d.n_expert_used) * sizeof(uint32_t), MemoryUse::Upload,
                                  "the ranks' token rows")),
        tiles(Buffer::Create(device, uint64_t(max_tiles(d, max_batch)) * 3 * sizeof(uint32_t),
                             MemoryUse::Upload, "the expert tiles")) {
    auto* ranks = static_cast<uint32_t*>(rank_rows.mapped());
    for (uint32_t r = 0; r < uint32_t(d.n_expert_used); ++r) ranks[r] = r;
    std::fill_n(static_cast<uint32_t*>(token_rows.mapped()), d.n_expert_used, 0u);
    if (d.traits->moe_weight_input)
      row_weights.emplace(Buffer::Create(device, uint64_t(capacity) * sizeof(float), MemoryUse::Upload,
                                         "the expert input weights"));
    const uint64_t f = sizeof(float), c = capacity;
    router = arena.allocate(uint64_t(max_batch) * d.n_expert * f);
    gate_logits = arena.allocate(uint64_t(max_batch) * f);
    x = arena.allocate(c * d.n_embd * f);
    gate = arena.allocate(2 * c * d.n_ff_exp * f);  // also matvec_swiglu's gate|up product of a batch
    up = arena.allocate(c * d.n_ff_exp * f);
    hidden = arena.allocate(c * d.n_ff_exp * f);
    out = arena.allocate(c * d.n_embd * f);
    const uint64_t pairs = uint64_t(max_batch) * d.n_expert_used;  // (a decode step takes the first k)
    routed_ids = arena.allocate(pairs * sizeof(uint32_t));
    routed_weights = arena.allocate(pairs * f);
    routed_row_weights = arena.allocate(pairs * f);
    batch_rows = arena.allocate(pairs * sizeof(uint32_t));
    batch_slots = arena.allocate(pairs * sizeof(uint32_t));
    batch_row_weights = arena.allocate(pairs * f);
    tile_table = arena.allocate(max_tiles(d, max_batch) * 3 * sizeof(uint32_t));
  }
  uint64_t bytes() const {
    return arena.bytes_used() + logits.size() + rows.size() + slots.size() + weights.size() +
           (row_weights ? row_weights->size() : 0) + rank_rows.size() + token_rows.size() + tiles.size();
  }

  // a step's expert tiles at most: every expert's batch in runs of kExpertTileVectors
  static uint64_t max_tiles(const model::ModelDescription& d, int64_t max_batch) {
    const uint64_t pairs = uint64_t(max_batch) * d.n_expert_used;
    return pairs / kExpertTileVectors + std::min<uint64_t>(d.n_expert, pairs) + 1;
  }
  // The tokens per step whose batch rows fit one binding each (at most `limit`).
  static int64_t batch_limit(const DeviceInfo& info, const model::ModelDescription& d, int64_t limit) {
    const uint64_t widest = uint64_t(std::max(d.n_embd, 2 * d.n_ff_exp)) * sizeof(float);
    int64_t b = limit;
    while (b > 1 && uint64_t(rows_for(info, d, b)) * widest > info.max_storage_buffer_range) b /= 2;
    if (uint64_t(rows_for(info, d, b)) * widest > info.max_storage_buffer_range)
      throw VulkanError("one token's expert rows exceed what this GPU can bind");
    return b;
  }

 private:
  static uint32_t align_rows(const DeviceInfo& info, const model::ModelDescription& d) {
    const uint64_t align = std::max<uint64_t>(info.min_storage_offset_alignment, 16);
    uint64_t rows = 1;
    for (uint64_t width : {uint64_t(d.n_embd), uint64_t(d.n_ff_exp), 2 * uint64_t(d.n_ff_exp)})
      rows = std::lcm(rows, align / std::gcd(align, width * sizeof(float)));
    return static_cast<uint32_t>(rows);
  }
  // each token once per chosen expert, and the padding before each expert's rows
  static uint32_t rows_for(const DeviceInfo& info, const model::ModelDescription& d, int64_t max_batch) {
    const uint64_t pairs = uint64_t(max_batch) * d.n_expert_used;
    return static_cast<uint32_t>(pairs + std::min<uint64_t>(d.n_expert, pairs) * (align_rows(info, d) - 1));
  }
};

inline uint64_t align_up(uint64_t v, uint64_t a) {
  return (v + a - 1) / a * a;
}

// Tokens per step as the attention score scratch allows: tokens x heads x n_ctx floats must fit one binding,
// and stay within kScoresBudget so that long contexts take shorter prefill steps instead of gigabytes per
// session (32 heads x 32768 positions x 512 tokens would be 2 GiB).
constexpr uint64_t kScoresBudget = 256ull << 20;
inline int64_t scores_batch(uint64_t bytes_per_token, uint64_t binding_range, int64_t limit) {
  if (bytes_per_token == 0) return limit;  // (no attention: no scores bound the batch)
  const uint64_t fit = std::max<uint64_t>(1, std::min(binding_range, kScoresBudget) / bytes_per_token);
  return static_cast<int64_t>(std::min<uint64_t>(static_cast<uint64_t>(limit), fit));
}

// Where each attention layer's K, V and Q cache rows live in a session of n_ctx positions: one aligned range
// per layer that keeps its own (each as wide as its heads: Gemma 4's layers differ), a layer that shares
// another's keys and values (model::ModelDescription::kv_layer) pointing at that one's.
struct CacheLayout {
  std::vector<uint64_t> kv_at, kv_bytes, q_at, q_bytes;  // per layer (0 for layers without attention)
  uint64_t kv_total = 0, q_total = 0;
};

inline uint64_t layer_stride(const DeviceInfo& info, uint64_t bytes) {
  if (bytes > info.max_storage_buffer_range)
    throw VulkanError("one layer of the cache (" + std::to_string(bytes >> 20) +
                      " MiB) exceeds what this GPU can bind; use a shorter context");
  return align_up(bytes, std::max<uint64_t>(info.min_storage_offset_alignment, 16));
}

inline CacheLayout cache_layout(Context& ctx, const model::ModelDescription& d, int64_t n_ctx) {
  const auto& info = ctx.device().info();
  CacheLayout c;
  for (int64_t l = 0; l < d.n_layer; ++l) {
    const bool attends = d.has_attention(l);
    const uint64_t kv = attends ? uint64_t(n_ctx) * d.heads(l).kv_dim() * sizeof(float) : 0;
    const uint64_t q =
        attends ? uint64_t(n_ctx) * (d.is_mla() ? d.q_cache_dim() : d.heads(l).q_dim()) * sizeof(float) : 0;
    c.q_at.push_back(c.q_total);
    c.q_bytes.push_back(q);
    if (attends) c.q_total += layer_stride(info, q);
    if (attends && !d.keeps_kv(l)) {
      c.kv_at.push_back(c.kv_at[size_t(d.kv_layer(l))]);
      c.kv_bytes.push_back(c.kv_bytes[size_t(d.kv_layer(l))]);
      continue;
    }
    c.kv_at.push_back(c.kv_total);
    c.kv_bytes.push_back(kv);
    if (attends) c.kv_total += layer_stride(info, kv);
  }
  return c;
}

// One session's device state: post-RoPE K, V and Q caches (one aligned range per attention layer; LFM2's
// short-convolution layers each have a range of the convolution cache instead), the attention score
// scratch, the step-state buffer the host writes before each submission, the logits readback buffer and the
// recorded decode step.
class VulkanBackend::Caches : public model::SessionCaches {
 public:
  Caches(Context& ctx, const model::ModelDescription& d, int64_t n_ctx_, int64_t batch_limit,
         std::mutex& lock)
      : n_ctx(n_ctx_),
        layout(cache_layout(ctx, d, n_ctx_)),
        conv_stride(d.n_conv_layers() > 0
                        ? layer_stride(ctx.device().info(), uint64_t(n_ctx_) * d.n_embd * sizeof(float))
                        : 16),
        max_batch(batch_for(ctx, d, n_ctx_, batch_limit)),
        k(Buffer::Create(ctx.device(), std::max<uint64_t>(layout.kv_total, 16), MemoryUse::DeviceLocal,
                         "the K cache")),
        // (latent attention: the values are the keys, the V cache is the K cache; a placeholder here)
        v(Buffer::Create(ctx.device(), d.is_mla() ? 16 : std::max<uint64_t>(layout.kv_total, 16),
                         MemoryUse::DeviceLocal, "the V cache")),
        q(Buffer::Create(ctx.device(), std::max<uint64_t>(layout.q_total, 16), MemoryUse::DeviceLocal,
                         "the Q cache")),
        // (no convolution layers: a placeholder)
        conv(Buffer::Create(ctx.device(), conv_stride * std::max<int64_t>(1, d.n_conv_layers()),
                            MemoryUse::DeviceLocal, "the convolution cache")),
        state_stride(delta_stride(ctx, d.recurrent_state_floats())),
        window_stride(delta_stride(ctx, d.recurrent_window_floats())),
        // (no recurrent layers: placeholders)
        delta_state(Buffer::Create(ctx.device(), state_stride * std::max<int64_t>(1, d.n_recurrent_layers()),
                                   MemoryUse::DeviceLocal, "the recurrent state")),
        delta_window(Buffer::Create(ctx.device(),
                                    window_stride * std::max<int64_t>(1, d.n_recurrent_layers()),
                                    MemoryUse::DeviceLocal, "the recurrent layers' convolution inputs")),
        n_delta(d.n_recurrent_layers()),
        // (a pure state-space model scores nothing: a placeholder)
        scores(Buffer::Create(ctx.device(),
                              std::max<uint64_t>(uint64_t(max_batch) * d.n_head * n_ctx_ * sizeof(float), 16),
                              MemoryUse::DeviceLocal, "attention scores")),
        v_is_k(d.is_mla()),
        split(split_scratch(ctx, d, n_ctx_)),
        state(Buffer::Create(ctx.device(), sizeof(StepState) + max_batch * sizeof(uint32_t),
                             MemoryUse::Upload, "the step state")),
        readback(Buffer::Create(
            ctx.device(), uint64_t(std::min<int64_t>(max_batch, kMaxLogitRows)) * d.n_vocab * sizeof(float),
            MemoryUse::Readback, "the logits readback")),
        conv_bytes(uint64_t(n_ctx_) * d.n_embd * sizeof(float)),
        ctx_(&ctx),
        lock_(&lock) {
    for (int64_t l = 0; l < d.n_layer; ++l) slot.push_back(uint64_t(d.cache_slot(l)));
    if (n_delta > 0) zero_delta();
  }

  uint64_t bytes() const override {
    return k.size() + v.size() + q.size() + conv.size() + delta_state.size() + delta_window.size() +
           scores.size() + (split ? split->size() : 0);
  }
  BufferRange state_layer(int64_t l) const {
    return {delta_state.handle(), state_stride * slot[size_t(l)], state_stride};
  }
  BufferRange window_layer(int64_t l) const {
    return {delta_window.handle(), window_stride * slot[size_t(l)], window_stride};
  }

  // The recurrent state's checkpoints (model::SessionCaches::rewind), kept on the host: each one a copy of
  // the state and convolution buffers, read back when model::Backend::forward asks (around each prompt and
  // every kCheckpointEvery one-token steps).
  bool recurrent() const override { return n_delta > 0; }
  void checkpoint(int64_t position) override {
    std::lock_guard guard(*lock_);
    model::StateCheckpoints<uint8_t>::Entry cp{position, std::vector<uint8_t>(delta_state.size()),
                                               std::vector<uint8_t>(delta_window.size())};
    ctx_->download(whole(delta_state), cp.state.data(), cp.state.size());
    ctx_->download(whole(delta_window), cp.window.data(), cp.window.size());
    checkpoints_.add(std::move(cp));
  }
  int64_t newest_checkpoint() const override { return checkpoints_.newest(); }
  int64_t rewind(int64_t position) override {
    std::lock_guard guard(*lock_);
    const auto* cp = checkpoints_.back_to(position);
    if (!cp) {
      zero_delta();
      return 0;
    }
    ctx_->upload(whole(delta_state), cp->state.data(), cp->state.size());
    ctx_->upload(whole(delta_window), cp->window.data(), cp->window.size());
    return cp->position;
  }
  // (by the layer's model::ModelDescription::cache_slot)
  // (a layer that shares another's keys and values: that one's ranges)
  BufferRange k_layer(int64_t l) const {
    return {k.handle(), layout.kv_at[size_t(l)], layout.kv_bytes[size_t(l)]};
  }
  BufferRange v_layer(int64_t l) const {
    return v_is_k ? k_layer(l) : BufferRange{v.handle(), layout.kv_at[size_t(l)], layout.kv_bytes[size_t(l)]};
  }
  BufferRange q_layer(int64_t l) const {
    return {q.handle(), layout.q_at[size_t(l)], layout.q_bytes[size_t(l)]};
  }
  BufferRange conv_layer(int64_t l) const {
    return {conv.handle(), conv_stride * slot[size_t(l)], conv_bytes};
  }

  // Writes the next step's position and token ids (read by the kernels at execution).
  void set_step(uint32_t n_past, std::span<const int32_t> ids) {
    StepState s;
    s.n_past = n_past;
    s.n_tokens = static_cast<uint32_t>(ids.size());
    auto* p = static_cast<uint8_t*>(state.mapped());
    std::memcpy(p, &s, sizeof s);
    std::memcpy(p + sizeof s, ids.data(), ids.size_bytes());
  }

  int64_t n_ctx;
  CacheLayout layout;
  uint64_t conv_stride;
  int64_t max_batch;  // tokens per step: the score scratch (tokens x heads x n_ctx) must fit one binding
  Buffer k, v, q, conv;
  uint64_t state_stride, window_stride;
  Buffer delta_state, delta_window;
  int64_t n_delta;
  Buffer scores;
  bool v_is_k;
  std::optional<Buffer>
      split;  // the GPU kernels' split-K decode attention scratch (empty on CPU devices' kernels)
  Buffer state, readback;
  uint64_t conv_bytes;
  std::vector<uint64_t> slot;  // per layer: its cache slot
  Context* ctx_;
  std::mutex* lock_;  // the backend's: checkpoints use the device between forwards
  model::StateCheckpoints<uint8_t> checkpoints_;
  // Recorded steps by (tokens, first logit), re-submitted after set_step: the decode step (1, 0) and the
  // prefill batches. Recording a step costs more than running it on small models. Bounded: cleared when full.
  std::map<std::pair<uint32_t, uint32_t>, std::unique_ptr<Recorder>> steps;
  static constexpr size_t kMaxRecordedSteps = 8;

 private:
  void zero_delta() {
    const std::vector<uint8_t> zeros(std::max(delta_state.size(), delta_window.size()), 0);
    ctx_->upload(whole(delta_state), zeros.data(), delta_state.size());
    ctx_->upload(whole(delta_window), zeros.data(), delta_window.size());
  }
  static uint64_t delta_stride(Context& ctx, int64_t floats) {
    return align_up(uint64_t(std::max<int64_t>(floats, 4)) * sizeof(float),
                    std::max<uint64_t>(ctx.device().info().min_storage_offset_alignment, 16));
  }
  static std::optional<Buffer> split_scratch(Context& ctx, const model::ModelDescription& d, int64_t n_ctx) {
    if (!use_gpu_kernels(ctx.device().info())) return std::nullopt;
    const uint64_t bytes =
        Recorder::attention_split_bytes(uint32_t(d.n_head), uint32_t(d.max_head_dim()), uint32_t(n_ctx));
    if (!bytes) return std::nullopt;
    Buffer b = Buffer::Create(ctx.device(), bytes, MemoryUse::DeviceLocal, "the split attention scratch");
    const std::vector<uint32_t> zeros((d.n_head + 3) / 4 * 4, 0);  // the per-head counters start at zero
    ctx.upload(whole(b), zeros.data(), zeros.size() * sizeof(uint32_t));
    return b;
  }
  static int64_t batch_for(Context& ctx, const model::ModelDescription& d, int64_t n_ctx, int64_t limit) {
    const uint64_t per_token = uint64_t(d.n_head) * n_ctx * sizeof(float);
    const uint64_t range = ctx.device().info().max_storage_buffer_range;
    if (per_token > 0 && range / per_token == 0)
      throw VulkanError("a context of " + std::to_string(n_ctx) +
                        " positions needs an attention scratch larger than this GPU can bind");
    return scores_batch(per_token, range, limit);
  }
};

// The attention kernels' `window` word for layer l (AttentionParams::window): Llama 4's chunk on its chunked
// layers, a sliding window on local layers, else 0 (every key); as model::ModelDescription::first_key.
inline uint32_t key_window(const model::ModelDescription& d, int64_t l) {
  if (d.chunked(l)) return u32(d.attn_chunk) | kKeysInChunks;
  return d.is_local(l) ? u32(d.sliding_window) : 0u;
}

// Whether the model's norms are RMSNorms alone, which the matvecs may apply inline or deferred (phimoe's
// biases after the RMSNorm take record_norm's dispatches)
inline bool plain_rms(const model::ModelDescription& d) {
  return d.traits->norm == NormKind::Rms && !d.traits->rms_norm_bias;
}

}  // namespace glasswing::vulkan
