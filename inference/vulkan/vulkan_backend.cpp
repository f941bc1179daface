// The Vulkan backend's spine: loading a model onto the device (weights uploaded once, fused and stacked where
// the kernels allow), the memory estimate, a session's caches, the forward step recorded once per shape and
// resubmitted (record_step: the embedding, each layer's mixer and FFN, the classifier) and forward_impl.
// The parts live beside it: vulkan_attention.cpp, vulkan_mixers.cpp, vulkan_altup.cpp, vulkan_experts.cpp,
// vulkan_maps.cpp; what they share is backend_tensors.h.
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
#include "inference/vulkan/backend_tensors.h"
#include "inference/vulkan/env_choice.h"
#include "inference/vulkan/gpu_layout.h"
#include "inference/vulkan/record_util.h"
#include "inference/vulkan/rope_table.h"
#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

namespace {

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

// ALiBi's bases m0 and m1 for the attention kernels (AttentionParams::alibi_m0): the slopes of head 0 and of
// head n, the largest power of two <= n_head, which are m0^1 and m1^1 (ModelDescription::alibi_slope, so the
// kernels start from the CPU engine's very floats). {0, 0} without ALiBi.
std::pair<float, float> alibi_bases(const model::ModelDescription& d) {
  if (d.alibi_max_bias <= 0.0f) return {0.0f, 0.0f};
  const auto n = static_cast<int64_t>(std::bit_floor(static_cast<uint64_t>(d.n_head)));
  return {d.alibi_slope(0), n < d.n_head ? d.alibi_slope(n) : 0.0f};
}

}  // namespace

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
    prompts_on_device_ = routes_on_device_ && expert_tiles_ && use_gpu_kernels(ctx_->device().info());
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
  // A mixture of experts whose steps the host routes records every layer's experts with its tokens routed to
  // experts 0..k-1 (one token: the mat-vecs; a batch: the GEMMs); steps routed on the device need no routing.
  // (The all-logits step routes as the first: one token, or several.)
  const auto& d = model_.desc();
  Caches scratch(*ctx_, d, max_batch_, max_batch_, mutex_);
  for (uint32_t n : {1u, static_cast<uint32_t>(std::min<int64_t>(max_batch_, scratch.max_batch))}) {
    if (moe_ && !routes_step_on_device(n)) {
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
    if (model_.desc().moe_layer(l) && routes_step_on_device(n)) {
      record_router(rec, n, l, /*to_host=*/false);
      record_routed_experts(rec, n, l);
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
    if (moe_ && !routes_step_on_device(count)) {
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
