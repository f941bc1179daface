#include "inference/vulkan/vulkan_backend.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>
#include <optional>
#include <span>
#include <tuple>
#include <utility>

#include "inference/model/backend_registry.h"
#include "inference/model/expert_routing.h"
#include "inference/quant/quant.h"
#include "inference/vulkan/backend_choice.h"
#include "inference/vulkan/env_choice.h"
#include "inference/vulkan/gpu_layout.h"
#include "inference/vulkan/record_util.h"
#include "inference/vulkan/rope_table.h"
#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

namespace {

uint64_t align_up(uint64_t v, uint64_t a) {
  return (v + a - 1) / a * a;
}

int64_t max_batch_for(const DeviceInfo& info) {
  if (const char* env = std::getenv("GLASSWING_VULKAN_BATCH"); env && *env) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (*end != '\0' || v < 1 || v > 4096)
      throw VulkanError(std::string("GLASSWING_VULKAN_BATCH must be a number of tokens in 1..4096, not '") +
                        env + "'");
    return v;
  }
  return info.type == "cpu" ? VulkanBackend::kMaxBatch : VulkanBackend::kGpuMaxBatch;
}

// The attention kernels' `window` word for layer l (AttentionParams::window): Llama 4's chunk on its chunked
// layers, a sliding window on local layers, else 0 (every key); as model::ModelDescription::first_key.
uint32_t key_window(const model::ModelDescription& d, int64_t l) {
  if (d.chunked(l)) return u32(d.attn_chunk) | kKeysInChunks;
  return d.is_local(l) ? u32(d.sliding_window) : 0u;
}

// ALiBi's bases m0 and m1 for the attention kernels (AttentionParams::alibi_m0): the slopes of head 0 and of
// head n, the largest power of two <= n_head, which are m0^1 and m1^1 (ModelDescription::alibi_slope, so the
// kernels start from the CPU engine's very floats). {0, 0} without ALiBi.
std::pair<float, float> alibi_bases(const model::ModelDescription& d) {
  if (d.alibi_max_bias <= 0.0f) return {0.0f, 0.0f};
  const auto n = static_cast<int64_t>(std::bit_floor(static_cast<uint64_t>(d.n_head)));
  return {d.alibi_slope(0), n < d.n_head ? d.alibi_slope(n) : 0.0f};
}

// Tokens per step as the attention score scratch allows: tokens x heads x n_ctx floats must fit one binding,
// and stay within kScoresBudget so that long contexts take shorter prefill steps instead of gigabytes per
// session (32 heads x 32768 positions x 512 tokens would be 2 GiB).
constexpr uint64_t kScoresBudget = 256ull << 20;
int64_t scores_batch(uint64_t bytes_per_token, uint64_t binding_range, int64_t limit) {
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

uint64_t layer_stride(const DeviceInfo& info, uint64_t bytes) {
  if (bytes > info.max_storage_buffer_range)
    throw VulkanError("one layer of the cache (" + std::to_string(bytes >> 20) +
                      " MiB) exceeds what this GPU can bind; use a shorter context");
  return align_up(bytes, std::max<uint64_t>(info.min_storage_offset_alignment, 16));
}

CacheLayout cache_layout(Context& ctx, const model::ModelDescription& d, int64_t n_ctx) {
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

}  // namespace

// One small matrix per attention head (latent attention's k_b, v_b): stacked into one matrix of row groups
// (ops.h MatShape::group_rows) where the kernels allow, so that all heads take one dispatch (DeepSeek-V2-Lite
// made 864 a decode step, one per head, layer and matrix), else each head's own.
struct HeadMatrices {
  const WeightTensor* stacked = nullptr;   // the heads' rows one after another
  uint32_t head_rows = 0;                  // rows per head in stacked
  std::vector<const WeightTensor*> heads;  // when not stacked
};

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
    const uint64_t k = uint64_t(d.n_expert_used);
    routed_ids = arena.allocate(k * sizeof(uint32_t));
    routed_weights = arena.allocate(k * f);
    routed_row_weights = arena.allocate(k * f);
  }
  uint64_t bytes() const {
    return arena.bytes_used() + logits.size() + rows.size() + slots.size() + weights.size() +
           (row_weights ? row_weights->size() : 0) + rank_rows.size() + token_rows.size() + tiles.size();
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
  // a step's expert tiles at most: every expert's batch in runs of kExpertTileVectors
  static uint64_t max_tiles(const model::ModelDescription& d, int64_t max_batch) {
    const uint64_t pairs = uint64_t(max_batch) * d.n_expert_used;
    return pairs / kExpertTileVectors + std::min<uint64_t>(d.n_expert, pairs) + 1;
  }
  // each token once per chosen expert, and the padding before each expert's rows
  static uint32_t rows_for(const DeviceInfo& info, const model::ModelDescription& d, int64_t max_batch) {
    const uint64_t pairs = uint64_t(max_batch) * d.n_expert_used;
    return static_cast<uint32_t>(pairs + std::min<uint64_t>(d.n_expert, pairs) * (align_rows(info, d) - 1));
  }
};

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

VulkanBackend::VulkanBackend(const model::Model& model, std::string_view device, const Progress& progress)
    : model_(model), ctx_(Context::Create(device)), max_batch_(max_batch_for(ctx_->device().info())) {
  const auto& d = model.desc();
  const auto& w = model.weights();
  if (d.traits->altup) {  // the AltUp streams and their rows are bound as views of one buffer
    const uint64_t align = ctx_->device().info().min_storage_offset_alignment;
    if (uint64_t(d.n_embd) * sizeof(float) % std::max<uint64_t>(align, 1) != 0)
      throw VulkanError("AltUp streams of " + std::to_string(d.n_embd) +
                        " floats do not start at this GPU's storage buffer alignment");
  }
  if (d.delta.kda) {  // record_kda binds views of q's, k's and v's convolutions, taps and window rows
    const uint64_t align = ctx_->device().info().min_storage_offset_alignment;
    if (uint64_t(d.delta.key_dim()) * sizeof(float) % std::max<uint64_t>(align, 1) != 0)
      throw VulkanError(
          "Kimi Delta Attention of " + std::to_string(d.delta.key_dim()) +
          " channels does not start q's, k's and v's rows at this GPU's storage buffer alignment");
  }
  // (Llama 4: the chunk length shares the attention kernels' window word with its flag, kKeysInChunks)
  if (d.attn_chunk >= int64_t{kKeysInChunks})
    throw VulkanError("attention chunks of " + std::to_string(d.attn_chunk) + " positions are too long");
  if (d.per_layer_embd > 0) {  // record_layer_end binds each layer's slice of the per-layer inputs
    const uint64_t align = ctx_->device().info().min_storage_offset_alignment;
    if (uint64_t(d.per_layer_embd) * sizeof(float) % std::max<uint64_t>(align, 1) != 0)
      throw VulkanError("per-layer inputs of " + std::to_string(d.per_layer_embd) +
                        " floats do not start at this GPU's storage buffer alignment");
  }
  if (d.n_mamba_layers() > 0 && !d.mamba.v1) {  // record_mamba2 binds each group's view of its output
    const uint64_t align = ctx_->device().info().min_storage_offset_alignment;
    if (uint64_t(d.mamba.d_inner / d.mamba.n_group) * sizeof(float) % std::max<uint64_t>(align, 1) != 0)
      throw VulkanError("Mamba-2 groups of " + std::to_string(d.mamba.d_inner / d.mamba.n_group) +
                        " floats do not start at this GPU's storage buffer alignment");
  }
  if (d.is_mla()) {  // record_mla_qkv and record_mla_values bind per-head views of the activations
    const uint64_t align = ctx_->device().info().min_storage_offset_alignment;
    for (int64_t floats : {d.mla.nope + d.n_rot, d.head_dim, d.n_rot, d.mla.v_head})
      if (uint64_t(floats) * sizeof(float) % align != 0)
        throw VulkanError("latent attention heads of " + std::to_string(floats) +
                          " floats do not start at this GPU's storage buffer alignment (" +
                          std::to_string(align) + " bytes)");
  }
  arena_ = std::make_unique<Arena>(ctx_->device(), MemoryUse::DeviceLocal, 256ull << 20, "model weights");
  const uint64_t total = w.matrix_bytes();
  auto matrix = [&](const model::WeightMatrix& m) -> const WeightTensor* {
    if (!m) return nullptr;
    const uint64_t base = weight_bytes_;  // bytes of the matrices uploaded before this one
    const WeightTensor& t = upload_matrix(m, [&](uint64_t done, uint64_t) {
      if (progress) progress(std::min(total, base + done), total);
    });
    return &t;
  };
  // Matrices uploaded as one, rows of one after another (in RowOrder::GateUpPairs the first half's rows
  // paired with the second half's)
  auto fused = [&](std::span<const model::WeightMatrix* const> parts,
                   RowOrder order = RowOrder::Plain) -> const WeightTensor* {
    const uint64_t base = weight_bytes_;
    return &upload_fused(
        parts,
        [&](uint64_t done, uint64_t) {
          if (progress) progress(std::min(total, base + done), total);
        },
        order);
  };
  const auto pointers = [](const std::vector<model::WeightMatrix>& ms) {
    std::vector<const model::WeightMatrix*> out;
    for (const auto& m : ms) out.push_back(&m);
    return out;
  };
  // True where matrices of one type and shape, `multiple` rows' worth each, stack into a matrix that fits
  // one binding with room to spare (half the range leaves room for any layout's repacking).
  const auto stackable = [&](const std::vector<model::WeightMatrix>& ms, uint32_t multiple) {
    const bool same = std::all_of(ms.begin(), ms.end(), [&](const model::WeightMatrix& m) {
      return m.type == ms[0].type && m.n_rows == ms[0].n_rows && m.n_cols == ms[0].n_cols;
    });
    return !ms.empty() && same && ms[0].n_rows % multiple == 0 &&
           uint64_t(ms.size()) * ms[0].row_bytes * uint64_t(ms[0].n_rows) <=
               ctx_->device().info().max_storage_buffer_range / 2;
  };
  // Per-head matrices stacked (HeadMatrices) where each head's rows are whole row groups and its input
  // (x_group apart) is vec4-aligned, else one per head (also with GLASSWING_VULKAN_STACK_HEADS=0, to
  // compare).
  const bool stack_heads = env_choice("GLASSWING_VULKAN_STACK_HEADS", {"0", "1"}, 1) == 1;
  auto head_matrices = [&](const std::vector<model::WeightMatrix>& heads, uint32_t x_group) {
    HeadMatrices out;
    if (stack_heads && !heads.empty() && x_group % 4 == 0 &&
        stackable(heads, row_group_multiple(ctx_->device().info(), heads[0].type))) {
      const WeightTensor* t = fused(pointers(heads));
      if (row_groups_supported(ctx_->device().info(), *t, u32(heads[0].n_rows))) {
        out.stacked = t;
        out.head_rows = u32(heads[0].n_rows);
        return out;
      }
    }
    for (const auto& m : heads) out.heads.push_back(matrix(m));
    return out;
  };
  // A layer's routed experts stacked, one matrix per kind (LayerTensors::*_stack), where every kind's kernels
  // take expert ids and each stack fits one binding with room to spare; else (or with
  // GLASSWING_VULKAN_STACK_EXPERTS=0, to compare) one matrix per expert.
  const bool stack_experts_on = env_choice("GLASSWING_VULKAN_STACK_EXPERTS", {"0", "1"}, 1) == 1;
  auto stack_experts = [&](const model::LayerWeights& L, LayerTensors& t, bool biased) {
    const auto& info = ctx_->device().info();
    const auto kind = [&](const std::vector<model::WeightMatrix>& ms) {  // (gate may be absent: ReLU²)
      return ms.empty() || (expert_ids_supported(info, ms[0].type) && stackable(ms, kExpertGroupRows));
    };
    if (!stack_experts_on || !kind(L.gate_exps) || !kind(L.up_exps) || !kind(L.down_exps)) return false;
    const auto nf = u32(L.up_exps[0].n_rows);
    // gate|up pairs: the gates, then the ups, paired row by row: expert e's pairs are rows 2 e nf ...
    const bool pairs = !biased && !L.gate_exps.empty() && d.traits->ffn == FfnKind::SwiGlu &&
                       matvec_swiglu_supported(info, L.gate_exps[0].type) &&
                       L.up_exps[0].type == L.gate_exps[0].type &&
                       L.up_exps[0].n_cols == L.gate_exps[0].n_cols &&
                       gate_up_pair_bytes(info, L.gate_exps[0].type, u32(L.gate_exps.size()) * nf,
                                          u32(L.gate_exps[0].n_cols)) <= info.max_storage_buffer_range / 2;
    if (pairs) {
      auto both = pointers(L.gate_exps);
      for (const auto* m : pointers(L.up_exps)) both.push_back(m);
      t.gate_up_stack = fused(both, RowOrder::GateUpPairs);
    } else {
      if (!L.gate_exps.empty()) t.gate_stack = fused(pointers(L.gate_exps));
      t.up_stack = fused(pointers(L.up_exps));
    }
    t.down_stack = fused(pointers(L.down_exps));
    const auto fits = [&](const WeightTensor* w, uint32_t rows) {
      return !w || expert_groups_supported(info, *w, rows);
    };
    if (fits(t.gate_up_stack, 2 * nf) && fits(t.gate_stack, nf) && fits(t.up_stack, nf) &&
        fits(t.down_stack, u32(L.down_exps[0].n_rows)))
      return true;
    t.gate_up_stack = t.gate_stack = t.up_stack = t.down_stack = nullptr;  // (more than one slice after all)
    return false;
  };
  // q, k and v of one type and width: one matrix (one matvec, one RoPE dispatch per layer instead of 5).
  auto fused_qkv = [&](const model::LayerWeights& L) -> const WeightTensor* {
    // (Qwen3.5's q rows carry each head's output gate: q stays its own matrix)
    // (Gemma 4's V is normalized on its own before the fused kernels would store it)
    if (L.wqkv || !L.wq || !L.wk || !L.wv || d.traits->attn_output_gate || d.traits->layer_shapes)
      return nullptr;
    for (const auto* m : {&L.wk, &L.wv})
      if (m->type != L.wq.type || m->n_cols != L.wq.n_cols || m->row_bytes != L.wq.row_bytes) return nullptr;
    const model::WeightMatrix* qkv[] = {&L.wq, &L.wk, &L.wv};
    return fused(qkv);
  };
  // SwiGLU gate and up of one type and width, where matvec_swiglu runs: one matrix whose matvec applies
  // SwiGLU (one dispatch per decode step and layer instead of 3; a batch on the GPU kernels: the GEMM and a
  // SwiGLU over its interleaved outputs, 2 instead of 3). Also each expert's gate and up.
  auto fused_gate_up = [&](const model::WeightMatrix& gate,
                           const model::WeightMatrix& up) -> const WeightTensor* {
    if (d.traits->ffn != FfnKind::SwiGlu || !gate || !up ||
        !matvec_swiglu_supported(ctx_->device().info(), gate.type) || up.type != gate.type ||
        up.n_cols != gate.n_cols || up.n_rows != gate.n_rows)
      return nullptr;
    // one slice: else the pair stays two matrices
    if (gate_up_pair_bytes(ctx_->device().info(), gate.type, u32(gate.n_rows), u32(gate.n_cols)) >
        ctx_->device().info().max_storage_buffer_range)
      return nullptr;
    const model::WeightMatrix* pair[] = {&gate, &up};
    return fused(pair, RowOrder::GateUpPairs);
  };
  w_ = std::make_unique<DeviceWeights>();
  w_->token_embd = matrix(w.token_embd);
  w_->position_embd = matrix(w.position_embd);
  // (Gemma 4's per-layer token table, 2.3 G parameters in E2B, stays on the host, as llama.cpp keeps it: a
  // step needs one row of it per token, which write_per_layer_rows uploads)
  w_->per_layer_model_proj = matrix(w.per_layer_model_proj);
  w_->per_layer_proj_norm = upload_vector(w.per_layer_proj_norm);
  for (const auto& m : w.altup_proj) w_->altup_proj.push_back(matrix(m));
  for (const auto& m : w.altup_unembd) w_->altup_unembd.push_back(matrix(m));
  for (const auto& L : w.layers) {
    LayerTensors t;
    t.attn_norm = upload_vector(L.attn_norm);
    t.attn_norm_b = upload_vector(L.attn_norm_b);
    t.bq = upload_vector(L.bq);
    t.bk = upload_vector(L.bk);
    t.bv = upload_vector(L.bv);
    t.bqkv = upload_vector(L.bqkv);
    t.q_norm = upload_vector(L.q_norm);
    t.k_norm = upload_vector(L.k_norm);
    t.attn_post_norm = upload_vector(L.attn_post_norm);
    t.ffn_post_norm = upload_vector(L.ffn_post_norm);
    t.bo = upload_vector(L.bo);
    t.ffn_norm = upload_vector(L.ffn_norm);
    t.ffn_norm_b = upload_vector(L.ffn_norm_b);
    t.b_up = upload_vector(L.b_up);
    t.b_down = upload_vector(L.b_down);
    t.wqkv = L.wqkv ? matrix(L.wqkv) : fused_qkv(L);
    if (!t.wqkv) {
      t.wq = matrix(L.wq);
      t.wk = matrix(L.wk);
      t.wv = matrix(L.wv);
    }
    t.wo = matrix(L.wo);
    t.w_attn_gate = matrix(L.w_attn_gate);
    t.w_gate_up = L.b_up.empty() ? fused_gate_up(L.w_gate, L.w_up) : nullptr;
    if (!t.w_gate_up) {
      t.w_gate = matrix(L.w_gate);
      t.w_up = matrix(L.w_up);
    }
    t.w_down = matrix(L.w_down);
    t.attn_sinks = upload_vector(L.attn_sinks);
    t.ple_gate = matrix(L.ple_gate);
    t.ple_proj = matrix(L.ple_proj);
    t.ple_norm = upload_vector(L.ple_norm);
    if (!L.out_scale.empty()) t.out_scale = L.out_scale[0];
    if (d.traits->altup) {
      // (a few floats per layer: decoded once on the host)
      auto floats = [&](const model::WeightMatrix& m) {
        std::vector<float> v(static_cast<size_t>(m.n_rows * m.n_cols));
        for (int64_t r = 0; r < m.n_rows; ++r)
          quant::dequantize_row(m.type, m.row(r), &v[static_cast<size_t>(r * m.n_cols)], m.n_cols);
        return upload_vector(v);
      };
      t.altup_router = matrix(L.altup_router);
      t.altup_router_norm = upload_vector(L.altup_router_norm);
      t.altup_predict = floats(L.altup_predict);
      t.altup_correct = floats(L.altup_correct);
      t.altup_correct_scale = upload_vector(L.altup_correct_scale);
      t.laurel_l = matrix(L.laurel_l);
      t.laurel_r = matrix(L.laurel_r);
      t.laurel_norm = upload_vector(L.laurel_norm);
    }
    t.router_scale = upload_vector(L.router_scale);
    t.moe_norm = upload_vector(L.moe_norm);
    t.ffn_post_norm_1 = upload_vector(L.ffn_post_norm_1);
    t.moe_post_norm = upload_vector(L.moe_post_norm);
    t.down_exps_scale.assign(L.down_exps_scale.begin(), L.down_exps_scale.end());
    t.conv_in = matrix(L.conv_in);
    t.conv_out = matrix(L.conv_out);
    t.conv_taps = upload_vector(L.conv_taps);
    t.dn_qkv = matrix(L.dn_qkv);
    t.dn_z = matrix(L.dn_z);
    t.dn_beta = matrix(L.dn_beta);
    t.dn_alpha = matrix(L.dn_alpha);
    t.dn_out = matrix(L.dn_out);
    t.dn_conv = upload_vector(L.dn_conv);
    t.dn_dt_bias = upload_vector(L.dn_dt_bias);
    t.dn_a = upload_vector(L.dn_a);
    t.dn_norm = upload_vector(L.dn_norm);
    t.kda_f_a = matrix(L.kda_f_a);
    t.kda_f_b = matrix(L.kda_f_b);
    t.kda_g_a = matrix(L.kda_g_a);
    t.kda_g_b = matrix(L.kda_g_b);
    t.mb_in = matrix(L.mb_in);
    t.mb_out = matrix(L.mb_out);
    t.mb_x = matrix(L.mb_x);
    t.mb_dt = matrix(L.mb_dt);
    t.mb_conv = upload_vector(L.mb_conv);
    t.mb_conv_b = upload_vector(L.mb_conv_b);
    t.mb_dt_bias = upload_vector(L.mb_dt_bias);
    t.mb_a = upload_vector(L.mb_a);
    t.mb_d = upload_vector(L.mb_d);
    t.mb_dt_norm = upload_vector(L.mb_dt_norm);
    if (!L.mb_b_norm.empty()) {
      std::vector<float> bc(L.mb_b_norm.begin(), L.mb_b_norm.end());
      bc.insert(bc.end(), L.mb_c_norm.begin(), L.mb_c_norm.end());
      t.mb_bc_norm = upload_vector(bc);
    }
    if (!L.mb_norm.empty())
      for (int64_t g = 0, gw = d.mamba.d_inner / d.mamba.n_group; g < d.mamba.n_group; ++g)
        t.mb_norm.push_back(upload_vector(L.mb_norm.subspan(size_t(g * gw), size_t(gw))));
    if (d.is_mla()) {
      t.wq_a = matrix(L.wq_a);
      t.wq_b = matrix(L.wq_b);
      t.wkv_a = matrix(L.wkv_a);
      t.q_a_norm = upload_vector(L.q_a_norm);
      t.kv_a_norm = upload_vector(L.kv_a_norm);
      const uint32_t hq = u32(d.mla.nope + d.n_rot), hd = u32(d.head_dim);
      t.k_b = head_matrices(L.k_b, hq);  // (its x: each head's nope part of q)
      t.v_b = head_matrices(L.v_b, hd);  // (its x: each head's latent part of the attention output)
    }
    if (!L.up_exps.empty()) {  // each expert's matrices on their own (views into the ffn_*_exps tensors)
      t.router = matrix(L.router);
      t.router_b = upload_vector(L.router_b);
      // (biased experts, gpt-oss's, take their biases before the activation: two matrices)
      const bool biased = !L.gate_exps_b.empty() || !L.up_exps_b.empty();
      if (stack_experts(L, t, biased)) {
        for (const auto& [from, to] :  // (the biases as tables: a row per expert)
             {std::pair{&L.gate_exps_b, &t.gate_b_stack}, std::pair{&L.up_exps_b, &t.up_b_stack},
              std::pair{&L.down_exps_b, &t.down_b_stack}}) {
          std::vector<float> table;
          for (const model::Vector& v : *from) table.insert(table.end(), v.begin(), v.end());
          *to = upload_vector(table);
        }
        t.selection_bias = upload_vector(L.exp_probs_b);
        t.output_scale = upload_vector(L.down_exps_scale);
      } else {
        for (const auto& [from, to] :
             {std::pair{&L.gate_exps_b, &t.gate_exps_b}, std::pair{&L.up_exps_b, &t.up_exps_b},
              std::pair{&L.down_exps_b, &t.down_exps_b}})
          for (const model::Vector& v : *from) to->push_back(upload_vector(v));
        for (int64_t e = 0; e < d.n_expert; ++e) {
          const auto i = static_cast<size_t>(e);
          const model::WeightMatrix gate =
              L.gate_exps.empty() ? model::WeightMatrix{} : L.gate_exps[i];  // (ReLU²)
          t.gate_up_exps.push_back(biased ? nullptr : fused_gate_up(gate, L.up_exps[i]));
          t.gate_exps.push_back(t.gate_up_exps.back() ? nullptr : matrix(gate));
          t.up_exps.push_back(t.gate_up_exps.back() ? nullptr : matrix(L.up_exps[i]));
          t.down_exps.push_back(matrix(L.down_exps[i]));
        }
      }
      t.gate_up_shexp = fused_gate_up(L.gate_shexp, L.up_shexp);
      if (!t.gate_up_shexp) {
        t.gate_shexp = matrix(L.gate_shexp);
        t.up_shexp = matrix(L.up_shexp);
      }
      t.down_shexp = matrix(L.down_shexp);
      t.shexp_gate = matrix(L.shexp_gate);
    }
    w_->layers.push_back(std::move(t));
  }
  std::tie(w_->alibi_m0, w_->alibi_m1) = alibi_bases(d);
  w_->token_embd_norm = upload_vector(w.token_embd_norm);
  w_->token_embd_norm_b = upload_vector(w.token_embd_norm_b);
  w_->output_norm = upload_vector(w.output_norm);
  w_->output_norm_b = upload_vector(w.output_norm_b);
  w_->output_b = upload_vector(w.output_b);
  w_->output = matrix(w.output);
  w_->zeros = upload_vector(std::vector<float>(static_cast<size_t>(d.n_embd), 0.0f));
  if (d.mamba.v1 && d.n_mamba_layers() > 0)  // (bound by every Mamba-1 layer without gains of its own)
    w_->dt_ones = upload_vector(
        std::vector<float>(static_cast<size_t>(std::max(d.mamba.dt_rank, 2 * d.mamba.d_state)), 1.0f));
  if (d.n_rot > 0) {
    if (d.traits->qk_norm_after_rope || d.traits->layer_shapes || d.qk_rms_norm)
      w_->head_ones = upload_vector(std::vector<float>(static_cast<size_t>(d.max_head_dim()), 1.0f));
    using enum DeviceWeights::RopeDivisors;
    for (int64_t l = 0; l < d.n_layer; ++l) {
      if (!d.rope_in_layer(l)) continue;
      const auto n_rot = static_cast<uint32_t>(d.heads(l).n_rot);
      for (const auto which : {None, Model, Long}) {
        if ((which == None) == d.rope_scaled(l) || (which == Long && w.rope_freqs_long.empty())) continue;
        auto& table = w_->rope_tables[{d.rope_base(l), n_rot, which}];
        if (table.buffer != VK_NULL_HANDLE) continue;
        const model::Vector divisors =
            which == None ? model::Vector{}
                          : w.rope_divisors(d, which == Long ? d.rope_scaling.n_ctx_orig + 1 : 0);
        const std::vector<uint32_t> words =
            rope_table(d.rope_base(l), n_rot, divisors, which == None ? 1.0f : d.rope_scaling.mscale());
        table = upload_bytes(words.data(), words.size() * sizeof(uint32_t));
      }
    }
  }
  if (progress) progress(total, total);
  ctx_->release_host_scratch();  // (the weights' repacking buffer)
  if (d.n_expert > 0) {
    max_batch_ = ExpertScratch::batch_limit(ctx_->device().info(), d, max_batch_);
    moe_ = std::make_unique<ExpertScratch>(ctx_->device(), d, max_batch_);
    routes_on_device_ =
        env_choice("GLASSWING_VULKAN_ROUTE_ON_DEVICE", {"0", "1"}, 1) == 1 && can_route_on_device();
    expert_tiles_ = env_choice("GLASSWING_VULKAN_EXPERT_TILES", {"0", "1"}, 1) == 1;
  }
  a_ = std::make_unique<Activations>(ctx_->device(), d, max_batch_);
  if (d.per_layer_embd > 0)
    ple_rows_ = std::make_unique<Buffer>(
        Buffer::Create(ctx_->device(), uint64_t(max_batch_) * d.n_layer * d.per_layer_embd * sizeof(float),
                       MemoryUse::Upload, "the per-layer token rows"));
  build_pipelines();
}

void VulkanBackend::build_pipelines() {
  // Recording a decode step and a batched step (without submitting them) creates every pipeline a forward
  // pass uses, so that no pipeline is ever compiled while a user waits for a token.
  // A mixture of experts records every layer's experts with its tokens routed to experts 0..k-1 (one token:
  // the mat-vecs; a batch: the GEMMs).
  const auto& d = model_.desc();
  Caches scratch(*ctx_, d, max_batch_, max_batch_, mutex_);
  for (uint32_t n : {1u, static_cast<uint32_t>(std::min<int64_t>(max_batch_, scratch.max_batch))}) {
    if (moe_) {
      std::vector<float> logits(size_t(n) * d.n_expert);
      for (size_t i = 0; i < logits.size(); ++i) logits[i] = 1.0f / float(1 + i % d.n_expert);
      route_experts(logits.data(), n, d.n_layer_dense_lead);
    }
    Recorder rec(*ctx_);
    rec.begin();
    record_step(rec, scratch, n, n - 1);
    // all logits wanted: steps of at most kMaxLogitRows tokens (see forward_impl)
    const auto n_all = static_cast<uint32_t>(std::min<int64_t>(n, kMaxLogitRows));
    record_step(rec, scratch, n_all, 0);
    rec.end();
  }
}

VulkanBackend::~VulkanBackend() = default;

const WeightTensor& VulkanBackend::upload_matrix(const model::WeightMatrix& m, const Progress& progress) {
  auto it = matrices_.find(m.data);
  if (it != matrices_.end()) return it->second;
  try {
    WeightTensor t = upload_weight(*ctx_, *arena_, m.type, u32(m.n_rows), u32(m.n_cols), m.data, progress);
    weight_bytes_ += m.row_bytes * static_cast<uint64_t>(m.n_rows);
    return matrices_.emplace(m.data, std::move(t)).first->second;
  } catch (const VulkanError& e) {
    throw VulkanError::described("uploading " + m.name + ": " + e.what(), e.result());
  }
}

const WeightTensor& VulkanBackend::upload_fused(std::span<const model::WeightMatrix* const> parts,
                                                const Progress& progress, RowOrder order) {
  const model::WeightMatrix& first = *parts.front();
  // Parts that follow each other in the mapping (a stacked tensor's views: the experts of ffn_*_exps, the
  // heads of attn_k_b) upload from it as they are; others through a copy.
  uint64_t total = 0;
  int64_t n_rows = 0;
  bool contiguous = true;
  for (const auto* m : parts) {
    contiguous = contiguous && m->data == first.data + total;
    total += m->row_bytes * static_cast<uint64_t>(m->n_rows);
    n_rows += m->n_rows;
  }
  std::vector<uint8_t> rows;
  if (!contiguous) {
    rows.reserve(total);
    for (const auto* m : parts)
      rows.insert(rows.end(), m->data, m->data + m->row_bytes * static_cast<size_t>(m->n_rows));
  }
  try {
    fused_.push_back(upload_weight(*ctx_, *arena_, first.type, u32(n_rows), u32(first.n_cols),
                                   contiguous ? first.data : rows.data(), progress, order));
    weight_bytes_ += total;
    return fused_.back();
  } catch (const VulkanError& e) {
    throw VulkanError("uploading " + first.name + " with the matrices after it: " + e.what());
  }
}

BufferRange VulkanBackend::upload_vector(std::span<const float> v) {
  return upload_bytes(v.data(), v.size_bytes());
}

BufferRange VulkanBackend::upload_bytes(const void* data, uint64_t bytes) {
  if (bytes == 0) return {};
  const BufferRange r = arena_->allocate(bytes);
  ctx_->upload(r, data, bytes);
  return r;
}

BufferRange VulkanBackend::rope_table_of(int64_t l, int64_t n_ctx) const {
  const auto& d = model_.desc();
  if (!d.rope_in_layer(l)) return {};
  using enum DeviceWeights::RopeDivisors;
  const auto which = !d.rope_scaled(l) ? None
                     : model_.weights().long_rope(d, n_ctx) && !model_.weights().rope_freqs_long.empty()
                         ? Long
                         : Model;
  const auto it = w_->rope_tables.find({d.rope_base(l), static_cast<uint32_t>(d.heads(l).n_rot), which});
  if (it == w_->rope_tables.end()) throw VulkanError("no RoPE table for layer " + std::to_string(l));
  return it->second;
}

model::BackendCapabilities VulkanBackend::capabilities() const {
  return {ctx_->device().info().name + " (Vulkan)", true, max_batch_};
}

model::MemoryEstimate VulkanBackend::estimate_memory(int64_t n_ctx) const {
  const auto& d = model_.desc();
  model::MemoryEstimate m;
  m.weight_bytes = arena_->bytes_used();
  const uint64_t per_token = uint64_t(d.n_head) * n_ctx * sizeof(float);
  const uint64_t scores =
      per_token * scores_batch(per_token, ctx_->device().info().max_storage_buffer_range, max_batch_);
  // (latent attention: one cache for keys and values)
  const CacheLayout layout = cache_layout(*ctx_, d, n_ctx);
  m.session_bytes = (d.is_mla() ? 1 : 2) * layout.kv_total + layout.q_total +
                    uint64_t(d.n_conv_layers()) * n_ctx * d.n_embd * sizeof(float) +
                    uint64_t(d.n_recurrent_layers()) *
                        (d.recurrent_state_floats() + d.recurrent_window_floats()) * sizeof(float) +
                    scores + uint64_t(std::min(max_batch_, kMaxLogitRows)) * d.n_vocab * sizeof(float);
  if (use_gpu_kernels(ctx_->device().info()))
    m.session_bytes +=
        Recorder::attention_split_bytes(uint32_t(d.n_head), uint32_t(d.max_head_dim()), uint32_t(n_ctx));
  m.scratch_bytes = a_->arena.bytes_used() + (moe_ ? moe_->bytes() : 0) + (ple_rows_ ? ple_rows_->size() : 0);

  if (exact_) m.weight_bytes += exact_->weight_bytes();  // the decoded copy of the llama.cpp-compatible mode
  return m;
}

std::unique_ptr<model::SessionCaches> VulkanBackend::create_caches(int64_t n_ctx) {
  std::lock_guard lock(mutex_);
  // A lost device takes no new session, whichever kernels it runs (the GPU kernels' caches begin with an
  // upload, which would throw the loss; the CPU devices' would not, and fail at the first step instead).
  ctx_->device().throw_if_lost();
  return std::make_unique<Caches>(*ctx_, model_.desc(), n_ctx, max_batch_, mutex_);
}

// Whether the model's norms are RMSNorms alone, which the matvecs may apply inline or deferred (phimoe's
// biases after the RMSNorm take record_norm's dispatches)
namespace {
bool plain_rms(const model::ModelDescription& d) {
  return d.traits->norm == NormKind::Rms && !d.traits->rms_norm_bias;
}
}  // namespace

void VulkanBackend::record_norm(Recorder& rec, const BufferRange& in, const BufferRange& out,
                                const BufferRange& gain, const BufferRange& bias, uint32_t rows) {
  const auto& d = model_.desc();
  if (!present(gain)) {  // olmo2: no norm before a sublayer, its input as it is
    const uint64_t bytes = uint64_t(rows) * d.n_embd * sizeof(float);
    rec.copy(in.sub(0, bytes), out, bytes);
    return;
  }
  if (d.traits->norm == NormKind::Rms && d.traits->rms_norm_bias) {  // (phimoe: then its bias, as llama.cpp)
    rec.rmsnorm(in, gain, out, {u32(d.n_embd), rows}, d.norm_eps);
    rec.barrier();
    rec.add_bias(bias, out, u32(d.n_embd), rows);
  } else if (d.traits->norm == NormKind::Rms)
    rec.rmsnorm(in, gain, out, {u32(d.n_embd), rows}, d.norm_eps);
  else
    rec.layernorm(in, gain, present(bias) ? bias : w_->zeros, out, {u32(d.n_embd), rows}, d.norm_eps);
}

// x += RMSNorm(out) · gain (gemma's post-sublayer norms, where `gain` is there) · residual_scale (granite),
// out changed in place
void VulkanBackend::record_add_sublayer(Recorder& rec, const BufferRange& out, const BufferRange& gain,
                                        const BufferRange& x, uint32_t rows) {
  const auto& d = model_.desc();
  const uint32_t dim = u32(d.n_embd);
  if (present(gain)) {
    rec.barrier();
    rec.rmsnorm(out, gain, out, {dim, rows}, d.norm_eps);
  }
  if (d.residual_scale != 1.0f) {
    rec.barrier();
    rec.scale(out, rows * dim, d.residual_scale);
  }
  rec.barrier();
  rec.add(out, x, rows * dim);
}

void VulkanBackend::record_bias(Recorder& rec, const BufferRange& b, const BufferRange& y, uint32_t width,
                                uint32_t n, uint32_t stride, uint32_t offset) {
  if (!present(b)) return;
  rec.barrier();
  rec.add_bias(b, y, width, n, stride, offset);
}

void VulkanBackend::record_step(Recorder& rec, Caches& c, uint32_t n, uint32_t first_logit) {
  LayerFlow flow = layer_flow();
  record_embedding(rec, c, n);
  const bool altup = model_.desc().traits->altup;
  if (altup) record_altup_init(rec, n);
  for (int64_t l = 0; l < model_.desc().n_layer; ++l) {
    if (altup) record_altup_predict(rec, n, l);  // (the layer runs on the active stream's prediction, in x)
    record_mixer(rec, c, n, l, flow);
    if (!model_.desc().has_ffn(l)) continue;  // (Nemotron-H's mixer layers)
    if (model_.desc().moe_layer(l) && n == 1 && routes_on_device_) {
      record_router(rec, n, l, /*to_host=*/false);
      record_routed_experts(rec, l);
    } else if (model_.desc().moe_layer(l)) {
      // with the routing already in moe_ (build_pipelines); run_expert_step routes as it goes
      record_router(rec, n, l);
      record_experts(rec, n, l);
    } else {
      record_ffn(rec, n, l, flow);
    }
    record_layer_end(rec, n, l);
  }
  record_output(rec, c, n, first_logit);
}

// A parallel block (GPT-NeoX, Phi-2, Command-R) adds attention and FFN to the layer's input x: the FFN's
// norm of x goes to xf before attention accumulates into x (without an FFN norm, the FFN reads the
// attention norm's output in xb, which attention leaves as it is).
void VulkanBackend::record_parallel_ffn_norm(Recorder& rec, uint32_t n, int64_t l) {
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  if (!present(L.ffn_norm)) return;
  record_norm(rec, a_->x, a_->xf, L.ffn_norm, L.ffn_norm_b, n);  // (attention's norm barrier follows)
}

// Deferred RMSNorm (CPU devices' tiles, ops.h NormWrite): the residual matvecs (wo, down) also write the next
// norm's input times its gain into xb with partial sums of squares, and the matvecs reading xb (q|k|v,
// gate|up) apply the norm's scale: no RMSNorm dispatch inside the stack. Not with biases added to the
// residual after the matvec, nor for the first layer (after the embedding) or the output norm; not with
// post-sublayer norms (the wo and down outputs are normalized before they reach the residual), nor for a
// mixture of experts (no gate|up matrix).
VulkanBackend::LayerFlow VulkanBackend::layer_flow() const {
  const auto& d = model_.desc();
  const auto& info = ctx_->device().info();
  const auto defers = [&](const WeightTensor* m) { return m && defers_norm(info, *m); };
  LayerFlow flow;
  // (Falcon-H1: its Mamba-2 output joins x after wo has written it, so wo cannot start the FFN's norm)
  // (nor with norms' biases after the RMSNorm: phimoe's, which the norm-reading kernels would not add)
  flow.defer_norms = plain_rms(d) && !d.traits->post_norms && !d.traits->no_pre_norms &&
                     d.residual_scale == 1.0f && !d.parallel_residual && !d.traits->parallel_hybrid &&
                     std::all_of(w_->layers.begin(), w_->layers.end(), [&](const LayerTensors& L) {
                       return defers(L.wqkv) && defers(L.wo) && defers(L.w_gate_up) && defers(L.w_down) &&
                              !present(L.bo) && !present(L.b_down);
                     });
  flow.attn_read = {a_->norm_sums, 0, d.norm_eps};  // slots: set by the previous layer's down projection
  return flow;
}

// token embedding (+ learned position embedding; × √n_embd for gemma)
void VulkanBackend::record_embedding(Recorder& rec, Caches& c, uint32_t n) {
  const auto& d = model_.desc();
  const Activations& a = *a_;
  const BufferRange state = whole(c.state);
  rec.get_rows(*w_->token_embd, state, a.x, n);
  if (d.embedding_scale != 1.0f) {
    rec.barrier();
    rec.scale(a.x, n * u32(d.n_embd), d.embedding_scale);
  }
  if (d.traits->learned_positions) {
    rec.barrier();
    rec.get_rows(*w_->position_embd, state, a.x, n, /*by_position=*/true, /*accumulate=*/true);
  }
  rec.barrier();
  if (d.traits->embd_norm) {  // BLOOM: the embeddings LayerNorm'd before the first layer
    rec.layernorm(a.x, w_->token_embd_norm, w_->token_embd_norm_b, a.x, {u32(d.n_embd), n}, d.norm_eps);
    rec.barrier();
  }
  if (d.per_layer_embd > 0) record_per_layer_inputs(rec, n);
}

// Gemma 4's per-layer inputs of the step's tokens into a.ple (token, layer, P), from the scaled embeddings in
// x: per layer RMSNorm(proj · x / √n_embd) · gains, plus the token's own per-layer embedding × √P (uploaded
// so by write_per_layer_rows), the sum × 1/√2.
void VulkanBackend::record_per_layer_inputs(Recorder& rec, uint32_t n) {
  const auto& d = model_.desc();
  const Activations& a = *a_;
  const uint32_t p = u32(d.per_layer_embd), all = p * u32(d.n_layer);
  rec.project(*w_->per_layer_model_proj, a.x, a.ple, {.n_vec = n});
  rec.barrier();
  rec.scale(a.ple, n * all, 1.0f / std::sqrt(static_cast<float>(d.n_embd)));
  rec.barrier();
  rec.rmsnorm(a.ple, w_->per_layer_proj_norm, a.ple, {.n = p, .n_rows = n * u32(d.n_layer)}, d.norm_eps);
  rec.barrier();
  rec.add(BufferRange{ple_rows_->handle(), 0, uint64_t(n) * all * sizeof(float)}, a.ple, n * all);
  rec.barrier();
  rec.scale(a.ple, n * all, 1.0f / std::sqrt(2.0f));
  rec.barrier();
}

// The end of layer l (Gemma 4): its per-layer input, gated by GELU of the output, projected, normalized and
// added; then the whole output scaled.
void VulkanBackend::record_layer_end(Recorder& rec, uint32_t n, int64_t l) {
  const auto& d = model_.desc();
  const Activations& a = *a_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  const uint32_t dim = u32(d.n_embd);
  if (d.traits->altup) {
    record_altup_correct(rec, n, l);
  } else if (L.ple_gate) {
    const uint32_t p = u32(d.per_layer_embd);
    rec.project(*L.ple_gate, a.x, a.ple_g, {.n_vec = n});
    rec.copy_rows(floats_from(a.ple, uint64_t(l) * p), a.ple_in, p, n, p * u32(d.n_layer), p);
    rec.barrier();
    rec.geglu(a.ple_g, a.ple_in, a.hb, n * p);
    rec.barrier();
    rec.project(*L.ple_proj, a.hb, a.xb, {.n_vec = n});
    record_add_sublayer(rec, a.xb, L.ple_norm, a.x, n);
    rec.barrier();
  }
  if (L.out_scale != 1.0f) {
    rec.scale(a.x, n * dim, L.out_scale);
    rec.barrier();
  }
}

// Gemma 3n's AltUp router over n rows of `in`: tanh(router · RMSNorm(in) · gains / n_embd) into alt_m.
void VulkanBackend::record_altup_router(Recorder& rec, uint32_t n, int64_t l, const BufferRange& in) {
  const auto& d = model_.desc();
  const Activations& a = *a_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  const uint32_t dim = u32(d.n_embd);
  rec.rmsnorm(in, L.altup_router_norm, a.alt_tmp, {dim, n}, d.norm_eps);
  rec.barrier();
  rec.scale(a.alt_tmp, n * dim, 1.0f / static_cast<float>(dim));
  rec.barrier();
  rec.project(*L.altup_router, a.alt_tmp, a.alt_m, {.n_vec = n});
  rec.barrier();
  rec.softcap(a.alt_m, n * u32(d.altup.n_inputs), 1.0f);  // (1 · tanh(m / 1))
  rec.barrier();
}

// The streams from the embeddings in x: the first the embedding, each other one altup_proj's projection of
// it at the embedding's magnitude. Stream j's rows start at j · n rows.
void VulkanBackend::record_altup_init(Recorder& rec, uint32_t n) {
  const auto& d = model_.desc();
  const Activations& a = *a_;
  const uint32_t dim = u32(d.n_embd);
  const uint64_t block = uint64_t(n) * dim * sizeof(float);
  rec.copy(a.x, a.alt, block);
  for (size_t j = 1; j <= w_->altup_proj.size(); ++j)
    rec.project(*w_->altup_proj[j - 1], a.x, a.alt.sub(j * block, block), {.n_vec = n});
  rec.barrier();
  for (size_t j = 1; j <= w_->altup_proj.size(); ++j)
    rec.magnitude_match(a.alt.sub(j * block, block), a.x, dim, n);
  rec.barrier();
}

// Layer l's prediction of every stream (shaders/altup_predict.comp), from coefficients the router makes
// from the first stream; the first's prediction into x.
void VulkanBackend::record_altup_predict(Recorder& rec, uint32_t n, int64_t l) {
  const auto& d = model_.desc();
  const Activations& a = *a_;
  const uint32_t dim = u32(d.n_embd);
  record_altup_router(rec, n, l, a.alt);
  rec.altup_predict(a.alt, a.alt_m, w_->layers[static_cast<size_t>(l)].altup_predict, a.alt_pred, a.x, dim, n,
                    u32(d.altup.n_inputs));
  rec.barrier();
}

// LAuReL beside attention, from the attention norm's output in xb: xb + RMSNorm(laurel_r · laurel_l · xb)
// into laurel.
void VulkanBackend::record_laurel(Recorder& rec, uint32_t n, int64_t l) {
  const auto& d = model_.desc();
  const Activations& a = *a_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  const uint32_t dim = u32(d.n_embd);
  rec.project(*L.laurel_l, a.xb, a.laurel_lo, {.n_vec = n});
  rec.barrier();
  rec.project(*L.laurel_r, a.laurel_lo, a.laurel, {.n_vec = n});
  rec.barrier();
  rec.rmsnorm(a.laurel, L.laurel_norm, a.laurel, {dim, n}, d.norm_eps);
  rec.barrier();
  rec.add(a.xb, a.laurel, n * dim);
  rec.barrier();
}

// Layer l's correction of every stream by its output in x (shaders/altup_correct.comp), then its per-layer
// input, gated by GELU of the corrected first stream times correct_scale, projected and normalized, added
// to every stream but the first.
void VulkanBackend::record_altup_correct(Recorder& rec, uint32_t n, int64_t l) {
  const auto& d = model_.desc();
  const Activations& a = *a_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  const uint32_t dim = u32(d.n_embd), p = u32(d.per_layer_embd);
  record_altup_router(rec, n, l, a.x);
  rec.altup_correct(a.alt_pred, a.x, a.alt_m, L.altup_correct, L.altup_correct_scale, a.alt, a.alt_tmp, dim,
                    n, u32(d.altup.n_inputs));
  rec.barrier();
  rec.project(*L.ple_gate, a.alt_tmp, a.ple_g, {.n_vec = n});
  rec.copy_rows(floats_from(a.ple, uint64_t(l) * p), a.ple_in, p, n, p * u32(d.n_layer), p);
  rec.barrier();
  rec.geglu(a.ple_g, a.ple_in, a.hb, n * p);
  rec.barrier();
  rec.project(*L.ple_proj, a.hb, a.xb, {.n_vec = n});
  rec.barrier();
  rec.rmsnorm(a.xb, L.ple_norm, a.xb, {dim, n}, d.norm_eps);
  rec.barrier();
  const uint64_t block = uint64_t(n) * dim * sizeof(float);
  for (uint64_t j = 1; j < uint64_t(d.altup.n_inputs); ++j)
    rec.add(a.xb, a.alt.sub(j * block, block), n * dim);
  rec.barrier();
}

// The streams of tokens [first, n) back into x's rows: each other stream projected back (altup_unembd_proj)
// at the first stream's magnitude, the N averaged.
void VulkanBackend::record_altup_merge(Recorder& rec, uint32_t n, uint32_t first) {
  const auto& d = model_.desc();
  const Activations& a = *a_;
  const uint32_t dim = u32(d.n_embd), n_out = n - first;
  const uint64_t row = uint64_t(dim) * sizeof(float), block = n * row, rows = n_out * row;
  const BufferRange x = a.x.sub(first * row, rows), first_stream = a.alt.sub(first * row, rows);
  rec.copy(first_stream, x, rows);
  for (size_t j = 1; j <= w_->altup_unembd.size(); ++j) {
    rec.project(*w_->altup_unembd[j - 1], a.alt.sub(j * block + first * row, rows), a.alt_tmp,
                {.n_vec = n_out});
    rec.barrier();
    rec.magnitude_match(a.alt_tmp, first_stream, dim, n_out);
    rec.barrier();
    rec.add(a.alt_tmp, x, n_out * dim);
    rec.barrier();
  }
  rec.scale(x, n_out * dim, 1.0f / static_cast<float>(d.altup.n_inputs));
  rec.barrier();
}

// Layer l's token mixing: attention, or (LFM2) the gated short convolution; Falcon-H1's Mamba-2 beside
// attention: its output kept in mb_res while attention reads the same x, then added.
void VulkanBackend::record_mixer(Recorder& rec, Caches& c, uint32_t n, int64_t l, LayerFlow& flow) {
  if (model_.desc().traits->router_from_layer_input && model_.desc().moe_layer(l)) {
    // SmallThinker: the router's logits from the layer's input x, before attention adds to it (record_router
    // then only hands them to the host)
    rec.project(*w_->layers[static_cast<size_t>(l)].router, a_->x, moe_->router, {.n_vec = n});
    rec.barrier();
  }
  if (model_.desc().parallel_residual) record_parallel_ffn_norm(rec, n, l);
  // (Nemotron-H's FFN layers; deci's layers without attention, which add nothing)
  if (model_.desc().mixer(l) == model::ModelDescription::Mixer::None) return;
  if (model_.desc().mixer(l) == model::ModelDescription::Mixer::Mamba2Attention) {
    record_mamba2(rec, c, n, l);
    record_attention(rec, c, n, l, flow);
    rec.add(a_->mb_res, a_->x, n * u32(model_.desc().n_embd));
    rec.barrier();
  } else if (model_.desc().mixer(l) == model::ModelDescription::Mixer::DeltaNet && model_.desc().delta.kda)
    record_kda(rec, c, n, l);
  else if (model_.desc().mixer(l) == model::ModelDescription::Mixer::DeltaNet)
    record_delta_net(rec, c, n, l);
  else if (model_.desc().mixer(l) == model::ModelDescription::Mixer::Mamba2)
    record_mamba2(rec, c, n, l);
  else if (model_.desc().mixer(l) == model::ModelDescription::Mixer::Mamba1)
    record_mamba1(rec, c, n, l);
  else if (model_.desc().mixer(l) == model::ModelDescription::Mixer::Linear)
    record_linear_mixer(rec, n, l);
  else if (model_.desc().has_attention(l))
    record_attention(rec, c, n, l, flow);
  else
    record_short_conv(rec, c, n, l);
}

// deci's "linear replacement" of attention, from the residual stream x back into it: x + wo·RMSNorm(x).
void VulkanBackend::record_linear_mixer(Recorder& rec, uint32_t n, int64_t l) {
  const Activations& a = *a_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  record_norm(rec, a.x, a.xb, L.attn_norm, L.attn_norm_b, n);
  rec.barrier();
  rec.project(*L.wo, a.xb, a.x, {.n_vec = n, .accumulate = true});
  record_bias(rec, L.bo, a.x, u32(model_.desc().n_embd), n);
  rec.barrier();
}

// A Mamba-2 layer (Granite 4.0-H), from the residual stream x back into it: RMSNorm into xb, in_proj, the
// convolution of x|B|C (delta_conv with the bias), the scan (mamba_scan), the norm of each group (where the
// layer has one), out_proj added to x (times granite's residual scale); beside attention (Falcon-H1)
// out_proj into mb_res, x left for attention to read.
void VulkanBackend::record_mamba2(Recorder& rec, Caches& c, uint32_t n, int64_t l) {
  const auto& d = model_.desc();
  const auto& m = d.mamba;
  const Activations& a = *a_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  record_norm(rec, a.x, a.xb, L.attn_norm, L.attn_norm_b, n);
  rec.barrier();
  rec.project(*L.mb_in, a.xb, a.mb_in, {.n_vec = n});
  rec.barrier();
  rec.delta_conv(a.mb_in, L.mb_conv, c.window_layer(l), a.mb_xbc, n, u32(m.conv_dim()), u32(m.conv_kernel),
                 u32(m.in_dim()), u32(m.d_inner), L.mb_conv_b);
  rec.barrier();
  rec.mamba_scan({a.mb_xbc, a.mb_in, L.mb_dt_bias, L.mb_a, L.mb_d, c.state_layer(l), a.mb_y}, n,
                 u32(m.d_inner), u32(m.d_state), u32(m.n_head), u32(m.n_group), u32(m.in_dim()));
  rec.barrier();
  const uint32_t gw = u32(m.d_inner / m.n_group);
  for (uint32_t g = 0; g < u32(m.n_group) && !L.mb_norm.empty(); ++g) {
    const BufferRange group = floats_from(a.mb_y, uint64_t(g) * gw);
    rec.rmsnorm(group, L.mb_norm[g], group,
                {.n = gw, .n_rows = n, .x_stride = u32(m.d_inner), .y_stride = u32(m.d_inner)}, d.norm_eps);
  }
  rec.barrier();
  if (d.mixer(l) == model::ModelDescription::Mixer::Mamba2Attention) {
    rec.project(*L.mb_out, a.mb_y, a.mb_res, {.n_vec = n});
  } else if (d.residual_scale != 1.0f) {
    rec.project(*L.mb_out, a.mb_y, a.xb, {.n_vec = n});
    record_add_sublayer(rec, a.xb, {}, a.x, n);
  } else {
    rec.project(*L.mb_out, a.mb_y, a.x, {.n_vec = n, .accumulate = true});
  }
  rec.barrier();
}

// A Kimi Delta Attention layer (Kimi Linear), from the residual stream x back into it: RMSNorm into xb; q, k
// and v (one fused projection, each token's row [q, k, v], or three into planes of the step's rows); the
// decay's and the output gate's low-rank pairs and β; q's, k's and v's convolutions (delta_conv on each one's
// columns, its taps, its rows of the layer's window, into three planes); the rule with its gated norm
// (kda_rule); out_proj added to x.
void VulkanBackend::record_kda(Recorder& rec, Caches& c, uint32_t n, int64_t l) {
  const auto& d = model_.desc();
  const auto& dn = d.delta;
  const Activations& a = *a_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  const uint32_t inner = u32(dn.key_dim()), taps = u32(dn.conv_kernel);
  const uint64_t f = sizeof(float), plane = uint64_t{n} * inner * f;
  record_norm(rec, a.x, a.xb, L.attn_norm, L.attn_norm_b, n);
  rec.barrier();
  if (L.wqkv) {
    rec.project(*L.wqkv, a.xb, a.dn_qkv, {.n_vec = n});
  } else {
    rec.project(*L.wq, a.xb, a.dn_qkv.sub(0, plane), {.n_vec = n});
    rec.project(*L.wk, a.xb, a.dn_qkv.sub(plane, plane), {.n_vec = n});
    rec.project(*L.wv, a.xb, a.dn_qkv.sub(2 * plane, plane), {.n_vec = n});
  }
  rec.project(*L.kda_f_a, a.xb, a.kda_f_lo, {.n_vec = n});
  rec.project(*L.kda_g_a, a.xb, a.kda_g_lo, {.n_vec = n});
  rec.project(*L.dn_beta, a.xb, a.dn_beta, {.n_vec = n});
  rec.barrier();
  rec.project(*L.kda_f_b, a.kda_f_lo, a.kda_g, {.n_vec = n});
  rec.project(*L.kda_g_b, a.kda_g_lo, a.dn_z, {.n_vec = n});
  for (uint32_t m = 0; m < 3; ++m) {  // q, k, v: fused, column m · inner of each row; else plane m's rows
    const uint64_t taps_bytes = uint64_t{inner} * taps * f, window_bytes = uint64_t{inner} * (taps - 1) * f;
    rec.delta_conv(a.dn_qkv, L.dn_conv.sub(m * taps_bytes, taps_bytes),
                   c.window_layer(l).sub(m * window_bytes, window_bytes), a.dn_conv.sub(m * plane, plane), n,
                   inner, taps, L.wqkv ? 3 * inner : inner, L.wqkv ? m * inner : m * n * inner);
  }
  rec.barrier();
  rec.kda_rule(
      {a.dn_conv, a.kda_g, a.dn_z, a.dn_beta, L.dn_dt_bias, L.dn_a, L.dn_norm, c.state_layer(l), a.dn_out}, n,
      u32(dn.n_k_heads), u32(dn.head_k_dim), d.norm_eps);
  rec.barrier();
  rec.project(*L.dn_out, a.dn_out, a.x, {.n_vec = n, .accumulate = true});
  rec.barrier();
}

// A Mamba-1 layer (mamba, jamba), from the residual stream x back into it: RMSNorm into xb, in_proj (x, z),
// the convolution of x (delta_conv with the bias), x_proj, its dt packed for dt_proj (RMS-normalized, with
// Jamba's gains or Falcon-Mamba's ones; else copied), dt_proj, the scan of every channel (mamba1_scan, which
// normalizes B and C where those models do), out_proj added to x.
void VulkanBackend::record_mamba1(Recorder& rec, Caches& c, uint32_t n, int64_t l) {
  const auto& d = model_.desc();
  const auto& m = d.mamba;
  const Activations& a = *a_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  const uint32_t di = u32(m.d_inner), xd = u32(m.x_proj_dim()), rank = u32(m.dt_rank);
  record_norm(rec, a.x, a.xb, L.attn_norm, L.attn_norm_b, n);
  rec.barrier();
  rec.project(*L.mb_in, a.xb, a.mb_in, {.n_vec = n});
  rec.barrier();
  rec.delta_conv(a.mb_in, L.mb_conv, c.window_layer(l), a.mb_xbc, n, di, u32(m.conv_kernel), 2 * di, 0,
                 L.mb_conv_b);
  rec.barrier();
  rec.project(*L.mb_x, a.mb_xbc, a.mb_xdb, {.n_vec = n});
  rec.barrier();
  const bool gains = m.dt_b_c_gains;  // (Jamba's own; Falcon-Mamba's are ones)
  if (m.dt_b_c_rms)
    rec.rmsnorm(a.mb_xdb, gains ? L.mb_dt_norm : w_->dt_ones, a.mb_dtin,
                {.n = rank, .n_rows = n, .x_stride = xd, .y_stride = rank}, d.norm_eps);
  else
    rec.copy_rows(a.mb_xdb, a.mb_dtin, rank, n, xd, rank);
  rec.barrier();
  rec.project(*L.mb_dt, a.mb_dtin, a.mb_dt, {.n_vec = n});
  rec.barrier();
  rec.mamba1_scan({a.mb_xbc, a.mb_in, a.mb_xdb, a.mb_dt, L.mb_dt_bias, L.mb_a, L.mb_d, c.state_layer(l),
                   a.mb_y, gains ? L.mb_bc_norm : w_->dt_ones},
                  n, di, u32(m.d_state), rank, m.dt_b_c_rms, d.norm_eps);
  rec.barrier();
  if (d.residual_scale != 1.0f) {
    rec.project(*L.mb_out, a.mb_y, a.xb, {.n_vec = n});
    record_add_sublayer(rec, a.xb, {}, a.x, n);
  } else {
    rec.project(*L.mb_out, a.mb_y, a.x, {.n_vec = n, .accumulate = true});
  }
  rec.barrier();
}

// A gated delta-net layer (Qwen3.5), from the residual stream x back into it: RMSNorm into xb, the q|k|v, z,
// β and α projections, the convolution (delta_conv), the delta rule with its gated norm (delta_rule),
// out_proj added to x.
void VulkanBackend::record_delta_net(Recorder& rec, Caches& c, uint32_t n, int64_t l) {
  const auto& d = model_.desc();
  const auto& dn = d.delta;
  const Activations& a = *a_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  record_norm(rec, a.x, a.xb, L.attn_norm, L.attn_norm_b, n);
  rec.barrier();
  rec.project(*L.dn_qkv, a.xb, a.dn_qkv, {.n_vec = n});
  rec.project(*L.dn_z, a.xb, a.dn_z, {.n_vec = n});
  rec.project(*L.dn_beta, a.xb, a.dn_beta, {.n_vec = n});
  if (L.dn_alpha) rec.project(*L.dn_alpha, a.xb, a.dn_alpha, {.n_vec = n});  // (grouped: α beside β)
  rec.barrier();
  rec.delta_conv(a.dn_qkv, L.dn_conv, c.window_layer(l), a.dn_conv, n, u32(dn.conv_dim()),
                 u32(dn.conv_kernel));
  rec.barrier();
  rec.delta_rule({a.dn_conv, a.dn_z, a.dn_beta, L.dn_alpha ? a.dn_alpha : a.dn_beta, L.dn_dt_bias, L.dn_a,
                  L.dn_norm, c.state_layer(l), a.dn_out},
                 n, u32(dn.n_k_heads), u32(dn.n_v_heads), u32(dn.head_k_dim), u32(dn.head_v_dim), d.norm_eps,
                 dn.grouped);
  rec.barrier();
  rec.project(*L.dn_out, a.dn_out, a.x, {.n_vec = n, .accumulate = true});
  rec.barrier();
}

// A short-convolution layer (LFM2), from the residual stream x back into it: RMSNorm into xb, in_proj's b, c
// and x rows, the convolution (its inputs into the layer's cache) into xb, out_proj added to x.
void VulkanBackend::record_short_conv(Recorder& rec, Caches& c, uint32_t n, int64_t l) {
  const auto& d = model_.desc();
  const Activations& a = *a_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  record_norm(rec, a.x, a.xb, L.attn_norm, L.attn_norm_b, n);
  rec.barrier();
  rec.project(*L.conv_in, a.xb, a.conv_bcx, {.n_vec = n});
  rec.barrier();
  rec.short_conv(a.conv_bcx, L.conv_taps, c.conv_layer(l), a.xb, whole(c.state), n, u32(d.n_embd),
                 u32(d.shortconv_kernel));
  rec.barrier();
  rec.project(*L.conv_out, a.xb, a.x, {.n_vec = n, .accumulate = true});  // (LFM2: no post-sublayer norm)
  rec.barrier();
}

// Layer l's attention sublayer, from the residual stream x back into it.
void VulkanBackend::record_attention(Recorder& rec, Caches& c, uint32_t n, int64_t l, LayerFlow& flow) {
  const auto& d = model_.desc();
  const auto& arch = *d.traits;
  const DeviceWeights& w = *w_;
  const Activations& a = *a_;
  const auto& info = ctx_->device().info();
  // (this layer's shape: Gemma 4's differ by kind of layer)
  const model::ModelDescription::Heads heads = d.heads(l);
  const uint32_t dim = u32(d.n_embd), q_dim = u32(heads.q_dim()), kv_dim = u32(heads.kv_dim()),
                 hd = u32(heads.head_dim);
  const BufferRange state = whole(c.state);
  const LayerTensors& L = w.layers[static_cast<size_t>(l)];
  // Inline RMSNorm (the GPU kernels' mat-vec, ops.h InlineNorm): a step of a few tokens reads the residual
  // stream x and normalizes it inside the q|k|v, gate|up and classifier mat-vecs, with no RMSNorm dispatch.
  const auto inlines = [&](const WeightTensor* m) { return m && inlines_norm(info, *m, n); };
  const bool read_attn_norm = flow.defer_norms && l > 0;
  const bool inline_attn_norm =
      plain_rms(d) && !flow.defer_norms && present(L.attn_norm) && !d.parallel_residual &&
      !arch.altup &&  // (a parallel FFN, LAuReL read xb)
      (L.wqkv ? inlines(L.wqkv) : inlines(L.wq) && inlines(L.wk) && inlines(L.wv)) &&
      (!L.w_attn_gate || inlines(L.w_attn_gate));
  const InlineNorm attn_inline{L.attn_norm, d.norm_eps};
  const InlineNorm* attn_in = inline_attn_norm ? &attn_inline : nullptr;
  const BufferRange attn_x = inline_attn_norm ? a.x : a.xb;
  if (!read_attn_norm && !inline_attn_norm) {
    record_norm(rec, a.x, a.xb, L.attn_norm, L.attn_norm_b, n);
    rec.barrier();
  }
  if (arch.altup) record_laurel(rec, n, l);  // (beside attention, from the same normalized x)

  // q, k, v (views into the fused projection for gpt2)
  BufferRange qb = a.q, kb = a.k, vb = a.v;
  uint32_t q_stride = q_dim, kv_stride = kv_dim, q_off = 0, k_off = 0, v_off = 0;
  if (L.wqkv) {  // one q|k|v matrix (the model's own, or q, k and v uploaded together)
    const uint32_t n_qkv = q_dim + 2 * kv_dim;
    rec.project(
        *L.wqkv, attn_x, a.qkv,
        {.n_vec = n, .norm_read = read_attn_norm ? &flow.attn_read : nullptr, .inline_norm = attn_in});
    record_bias(rec, L.bqkv, a.qkv, n_qkv, n);
    record_bias(rec, L.bq, a.qkv, q_dim, n, n_qkv, 0);
    record_bias(rec, L.bk, a.qkv, kv_dim, n, n_qkv, q_dim);
    record_bias(rec, L.bv, a.qkv, kv_dim, n, n_qkv, q_dim + kv_dim);
    qb = kb = vb = a.qkv;
    q_stride = kv_stride = n_qkv;
    k_off = q_dim;
    v_off = q_dim + kv_dim;
  } else if (d.is_mla()) {
    record_mla_qkv(rec, n, L);
  } else if (arch.attn_output_gate) {  // per head [q, gate] rows (Qwen3.5), taken apart
    rec.project(*L.wq, attn_x, a.q_gate, {.n_vec = n, .inline_norm = attn_in});
    rec.project(*L.wk, attn_x, a.k, {.n_vec = n, .inline_norm = attn_in});
    rec.project(*L.wv, attn_x, a.v, {.n_vec = n, .inline_norm = attn_in});
    rec.copy_rows(a.q_gate, a.q, hd, n * u32(d.n_head), 2 * hd, hd);
    rec.copy_rows(floats_from(a.q_gate, hd), a.attn_gate, hd, n * u32(d.n_head), 2 * hd, hd);
  } else if (arch.layer_shapes) {
    // Gemma 4: k and v only where the layer keeps its own (V = K where it has no attn_v), each V head
    // RMS-normalized without gains
    rec.project(*L.wq, attn_x, a.q, {.n_vec = n, .inline_norm = attn_in});
    if (d.keeps_kv(l)) {
      rec.project(*L.wk, attn_x, a.k, {.n_vec = n, .inline_norm = attn_in});
      if (L.wv) {
        rec.project(*L.wv, attn_x, a.v, {.n_vec = n, .inline_norm = attn_in});
      } else {
        rec.barrier();
        rec.copy(a.k, a.v, uint64_t(n) * kv_dim * sizeof(float));
      }
      rec.barrier();
      rec.rmsnorm(a.v, w.head_ones, a.v, {.n = hd, .n_rows = n * u32(heads.n_head_kv)}, d.norm_eps);
    }
  } else {
    rec.project(*L.wq, attn_x, a.q, {.n_vec = n, .inline_norm = attn_in});
    rec.project(*L.wk, attn_x, a.k, {.n_vec = n, .inline_norm = attn_in});
    rec.project(*L.wv, attn_x, a.v, {.n_vec = n, .inline_norm = attn_in});
    record_bias(rec, L.bq, a.q, q_dim, n);
    record_bias(rec, L.bk, a.k, kv_dim, n);
    record_bias(rec, L.bv, a.v, kv_dim, n);
  }
  // (afmoe: the output gate from its own matrix, on the attention's input)
  if (L.w_attn_gate) rec.project(*L.w_attn_gate, attn_x, a.attn_gate, {.n_vec = n, .inline_norm = attn_in});
  rec.barrier();
  if (d.clamp_kqv > 0.0f) {  // OLMo 1's clip_qkv: q, k and v clamped before RoPE and the caches
    if (L.wqkv) {
      rec.clamp(a.qkv, n * (q_dim + 2 * kv_dim), d.clamp_kqv);  // (q|k|v rows, all clamped alike)
    } else {
      rec.clamp(a.q, n * q_dim, d.clamp_kqv);
      rec.clamp(a.k, n * kv_dim, d.clamp_kqv);
      rec.clamp(a.v, n * kv_dim, d.clamp_kqv);
    }
    rec.barrier();
  }
  // (a layer attending over another's keys and values rotates and stores only its queries)
  const uint32_t own_kv_heads = d.keeps_kv(l) ? u32(heads.n_head_kv) : 0u;
  // (per-head q and k norms,) RoPE, post-RoPE q, k and v into the caches at this step's positions, and
  // attention: one dispatch for a decode step (q, k and v in one buffer), else two
  RopeStoreParams rope{.n_tokens = n,
                       .n_heads = u32(d.n_head),
                       .n_kv_heads = own_kv_heads,
                       .head_dim = hd,
                       .n_rot = d.rope_in_layer(l) ? u32(heads.n_rot) : 0u,
                       .neox = arch.rope == RopeKind::NeoX,
                       .q_stride = q_stride,
                       .q_offset = q_off,
                       .k_stride = kv_stride,
                       .k_offset = k_off,
                       .v_stride = kv_stride,
                       .v_offset = v_off,
                       .rope_table = rope_table_of(l, c.n_ctx)};
  if (present(L.q_norm) && arch.qk_norm_full) {  // olmo2: the whole of q and of k RMS-normalized
    rec.rmsnorm(qb, L.q_norm, qb, {.n = q_dim, .n_rows = n, .x_stride = q_stride, .y_stride = q_stride},
                d.norm_eps);  // (q starts each row: q_off is 0)
    const BufferRange k_rows = floats_from(kb, k_off);
    rec.rmsnorm(k_rows, L.k_norm, k_rows,
                {.n = kv_dim, .n_rows = n, .x_stride = kv_stride, .y_stride = kv_stride}, d.norm_eps);
    rec.barrier();
  } else if (present(L.q_norm) && d.qk_layer_norm) {
    // StableLM 2 12B, Command R+: every q and k head LayerNorm'd before RoPE, each with its own gains
    rec.head_rmsnorm(qb, kb, L.q_norm, L.k_norm, rope, d.norm_eps, Recorder::HeadNorm::LayerPerHeadGains);
    rec.barrier();
  } else if (present(L.q_norm) && arch.qk_norm_after_rope) {
    // Hunyuan: the norms after RoPE. The rotation keeps each head's sum of squares, so the heads are
    // normalized before it at unit gain, and rope_store multiplies the gains in after rotating.
    rec.head_rmsnorm(qb, kb, w.head_ones, w.head_ones, rope, d.norm_eps);
    rec.barrier();
    rope.q_post_gain = L.q_norm;
    rope.k_post_gain = L.k_norm;
  } else if (present(L.q_norm)) {  // qwen3: every q and k head RMS-normalized before RoPE
    rec.head_rmsnorm(qb, kb, L.q_norm, present(L.k_norm) ? L.k_norm : L.q_norm, rope, d.norm_eps);
    rec.barrier();
  } else if (d.qk_rms_norm && d.rope_in_layer(l)) {
    // Llama 4: each q and k head RMS-normalized without gains after RoPE; as Hunyuan's, before it, the
    // rotation keeping each head's sum of squares
    rec.head_rmsnorm(qb, kb, w.head_ones, w.head_ones, rope, d.norm_eps);
    rec.barrier();
  }
  if (d.attn_temp_scale != 0.0f && !d.chunked(l)) {
    // Llama 4's NoPE layers (Ministral 3's, Mistral Large 3's and Small 4's every layer): the queries times
    // the attention temperature of their positions (from the step state), before rope_store keeps them in
    // the Q cache (the attention maps read them there). Latent attention: the absorbed queries, and the Q
    // cache's rows whence record_mla_rope_store takes their RoPE parts.
    const float floor = static_cast<float>(d.attn_temp_floor);
    rec.attn_temperature(floats_from(qb, q_off), state, n, q_dim, q_stride, d.attn_temp_scale, floor,
                         d.attn_temp_offset);
    if (d.is_mla()) {
      const uint32_t qc_dim = u32(d.q_cache_dim());
      rec.attn_temperature(a.mla_qc, state, n, qc_dim, qc_dim, d.attn_temp_scale, floor, d.attn_temp_offset);
    }
    rec.barrier();
  }
  const AttentionParams attention{.n_tokens = n,
                                  .n_heads = u32(d.n_head),
                                  .n_kv_heads = u32(heads.n_head_kv),
                                  .head_dim = hd,
                                  .q_stride = q_stride,
                                  .q_offset = q_off,
                                  .o_stride = q_dim,
                                  .kv_offset = 0,
                                  .n_ctx = u32(c.n_ctx),
                                  .scale = d.attention_scale,
                                  .window = key_window(d, l),
                                  .softcap = d.attn_softcap,
                                  .alibi_m0 = w_->alibi_m0,
                                  .alibi_m1 = w_->alibi_m1,
                                  .sinks = L.attn_sinks};
  // (the fused kernels take no post-rotation gains)
  if (!(L.wqkv && rope.q_post_gain.buffer == VK_NULL_HANDLE &&
        rec.attention_rope_store(a.qkv, c.q_layer(l), c.k_layer(l), c.v_layer(l), a.att_out, whole(c.scores),
                                 state, rope, attention, c.split ? whole(*c.split) : BufferRange{}))) {
    if (d.is_mla())
      record_mla_rope_store(rec, c, n, l, rope);
    else
      rec.rope_store(qb, kb, vb, c.q_layer(l), c.k_layer(l), c.v_layer(l), state, rope);
    rec.barrier();
    rec.attention(qb, c.k_layer(l), c.v_layer(l), a.att_out, whole(c.scores), state, attention);
  }
  rec.barrier();

  // output projection, fused with the residual add (and the FFN norm's first half when deferred); with
  // post-sublayer norms into xb, normalized there, then added (multi-head latent attention: each head's
  // output from latent space first)
  if (d.is_mla()) record_mla_values(rec, n, L);
  if (arch.gates_attn_output()) {  // each head's output times σ(its gate)
    rec.mul_sigmoid(a.att_out, a.attn_gate, n * q_dim);
    rec.barrier();
  }
  const BufferRange att_out = d.is_mla() ? a.mla_o : a.att_out;
  const NormWrite ffn_write{L.ffn_norm, a.xb, a.norm_sums};
  if (arch.post_norms || d.residual_scale != 1.0f) {
    rec.project(*L.wo, att_out, a.xb, {.n_vec = n});
    record_bias(rec, L.bo, a.xb, dim, n);
    record_add_sublayer(rec, a.xb, L.attn_post_norm, a.x, n);
    if (arch.altup) {  // Gemma 3n: LAuReL joins the residual sum, the two scaled by 1/√2
      rec.barrier();
      rec.add(a.laurel, a.x, n * dim);
      rec.barrier();
      rec.scale(a.x, n * dim, 1.0f / std::sqrt(2.0f));
    }
  } else {
    rec.project(*L.wo, att_out, a.x,
                {.n_vec = n, .accumulate = true, .norm_write = flow.defer_norms ? &ffn_write : nullptr});
    record_bias(rec, L.bo, a.x, dim, n);
  }
  rec.barrier();
}

// Each head's matrix times its own part of each of n vectors: head h reads x + h * x.head (vectors x.stride
// apart) and writes y + h * y.head. One dispatch over the stacked heads, else one per head.
struct HeadStrides {
  uint32_t head = 0, stride = 0;
};
static void project_heads(Recorder& rec, const HeadMatrices& m, const BufferRange& x, const BufferRange& y,
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

// Multi-head latent attention's queries, keys and values before RoPE (model::ModelDescription::Mla), from
// the normalized x in xb: per head q = [its RoPE part, k_b . its nope part], one key [the shared RoPE key,
// the normalized latent], the value the key itself. Copies move the RoPE parts (any offsets); the per-head
// mat-vecs bind views whose alignment the constructor checked.
void VulkanBackend::record_mla_qkv(Recorder& rec, uint32_t n, const LayerTensors& L) {
  const auto& d = model_.desc();
  const auto& m = d.mla;
  const Activations& a = *a_;
  const uint32_t r = u32(d.n_rot), hq = u32(m.nope) + r, hd = u32(d.head_dim), heads = u32(d.n_head);
  const uint32_t kv_a = u32(m.kv_rank) + r;
  if (L.wq_a) {
    rec.project(*L.wq_a, a.xb, a.mla_qa, {.n_vec = n});
    rec.barrier();
    rec.rmsnorm(a.mla_qa, L.q_a_norm, a.mla_qa, {u32(m.q_rank), n}, d.norm_eps);
    rec.barrier();
    rec.project(*L.wq_b, a.mla_qa, a.mla_q, {.n_vec = n});
  } else {
    rec.project(*L.wq, a.xb, a.mla_q, {.n_vec = n});
  }
  rec.project(*L.wkv_a, a.xb, a.mla_kv, {.n_vec = n});
  rec.barrier();
  rec.rmsnorm(a.mla_kv, L.kv_a_norm, floats_from(a.k, r),
              {.n = u32(m.kv_rank), .n_rows = n, .x_stride = kv_a, .y_stride = hd}, d.norm_eps);
  rec.copy_rows(floats_from(a.mla_kv, u32(m.kv_rank)), a.k, r, n, kv_a, hd);
  // (the RoPE parts reach q rotated, from the Q cache's rows: record_mla_rope_store)
  project_heads(rec, L.k_b, a.mla_q, floats_from(a.q, r), n, {hq, heads * hq}, {hd, heads * hd});
  // the Q cache's rows (record_mla_rope_store): per head the RoPE part, then the nope part
  rec.copy_rows(floats_from(a.mla_q, u32(m.nope)), a.mla_qc, r, n * heads, hq, hq);
  rec.copy_rows(a.mla_q, floats_from(a.mla_qc, r), u32(m.nope), n * heads, hq, hq);
  rec.barrier();
}

// Latent attention's RoPE and cache stores: the Q cache keeps each head unabsorbed (q_cache_dim), so q is
// rotated in those rows (and stored from them), its RoPE parts copied into the absorbed queries, and the key
// rotated and stored (with the value) by a second pass without queries.
void VulkanBackend::record_mla_rope_store(Recorder& rec, Caches& c, uint32_t n, int64_t l,
                                          const RopeStoreParams& rope) {
  const auto& d = model_.desc();
  const Activations& a = *a_;
  const uint32_t r = u32(d.n_rot), hq = r + u32(d.mla.nope), hd = u32(d.head_dim), heads = u32(d.n_head);
  const BufferRange state = whole(c.state);
  RopeStoreParams queries = rope;
  queries.n_kv_heads = 0;
  queries.head_dim = hq;
  queries.q_stride = heads * hq;
  queries.q_offset = 0;
  rec.rope_store(a.mla_qc, a.k, a.v, c.q_layer(l), c.k_layer(l), c.v_layer(l), state, queries);
  RopeStoreParams keys = rope;
  keys.n_heads = 0;
  keys.store_v = false;  // (the V cache is the K cache)
  rec.rope_store(a.q, a.k, a.v, c.q_layer(l), c.k_layer(l), c.v_layer(l), state, keys);
  rec.barrier();
  rec.copy_rows(a.mla_qc, a.q, r, n * heads, hq, hd);
}

// Each head's attention output (its latent part, after the RoPE part) back from latent space through its
// v_b, into mla_o for wo.
void VulkanBackend::record_mla_values(Recorder& rec, uint32_t n, const LayerTensors& L) {
  const auto& d = model_.desc();
  const Activations& a = *a_;
  const uint32_t hd = u32(d.head_dim), heads = u32(d.n_head), vh = u32(d.mla.v_head);
  project_heads(rec, L.v_b, floats_from(a.att_out, u32(d.n_rot)), a.mla_o, n, {hd, heads * hd},
                {vh, heads * vh});
  rec.barrier();
}

// Layer l's dense feed-forward sublayer: down(silu(gate.x) * up.x) or down(gelu(up.x + b)) + b, added to
// the residual stream.
void VulkanBackend::record_ffn(Recorder& rec, uint32_t n, int64_t l, LayerFlow& flow) {
  const auto& d = model_.desc();
  const auto& arch = *d.traits;
  const DeviceWeights& w = *w_;
  const Activations& a = *a_;
  const auto& info = ctx_->device().info();
  const uint32_t dim = u32(d.n_embd);
  const LayerTensors& L = w.layers[static_cast<size_t>(l)];
  const auto inlines = [&](const WeightTensor* m) { return m && inlines_norm(info, *m, n); };
  const NormRead ffn_read{a.norm_sums, flow.defer_norms ? norm_slots(info, *L.wo, n) : 0, d.norm_eps};
  const bool inline_ffn_norm =
      plain_rms(d) && !flow.defer_norms && present(L.ffn_norm) && !d.parallel_residual &&
      (L.w_gate_up ? inlines(L.w_gate_up)
                   : arch.ffn != FfnKind::Gelu && inlines(L.w_gate) && inlines(L.w_up));
  const InlineNorm ffn_inline{L.ffn_norm, d.norm_eps};
  const InlineNorm* ffn_in = inline_ffn_norm ? &ffn_inline : nullptr;
  // (a parallel block's FFN input: see record_parallel_ffn_norm)
  const BufferRange ffn_x = inline_ffn_norm ? a.x : d.parallel_residual && present(L.ffn_norm) ? a.xf : a.xb;
  if (!flow.defer_norms && !inline_ffn_norm && !d.parallel_residual) {
    record_norm(rec, a.x, a.xb, L.ffn_norm, L.ffn_norm_b, n);
    rec.barrier();
  }
  const uint32_t n_ff = u32(d.ff_width(l));  // (Gemma 4's shared-KV layers may be twice as wide)
  BufferRange hidden = a.hb;
  if (L.w_gate_up) {  // gate|up in one matrix, SwiGLU applied by the matvec
    rec.matvec_swiglu(
        *L.w_gate_up, ffn_x, a.hb3,
        {.n_vec = n, .norm_read = flow.defer_norms ? &ffn_read : nullptr, .inline_norm = ffn_in}, a.hb);
    hidden = a.hb3;
  } else if (arch.ffn == FfnKind::ReluSqr) {  // Nemotron-H: relu(up·x + b)², ungated
    rec.project(*L.w_up, ffn_x, a.hb, {.n_vec = n});
    record_bias(rec, L.b_up, a.hb, n_ff, n);
    rec.barrier();
    rec.relu_sqr(a.hb, n * n_ff);
  } else if (arch.ffn == FfnKind::XIelu) {  // Apertus: xielu(up·x), ungated, the layer's own parameters
    const model::ModelDescription::XIelu& p = d.xielu[static_cast<size_t>(l)];
    rec.project(*L.w_up, ffn_x, a.hb, {.n_vec = n});
    record_bias(rec, L.b_up, a.hb, n_ff, n);
    rec.barrier();
    rec.xielu(a.hb, n * n_ff, p.a_n(), p.a_p(), p.beta, p.eps);
  } else if (arch.ffn != FfnKind::Gelu) {  // SwiGLU or GeGLU
    rec.project(*L.w_gate, ffn_x, a.hb, {.n_vec = n, .inline_norm = ffn_in});
    rec.project(*L.w_up, ffn_x, a.hb2, {.n_vec = n, .inline_norm = ffn_in});
    record_bias(rec, L.b_up, a.hb2, n_ff, n);
    rec.barrier();
    if (d.sparse_ffn(l)) {  // Gemma 3n's first layers: Gaussian top-k on each gate row
      rec.gaussian_topk(a.hb, n_ff, n, d.ffn_sparsity[static_cast<size_t>(l)]);
      rec.barrier();
    }
    if (arch.ffn == FfnKind::GeGlu)
      rec.geglu(a.hb, a.hb2, a.hb3, n * n_ff);
    else
      rec.swiglu(a.hb, a.hb2, a.hb3, n * n_ff);
    hidden = a.hb3;
  } else {
    rec.project(*L.w_up, ffn_x, a.hb, {.n_vec = n});
    record_bias(rec, L.b_up, a.hb, n_ff, n);
    rec.barrier();
    rec.gelu(a.hb, n * n_ff);
  }
  rec.barrier();
  // down projection, fused with the residual add (and the next layer's attention norm when deferred)
  const bool write_attn_norm = flow.defer_norms && l + 1 < d.n_layer;
  const NormWrite attn_write{write_attn_norm ? w.layers[static_cast<size_t>(l) + 1].attn_norm : BufferRange{},
                             a.xb, a.norm_sums};
  if (arch.post_norms || d.residual_scale != 1.0f) {
    rec.project(*L.w_down, hidden, a.xb, {.n_vec = n});
    record_bias(rec, L.b_down, a.xb, dim, n);
    record_add_sublayer(rec, a.xb, L.ffn_post_norm, a.x, n);
  } else {
    rec.project(*L.w_down, hidden, a.x,
                {.n_vec = n, .accumulate = true, .norm_write = write_attn_norm ? &attn_write : nullptr});
    if (write_attn_norm) flow.attn_read.slots = norm_slots(info, *L.w_down, n);
    record_bias(rec, L.b_down, a.x, dim, n);
  }
  rec.barrier();
}

// final norm and classifier for tokens [first_logit, n), the logits copied to the readback buffer
void VulkanBackend::record_output(Recorder& rec, Caches& c, uint32_t n, uint32_t first_logit) {
  const auto& d = model_.desc();
  const DeviceWeights& w = *w_;
  const Activations& a = *a_;
  const uint32_t dim = u32(d.n_embd);
  const uint32_t n_out = n - first_logit;
  if (n_out == 0) return;
  if (d.traits->altup) record_altup_merge(rec, n, first_logit);
  const bool inline_out_norm = plain_rms(d) && inlines_norm(ctx_->device().info(), *w.output, n_out);
  const InlineNorm out_inline{w.output_norm, d.norm_eps};
  BufferRange out_x = a.x;
  // only the last token's logits: move its row to the front (descriptor offsets must be aligned)
  if (first_logit != 0) {
    rec.copy(a.x.sub(uint64_t(first_logit) * dim * sizeof(float), dim * sizeof(float)), a.x_last,
             dim * sizeof(float));
    out_x = a.x_last;
  }
  if (!inline_out_norm) {
    record_norm(rec, out_x, a.xb, w.output_norm, w.output_norm_b, n_out);
    rec.barrier();
    out_x = a.xb;
  }
  const uint32_t n_vocab = u32(d.n_vocab);
  rec.project(*w.output, out_x, a.logits,
              {.n_vec = n_out, .inline_norm = inline_out_norm ? &out_inline : nullptr});
  if (present(w.output_b)) {
    rec.barrier();
    rec.add_bias(w.output_b, a.logits, n_vocab, n_out);
  }
  if (d.logit_multiplier != 1.0f) {  // (granite, Command-R)
    rec.barrier();
    rec.scale(a.logits, n_out * n_vocab, d.logit_multiplier);
  }
  if (d.final_softcap > 0) {  // gemma2
    rec.barrier();
    rec.softcap(a.logits, n_out * n_vocab, d.final_softcap);
  }
  rec.copy(a.logits, whole(c.readback), uint64_t(n_out) * n_vocab * sizeof(float));
}

namespace {
// An expert's gated activation of n elements: h = act(g) · u, the family's act.
void gated_activation(Recorder& rec, model::FfnKind ffn, const BufferRange& g, const BufferRange& u,
                      const BufferRange& h, uint32_t n) {
  if (ffn == FfnKind::SwiGluOai)
    rec.swiglu_oai(g, u, h, n);
  else if (ffn == FfnKind::GeGlu)  // (Gemma 4)
    rec.geglu(g, u, h, n);
  else if (ffn == FfnKind::ReGlu)  // (SmallThinker)
    rec.reglu(g, u, h, n);
  else
    rec.swiglu(g, u, h, n);
}
}  // namespace

// A mixture of experts' layer, once the host has routed this step's tokens (route_experts): each expert with
// tokens runs once on its batch, gathered from the normalized xb into contiguous rows; the outputs are
// weighted and added to the residual stream in each token's rank order.
void VulkanBackend::record_experts(Recorder& rec, uint32_t n, int64_t l) {
  const auto& d = model_.desc();
  const ExpertScratch& m = *moe_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  const uint32_t dim = u32(d.n_embd), nf = u32(d.n_ff_exp);
  auto rows_of = [](const BufferRange& b, uint32_t width, const ExpertScratch::Batch& e) {
    const uint64_t row = uint64_t(width) * sizeof(float);
    return b.sub(e.first_row * row, e.rows * row);
  };
  rec.gather_rows(a_->xb, whole(m.rows), m.x, dim, m.n_rows);
  rec.barrier();
  if (d.traits->moe_weight_input) {  // (Llama 4: the router's weight on the expert's input, not its output)
    rec.scale_rows(m.x, whole(*m.row_weights), dim, m.n_rows);
    rec.barrier();
  }
  // The batches in runs: single-row batches row_align apart (a decode step's) up to kMaxGroupExperts at a
  // time, each larger batch on its own; f(the run's first batch, its experts, the rows it spans).
  const auto for_each_run = [&](auto&& f) {
    for (size_t i = 0; i < m.batches.size();) {
      const auto& e = m.batches[i];
      std::vector<uint32_t> ids = {u32(e.expert)};
      size_t j = i + 1;
      while (e.rows == 1 && j < m.batches.size() && ids.size() < kMaxGroupExperts && m.batches[j].rows == 1 &&
             m.batches[j].first_row == e.first_row + (j - i) * m.row_align)
        ids.push_back(u32(m.batches[j++].expert));
      f(e, std::span<const uint32_t>(ids), e.rows == 1 ? uint64_t(ids.size() - 1) * m.row_align + 1 : e.rows);
      i = j;
    }
  };
  const auto span_of = [](const BufferRange& b, uint32_t width, const ExpertScratch::Batch& e,
                          uint64_t rows) {
    return b.sub(uint64_t(e.first_row) * width * sizeof(float), rows * width * sizeof(float));
  };
  // A prompt on the GPU kernels with stacked experts: every batch in one tiled GEMM per matrix (expert tiles)
  const ExpertTiles tiles{whole(m.tiles), m.n_tiles};
  const bool tiled = expert_tiles_ && n > kMatvecMaxVectors && use_gpu_kernels(ctx_->device().info());
  // each expert's bias over its batch rows (gpt-oss), after a barrier for all experts' products at once: per
  // expert, or from the stacked experts' table (a run of single rows, or all the tiles, in one dispatch)
  const auto biases = [&](const std::vector<BufferRange>& b, const BufferRange& table, const BufferRange& y,
                          uint32_t width) {
    if (b.empty() && table.size == 0) return;
    rec.barrier();
    if (tiled && table.size != 0) {  // (every tile's rows in one dispatch)
      rec.add_expert_biases(table, y, width, width, tiles);
      return;
    }
    if (table.size == 0) {
      for (const auto& e : m.batches)
        rec.add_bias(b[static_cast<size_t>(e.expert)], rows_of(y, width, e), width, e.rows);
      return;
    }
    for_each_run([&](const ExpertScratch::Batch& e, std::span<const uint32_t> ids, uint64_t rows) {
      if (e.rows == 1)
        rec.add_expert_biases(table, span_of(y, width, e, rows), width, m.row_align * width, ids);
      else
        rec.add_bias(table.sub(uint64_t(e.expert) * width * sizeof(float), width * sizeof(float)),
                     rows_of(y, width, e), width, e.rows);
    });
  };
  // Stacked experts: each run of batches through its experts' rows of w (group_rows each), from x rows xw
  // floats wide into y rows yw wide: a run of single rows in one product (row groups), a larger batch alone;
  // a prompt on the GPU kernels: every batch in one tiled GEMM (expert tiles).
  const auto stacked = [&](const WeightTensor& w, uint32_t group_rows, const BufferRange& x, uint32_t xw,
                           const BufferRange& y, uint32_t yw, bool swiglu) {
    if (tiled) {
      const MatShape shape{.n_vec = m.n_rows,
                           .x_stride = xw,
                           .y_stride = yw,
                           .group_rows = group_rows,
                           .expert_tiles = &tiles};
      if (swiglu)
        rec.matvec_swiglu(w, x, y, shape, m.gate);
      else
        rec.project(w, x, y, shape);
      return;
    }
    for_each_run([&](const ExpertScratch::Batch& e, std::span<const uint32_t> ids, uint64_t rows) {
      const MatShape shape{.n_vec = e.rows,
                           .x_stride = xw,
                           .y_stride = yw,
                           .group_rows = group_rows,
                           .x_group = m.row_align * xw,
                           .y_group = m.row_align * yw,
                           .expert_ids = ids};
      if (swiglu)
        rec.matvec_swiglu(w, span_of(x, xw, e, rows), span_of(y, yw, e, rows), shape,
                          rows_of(m.gate, 2 * nf, e));
      else
        rec.project(w, span_of(x, xw, e, rows), span_of(y, yw, e, rows), shape);
    });
  };
  bool unfused = false;  // experts whose gate and up are two matrices: SwiGLU in a dispatch of its own
  if (L.gate_up_stack) {
    stacked(*L.gate_up_stack, 2 * nf, m.x, dim, m.hidden, nf, true);
  } else if (L.up_stack) {
    if (L.gate_stack) stacked(*L.gate_stack, nf, m.x, dim, m.gate, nf, false);
    stacked(*L.up_stack, nf, m.x, dim, d.traits->ffn == FfnKind::ReluSqr ? m.hidden : m.up, nf, false);
    unfused = d.traits->ffn != FfnKind::ReluSqr;
  } else {
    for (const auto& e : m.batches) {
      const auto i = static_cast<size_t>(e.expert);
      const BufferRange x = rows_of(m.x, dim, e);
      if (const WeightTensor* gate_up = L.gate_up_exps[i]) {
        rec.matvec_swiglu(*gate_up, x, rows_of(m.hidden, nf, e), {.n_vec = e.rows},
                          rows_of(m.gate, 2 * nf, e));
      } else if (d.traits->ffn == FfnKind::ReluSqr) {  // Nemotron: relu(up·x)² (below), no gate
        rec.project(*L.up_exps[i], x, rows_of(m.hidden, nf, e), {.n_vec = e.rows});
      } else {
        rec.project(*L.gate_exps[i], x, rows_of(m.gate, nf, e), {.n_vec = e.rows});
        rec.project(*L.up_exps[i], x, rows_of(m.up, nf, e), {.n_vec = e.rows});
        unfused = true;
      }
    }
  }
  biases(L.gate_exps_b, L.gate_b_stack, m.gate, nf);
  biases(L.up_exps_b, L.up_b_stack, m.up, nf);
  rec.barrier();
  // The activations: with stacked experts one dispatch over every batch row (the padding rows between
  // batches too, which nothing reads), else one per expert
  const ExpertScratch::Batch all{0, 0, m.n_rows};
  const std::span<const ExpertScratch::Batch> act_batches =
      L.up_stack ? std::span(&all, 1) : std::span<const ExpertScratch::Batch>(m.batches);
  if (d.traits->ffn == FfnKind::ReluSqr) {
    for (const auto& e : act_batches) rec.relu_sqr(rows_of(m.hidden, nf, e), e.rows * nf);
    rec.barrier();
  }
  if (unfused) {
    for (const auto& e : act_batches) {
      if (!L.up_stack && L.gate_up_exps[static_cast<size_t>(e.expert)]) continue;
      gated_activation(rec, d.traits->ffn, rows_of(m.gate, nf, e), rows_of(m.up, nf, e),
                       rows_of(m.hidden, nf, e), e.rows * nf);
    }
    rec.barrier();
  }
  if (L.down_stack) {
    stacked(*L.down_stack, dim, m.hidden, nf, m.out, dim, false);
  } else {
    for (const auto& e : m.batches)
      rec.project(*L.down_exps[static_cast<size_t>(e.expert)], rows_of(m.hidden, nf, e),
                  rows_of(m.out, dim, e), {.n_vec = e.rows});
  }
  biases(L.down_exps_b, L.down_b_stack, m.out, dim);
  rec.barrier();
  if (!L.down_exps_scale.empty()) {  // (Gemma 4: each expert's output scale)
    for (const auto& e : m.batches)
      rec.scale(rows_of(m.out, dim, e), e.rows * dim, L.down_exps_scale[static_cast<size_t>(e.expert)]);
    rec.barrier();
  }
  record_experts_sum(rec, n, L, whole(m.slots), whole(m.weights));
}

// The experts' outputs (rows of moe_->out, token t's rank r at row slots[t · k + r]) weighted and summed
// in rank order, then into the residual stream as the family does (with its shared experts).
void VulkanBackend::record_experts_sum(Recorder& rec, uint32_t n, const LayerTensors& L,
                                       const BufferRange& slots, const BufferRange& weights) {
  const auto& d = model_.desc();
  const ExpertScratch& m = *moe_;
  const uint32_t dim = u32(d.n_embd);
  // The routed experts' weighted sum into moe_sum (zeroed first), for the families that transform it before
  // it joins the residual stream
  const auto sum_experts_apart = [&] {
    rec.copy_rows(w_->zeros, a_->moe_sum, dim, n, 0, dim);
    rec.barrier();
    rec.combine_experts(m.out, slots, weights, a_->moe_sum, dim, n, u32(d.n_expert_used));
    rec.barrier();
  };
  if (d.traits->layer_shapes) {
    // Gemma 4: the experts' sum normalized, plus the dense FFN's output, normalized by post_ffw_norm, added
    const Activations& a = *a_;
    sum_experts_apart();
    rec.rmsnorm(a.moe_sum, L.moe_post_norm, a.moe_sum, {dim, n}, d.norm_eps);
    rec.barrier();
    rec.add(a.ffn_dense, a.moe_sum, n * dim);
    record_add_sublayer(rec, a.moe_sum, L.ffn_post_norm, a.x, n);
    rec.barrier();
    return;
  }
  if (d.traits->post_norms) {
    // afmoe: the routed and shared experts' sum normalized by post_ffw_norm before the residual add
    const Activations& a = *a_;
    sum_experts_apart();
    if (L.down_shexp) record_shared_experts(rec, n, L, a.moe_sum);
    record_add_sublayer(rec, a.moe_sum, L.ffn_post_norm, a.x, n);
    rec.barrier();
    return;
  }
  if (d.traits->shared_experts_averaged && L.down_shexp) {
    // Command A+ (cohere2moe): the routed experts' sum and the shared experts' output averaged, then added
    const Activations& a = *a_;
    sum_experts_apart();
    record_shared_experts(rec, n, L, a.moe_sum);
    rec.scale(a.moe_sum, n * dim, 0.5f);
    record_add_sublayer(rec, a.moe_sum, {}, a.x, n);
    rec.barrier();
    return;
  }
  rec.combine_experts(m.out, slots, weights, a_->x, dim, n, u32(d.n_expert_used));
  rec.barrier();
  if (L.down_shexp) record_shared_experts(rec, n, L, a_->x);
}

// The shared experts (GLM-4.5): one SwiGLU over every token's FFN-normalized x (still in xb), added to `out`
// (the residual stream, or afmoe's sum of the experts before its norm) beside the routed experts' sum.
void VulkanBackend::record_shared_experts(Recorder& rec, uint32_t n, const LayerTensors& L,
                                          const BufferRange& out) {
  const auto& d = model_.desc();
  const Activations& a = *a_;
  const uint32_t nf = u32(d.n_ff_shexp);
  if (L.gate_up_shexp) {
    rec.matvec_swiglu(*L.gate_up_shexp, a.xb, a.hb3, {.n_vec = n}, a.hb);
  } else if (!L.gate_shexp) {  // (Nemotron: relu(up·x)²)
    rec.project(*L.up_shexp, a.xb, a.hb3, {.n_vec = n});
    rec.barrier();
    rec.relu_sqr(a.hb3, n * nf);
  } else {
    rec.project(*L.gate_shexp, a.xb, a.hb, {.n_vec = n});
    rec.project(*L.up_shexp, a.xb, a.hb2, {.n_vec = n});
    rec.barrier();
    rec.swiglu(a.hb, a.hb2, a.hb3, n * nf);
  }
  if (L.shexp_gate) {  // Qwen2-MoE: the hidden rows times σ(gate · x) (down is linear: its output the same)
    rec.project(*L.shexp_gate, a.xb, moe_->gate_logits, {.n_vec = n});
    rec.barrier();
    rec.scale_rows_sigmoid(a.hb3, moe_->gate_logits, nf, n * nf);
  }
  rec.barrier();
  if (d.residual_scale !=
      1.0f) {  // (Granite 4.0-H: times the residual scale, as the routed experts' weights)
    const BufferRange sum = moe_->out.sub(0, uint64_t(n) * d.n_embd * sizeof(float));
    rec.project(*L.down_shexp, a.hb3, sum, {.n_vec = n});
    record_add_sublayer(rec, sum, {}, out, n);
  } else {
    rec.project(*L.down_shexp, a.hb3, out, {.n_vec = n, .accumulate = true});
  }
  rec.barrier();
}

// The router of layer l: its logits (with its bias, gpt-oss) for this step's tokens, from the FFN-normalized
// x (left in xb for the experts), copied to the host, which chooses the experts (route_experts).
void VulkanBackend::record_router(Recorder& rec, uint32_t n, int64_t l, bool to_host) {
  const auto& d = model_.desc();
  const ExpertScratch& m = *moe_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  if (!d.parallel_residual) {
    record_norm(rec, a_->x, a_->xb, L.ffn_norm, L.ffn_norm_b, n);
  } else if (present(L.ffn_norm)) {
    // (a parallel block: x already holds attention's output; the FFN norm of the layer's input is in xf)
    rec.copy(a_->xf, a_->xb, uint64_t(n) * d.n_embd * sizeof(float));
  }  // (Cohere's mixtures: no FFN norm, the router and experts read the attention norm's output in xb)
  rec.barrier();
  if (d.traits->layer_shapes) {
    record_gemma4_moe_inputs(rec, n, l, to_host);
    return;
  }
  if (!d.traits->router_from_layer_input) {  // (SmallThinker's: already made by record_mixer)
    rec.project(*L.router, a_->xb, m.router, {.n_vec = n});
    record_bias(rec, L.router_b, m.router, u32(d.n_expert), n);
  }
  if (to_host) rec.copy(m.router, whole(m.logits), uint64_t(n) * d.n_expert * sizeof(float));
}

// Gemma 4's mixture layer before routing, with x normalized by ffn_norm in xb: the dense FFN (GeGLU) into
// ffn_dense, normalized by post_ffw_norm_1; the router's logits of x RMS-normalized times its input gains
// over √n_embd; then the experts' input, x normalized by pre_ffw_norm_2, into xb (record_experts).
void VulkanBackend::record_gemma4_moe_inputs(Recorder& rec, uint32_t n, int64_t l, bool to_host) {
  const auto& d = model_.desc();
  const ExpertScratch& m = *moe_;
  const Activations& a = *a_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  const uint32_t dim = u32(d.n_embd), n_ff = u32(d.n_ff);
  rec.project(*L.w_gate, a.xb, a.hb, {.n_vec = n});
  rec.project(*L.w_up, a.xb, a.hb2, {.n_vec = n});
  rec.rmsnorm(a.x, L.router_scale, a.router_in, {dim, n}, d.norm_eps);
  rec.barrier();
  rec.geglu(a.hb, a.hb2, a.hb3, n * n_ff);
  rec.scale(a.router_in, n * dim, 1.0f / std::sqrt(static_cast<float>(dim)));
  rec.barrier();
  rec.project(*L.w_down, a.hb3, a.ffn_dense, {.n_vec = n});
  rec.project(*L.router, a.router_in, m.router, {.n_vec = n});
  rec.barrier();
  rec.rmsnorm(a.ffn_dense, L.ffn_post_norm_1, a.ffn_dense, {dim, n}, d.norm_eps);
  rec.rmsnorm(a.x, L.moe_norm, a.xb, {dim, n}, d.norm_eps);
  if (to_host) rec.copy(m.router, whole(m.logits), uint64_t(n) * d.n_expert * sizeof(float));
  rec.barrier();
}

// Chooses each token's experts in layer l from the router's logits (model::ExpertRouting, as the CPU engine
// does) and writes the batches for record_experts: per batch row the token it gathers, per (token, rank) the
// batch row of its output, and the weights. Each expert's rows start at an aligned offset (bindable).
void VulkanBackend::route_experts(const float* logits, uint32_t n, int64_t l) {
  const auto& d = model_.desc();
  ExpertScratch& m = *moe_;
  const int64_t k = d.n_expert_used;
  m.routing.route(logits, n, d.n_expert, k, d.router,
                  model_.weights().layers[static_cast<size_t>(l)].exp_probs_b);
  auto* rows = static_cast<uint32_t*>(m.rows.mapped());
  auto* slots = static_cast<uint32_t*>(m.slots.mapped());
  // (Llama 4: each batch row times its token's weight before the expert runs, padding rows times 0;
  // record_experts adds the outputs as they are)
  const bool on_input = d.traits->moe_weight_input;
  auto* row_weights = on_input ? static_cast<float*>(m.row_weights->mapped()) : nullptr;
  m.batches.clear();
  uint32_t next = 0;
  for (int64_t e = 0; e < d.n_expert; ++e) {
    const auto count = static_cast<uint32_t>(m.routing.count(e));
    if (count == 0) continue;
    const uint32_t first = (next + m.row_align - 1) / m.row_align * m.row_align;
    std::fill(rows + next, rows + first, 0u);  // padding rows: gathered, never read
    if (on_input) std::fill(row_weights + next, row_weights + first, 0.0f);
    const int32_t* pairs = &m.routing.pairs[static_cast<size_t>(m.routing.begin[static_cast<size_t>(e)])];
    for (uint32_t i = 0; i < count; ++i) {
      rows[first + i] = static_cast<uint32_t>(pairs[i] / k);
      slots[pairs[i]] = first + i;
      if (on_input) row_weights[first + i] = m.routing.weight[static_cast<size_t>(pairs[i])];
    }
    m.batches.push_back({e, first, count});
    next = first + count;
  }
  m.n_rows = next;
  auto* tiles = static_cast<uint32_t*>(m.tiles.mapped());
  m.n_tiles = 0;
  for (const auto& b : m.batches)
    for (uint32_t s = 0; s < b.rows; s += kExpertTileVectors, ++m.n_tiles) {
      tiles[3 * m.n_tiles] = u32(b.expert);
      tiles[3 * m.n_tiles + 1] = b.first_row + s;
      tiles[3 * m.n_tiles + 2] = std::min(kExpertTileVectors, b.rows - s);
    }
  // (granite: the residual scale of the experts' sum folded into their weights)
  auto* weights = static_cast<float*>(m.weights.mapped());
  for (size_t i = 0; i < m.routing.weight.size(); ++i)
    weights[i] = (on_input ? 1.0f : m.routing.weight[i]) * d.residual_scale;
}

// Whether a decode step can choose its experts on the device (routes_on_device): every mixture layer's
// experts stacked (each kind one matrix the mat-vecs take ids for, biases as tables), the choice within
// what route_experts.comp holds, and the rows' widths vec4-aligned (each rank's x and hidden rows).
bool VulkanBackend::can_route_on_device() const {
  const auto& d = model_.desc();
  if (!route_on_device_supported(u32(d.n_expert), u32(d.n_expert_used)) || d.router.groups > 256 ||
      d.n_embd % 4 != 0 || d.n_ff_exp % 4 != 0)
    return false;
  for (int64_t l = 0; l < d.n_layer; ++l) {
    const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
    if (d.has_ffn(l) && d.moe_layer(l) && !(L.down_stack && (L.gate_up_stack || L.up_stack))) return false;
  }
  return true;
}

// A decode step's mixture layer with the choice on the device: route_experts.comp picks the token's k
// experts from the router's logits (as route_experts does on the host) into routed_ids and routed_weights,
// and each stacked matrix multiplies the k experts in one mat-vec that reads those ids
// (MatShape::device_ids), rank r in batch row r of each activation. Nothing comes back to the host: the step
// is recorded once and resubmitted, as a dense model's.
void VulkanBackend::record_routed_experts(Recorder& rec, int64_t l) {
  const auto& d = model_.desc();
  const ExpertScratch& m = *moe_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  const uint32_t k = u32(d.n_expert_used), dim = u32(d.n_embd), nf = u32(d.n_ff_exp);
  const bool on_input = d.traits->moe_weight_input;
  using Gating = ExpertChoice::Gating;
  const ExpertChoice choice{
      .n_expert = u32(d.n_expert),
      .k = k,
      .gating = d.router.gating == model::ExpertGating::Softmax   ? Gating::Softmax
                : d.router.gating == model::ExpertGating::Sigmoid ? Gating::Sigmoid
                                                                  : Gating::SoftmaxOfChosen,
      .normalize = d.router.normalize,
      .scale = d.router.scale,
      .groups = u32(d.router.groups),
      .groups_used = u32(d.router.groups_used),
      .weight_scale = d.residual_scale,  // (granite: the experts' sum times the residual scale)
      .weight_on_input = on_input,
      .row_align = 1};
  rec.barrier();  // (the router's logits)
  rec.route_experts(m.router, L.selection_bias, L.output_scale, m.routed_ids, m.routed_weights,
                    m.routed_row_weights, choice);
  rec.barrier();
  const DeviceExpertIds ids{m.routed_ids, k};
  // every rank reads the token's normalized x in xb; Llama 4's its own copy times its weight
  BufferRange x = a_->xb;
  uint32_t x_group = 0;
  if (on_input) {
    rec.gather_rows(a_->xb, whole(m.token_rows), m.x, dim, k);
    rec.barrier();
    rec.scale_rows(m.x, m.routed_row_weights, dim, k);
    rec.barrier();
    x = m.x;
    x_group = dim;
  }
  const auto product = [&](const WeightTensor& w, uint32_t group_rows, const BufferRange& in,
                           uint32_t in_group, const BufferRange& y, uint32_t y_group, bool swiglu) {
    const MatShape shape{
        .group_rows = group_rows, .x_group = in_group, .y_group = y_group, .device_ids = &ids};
    if (swiglu)
      rec.matvec_swiglu(w, in, y, shape, m.gate);
    else
      rec.project(w, in, y, shape);
  };
  const auto biases = [&](const BufferRange& table, const BufferRange& y, uint32_t width) {
    if (table.size == 0) return;
    rec.barrier();
    rec.add_expert_biases(table, y, width, width, ids);
  };
  const FfnKind ffn = d.traits->ffn;
  if (L.gate_up_stack) {
    product(*L.gate_up_stack, 2 * nf, x, x_group, m.hidden, nf, true);
  } else {
    if (L.gate_stack) product(*L.gate_stack, nf, x, x_group, m.gate, nf, false);
    product(*L.up_stack, nf, x, x_group, ffn == FfnKind::ReluSqr ? m.hidden : m.up, nf, false);
  }
  biases(L.gate_b_stack, m.gate, nf);
  biases(L.up_b_stack, m.up, nf);
  rec.barrier();
  if (ffn == FfnKind::ReluSqr) {
    rec.relu_sqr(m.hidden, k * nf);
    rec.barrier();
  } else if (!L.gate_up_stack) {
    gated_activation(rec, ffn, m.gate, m.up, m.hidden, k * nf);
    rec.barrier();
  }
  product(*L.down_stack, dim, m.hidden, nf, m.out, dim, false);
  biases(L.down_b_stack, m.out, dim);
  rec.barrier();
  record_experts_sum(rec, 1, L, whole(m.rank_rows), m.routed_weights);
}

// A mixture of experts' step: which experts run is known only after the router, so the step is recorded
// afresh and submitted once per layer: [the embedding,] layer l's attention and router; the host routes;
// layer l's experts, then layer l + 1's attention and router, ...; the last layer's experts and the
// classifier.
void VulkanBackend::run_expert_step(Caches& c, uint32_t n, uint32_t first_logit) {
  Recorder rec(*ctx_);
  LayerFlow flow = layer_flow();
  rec.begin();
  record_embedding(rec, c, n);
  for (int64_t l = 0; l < model_.desc().n_layer; ++l) {
    record_mixer(rec, c, n, l, flow);
    if (!model_.desc().has_ffn(l)) continue;  // (Nemotron-H's mixer layers)
    if (!model_.desc().moe_layer(l)) {        // (GLM-4.5's leading dense layers)
      record_ffn(rec, n, l, flow);
      record_layer_end(rec, n, l);
      continue;
    }
    record_router(rec, n, l);
    rec.end();
    rec.submit_and_wait();
    route_experts(static_cast<const float*>(moe_->logits.mapped()), n, l);
    rec.begin();
    record_experts(rec, n, l);
    record_layer_end(rec, n, l);
  }
  record_output(rec, c, n, first_logit);
  rec.end();
  rec.submit_and_wait();
}

void VulkanBackend::forward_impl(model::Session& session, std::span<const int32_t> tokens,
                                 bool want_all_logits) {
  std::lock_guard lock(mutex_);
  auto& c = static_cast<Caches&>(session.caches());
  const int64_t n_vocab = model_.desc().n_vocab, n = static_cast<int64_t>(tokens.size());
  float* logits = session.logits_buffer().data();
  if (exact_) {  // Rounding::LlamaCpp: the reference-compatible forward writes the same caches
    ExactCacheView view{c.n_ctx, {}, {}, {}};
    for (int64_t l = 0; l < model_.desc().n_layer; ++l) {
      view.q.push_back(c.q_layer(l));
      view.k.push_back(c.k_layer(l));
      view.v.push_back(c.v_layer(l));
    }
    exact_->forward(view, tokens, session.position(), want_all_logits, logits);
    return;
  }
  const int64_t step = want_all_logits ? std::min(c.max_batch, kMaxLogitRows) : c.max_batch;
  for (int64_t start = 0; start < n; start += step) {
    const auto count = static_cast<uint32_t>(std::min(step, n - start));
    const bool last_step = start + count == n;
    const uint32_t first_logit = want_all_logits ? 0 : (last_step ? count - 1 : count);
    c.set_step(u32(session.position() + start), tokens.subspan(static_cast<size_t>(start), count));
    if (ple_rows_) write_per_layer_rows(tokens.subspan(static_cast<size_t>(start), count));
    if (moe_ && !(count == 1 && routes_on_device_)) {
      run_expert_step(c, count, first_logit);
    } else {
      // The same commands every time for a given shape (positions and ids come from the state buffer).
      const std::pair<uint32_t, uint32_t> key{count, first_logit};
      auto it = c.steps.find(key);
      if (it == c.steps.end()) {
        if (c.steps.size() >= Caches::kMaxRecordedSteps) c.steps.clear();
        auto rec = std::make_unique<Recorder>(*ctx_);
        rec->begin();
        record_step(*rec, c, count, first_logit);
        rec->end();
        it = c.steps.emplace(key, std::move(rec)).first;
      }
      it->second->submit_and_wait();
    }
    const uint32_t n_out = count - first_logit;
    if (n_out > 0)
      std::memcpy(logits + (want_all_logits ? start * n_vocab : 0), c.readback.mapped(),
                  uint64_t(n_out) * n_vocab * sizeof(float));
  }
}

// Gemma 4: the step's tokens' rows of the per-layer token table, dequantized on the host into ple_rows_ and
// scaled by √per_layer_embd (record_per_layer_inputs adds them).
void VulkanBackend::write_per_layer_rows(std::span<const int32_t> ids) {
  const model::WeightMatrix& table = model_.weights().per_layer_token_embd;
  auto* out = static_cast<float*>(ple_rows_->mapped());
  const float scale = std::sqrt(static_cast<float>(model_.desc().per_layer_embd));
  for (size_t t = 0; t < ids.size(); ++t) {
    if (ids[t] < 0 || ids[t] >= table.n_rows)
      throw std::out_of_range("token id " + std::to_string(ids[t]) + " outside the vocabulary");
    float* row = out + t * uint64_t(table.n_cols);
    quant::dequantize_row(table.type, table.row(ids[t]), row, table.n_cols);
    for (int64_t i = 0; i < table.n_cols; ++i) row[i] *= scale;
  }
}

// Latent attention's Q cache keeps each head unabsorbed ([RoPE part, nope part], record_mla_rope_store): the
// maps absorb the queries they read, as record_mla_qkv does, into map_queries_, a bounded number of rows per
// submission (one binding, at most 64 MiB; GLASSWING_VULKAN_MAP_ROWS: fewer, for tests). Other models' maps
// read the Q cache, all their rows in one submission.
uint32_t VulkanBackend::map_query_rows(int64_t n_queries) const {
  const auto& d = model_.desc();
  if (!d.is_mla()) return u32(n_queries);
  const uint64_t row = uint64_t(d.q_dim()) * sizeof(float);
  uint64_t rows = std::min<uint64_t>(ctx_->device().info().max_storage_buffer_range, 64ull << 20) / row;
  if (const char* env = std::getenv("GLASSWING_VULKAN_MAP_ROWS"); env && *env)
    rows = std::min<uint64_t>(rows, std::strtoull(env, nullptr, 10));
  return static_cast<uint32_t>(std::max<uint64_t>(rows, 1));
}

// Grows the readback buffer, and map_queries_ under latent attention, before a recording binds them.
void VulkanBackend::prepare_maps(uint32_t rows, uint64_t readback_bytes) {
  if (!readback_ || readback_->size() < readback_bytes)
    readback_ =
        std::make_unique<Buffer>(Buffer::Create(ctx_->device(), std::max<uint64_t>(readback_bytes, 1 << 20),
                                                MemoryUse::Readback, "attention readback"));
  const uint64_t bytes = uint64_t(rows) * model_.desc().q_dim() * sizeof(float);
  if (model_.desc().is_mla() && (!map_queries_ || map_queries_->size() < bytes))
    map_queries_ = std::make_unique<Buffer>(
        Buffer::Create(ctx_->device(), bytes, MemoryUse::DeviceLocal, "the maps' absorbed queries"));
}

VulkanBackend::MapQueries VulkanBackend::record_map_queries(Recorder& rec, const Caches& c, int64_t l,
                                                            uint32_t q0, uint32_t nq) {
  const auto& d = model_.desc();
  if (!d.is_mla()) return {c.q_layer(l), 0};
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  const uint32_t r = u32(d.n_rot), hq = r + u32(d.mla.nope), hd = u32(d.head_dim), heads = u32(d.n_head);
  const BufferRange rows = floats_from(c.q_layer(l), uint64_t(q0) * heads * hq);
  const BufferRange out{map_queries_->handle(), 0, uint64_t(nq) * d.q_dim() * sizeof(float)};
  rec.copy_rows(rows, out, r, nq * heads, hq, hd);
  project_heads(rec, L.k_b, floats_from(rows, r), floats_from(out, r), nq, {hq, heads * hq},
                {hd, heads * hd});
  rec.barrier();
  return {out, q0};
}

model::AttentionMatrix VulkanBackend::attention_impl(const model::Session& session, int64_t layer,
                                                     int64_t head, model::Range queries, model::Range keys) {
  std::lock_guard lock(mutex_);
  const auto& c = static_cast<const Caches&>(session.caches());
  const auto& d = model_.desc();
  model::AttentionMatrix m{queries, keys,
                           std::vector<float>(static_cast<size_t>(queries.size() * keys.size()))};
  if (m.probs.empty()) return m;
  const uint32_t step = map_query_rows(queries.size());
  const uint32_t most = static_cast<uint32_t>(std::min<int64_t>(step, queries.size()));
  prepare_maps(most, uint64_t(most) * keys.size() * sizeof(float));
  for (int64_t q0 = queries.begin; q0 < queries.end; q0 += step) {
    const auto nq = static_cast<uint32_t>(std::min<int64_t>(step, queries.end - q0));
    const uint64_t bytes = uint64_t(nq) * keys.size() * sizeof(float);
    Recorder rec(*ctx_);
    rec.begin();
    const MapQueries q = record_map_queries(rec, c, layer, u32(q0), nq);
    rec.attention_probs(q.q, c.k_layer(layer), BufferRange{readback_->handle(), 0, bytes},
                        {.n_heads = u32(d.n_head),
                         .n_kv_heads = u32(d.heads(layer).n_head_kv),
                         .head_dim = u32(d.heads(layer).head_dim),
                         .head = u32(head),
                         .q0 = u32(q0),
                         .nq = nq,
                         .k0 = u32(keys.begin),
                         .nk = u32(keys.size()),
                         .scale = d.attention_scale,
                         .window = key_window(d, layer),
                         .softcap = d.attn_softcap,
                         .alibi_m0 = w_->alibi_m0,
                         .alibi_m1 = w_->alibi_m1,
                         .sinks = w_->layers[static_cast<size_t>(layer)].attn_sinks,
                         .q_first = q.first});
    rec.end();
    rec.submit_and_wait();
    std::memcpy(m.probs.data() + (q0 - queries.begin) * keys.size(), readback_->mapped(), bytes);
  }
  return m;
}

std::vector<model::HeadSummary> VulkanBackend::attention_summary_impl(const model::Session& session,
                                                                      model::Range queries) {
  std::lock_guard lock(mutex_);
  const auto& c = static_cast<const Caches&>(session.caches());
  const auto& d = model_.desc();
  const uint32_t n_head = u32(d.n_head);
  std::vector<model::HeadSummary> out;
  for (int64_t i = 0; i < d.n_layer * d.n_head; ++i) out.push_back({i / d.n_head, i % d.n_head, 0, 0, 0});
  if (queries.size() <= 0) return out;
  // Per-query statistics of every (layer, head) in one submission per step of queries; only they come back,
  // never the matrices.
  const uint32_t step = map_query_rows(queries.size());
  const uint32_t most = static_cast<uint32_t>(std::min<int64_t>(step, queries.size()));
  const uint64_t bytes = uint64_t(n_head) * most * 3 * d.n_layer * sizeof(float);
  prepare_maps(most, bytes);
  for (int64_t q0 = queries.begin; q0 < queries.end; q0 += step) {
    const auto nq = static_cast<uint32_t>(std::min<int64_t>(step, queries.end - q0));
    const uint64_t per_layer = uint64_t(n_head) * nq * 3;
    Recorder rec(*ctx_);
    rec.begin();
    for (int64_t l = 0; l < d.n_layer; ++l) {
      if (!d.has_attention(l)) continue;  // (Backend::attention_summary marks its heads)
      const MapQueries q = record_map_queries(rec, c, l, u32(q0), nq);
      rec.attention_summary(q.q, c.k_layer(l), BufferRange{readback_->handle(), 0, bytes},
                            {.n_heads = n_head,
                             .n_kv_heads = u32(d.heads(l).n_head_kv),
                             .head_dim = u32(d.heads(l).head_dim),
                             .q0 = u32(q0),
                             .nq = nq,
                             .out_offset = u32(per_layer * l),
                             .scale = d.attention_scale,
                             .window = key_window(d, l),
                             .softcap = d.attn_softcap,
                             .alibi_m0 = w_->alibi_m0,
                             .alibi_m1 = w_->alibi_m1,
                             .sinks = w_->layers[static_cast<size_t>(l)].attn_sinks,
                             .q_first = q.first});
      if (d.is_mla()) rec.barrier();  // (the next layer's absorbed queries overwrite these)
    }
    rec.end();
    rec.submit_and_wait();
    const auto* s = static_cast<const float*>(readback_->mapped());
    for (size_t i = 0; i < out.size(); ++i) {
      const float* row = s + i * nq * 3;  // (layer, head) i = layer * n_head + head
      for (uint32_t r = 0; r < nq; ++r) {
        out[i].max_prob += row[r * 3];
        out[i].entropy += row[r * 3 + 1];
        out[i].first_token += row[r * 3 + 2];
      }
    }
  }
  for (auto& h : out) {
    h.max_prob /= static_cast<float>(queries.size());
    h.entropy /= static_cast<float>(queries.size());
    h.first_token /= static_cast<float>(queries.size());
  }
  return out;
}

void VulkanBackend::set_rounding(model::Rounding rounding) {
  std::lock_guard lock(mutex_);
  if (rounding == model::Rounding::Fast)
    exact_.reset();
  else if (!exact_)
    exact_ = std::make_unique<ExactForward>(*ctx_, model_);
}

void register_vulkan_backend(const std::string& device) {
  model::register_backend(
      "vulkan", 10, [device](const model::Model& m) { return std::make_unique<VulkanBackend>(m, device); },
      [device] {
        const AutoChoice c = choose_auto_backend(device);
        return model::AutoVerdict{c.backend == "vulkan", c.reason};
      });
  // llama.cpp's CPU arithmetic on the GPU, for comparing logits bit for bit; "auto" never picks it.
  model::register_backend(
      "vulkan-llamacpp", -1000,
      [device](const model::Model& m) {
        auto b = std::make_unique<VulkanBackend>(m, device);
        b->set_rounding(model::Rounding::LlamaCpp);
        return b;
      },
      [] {
        return model::AutoVerdict{false, "reference-compatible mode, only on request"};
      });
}

}  // namespace glasswing::vulkan
