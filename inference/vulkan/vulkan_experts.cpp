// A mixture of experts' layers on the Vulkan engine: the router, the host's routing of a step's tokens into
// batches per expert (run_expert_step: one submission per mixture layer), or a decode step's choice on the
// device (record_routed_experts: recorded once), the experts' products, their activations and weighted sum,
// and the shared experts. Part of VulkanBackend (vulkan_backend.h).
#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include "inference/vulkan/backend_tensors.h"
#include "inference/vulkan/gpu_layout.h"
#include "inference/vulkan/record_util.h"

namespace glasswing::vulkan {

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
  if (L.down_stack) {
    // Stacked experts: each run of batches through its experts' rows of w (group_rows each), from x rows
    // in_width floats wide into y rows y_width wide: a run of single rows in one product (row groups), a
    // larger batch alone; a prompt on the GPU kernels: every batch in one tiled GEMM (expert tiles). Their
    // biases (gpt-oss) from the stacked tables likewise.
    const ExpertTiles tiles{whole(m.tiles), m.n_tiles};
    const bool tiled = expert_tiles_ && n > kMatvecMaxVectors && use_gpu_kernels(ctx_->device().info());
    const auto product = [&](const WeightTensor& w, uint32_t group_rows, const BufferRange& x, uint32_t xw,
                             uint32_t, const BufferRange& y, uint32_t yw, bool swiglu) {
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
    const auto bias = [&](const BufferRange& table, const BufferRange& y, uint32_t width) {
      if (table.size == 0) return;
      rec.barrier();
      if (tiled) {  // (every tile's rows in one dispatch)
        rec.add_expert_biases(table, y, width, width, tiles);
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
    // (the activation over every batch row, the padding rows between batches too, which nothing reads)
    record_stacked_experts(rec, L, m.x, 0, m.n_rows, product, bias);
  } else {
    // One matrix per expert: each expert's products, biases (gpt-oss) and activation on its own batch
    bool unfused = false;  // experts whose gate and up are two matrices: SwiGLU in a dispatch of its own
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
    // each expert's bias over its batch rows, after a barrier for all experts' products at once
    const auto biases = [&](const std::vector<BufferRange>& b, const BufferRange& y, uint32_t width) {
      if (b.empty()) return;
      rec.barrier();
      for (const auto& e : m.batches)
        rec.add_bias(b[static_cast<size_t>(e.expert)], rows_of(y, width, e), width, e.rows);
    };
    biases(L.gate_exps_b, m.gate, nf);
    biases(L.up_exps_b, m.up, nf);
    rec.barrier();
    if (d.traits->ffn == FfnKind::ReluSqr) {
      for (const auto& e : m.batches) rec.relu_sqr(rows_of(m.hidden, nf, e), e.rows * nf);
      rec.barrier();
    }
    if (unfused) {
      for (const auto& e : m.batches) {
        if (L.gate_up_exps[static_cast<size_t>(e.expert)]) continue;
        gated_activation(rec, d.traits->ffn, rows_of(m.gate, nf, e), rows_of(m.up, nf, e),
                         rows_of(m.hidden, nf, e), e.rows * nf);
      }
      rec.barrier();
    }
    for (const auto& e : m.batches)
      rec.project(*L.down_exps[static_cast<size_t>(e.expert)], rows_of(m.hidden, nf, e),
                  rows_of(m.out, dim, e), {.n_vec = e.rows});
    biases(L.down_exps_b, m.out, dim);
    rec.barrier();
  }
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

// A layer's stacked experts (LayerTensors::*_stack) over `rows` batch rows of x (a decode step's ranks
// x_group floats apart): gate|up with SwiGLU, or gate and up, their biases, the activation, down and its
// biases into moe_->out; each product and bias as the caller's routing records it.
void VulkanBackend::record_stacked_experts(Recorder& rec, const LayerTensors& L, const BufferRange& x,
                                           uint32_t x_group, uint32_t rows, const ExpertProduct& product,
                                           const ExpertBias& bias) {
  const auto& d = model_.desc();
  const ExpertScratch& m = *moe_;
  const uint32_t dim = u32(d.n_embd), nf = u32(d.n_ff_exp);
  const FfnKind ffn = d.traits->ffn;
  if (L.gate_up_stack) {
    product(*L.gate_up_stack, 2 * nf, x, dim, x_group, m.hidden, nf, true);
  } else {
    if (L.gate_stack) product(*L.gate_stack, nf, x, dim, x_group, m.gate, nf, false);
    // (Nemotron: relu(up·x)², no gate)
    product(*L.up_stack, nf, x, dim, x_group, ffn == FfnKind::ReluSqr ? m.hidden : m.up, nf, false);
  }
  bias(L.gate_b_stack, m.gate, nf);
  bias(L.up_b_stack, m.up, nf);
  rec.barrier();
  if (ffn == FfnKind::ReluSqr) {
    rec.relu_sqr(m.hidden, rows * nf);
    rec.barrier();
  } else if (!L.gate_up_stack) {
    gated_activation(rec, ffn, m.gate, m.up, m.hidden, rows * nf);
    rec.barrier();
  }
  product(*L.down_stack, dim, m.hidden, nf, nf, m.out, dim, false);
  bias(L.down_b_stack, m.out, dim);
  rec.barrier();
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

// A mixture layer with the choice on the device: route_experts.comp picks each token's k experts from the
// router's logits (as route_experts does on the host) into routed_ids and routed_weights. A decode step's
// stacked matrices then multiply the k experts in one mat-vec that reads those ids (MatShape::device_ids),
// rank r in batch row r of each activation; a prompt's pairs go into batch rows per expert on the device
// (batch_experts.comp, with the expert tiles over them) and each stacked matrix multiplies every batch in one
// tiled GEMM. Nothing comes back to the host: the step is recorded once and resubmitted, as a dense model's.
void VulkanBackend::record_routed_experts(Recorder& rec, uint32_t n, int64_t l) {
  const auto& d = model_.desc();
  const ExpertScratch& m = *moe_;
  const LayerTensors& L = w_->layers[static_cast<size_t>(l)];
  const uint32_t k = u32(d.n_expert_used), dim = u32(d.n_embd), rows = n * k;
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
      .row_align = 1,
      .n_tokens = n};
  rec.barrier();  // (the router's logits)
  rec.route_experts(m.router, L.selection_bias, L.output_scale, m.routed_ids, m.routed_weights,
                    m.routed_row_weights, choice);
  rec.barrier();
  const DeviceExpertIds ids{m.routed_ids, k};
  const ExpertTiles tiles{m.tile_table, u32(ExpertScratch::max_tiles(d, n))};
  // A decode step's ranks all read the token's normalized x in xb (Llama 4's: its own copy times its
  // weight); a prompt's rows are gathered per expert
  BufferRange x = a_->xb, slots = whole(m.rank_rows);
  uint32_t x_group = 0;
  if (n > 1) {
    rec.batch_experts({.ids = m.routed_ids,
                       .pair_weights = m.routed_row_weights,
                       .rows = m.batch_rows,
                       .slots = m.batch_slots,
                       .row_weights = m.batch_row_weights,
                       .tiles = m.tile_table,
                       .n_pairs = rows,
                       .k = k,
                       .n_expert = u32(d.n_expert),
                       .max_tiles = tiles.count,
                       .weight_on_input = on_input});
    rec.barrier();
    rec.gather_rows(a_->xb, m.batch_rows, m.x, dim, rows);
    slots = m.batch_slots;
    x = m.x;
  } else if (on_input) {
    rec.gather_rows(a_->xb, whole(m.token_rows), m.x, dim, k);
    x = m.x;
    x_group = dim;
  }
  if (on_input) {
    rec.barrier();
    rec.scale_rows(m.x, n > 1 ? m.batch_row_weights : m.routed_row_weights, dim, rows);
  }
  if (n > 1 || on_input) rec.barrier();
  // w's experts (group_rows rows each) on rows of `in` in_width floats wide (a decode step's ranks in_group
  // floats apart) into rows of y y_width wide
  const auto product = [&](const WeightTensor& w, uint32_t group_rows, const BufferRange& in,
                           uint32_t in_width, uint32_t in_group, const BufferRange& y, uint32_t y_width,
                           bool swiglu) {
    const MatShape shape =
        n > 1
            ? MatShape{.n_vec = rows,
                       .x_stride = in_width,
                       .y_stride = y_width,
                       .group_rows = group_rows,
                       .expert_tiles = &tiles}
            : MatShape{.group_rows = group_rows, .x_group = in_group, .y_group = y_width, .device_ids = &ids};
    if (swiglu)
      rec.matvec_swiglu(w, in, y, shape, m.gate);
    else
      rec.project(w, in, y, shape);
  };
  const auto biases = [&](const BufferRange& table, const BufferRange& y, uint32_t width) {
    if (table.size == 0) return;
    rec.barrier();
    if (n > 1)
      rec.add_expert_biases(table, y, width, width, tiles);
    else
      rec.add_expert_biases(table, y, width, width, ids);
  };
  record_stacked_experts(rec, L, x, x_group, rows, product, biases);
  record_experts_sum(rec, n, L, slots, m.routed_weights);
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

}  // namespace glasswing::vulkan
