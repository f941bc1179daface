#include "inference/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "inference/cpu/attention_f32.h"
#include "inference/cpu/env_int.h"
#include "inference/cpu/gemm_f32.h"
#include "inference/cpu/ggml_kernels.h"
#include "inference/cpu/ggml_rounding.h"
#include "inference/cpu/kernels.h"
#include "inference/quant/quant.h"

namespace glasswing::cpu {

using model::FfnKind;
using model::NormKind;

namespace {
size_t sz(int64_t n) {
  return static_cast<size_t>(n);
}
}  // namespace

CpuCaches::CpuCaches(const model::ModelDescription& d, int64_t n_ctx_)
    : n_ctx(n_ctx_),
      q_dim(d.q_cache_dim()),
      v_is_k(d.is_mla()),
      conv(sz(d.n_conv_layers() * n_ctx_ * d.n_embd)),
      conv_dim(d.n_embd),
      state_floats(d.recurrent_state_floats()),
      window_floats(d.recurrent_window_floats()) {
  for (int64_t l = 0; l < d.n_layer; ++l) slot.push_back(d.cache_slot(l));
  // (a layer without attention has no rows; one that shares another's keys and values reads that one's)
  size_t kv_floats = 0, q_floats = 0;
  for (int64_t l = 0; l < d.n_layer; ++l) {
    const bool attends = d.has_attention(l);
    const int64_t kv_w = attends ? d.heads(l).kv_dim() : 0;
    const int64_t q_w = !attends ? 0 : d.is_mla() ? d.q_cache_dim() : d.heads(l).q_dim();
    kv_width.push_back(kv_w);
    q_width.push_back(q_w);
    kv_base.push_back(d.keeps_kv(l) ? kv_floats : kv_base[sz(d.kv_layer(l))]);
    if (d.keeps_kv(l)) kv_floats += sz(n_ctx * kv_w);
    q_base.push_back(q_floats);
    q_floats += sz(n_ctx * q_w);
  }
  k.assign(kv_floats, 0.0f);
  if (!v_is_k) v.assign(kv_floats, 0.0f);
  q.assign(q_floats, 0.0f);
  delta_state.assign(sz(d.n_recurrent_layers() * state_floats), 0.0f);
  delta_window.assign(sz(d.n_recurrent_layers() * window_floats), 0.0f);
}

uint64_t CpuCaches::bytes() const {
  const size_t floats = k.size() + v.size() + q.size() + conv.size() + delta_state.size() +
                        delta_window.size() + checkpoints.elements();
  return floats * sizeof(float);
}

void CpuCaches::checkpoint(int64_t position) {
  checkpoints.add({position, delta_state, delta_window});
}

int64_t CpuCaches::rewind(int64_t position) {
  const auto* cp = checkpoints.back_to(position);
  if (!cp) {  // the empty state of position 0
    std::fill(delta_state.begin(), delta_state.end(), 0.0f);
    std::fill(delta_window.begin(), delta_window.end(), 0.0f);
    return 0;
  }
  delta_state = cp->state;
  delta_window = cp->window;
  return cp->position;
}

Scratch::Scratch(const model::ModelDescription& d, int64_t b)
    : x(sz(b * d.n_embd)),
      xb(sz(b * std::max(d.n_embd, d.max_q_dim()))),
      xb2(sz(b * d.n_embd)),
      attn_res(d.parallel_residual ? sz(b * d.n_embd) : 0),
      qkv(d.traits->fused_qkv ? sz(b * (d.q_dim() + 2 * d.kv_dim())) : 0),
      q(sz(b * d.max_q_dim())),
      k(sz(b * d.max_kv_dim())),
      v(sz(b * d.max_kv_dim())),
      att_out(sz(b * d.max_q_dim())),
      hb(sz(b * d.dense_ff_width())),
      hb2(sz(b * d.dense_ff_width())),
      router(sz(b * d.n_expert)),
      moe_x(d.n_expert ? sz(b * d.n_embd) : 0),
      moe_g(sz(b * d.n_ff_exp)),
      moe_u(sz(b * d.n_ff_exp)),
      moe_d(d.n_expert ? sz(b * d.n_embd) : 0),
      moe_out(sz(b * d.n_expert_used * d.n_embd)),
      shexp_gate(d.traits->gated_shared_expert ? sz(b) : 0),
      mla_q(d.is_mla() ? sz(b * d.n_head * (d.mla.nope + d.n_rot)) : 0),
      mla_qa(sz(b * d.mla.q_rank)),
      mla_kv(d.is_mla() ? sz(b * (d.mla.kv_rank + d.n_rot)) : 0),
      mla_in(sz(b * std::max(d.mla.nope, d.mla.kv_rank))),
      mla_out(sz(b * std::max(d.mla.kv_rank, d.mla.v_head))),
      mla_o(sz(b * d.n_head * d.mla.v_head)),
      conv_bcx(d.n_conv_layers() > 0 ? sz(b * 3 * d.n_embd) : 0),
      dn_qkv(sz(d.n_delta_layers() > 0 ? b * d.delta.conv_dim() : 0)),
      dn_z(sz(d.n_delta_layers() > 0 ? b * d.delta.value_dim() : 0)),
      dn_beta(sz(d.n_delta_layers() > 0 ? b * d.delta.ba_width() : 0)),
      dn_alpha(sz(d.n_delta_layers() > 0 ? b * d.delta.n_v_heads : 0)),
      dn_out(sz(d.n_delta_layers() > 0 ? b * d.delta.value_dim() : 0)),
      attn_gate(d.traits->gates_attn_output() ? sz(b * d.q_dim()) : 0),
      q_gate(d.traits->attn_output_gate ? sz(b * 2 * d.q_dim()) : 0),
      kda_g(sz(d.delta.kda ? b * d.delta.key_dim() : 0)),
      kda_lo(sz(d.delta.kda ? b * d.delta.head_k_dim : 0)),
      mb_in(sz(d.n_mamba_layers() > 0 ? b * d.mamba.in_dim() : 0)),
      mb_y(sz(d.n_mamba_layers() > 0 ? b * d.mamba.d_inner : 0)),
      mb_xdb(sz(d.mamba.v1 ? b * d.mamba.x_proj_dim() : 0)),
      mb_dt(sz(d.mamba.v1 ? b * d.mamba.d_inner : 0)),
      mb_ones(sz(d.mamba.dt_b_c_rms ? std::max(d.mamba.dt_rank, d.mamba.d_state) : 0), 1.0f),
      ssm_res(d.traits->parallel_hybrid ? sz(b * d.n_embd) : 0),
      ple(sz(b * d.n_layer * d.per_layer_embd)),
      ple_own(sz(d.n_layer * d.per_layer_embd)),
      ple_g(sz(b * d.per_layer_embd)),
      ffn_res(d.traits->layer_shapes && d.n_expert ? sz(b * d.n_embd) : 0),
      router_in((d.traits->layer_shapes || d.traits->router_from_layer_input) && d.n_expert ? sz(b * d.n_embd)
                                                                                            : 0),
      ones(sz(d.traits->layer_shapes || d.qk_rms_norm ? d.max_head_dim() : 0), 1.0f),
      alt(sz(b * d.altup.n_inputs * d.n_embd)),
      alt_pred(sz(b * d.altup.n_inputs * d.n_embd)),
      alt_m(sz(b * d.altup.n_inputs)),
      alt_c(sz(b * d.altup.n_inputs * d.altup.n_inputs)),
      alt_tmp(d.traits->altup ? sz(b * d.n_embd) : 0),
      laurel_lo(sz(b * d.altup.laurel_rank)),
      laurel(d.traits->altup ? sz(b * d.n_embd) : 0) {}

CpuBackend::CpuBackend(const model::Model& model, int n_threads, Rounding rounding)
    : model_(model), rounding_(rounding), pool_(n_threads), s_(model.desc(), kMaxBatch) {
  group_bytes_ = env_int("GLASSWING_CPU_ATTN_GROUP_KIB", group_bytes_ / 1024) * 1024;
  run_keys_ = env_int("GLASSWING_CPU_ATTN_RUN_KEYS", run_keys_, 8);
}

namespace {
// x = xielu(x) with one layer's parameters folded as llama.cpp folds them (Apertus's FFN): a quadratic for
// positive x, a saturating exponential for negative x, both plus beta·x
void xielu(float* x, int64_t n, const model::ModelDescription::XIelu& p) {
  const float a_n = p.a_n(), a_p = p.a_p();
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    x[i] = v > 0.0f ? a_p * v * v + p.beta * v : (std::expm1(std::min(v, p.eps)) - v) * a_n + p.beta * v;
  }
}

// x = relu(x)², elementwise (Nemotron-H's FFNs and experts)
void relu_sqr(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float r = std::max(x[i], 0.0f);
    x[i] = r * r;
  }
}
}  // namespace

void CpuBackend::project(float* out, const float* x, const model::WeightMatrix& w, model::Vector bias,
                         int64_t n) {
  if (rounding_ == Rounding::Fast)
    matmul(out, x, w, bias, n, pool_);
  else
    matmul_like_ggml(out, x, w, bias, n, pool_);
}

model::BackendCapabilities CpuBackend::capabilities() const {
  return {"CPU, " + std::to_string(pool_.size()) + (pool_.size() == 1 ? " thread" : " threads"), true,
          kMaxBatch};
}

// The scratch that grows with the context: per-thread score rows (one per query head of a KV group),
// attention_groups' run outputs and softmax stats, and pack_kv_panels' keys and values of the longest step.
CpuBackend::ContextScratch CpuBackend::context_scratch(int64_t n_ctx) const {
  const model::ModelDescription& d = model_.desc();
  const int64_t runs = (n_ctx + run_keys_ - 1) / run_keys_;
  int64_t group = 0, panels = 0;  // (the widest of any attention layer)
  for (int64_t l = 0; l < d.n_layer; ++l) {
    if (!d.has_attention(l)) continue;  // (a pure state-space model has no heads to divide)
    const model::ModelDescription::Heads h = d.heads(l);
    group = std::max(group, h.group());
    panels = std::max(
        panels, h.n_head_kv * std::max(x_panels_size(h.head_dim, n_ctx), x_panels_size(n_ctx, h.head_dim)));
  }
  return {.att = sz(pool_.size() * group * n_ctx),
          .run_out = sz(runs * d.max_q_dim()),
          .run_stats = sz(runs * d.n_head),
          .panels = sz(panels)};
}

model::MemoryEstimate CpuBackend::estimate_memory(int64_t n_ctx) const {
  const auto& d = model_.desc();
  model::MemoryEstimate m;
  m.weight_bytes = model_.weights().matrix_bytes();
  m.session_bytes = static_cast<uint64_t>(
                        n_ctx * d.attention_cache_floats() + d.n_conv_layers() * n_ctx * d.n_embd +
                        d.n_recurrent_layers() * (d.recurrent_state_floats() + d.recurrent_window_floats()) *
                            int64_t(1 + model::StateCheckpoints<float>::kMax)) *
                    sizeof(float);
  const Scratch& s = s_;
  for (const auto* v :
       {&s.x,         &s.xb,        &s.xb2,     &s.attn_res, &s.qkv,       &s.q,      &s.k,
        &s.v,         &s.att_out,   &s.hb,      &s.hb2,      &s.router,    &s.moe_x,  &s.moe_g,
        &s.moe_u,     &s.moe_d,     &s.moe_out, &s.conv_bcx, &s.dn_qkv,    &s.dn_z,   &s.dn_beta,
        &s.dn_alpha,  &s.dn_out,    &s.kda_g,   &s.kda_lo,   &s.attn_gate, &s.q_gate, &s.mb_in,
        &s.mb_y,      &s.mb_xdb,    &s.mb_dt,   &s.ssm_res,  &s.ple,       &s.ple_g,  &s.ple_own,
        &s.ffn_res,   &s.router_in, &s.alt,     &s.alt_pred, &s.alt_m,     &s.alt_c,  &s.alt_tmp,
        &s.laurel_lo, &s.laurel})
    m.scratch_bytes += v->size() * sizeof(float);
  const ContextScratch cs = context_scratch(n_ctx);
  m.scratch_bytes +=
      (cs.att + cs.run_out + 2 * cs.panels) * sizeof(float) + cs.run_stats * sizeof(SoftmaxStats);
  return m;
}

std::unique_ptr<model::SessionCaches> CpuBackend::create_caches(int64_t n_ctx) {
  std::lock_guard lock(mutex_);
  // Growing here keeps forward() allocation-free.
  const ContextScratch cs = context_scratch(n_ctx);
  if (s_.att.size() < cs.att) s_.att.resize(cs.att);
  if (s_.run_out.size() < cs.run_out) s_.run_out.resize(cs.run_out);
  if (s_.run_stats.size() < cs.run_stats) s_.run_stats.resize(cs.run_stats);
  if (s_.k_panels.size() < cs.panels) s_.k_panels.resize(cs.panels);
  if (s_.v_panels.size() < cs.panels) s_.v_panels.resize(cs.panels);
  return std::make_unique<CpuCaches>(model_.desc(), n_ctx);
}

void CpuBackend::forward_impl(model::Session& session, std::span<const int32_t> tokens,
                              bool want_all_logits) {
  std::lock_guard lock(mutex_);
  auto& c = static_cast<CpuCaches&>(session.caches());
  const int64_t n_vocab = model_.desc().n_vocab, n = static_cast<int64_t>(tokens.size());
  float* logits = session.logits_buffer().data();
  // Long prompts run in steps of kMaxBatch tokens; only the steps that owe logits compute them.
  for (int64_t start = 0; start < n; start += kMaxBatch) {
    const int64_t count = std::min(kMaxBatch, n - start);
    const bool last_step = start + count == n;
    if (want_all_logits)
      forward_batch(c, tokens.data() + start, count, session.position() + start, 0, logits + start * n_vocab);
    else
      forward_batch(c, tokens.data() + start, count, session.position() + start,
                    last_step ? count - 1 : count, logits);
  }
}

// ALiBi (BLOOM): slope · (key − query position) added to the scores of keys first .. first + count − 1 for
// the query at `pos`, after the scale and before the softmax, in f32 as ggml's soft_max adds slope · mask
// (llama.cpp's ALiBi mask holds −|pos − key|). A slope of 0 (no ALiBi) adds nothing.
static void add_alibi(float* scores, int64_t first, int64_t count, int64_t pos, float slope) {
  if (slope == 0.0f) return;
  for (int64_t j = 0; j < count; ++j) scores[j] += slope * static_cast<float>(first + j - pos);
}

void attention_row(float* att, const float* q, const CpuCaches& c, const model::ModelDescription& d,
                   int64_t layer, int64_t head, int64_t pos, float sink) {
  const model::ModelDescription::Heads h = d.heads(layer);
  const int64_t hd = h.head_dim, kv_head = head / h.group(), first = d.first_key(layer, pos);
  std::fill(att, att + first, 0.0f);  // keys before a sliding window
  attention_scores(att + first, q, c.k_at(layer, first) + kv_head * hd, h.kv_dim(), pos + 1 - first, hd,
                   d.attention_scale);
  softcap(att + first, pos + 1 - first, d.attn_softcap);
  add_alibi(att + first, first, pos + 1 - first, pos, d.alibi_slope(head));
  const SoftmaxStats stats = softmax_f32(att + first, pos + 1 - first);
  fold_sink(att + first, pos + 1 - first, stats, sink);
}

namespace {

// SiLU, as the recurrent mixers (delta nets, KDA, Mamba) gate their convolutions and outputs.
float silu(float x) {
  return x / (1.0f + std::exp(-x));
}

// x / max(‖x‖, eps) over `len` floats, as the delta nets normalize each head of q and k.
void l2_normalize(float* x, int64_t len, float eps) {
  float sum = 0.0f;
  for (int64_t i = 0; i < len; ++i) sum += x[i] * x[i];
  const float scale = 1.0f / std::max(std::sqrt(sum), eps);
  for (int64_t i = 0; i < len; ++i) x[i] *= scale;
}

// One head's attention output for the query at `pos`, as llama.cpp computes it without flash attention over
// an F16 cache (q, k, v are already fp16-rounded): K·Q in the 8-lane order, scale, ggml's softmax (its exp
// approximation, f32 sums of 8 added in double, and a multiply by the f32 reciprocal), probabilities rounded
// to fp16 for the F16 V product, which again sums in 8 lanes (lane = key index mod 8).
void attention_like_ggml(float* out, float* att, const float* q, const CpuCaches& c,
                         const model::ModelDescription& d, int64_t layer, int64_t head, int64_t pos,
                         float sink) {
  const model::ModelDescription::Heads h = d.heads(layer);
  const int64_t hd = h.head_dim, kv_head = head / h.group(), first = d.first_key(layer, pos);
  const float scale = d.attention_scale, slope = d.alibi_slope(head);
  float max = -INFINITY;
  for (int64_t j = 0; j <= pos; ++j) {
    // keys before a sliding window are masked with −inf, as ggml's mask does (exp gives them 0)
    att[j] = j < first ? -INFINITY : dot_lanes(q, c.k_at(layer, j) + kv_head * hd, hd) * scale;
    if (j >= first) softcap(&att[j], 1, d.attn_softcap);
    if (j >= first) add_alibi(&att[j], j, 1, pos, slope);  // (ggml: x·scale + slope·mask, in f32)
    max = std::max(max, att[j]);
  }
  max = std::max(max, sink);  // ggml's soft_max with sinks: the sink joins the max and (below) the sum
  // ggml_vec_soft_max_f32 (AVX2): each group of 8 keys summed in f32 (ggml's horizontal sum), the group sums
  // in double; the masked keys past pos complete the last group with exp(−inf) = 0 (the cache's key count
  // is padded to a multiple of 8, so no key takes the C library's expf).
  double sum = 0;
  for (int64_t j0 = 0; j0 <= pos; j0 += 8) {
    float group[8] = {};
    for (int64_t j = j0; j < std::min(j0 + 8, pos + 1); ++j)
      group[j - j0] = att[j] = expf_like_ggml(att[j] - max);
    const float a0 = group[0] + group[4], a1 = group[1] + group[5], a2 = group[2] + group[6];
    const float a3 = group[3] + group[7];
    sum += static_cast<double>((a0 + a2) + (a1 + a3));
  }
  if (sink != -INFINITY) sum += static_cast<double>(std::exp(sink - max));
  const auto inv = static_cast<float>(1.0 / sum);
  for (int64_t j = 0; j <= pos; ++j) att[j] = round_fp16(att[j] * inv);
  for (int64_t i = 0; i < hd; ++i) {
    float acc[8] = {};
    for (int64_t j = 0; j <= pos; ++j)
      acc[j % 8] = std::fma(att[j], c.v_at(layer, j)[kv_head * hd + i], acc[j % 8]);
    const float a0 = acc[0] + acc[4], a1 = acc[1] + acc[5], a2 = acc[2] + acc[6], a3 = acc[3] + acc[7];
    out[i] = (a0 + a2) + (a1 + a3);
  }
}

}  // namespace

// The keys and values of layer l's positions 0 .. n_keys - 1 packed as GEMM inputs (gemm_f32.h) for
// attention_block, once per KV head and step: keys as inputs over the head dimensions, value dimensions as
// inputs over the keys.
void CpuBackend::pack_kv_panels(CpuCaches& c, int64_t l, int64_t n_keys) {
  const model::ModelDescription& d = model_.desc();
  const model::ModelDescription::Heads heads = d.heads(l);
  const int64_t hd = heads.head_dim, kv_dim = heads.kv_dim();
  const int64_t kp = x_panels_size(hd, n_keys), vp = x_panels_size(n_keys, hd);
  pool_.parallel_for(heads.n_head_kv, [&](int64_t begin, int64_t end, int) {
    for (int64_t h = begin; h < end; ++h) {
      pack_x_panels(&s_.k_panels[sz(h * kp)], {.data = c.k_at(l, 0) + h * hd, .input_stride = kv_dim}, hd,
                    n_keys, 0, x_panel_blocks(n_keys));
      pack_x_panels(&s_.v_panels[sz(h * vp)],
                    {.data = c.v_at(l, 0) + h * hd, .input_stride = 1, .k_stride = kv_dim}, n_keys, hd, 0,
                    x_panel_blocks(hd));
    }
  });
}

// Head h's attention outputs for the batch's queries t0 .. t0 + group - 1 (fewer at the end), at positions
// pos0 + t, with the GEMM kernel and the panels of pack_kv_panels (n_total keys): scores = Q·K (the queries
// as rows, the keys as inputs) for keys 0 .. the block's last position, each query's scaled row through
// softmax over its own causal length (later keys zeroed), then out = P·V (the queries as rows, the value
// dimensions as inputs). Every key and value row is read once per block of queries, not once per query.
void CpuBackend::attention_block(int64_t layer, int64_t h, int64_t t0, int64_t n, int64_t pos0,
                                 int64_t n_total, GemmKernel gemm) {
  const model::ModelDescription& d = model_.desc();
  const model::ModelDescription::Heads heads = d.heads(layer);
  const int64_t hd = heads.head_dim, q_dim = heads.q_dim(), kv_head = h / heads.group(),
                group = gemm_rows_group(gemm);
  const int64_t nq = std::min(group, n - t0), n_keys = pos0 + t0 + nq;
  const float scale = d.attention_scale, sink = head_sink(model_.weights().layers[sz(layer)], h);
  thread_local std::vector<float> scores;  // (group, n_keys), reused across calls
  scores.resize(sz(group * n_keys));
  const float* rows[kMaxGroupRows];
  for (int64_t i = 0; i < nq; ++i) rows[i] = &s_.q[sz((t0 + i) * q_dim + h * hd)];
  gemm_rows(gemm, rows, nq, hd, &s_.k_panels[sz(kv_head * x_panels_size(hd, n_total))], hd, n_keys,
            {.data = scores.data(), .input_stride = 1, .row_stride = n_keys});
  for (int64_t i = 0; i < nq; ++i) {
    float* row = &scores[sz(i * n_keys)];
    const int64_t count = pos0 + t0 + i + 1, first = d.first_key(layer, count - 1);
    for (int64_t j = first; j < count; ++j) row[j] *= scale;  // scale · (q·k), as attention_scores
    softcap(row + first, count - first, d.attn_softcap);
    add_alibi(row + first, first, count - first, count - 1, d.alibi_slope(h));
    fold_sink(row + first, count - first, softmax_f32(row + first, count - first), sink);
    std::fill(row, row + first, 0.0f);  // keys before a sliding window
    std::fill(row + count, row + n_keys, 0.0f);
    rows[i] = row;
  }
  gemm_rows(gemm, rows, nq, n_keys, &s_.v_panels[sz(kv_head * x_panels_size(n_total, hd))], n_total, hd,
            {.data = &s_.att_out[sz(t0 * q_dim + h * hd)], .input_stride = 1, .row_stride = q_dim});
}

// Attention of a one-token step deep in the context, where a KV head's keys and values (n_keys x head_dim x 2
// floats) no longer stay in L2 while its query heads take turns: the keys are split into runs of run_keys_,
// and a task takes one run of one KV head with all the query heads of its group at once (attention_f32.h:
// each key and value row read from memory once per group). Tasks are numbered so that a thread takes the KV
// heads of one run one after another while the run's cache rows (all heads side by side) are in its L2, and
// both threads have work whatever the number of KV heads. Each run's outputs (softmax over the run) are then
// merged with their maxima and sums.
void CpuBackend::attention_groups(CpuCaches& c, int64_t l, int64_t pos0) {
  const model::ModelDescription& d = model_.desc();
  const model::ModelDescription::Heads heads = d.heads(l);
  const int64_t hd = heads.head_dim, kv_dim = heads.kv_dim(), g = heads.group(), n_keys = pos0 + 1;
  const int64_t first = d.first_key(l, pos0);  // the runs start at the sliding window's first key
  const int64_t groups = heads.n_head_kv, runs = (n_keys - first + run_keys_ - 1) / run_keys_;
  const float scale = d.attention_scale;
  pool_.parallel_for(groups * runs, [&](int64_t begin, int64_t end, int thread) {
    float* att = &s_.att[sz(thread * g * c.n_ctx)];
    for (int64_t i = begin; i < end; ++i) {
      const int64_t run = i / groups, kv_head = i % groups;
      const int64_t j0 = first + run * run_keys_, len = std::min(n_keys, j0 + run_keys_) - j0;
      attention_scores_group(att, len, s_.q.data() + kv_head * g * hd, hd, g,  // (this step's one query)
                             c.k_at(l, j0) + kv_head * hd, kv_dim, len, hd, scale);
      softcap(att, g * len, d.attn_softcap);
      for (int64_t qi = 0; qi < g; ++qi)  // (this run's keys j0 .. j0 + len − 1 for the query at pos0)
        add_alibi(att + qi * len, j0, len, pos0, d.alibi_slope(kv_head * g + qi));
      for (int64_t qi = 0; qi < g; ++qi) s_.run_stats[sz(i * g + qi)] = softmax_f32(att + qi * len, len);
      attention_values_group(&s_.run_out[sz(i * g * hd)], hd, att, len, g, c.v_at(l, j0) + kv_head * hd,
                             kv_dim, len, hd);
    }
  });
  // out = Σ_r w_r out_r with w_r = sum_r exp(max_r - max) / Σ_r sum_r exp(max_r - max)
  for (int64_t h = 0; h < d.n_head; ++h) {
    const int64_t kv_head = h / g, qi = h % g;
    const auto stats = [&](int64_t r) { return s_.run_stats[sz((r * groups + kv_head) * g + qi)]; };
    const float sink = head_sink(model_.weights().layers[sz(l)], h);
    float max = sink;  // −inf without a sink
    for (int64_t r = 0; r < runs; ++r) max = std::max(max, stats(r).max);
    double total = sink == -INFINITY ? 0.0 : std::exp(double(sink) - max);
    for (int64_t r = 0; r < runs; ++r) total += stats(r).sum * std::exp(double(stats(r).max) - max);
    float* o = &s_.att_out[sz(h * hd)];
    std::fill(o, o + hd, 0.0f);
    for (int64_t r = 0; r < runs; ++r) {
      const float w = static_cast<float>(stats(r).sum * std::exp(double(stats(r).max) - max) / total);
      axpy(o, w, &s_.run_out[sz(((r * groups + kv_head) * g + qi) * hd)], hd);
    }
  }
}

// gate = silu(gate) · up over `rows` rows of `width`, rounded as this backend's mode says (ggml's order and
// exp for cpu-llamacpp).
void CpuBackend::swiglu_rows(float* gate, const float* up, int64_t rows, int64_t width) const {
  if (rounding_ == Rounding::LlamaCpp)
    swiglu_like_ggml(gate, up, rows, width);
  else
    swiglu(gate, up, rows * width);
}

// Mixture of experts, as llama.cpp's build_moe_ffn: each token's router logits become its n_expert_used
// chosen experts and their weights (model::ExpertRouting: Mixtral's softmax probabilities renormalized, or
// as the model's rule says); each expert then runs once on all the tokens routed to it (gathered into one
// batch); each token's output is Σ_r weight_r · expert_r(x) in the order of the choice, plus the shared
// experts' output where the model has them (GLM-4.5).
void CpuBackend::moe_ffn(const model::LayerWeights& L, int64_t n, const float* router_in) {
  const model::ModelDescription& d = model_.desc();
  const int64_t dim = d.n_embd, n_exp = d.n_expert, k = d.n_expert_used, nf = d.n_ff_exp;
  Scratch& s = s_;
  project(s.router.data(), router_in ? router_in : s.xb.data(), L.router, L.router_b, n);
  s.routing.route(s.router.data(), n, n_exp, k, d.router, L.exp_probs_b);
  const auto bias = [](const std::vector<model::Vector>& b, int64_t e) {
    return b.empty() ? model::Vector{} : b[sz(e)];
  };
  const model::ExpertRouting& route = s.routing;
  for (int64_t e = 0; e < n_exp; ++e) {
    const int64_t begin = route.begin[sz(e)], count = route.count(e);
    if (count == 0) continue;
    for (int64_t i = 0; i < count; ++i) {
      const int64_t pair = route.pairs[sz(begin + i)], t = pair / k;
      std::copy_n(&s.xb[sz(t * dim)], dim, &s.moe_x[sz(i * dim)]);
      if (d.traits->moe_weight_input)  // (Llama 4: the weight on the expert's input, its output added as is)
        for (int64_t j = 0; j < dim; ++j) s.moe_x[sz(i * dim + j)] *= route.weight[sz(pair)];
    }
    if (d.traits->ffn == FfnKind::ReluSqr) {  // Nemotron: relu(up·x)², no gate
      project(s.moe_g.data(), s.moe_x.data(), L.up_exps[sz(e)], bias(L.up_exps_b, e), count);
      relu_sqr(s.moe_g.data(), count * nf);
      project(s.moe_d.data(), s.moe_g.data(), L.down_exps[sz(e)], bias(L.down_exps_b, e), count);
      for (int64_t i = 0; i < count; ++i)
        std::copy_n(&s.moe_d[sz(i * dim)], dim, &s.moe_out[sz(route.pairs[sz(begin + i)]) * sz(dim)]);
      continue;
    }
    project(s.moe_g.data(), s.moe_x.data(), L.gate_exps[sz(e)], bias(L.gate_exps_b, e), count);
    project(s.moe_u.data(), s.moe_x.data(), L.up_exps[sz(e)], bias(L.up_exps_b, e), count);
    if (d.traits->ffn == FfnKind::SwiGluOai) {
      swiglu_oai(s.moe_g.data(), s.moe_u.data(), count * nf);
    } else if (d.traits->ffn == FfnKind::GeGlu) {  // (Gemma 4)
      gelu_rows(s.moe_g.data(), count * nf);
      for (int64_t i = 0; i < count * nf; ++i) s.moe_g[sz(i)] *= s.moe_u[sz(i)];
    } else if (d.traits->ffn == FfnKind::ReGlu) {  // (SmallThinker: relu(gate·x) ⊙ up·x)
      for (int64_t i = 0; i < count * nf; ++i)
        s.moe_g[sz(i)] = std::max(s.moe_g[sz(i)], 0.0f) * s.moe_u[sz(i)];
    } else {
      swiglu_rows(s.moe_g.data(), s.moe_u.data(), count, nf);
    }
    project(s.moe_d.data(), s.moe_g.data(), L.down_exps[sz(e)], bias(L.down_exps_b, e), count);
    if (!L.down_exps_scale.empty())  // (Gemma 4: each expert's output scale)
      for (int64_t i = 0; i < count * dim; ++i) s.moe_d[sz(i)] *= L.down_exps_scale[sz(e)];
    for (int64_t i = 0; i < count; ++i)
      std::copy_n(&s.moe_d[sz(i * dim)], dim, &s.moe_out[sz(route.pairs[sz(begin + i)]) * sz(dim)]);
  }
  for (int64_t t = 0; t < n; ++t) {
    float* out = &s.xb2[sz(t * dim)];
    for (int64_t r = 0; r < k; ++r) {
      const float w = d.traits->moe_weight_input ? 1.0f : route.weight[sz(t * k + r)];
      const float* o = &s.moe_out[sz((t * k + r) * dim)];
      for (int64_t i = 0; i < dim; ++i) out[i] = r == 0 ? o[i] * w : out[i] + o[i] * w;
    }
  }
  if (L.up_shexp) {  // the shared experts: one SwiGLU over every token, added to the routed experts' sum
    if (L.gate_shexp) {
      project(s.hb.data(), s.xb.data(), L.gate_shexp, {}, n);
      project(s.hb2.data(), s.xb.data(), L.up_shexp, {}, n);
      swiglu_rows(s.hb.data(), s.hb2.data(), n, d.n_ff_shexp);
    } else {  // (Nemotron: relu(up·x)²)
      project(s.hb.data(), s.xb.data(), L.up_shexp, {}, n);
      relu_sqr(s.hb.data(), n * d.n_ff_shexp);
    }
    project(s.moe_d.data(), s.hb.data(), L.down_shexp, {}, n);
    if (L.shexp_gate) {  // Qwen2-MoE: each token's shared output times σ(gate · x)
      project(s.shexp_gate.data(), s.xb.data(), L.shexp_gate, {}, n);
      for (int64_t t = 0; t < n; ++t) {
        const float g = 1.0f / (1.0f + std::exp(-s.shexp_gate[sz(t)]));
        for (int64_t i = 0; i < dim; ++i) s.moe_d[sz(t * dim + i)] *= g;
      }
    }
    add(s.xb2.data(), s.moe_d.data(), n * dim);
    if (d.traits->shared_experts_averaged)  // (Command A+: (routed + shared) / 2, as llama.cpp)
      for (int64_t i = 0; i < n * dim; ++i) s.xb2[sz(i)] *= 0.5f;
  }
}

// GELU of n values in place, as the rounding mode computes it (ggml's table or the tanh form).
void CpuBackend::gelu_rows(float* x, int64_t n) const {
  if (rounding_ == Rounding::LlamaCpp)
    for (int64_t i = 0; i < n; ++i) x[i] = gelu_ggml(x[i]);
  else
    gelu(x, n);
}

// A dense FFN of width n_ff from the normalized xb into xb2: down(silu(gate·x) ⊙ up·x), down(gelu(gate·x) ⊙
// up·x), down(gelu(up·x + b)) + b or down(relu(up·x + b)²) + b.
void CpuBackend::dense_ffn(const model::LayerWeights& L, int64_t n, int64_t n_ff, float sparsity,
                           const model::ModelDescription::XIelu* xielu_params) {
  const model::ArchTraits& arch = *model_.desc().traits;
  Scratch& s = s_;
  if (arch.ffn == FfnKind::Gelu) {
    project(s.hb.data(), s.xb.data(), L.w_up, L.b_up, n);
    gelu_rows(s.hb.data(), n * n_ff);
  } else if (arch.ffn == FfnKind::ReluSqr) {  // Nemotron-H: relu(up·x + b)², ungated
    project(s.hb.data(), s.xb.data(), L.w_up, L.b_up, n);
    relu_sqr(s.hb.data(), n * n_ff);
  } else if (arch.ffn == FfnKind::XIelu) {  // Apertus: xielu(up·x), ungated, the layer's own parameters
    project(s.hb.data(), s.xb.data(), L.w_up, L.b_up, n);
    xielu(s.hb.data(), n * n_ff, *xielu_params);
  } else {  // gated: SwiGLU or GeGLU
    project(s.hb.data(), s.xb.data(), L.w_gate, {}, n);
    project(s.hb2.data(), s.xb.data(), L.w_up, L.b_up, n);
    if (arch.ffn == FfnKind::GeGlu) {
      // Gemma 3n's first layers: Gaussian top-k, each token's gate values less the cutoff mean + std ·
      // quantile (the sample std, n − 1), the negative ones 0
      for (int64_t t = 0; !std::isnan(sparsity) && t < n; ++t) {
        float* g = &s.hb[sz(t * n_ff)];
        float sum = 0, sq = 0;
        for (int64_t i = 0; i < n_ff; ++i) sum += g[i];
        const float mean = sum / static_cast<float>(n_ff);
        for (int64_t i = 0; i < n_ff; ++i) sq += (g[i] - mean) * (g[i] - mean);
        const float cutoff = mean + std::sqrt(sq / static_cast<float>(n_ff - 1)) * sparsity;
        for (int64_t i = 0; i < n_ff; ++i) g[i] = std::max(g[i] - cutoff, 0.0f);
      }
      gelu_rows(s.hb.data(), n * n_ff);
      for (int64_t i = 0; i < n * n_ff; ++i) s.hb[sz(i)] *= s.hb2[sz(i)];
    } else {
      swiglu_rows(s.hb.data(), s.hb2.data(), n, n_ff);
    }
  }
  project(s.xb2.data(), s.hb.data(), L.w_down, L.b_down, n);
}

// Gemma 4's mixture layer, from x (after attention) and xb (x normalized by ffn_norm) into xb2: the dense FFN
// on xb, normalized by post_ffw_norm_1, plus the experts on x normalized by pre_ffw_norm_2, their weighted
// sum normalized by post_ffw_norm_2. The router reads x RMS-normalized, times its input gains, over
// √n_embd.
void CpuBackend::gemma4_moe(const model::LayerWeights& L, int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const int64_t dim = d.n_embd;
  Scratch& s = s_;
  dense_ffn(L, n, d.n_ff);
  const float inv_sqrt = 1.0f / std::sqrt(static_cast<float>(dim));
  for (int64_t t = 0; t < n; ++t) {
    const size_t row = sz(t * dim);
    rmsnorm(&s.ffn_res[row], &s.xb2[row], L.ffn_post_norm_1, dim, d.norm_eps);
    rmsnorm(&s.router_in[row], &s.x[row], L.router_scale, dim, d.norm_eps);
    for (int64_t i = 0; i < dim; ++i) s.router_in[row + sz(i)] *= inv_sqrt;
    rmsnorm(&s.xb[row], &s.x[row], L.moe_norm, dim, d.norm_eps);
  }
  moe_ffn(L, n, s.router_in.data());
  for (int64_t t = 0; t < n; ++t)
    rmsnorm(&s.xb2[sz(t * dim)], &s.xb2[sz(t * dim)], L.moe_post_norm, dim, d.norm_eps);
  add(s.xb2.data(), s.ffn_res.data(), n * dim);
}

// Multi-head latent attention's queries, keys and values before RoPE (model::ModelDescription::Mla): per head
// q = [its RoPE part, k_b · its nope part], one key [the shared RoPE key, the normalized latent], the value
// the key itself.
void CpuBackend::mla_qkv(const model::LayerWeights& L, int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const model::ModelDescription::Mla& m = d.mla;
  Scratch& s = s_;
  const int64_t r = d.n_rot, hq = m.nope + r, hd = d.head_dim, kv_a = m.kv_rank + r;
  if (L.wq_a) {
    project(s.mla_qa.data(), s.xb.data(), L.wq_a, {}, n);
    for (int64_t t = 0; t < n; ++t)
      rmsnorm(&s.mla_qa[sz(t * m.q_rank)], &s.mla_qa[sz(t * m.q_rank)], L.q_a_norm, m.q_rank, d.norm_eps);
    project(s.mla_q.data(), s.mla_qa.data(), L.wq_b, {}, n);
  } else {
    project(s.mla_q.data(), s.xb.data(), L.wq, {}, n);
  }
  project(s.mla_kv.data(), s.xb.data(), L.wkv_a, {}, n);
  for (int64_t t = 0; t < n; ++t) {
    const float* kv = &s.mla_kv[sz(t * kv_a)];
    float* k = &s.k[sz(t * hd)];
    std::copy_n(kv + m.kv_rank, r, k);
    rmsnorm(k + r, kv, L.kv_a_norm, m.kv_rank, d.norm_eps);
  }
  // (mla_q's heads are [nope part, RoPE part])
  absorb_queries(L, s.mla_q.data(), d.n_head * hq, m.nope, 0, n, s.q.data(), s.mla_in.data(),
                 s.mla_out.data());
}

// n queries absorbed into attention's heads ([RoPE part, k_b · nope part], q_dim per query) from unabsorbed
// ones: query t's head h at src + t * src_row + h * (n_rot + nope), its RoPE part at pe_at and its nope part
// at nope_at within the head; in and out: n × nope and n × kv_rank floats of scratch.
void CpuBackend::absorb_queries(const model::LayerWeights& L, const float* src, int64_t src_row,
                                int64_t pe_at, int64_t nope_at, int64_t n, float* dst, float* in,
                                float* out) {
  const model::ModelDescription& d = model_.desc();
  const int64_t r = d.n_rot, nope = d.mla.nope, rank = d.mla.kv_rank, hd = d.head_dim, q_dim = d.q_dim();
  for (int64_t h = 0; h < d.n_head; ++h) {
    for (int64_t t = 0; t < n; ++t) {
      const float* head = src + t * src_row + h * (r + nope);
      std::copy_n(head + pe_at, r, dst + t * q_dim + h * hd);
      std::copy_n(head + nope_at, nope, in + t * nope);
    }
    project(out, in, L.k_b[sz(h)], {}, n);
    for (int64_t t = 0; t < n; ++t) std::copy_n(out + t * rank, rank, dst + t * q_dim + h * hd + r);
  }
}

// Each head's attention output (its latent part, after the RoPE part) back from latent space through v_b,
// into mla_o for wo.
void CpuBackend::mla_values(const model::LayerWeights& L, int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const model::ModelDescription::Mla& m = d.mla;
  Scratch& s = s_;
  const int64_t hd = d.head_dim, vd = d.attn_out_dim();
  for (int64_t h = 0; h < d.n_head; ++h) {
    for (int64_t t = 0; t < n; ++t)
      std::copy_n(&s.att_out[sz((t * d.n_head + h) * hd + d.n_rot)], m.kv_rank, &s.mla_in[sz(t * m.kv_rank)]);
    project(s.mla_out.data(), s.mla_in.data(), L.v_b[sz(h)], {}, n);
    for (int64_t t = 0; t < n; ++t)
      std::copy_n(&s.mla_out[sz(t * m.v_head)], m.v_head, &s.mla_o[sz(t * vd + h * m.v_head)]);
  }
}

// A short-convolution layer (LFM2, as llama.cpp's build_shortconv_block): per token [b, c, x] = in_proj · xb;
// b·x goes into the layer's convolution cache at the token's position; each channel's causal convolution
// over the last kernel positions (none before the first: zeros), oldest tap first, times c; out_proj.
void CpuBackend::short_conv(CpuCaches& c, const model::LayerWeights& L, int64_t l, int64_t n, int64_t pos0) {
  const model::ModelDescription& d = model_.desc();
  const int64_t dim = d.n_embd, taps = d.shortconv_kernel;
  Scratch& s = s_;
  project(s.conv_bcx.data(), s.xb.data(), L.conv_in, {}, n);
  for (int64_t t = 0; t < n; ++t) {
    const float* bcx = &s.conv_bcx[sz(t * 3 * dim)];
    float* bx = c.conv_at(l, pos0 + t);
    for (int64_t i = 0; i < dim; ++i) bx[i] = bcx[i] * bcx[2 * dim + i];
  }
  for (int64_t t = 0; t < n; ++t) {
    const int64_t pos = pos0 + t;
    const float* gate = &s.conv_bcx[sz(t * 3 * dim + dim)];
    float* y = &s.xb[sz(t * dim)];  // (in_proj has read xb)
    for (int64_t i = 0; i < dim; ++i) {
      float acc = 0.0f;
      for (int64_t j = std::max<int64_t>(0, taps - 1 - pos); j < taps; ++j)
        acc += L.conv_taps[sz(i * taps + j)] * c.conv_at(l, pos - (taps - 1) + j)[i];
      y[i] = gate[i] * acc;
    }
  }
  project(s.xb2.data(), s.xb.data(), L.conv_out, {}, n);
}

// A gated delta-net layer (Qwen3.5, as llama.cpp's qwen35 graph and its delta_net_autoregressive): per
// token q|k|v through the layer's causal convolution (its last conv_kernel - 1 inputs kept in the caches) and
// SiLU; q and k L2-normalized per head (divided by max(‖x‖, eps)), q times 1/√head_k_dim; per value head h
// (key head h % n_k_heads) the decay g = softplus(α + dt_bias) · A and β = σ(β logit), then S ← e^g S,
// S ← S + β (v − S k) kᵀ, o = S q; o RMS-normalized with the norm's gains, times SiLU(z); out_proj. Tokens
// run in order (the state carries each into the next); the value heads in parallel.
void CpuBackend::delta_net(CpuCaches& c, const model::LayerWeights& L, int64_t l, int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const model::ModelDescription::DeltaNet& dn = d.delta;
  const int64_t channels = dn.conv_dim(), taps = dn.conv_kernel, dk = dn.head_k_dim, dv = dn.head_v_dim;
  const int64_t key_dim = dn.key_dim(), value_dim = dn.value_dim();
  Scratch& s = s_;
  project(s.dn_qkv.data(), s.xb.data(), L.dn_qkv, {}, n);
  project(s.dn_z.data(), s.xb.data(), L.dn_z, {}, n);
  project(s.dn_beta.data(), s.xb.data(), L.dn_beta, {}, n);
  // (grouped: α beside β in the same rows)
  const float* alpha = L.dn_alpha ? s.dn_alpha.data() : s.dn_beta.data();
  if (L.dn_alpha) project(s.dn_alpha.data(), s.xb.data(), L.dn_alpha, {}, n);
  const int64_t ba = dn.ba_width();
  float* window = c.window_at(l);  // ((taps - 1) × channels), oldest first
  float* state = c.state_at(l);
  for (int64_t t = 0; t < n; ++t) {
    // the convolution over this token and the window's inputs, SiLU, then the window moves on
    float* qkv = &s.dn_qkv[sz(t * channels)];
    for (int64_t ch = 0; ch < channels; ++ch) {
      const float* w = &L.dn_conv[sz(ch * taps)];
      float acc = 0.0f;
      for (int64_t j = 0; j + 1 < taps; ++j) acc += w[j] * window[sz(j * channels + ch)];
      acc += w[taps - 1] * qkv[ch];
      if (taps > 1) {
        for (int64_t j = 0; j + 2 < taps; ++j)
          window[sz(j * channels + ch)] = window[sz((j + 1) * channels + ch)];
        window[sz((taps - 2) * channels + ch)] = qkv[ch];
      }
      qkv[ch] = silu(acc);
    }
    for (int64_t h = 0; h < dn.n_k_heads; ++h) {
      l2_normalize(qkv + h * dk, dk, d.norm_eps);
      l2_normalize(qkv + key_dim + h * dk, dk, d.norm_eps);
    }
    const float q_scale = 1.0f / std::sqrt(static_cast<float>(dk));
    pool_.parallel_for(dn.n_v_heads, [&](int64_t begin, int64_t end, int) {
      std::vector<float> q(sz(dk));
      for (int64_t h = begin; h < end; ++h) {
        const int64_t kh = dn.key_head(h);
        for (int64_t j = 0; j < dk; ++j) q[sz(j)] = qkv[kh * dk + j] * q_scale;
        const float* k = qkv + key_dim + kh * dk;
        const float* v = qkv + 2 * key_dim + h * dv;
        const float a = alpha[sz(t * ba + dn.alpha_at(h))] + L.dn_dt_bias[sz(h)];
        const float softplus = a > 20.0f ? a : std::log1p(std::exp(a));
        const float decay = std::exp(softplus * L.dn_a[sz(h)]);
        const float beta = 1.0f / (1.0f + std::exp(-s.dn_beta[sz(t * ba + dn.beta_at(h))]));
        float* S = state + h * dv * dk;  // row i: value dimension i, over the key dimensions
        float* o = &s.dn_out[sz(t * value_dim + h * dv)];
        for (int64_t i = 0; i < dv; ++i) {
          float* row = S + i * dk;
          float sk = 0.0f;
          for (int64_t j = 0; j < dk; ++j) sk += (row[j] *= decay) * k[j];
          const float delta = (v[i] - sk) * beta;
          float out = 0.0f;
          for (int64_t j = 0; j < dk; ++j) out += (row[j] += k[j] * delta) * q[sz(j)];
          o[i] = out;
        }
        // RMSNorm over the head with the norm's gains, times SiLU of the gate
        float ss = 0.0f;
        for (int64_t i = 0; i < dv; ++i) ss += o[i] * o[i];
        const float scale = 1.0f / std::sqrt(ss / static_cast<float>(dv) + d.norm_eps);
        const float* z = &s.dn_z[sz(t * value_dim + h * dv)];
        for (int64_t i = 0; i < dv; ++i) o[i] = o[i] * scale * L.dn_norm[sz(i)] * silu(z[i]);
      }
    });
  }
  project(s.xb2.data(), s.dn_out.data(), L.dn_out, {}, n);
}

// A Kimi Delta Attention layer (Kimi Linear, as llama.cpp's kimi-linear graph and fla's
// naive_recurrent_kda): per token q, k and v by projections of their own, each through its causal
// convolution (the last conv_kernel - 1 inputs of all three kept in the caches as [q, k, v] channels) and
// SiLU; q and k L2-normalized per head (divided by max(‖x‖, eps)), q times 1/√head_dim; per head h the decay
// of each key channel j, g_j = A_h · softplus((f_b · f_a · x)_j + dt_bias_j), and β = σ(β logit); then
// S ← S·diag(e^g) (each key column decays by its own channel, where Qwen3.5's delta net decays the whole
// state by one number), S ← S + β (v − S k) kᵀ, o = S q; o RMS-normalized with the norm's gains, times
// σ(g_b · g_a · x) (a sigmoid, not Qwen3.5's SiLU); out_proj. Tokens run in order, the heads in parallel.
void CpuBackend::kda(CpuCaches& c, const model::LayerWeights& L, int64_t l, int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const model::ModelDescription::DeltaNet& dn = d.delta;
  const int64_t inner = dn.key_dim(), channels = dn.conv_dim(), taps = dn.conv_kernel, dk = dn.head_k_dim;
  Scratch& s = s_;
  // q, k and v of the step's tokens as three planes of n rows (the convolution reads channel ch of plane
  // ch / inner)
  float* planes[3] = {s.dn_qkv.data(), s.dn_qkv.data() + n * inner, s.dn_qkv.data() + 2 * n * inner};
  project(planes[0], s.xb.data(), L.wq, {}, n);
  project(planes[1], s.xb.data(), L.wk, {}, n);
  project(planes[2], s.xb.data(), L.wv, {}, n);
  project(s.kda_lo.data(), s.xb.data(), L.kda_f_a, {}, n);  // the decay's low-rank pair
  project(s.kda_g.data(), s.kda_lo.data(), L.kda_f_b, {}, n);
  project(s.kda_lo.data(), s.xb.data(), L.kda_g_a, {}, n);  // the output gate's
  project(s.dn_z.data(), s.kda_lo.data(), L.kda_g_b, {}, n);
  project(s.dn_beta.data(), s.xb.data(), L.dn_beta, {}, n);
  float* window = c.window_at(l);  // ((taps - 1) × channels), oldest first
  float* state = c.state_at(l);
  for (int64_t t = 0; t < n; ++t) {
    // the three convolutions over this token and the window's inputs, SiLU, then the window moves on
    for (int64_t ch = 0; ch < channels; ++ch) {
      float& x = planes[ch / inner][t * inner + ch % inner];
      const float* w = &L.dn_conv[sz(ch * taps)];
      float acc = 0.0f;
      for (int64_t j = 0; j + 1 < taps; ++j) acc += w[j] * window[sz(j * channels + ch)];
      acc += w[taps - 1] * x;
      for (int64_t j = 0; j + 2 < taps; ++j)
        window[sz(j * channels + ch)] = window[sz((j + 1) * channels + ch)];
      window[sz((taps - 2) * channels + ch)] = x;
      x = silu(acc);
    }
    float* q_t = planes[0] + t * inner;
    float* k_t = planes[1] + t * inner;
    const float* v_t = planes[2] + t * inner;
    for (int64_t h = 0; h < dn.n_k_heads; ++h) {
      l2_normalize(q_t + h * dk, dk, d.norm_eps);
      l2_normalize(k_t + h * dk, dk, d.norm_eps);
    }
    const float q_scale = 1.0f / std::sqrt(static_cast<float>(dk));
    pool_.parallel_for(dn.n_v_heads, [&](int64_t begin, int64_t end, int) {
      std::vector<float> decay(sz(dk));
      for (int64_t h = begin; h < end; ++h) {
        const float* k = k_t + h * dk;
        const float* q = q_t + h * dk;
        const float* v = v_t + h * dk;
        for (int64_t j = 0; j < dk; ++j) {
          const float a = s.kda_g[sz(t * inner + h * dk + j)] + L.dn_dt_bias[sz(h * dk + j)];
          const float softplus = a > 20.0f ? a : std::log1p(std::exp(a));
          decay[sz(j)] = std::exp(softplus * L.dn_a[sz(h)]);
        }
        const float beta = 1.0f / (1.0f + std::exp(-s.dn_beta[sz(t * dn.n_v_heads + h)]));
        float* S = state + h * dk * dk;  // row i: value dimension i, over the key dimensions
        float* o = &s.dn_out[sz(t * inner + h * dk)];
        for (int64_t i = 0; i < dk; ++i) {
          float* row = S + i * dk;
          float sk = 0.0f;
          for (int64_t j = 0; j < dk; ++j) sk += (row[j] *= decay[sz(j)]) * k[j];
          const float delta = (v[i] - sk) * beta;
          float out = 0.0f;
          for (int64_t j = 0; j < dk; ++j) out += (row[j] += k[j] * delta) * q[j];
          o[i] = out * q_scale;
        }
        // RMSNorm over the head with the norm's gains, times σ of the gate
        float ss = 0.0f;
        for (int64_t i = 0; i < dk; ++i) ss += o[i] * o[i];
        const float scale = 1.0f / std::sqrt(ss / static_cast<float>(dk) + d.norm_eps);
        const float* z = &s.dn_z[sz(t * inner + h * dk)];
        for (int64_t i = 0; i < dk; ++i) o[i] = o[i] * scale * L.dn_norm[sz(i)] / (1.0f + std::exp(-z[i]));
      }
    });
  }
  project(s.xb2.data(), s.dn_out.data(), L.dn_out, {}, n);
}

// A Mamba-2 layer (Granite 4.0-H, as llama.cpp's build_mamba2_layer and ggml's ssm_scan): per token
// [z, x|B|C, dt] = in_proj · xb; x|B|C through the layer's causal convolution (its last conv_kernel - 1
// inputs kept in the caches) plus its bias, then SiLU; per head h (B and C of group h / (n_head / n_group),
// as Hugging Face's repeat_interleave) with dt = softplus(dt + dt_bias): state ← e^{dt·A} state + (x·dt) Bᵀ,
// y = state C + D·x; y times SiLU(z), RMS-normalized over each group of d_inner / n_group with the norm's
// gains (where the layer has a norm: Falcon-H1's may not); out_proj. Tokens run in order, the heads in
// parallel.
void CpuBackend::mamba2(CpuCaches& c, const model::LayerWeights& L, int64_t l, int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const model::ModelDescription::Mamba2& m = d.mamba;
  const int64_t channels = m.conv_dim(), taps = m.conv_kernel, hd = m.head_dim(), ds = m.d_state;
  const int64_t in_dim = m.in_dim(), heads_per_group = m.n_head / m.n_group, gw = m.d_inner / m.n_group;
  Scratch& s = s_;
  project(s.mb_in.data(), s.xb.data(), L.mb_in, {}, n);
  float* window = c.window_at(l);  // ((taps - 1) × channels), oldest first
  float* state = c.state_at(l);    // (n_head, head_dim, d_state)
  for (int64_t t = 0; t < n; ++t) {
    float* row = &s.mb_in[sz(t * in_dim)];
    const float* z = row;
    float* xbc = row + m.d_inner;
    const float* dt = row + m.d_inner + channels;
    for (int64_t ch = 0; ch < channels; ++ch) {
      const float* w = &L.mb_conv[sz(ch * taps)];
      float acc = 0.0f;
      for (int64_t j = 0; j + 1 < taps; ++j) acc += w[j] * window[sz(j * channels + ch)];
      acc += w[taps - 1] * xbc[ch];
      for (int64_t j = 0; j + 2 < taps; ++j)
        window[sz(j * channels + ch)] = window[sz((j + 1) * channels + ch)];
      window[sz((taps - 2) * channels + ch)] = xbc[ch];
      if (!L.mb_conv_b.empty()) acc += L.mb_conv_b[sz(ch)];
      xbc[ch] = silu(acc);
    }
    const float* x = xbc;
    float* y = &s.mb_y[sz(t * m.d_inner)];
    pool_.parallel_for(m.n_head, [&](int64_t begin, int64_t end, int) {
      for (int64_t h = begin; h < end; ++h) {
        const int64_t g = h / heads_per_group;
        const float* B = xbc + m.d_inner + g * ds;
        const float* C = xbc + m.d_inner + m.n_group * ds + g * ds;
        const float pre = dt[h] + L.mb_dt_bias[sz(h)];
        const float dt_h = pre > 20.0f ? pre : std::log1p(std::exp(pre));
        const float decay = std::exp(dt_h * L.mb_a[sz(h)]);
        for (int64_t p = 0; p < hd; ++p) {
          float* S = state + (h * hd + p) * ds;
          const float x_dt = x[h * hd + p] * dt_h;
          float out = 0.0f;
          for (int64_t k = 0; k < ds; ++k) {
            S[k] = S[k] * decay + B[k] * x_dt;
            out += S[k] * C[k];
          }
          out += L.mb_d[sz(h)] * x[h * hd + p];
          y[h * hd + p] = out * silu(z[h * hd + p]);
        }
      }
    });
    // RMSNorm over each group of d_inner / n_group, with the norm's gains
    for (int64_t g = 0; g < m.n_group && !L.mb_norm.empty(); ++g)
      rmsnorm(y + g * gw, y + g * gw, L.mb_norm.subspan(sz(g * gw), sz(gw)), gw, d.norm_eps);
  }
  project(s.xb2.data(), s.mb_y.data(), L.mb_out, {}, n);
}

// A Mamba-1 layer (mamba: state-spaces' Mamba, Falcon-Mamba; as llama.cpp's build_mamba_layer and ggml's
// ssm_scan): per token [x, z] = in_proj · xb; x through the layer's causal convolution (its last
// conv_kernel - 1 inputs kept in the caches) plus its bias, then SiLU; [dt, B, C] = x_proj · x, each
// RMS-normalized without gains where the model says so (Falcon-Mamba); dt = softplus(dt_proj · dt + bias)
// per channel; per channel c: state_c ← e^{dt_c·A_c} ⊙ state_c + (x_c·dt_c) B, y_c = state_c · C + D_c·x_c;
// y times SiLU(z); out_proj. Tokens run in order, the channels in parallel.
void CpuBackend::mamba1(CpuCaches& c, const model::LayerWeights& L, int64_t l, int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const model::ModelDescription::Mamba2& m = d.mamba;
  const int64_t di = m.d_inner, taps = m.conv_kernel, ds = m.d_state, xd = m.x_proj_dim();
  Scratch& s = s_;
  project(s.mb_in.data(), s.xb.data(), L.mb_in, {}, n);
  float* window = c.window_at(l);  // ((taps - 1) × d_inner), oldest first
  float* state = c.state_at(l);    // (d_inner, d_state)
  // the convolution over x, which the projections below read for every token at once
  for (int64_t t = 0; t < n; ++t) {
    float* x = &s.mb_in[sz(t * 2 * di)];
    for (int64_t ch = 0; ch < di; ++ch) {
      const float* w = &L.mb_conv[sz(ch * taps)];
      float acc = 0.0f;
      for (int64_t j = 0; j + 1 < taps; ++j) acc += w[j] * window[sz(j * di + ch)];
      acc += w[taps - 1] * x[ch];
      for (int64_t j = 0; j + 2 < taps; ++j) window[sz(j * di + ch)] = window[sz((j + 1) * di + ch)];
      window[sz((taps - 2) * di + ch)] = x[ch];
      x[ch] = silu(acc + L.mb_conv_b[sz(ch)]);
    }
    std::copy_n(x, di, &s.mb_y[sz(t * di)]);  // (x_proj reads the rows packed)
  }
  project(s.mb_xdb.data(), s.mb_y.data(), L.mb_x, {}, n);
  if (m.dt_b_c_rms) {  // dt, B and C each RMS-normalized: Jamba's gains, Falcon-Mamba's of 1
    const model::Vector ones(s.mb_ones);
    const model::Vector g_dt = m.dt_b_c_gains ? L.mb_dt_norm : ones;
    const model::Vector g_b = m.dt_b_c_gains ? L.mb_b_norm : ones;
    const model::Vector g_c = m.dt_b_c_gains ? L.mb_c_norm : ones;
    for (int64_t t = 0; t < n; ++t) {
      float* row = &s.mb_xdb[sz(t * xd)];
      rmsnorm(row, row, g_dt, m.dt_rank, d.norm_eps);
      rmsnorm(row + m.dt_rank, row + m.dt_rank, g_b, ds, d.norm_eps);
      rmsnorm(row + m.dt_rank + ds, row + m.dt_rank + ds, g_c, ds, d.norm_eps);
    }
  }
  // dt_proj reads each token's dt, the first dt_rank of its row: packed into mb_y's rows first
  for (int64_t t = 0; t < n; ++t) std::copy_n(&s.mb_xdb[sz(t * xd)], m.dt_rank, &s.mb_y[sz(t * m.dt_rank)]);
  project(s.mb_dt.data(), s.mb_y.data(), L.mb_dt, L.mb_dt_bias, n);
  for (int64_t t = 0; t < n; ++t) {
    const float* x = &s.mb_in[sz(t * 2 * di)];
    const float* z = x + di;
    const float* B = &s.mb_xdb[sz(t * xd + m.dt_rank)];
    const float* C = B + ds;
    const float* dt = &s.mb_dt[sz(t * di)];
    float* y = &s.mb_y[sz(t * di)];
    pool_.parallel_for(di, [&](int64_t begin, int64_t end, int) {
      for (int64_t ch = begin; ch < end; ++ch) {
        const float dt_c = dt[ch] > 20.0f ? dt[ch] : std::log1p(std::exp(dt[ch]));  // softplus, as ggml
        const float x_dt = x[ch] * dt_c;
        const float* A = &L.mb_a[sz(ch * ds)];
        float* S = state + ch * ds;
        float out = 0.0f;
        for (int64_t k = 0; k < ds; ++k) {
          S[k] = S[k] * std::exp(dt_c * A[k]) + B[k] * x_dt;
          out += S[k] * C[k];
        }
        out += x[ch] * L.mb_d[sz(ch)];
        y[ch] = out * silu(z[ch]);
      }
    });
  }
  project(s.xb2.data(), s.mb_y.data(), L.mb_out, {}, n);
}

void CpuBackend::forward_batch(CpuCaches& c, const int32_t* tokens, int64_t n, int64_t pos0,
                               int64_t first_logit, float* logits) {
  const model::ModelDescription& d = model_.desc();
  const model::Weights& w = model_.weights();
  const model::ArchTraits& arch = *d.traits;
  const int64_t dim = d.n_embd;
  Scratch& s = s_;
  auto norm = [&](float* out, const float* in, model::Vector gain, model::Vector bias) {
    if (gain.empty())  // olmo2: no norm before a sublayer
      std::copy_n(in, dim, out);
    else if (arch.norm == NormKind::Rms && arch.rms_norm_bias) {  // (phimoe: then its bias, as llama.cpp)
      rmsnorm(out, in, gain, dim, d.norm_eps);
      for (int64_t i = 0; i < dim; ++i) out[i] += bias[static_cast<size_t>(i)];
    } else if (arch.norm == NormKind::Rms)
      rmsnorm(out, in, gain, dim, d.norm_eps);
    else
      layernorm(out, in, gain, bias, dim, d.norm_eps);
  };

  // token embedding (+ learned position embedding)
  for (int64_t t = 0; t < n; ++t) {
    float* x = &s.x[sz(t * dim)];
    quant::dequantize_row(w.token_embd.type, w.token_embd.row(tokens[t]), x, dim);
    if (d.embedding_scale != 1.0f)
      for (int64_t i = 0; i < dim; ++i) x[i] *= d.embedding_scale;  // ggml_scale, f32
    if (arch.learned_positions) {
      quant::dequantize_row(w.position_embd.type, w.position_embd.row(pos0 + t), s.xb2.data(), dim);
      add(x, s.xb2.data(), dim);
    }
  }
  // BLOOM: the embeddings LayerNorm'd (token_embd_norm) before the first layer
  if (arch.embd_norm)
    for (int64_t t = 0; t < n; ++t)
      layernorm(&s.x[sz(t * dim)], &s.x[sz(t * dim)], w.token_embd_norm, w.token_embd_norm_b, dim,
                d.norm_eps);
  if (d.per_layer_embd > 0) per_layer_inputs(tokens, n);
  if (arch.altup) altup_init(n);

  for (int64_t l = 0; l < d.n_layer; ++l) {
    const model::LayerWeights& L = w.layers[sz(l)];
    if (arch.altup) altup_predict(L, n);  // (the layer runs on the active stream's prediction)
    // this layer's attention shape (Gemma 4's differ by kind of layer)
    const model::ModelDescription::Heads heads = d.heads(l);
    const int64_t q_dim = heads.q_dim(), kv_dim = heads.kv_dim(), hd = heads.head_dim;

    // attention norm (Nemotron-H's FFN layers mix nothing: their norm comes with the FFN below; deci's
    // layers without attention add nothing before their FFN)
    const bool mixes = d.mixer(l) != model::ModelDescription::Mixer::None;
    // (SmallThinker: the router reads the layer's input, kept before attention changes x)
    if (arch.router_from_layer_input && d.moe_layer(l)) std::copy_n(s.x.data(), n * dim, s.router_in.data());
    if (mixes)
      for (int64_t t = 0; t < n; ++t) norm(&s.xb[sz(t * dim)], &s.x[sz(t * dim)], L.attn_norm, L.attn_norm_b);
    if (arch.altup) laurel(L, n);  // (from the attention norm's output, beside attention)

    // a sublayer's output in xb2 RMS-normalized before its residual add (post_norms)
    const auto post_norm = [&](model::Vector gain) {
      if (arch.post_norms)
        for (int64_t t = 0; t < n; ++t)
          rmsnorm(&s.xb2[sz(t * dim)], &s.xb2[sz(t * dim)], gain, dim, d.norm_eps);
    };

    // a sublayer's output scaled before its residual add (granite)
    const auto residual_scale = [&] {
      if (d.residual_scale != 1.0f)
        for (int64_t i = 0; i < n * dim; ++i) s.xb2[sz(i)] *= d.residual_scale;
    };

    // Falcon-H1: Mamba-2 beside attention, both reading the norm's output in xb; its output kept aside
    // until attention's joins it
    const bool beside = d.mixer(l) == model::ModelDescription::Mixer::Mamba2Attention;
    if (beside) {
      mamba2(c, L, l, n);
      s.ssm_res.swap(s.xb2);
    }

    if (!mixes) {
      // (an FFN layer)
    } else if (d.mixer(l) == model::ModelDescription::Mixer::DeltaNet && d.delta.kda) {  // Kimi Linear's
      kda(c, L, l, n);
    } else if (d.mixer(l) == model::ModelDescription::Mixer::DeltaNet) {  // Qwen3.5's linear attention
      delta_net(c, L, l, n);
    } else if (d.mixer(l) == model::ModelDescription::Mixer::Mamba2) {  // Granite 4.0-H's state spaces
      mamba2(c, L, l, n);
    } else if (d.mixer(l) == model::ModelDescription::Mixer::Mamba1) {  // Mamba-1's selective scan
      mamba1(c, L, l, n);
    } else if (d.mixer(l) == model::ModelDescription::Mixer::Linear) {  // deci: attention replaced by wo
      project(s.xb2.data(), s.xb.data(), L.wo, L.bo, n);
    } else if (!d.has_attention(l)) {  // a short-convolution layer (LFM2) mixes the tokens instead
      short_conv(c, L, l, n, pos0);
    } else {
      // q, k, v projections (+ biases)
      if (arch.fused_qkv) {
        const int64_t n_qkv = q_dim + 2 * kv_dim;
        project(s.qkv.data(), s.xb.data(), L.wqkv, L.bqkv, n);
        for (int64_t t = 0; t < n; ++t) {
          const float* row = &s.qkv[sz(t * n_qkv)];
          std::memcpy(&s.q[sz(t * q_dim)], row, sz(q_dim) * sizeof(float));
          std::memcpy(&s.k[sz(t * kv_dim)], row + q_dim, sz(kv_dim) * sizeof(float));
          std::memcpy(&s.v[sz(t * kv_dim)], row + q_dim + kv_dim, sz(kv_dim) * sizeof(float));
        }
      } else if (d.is_mla()) {
        mla_qkv(L, n);
      } else {
        if (arch.attn_output_gate) {  // per head [q, gate] rows (Qwen3.5)
          project(s.q_gate.data(), s.xb.data(), L.wq, L.bq, n);
          for (int64_t t = 0; t < n; ++t)
            for (int64_t h = 0; h < d.n_head; ++h) {
              const float* row = &s.q_gate[sz((t * d.n_head + h) * 2 * hd)];
              std::copy_n(row, hd, &s.q[sz(t * q_dim + h * hd)]);
              std::copy_n(row + hd, hd, &s.attn_gate[sz(t * q_dim + h * hd)]);
            }
        } else {
          project(s.q.data(), s.xb.data(), L.wq, L.bq, n);
        }
        // (afmoe: the output gate from its own matrix, on the same normalized input)
        if (arch.attn_gate_proj) project(s.attn_gate.data(), s.xb.data(), L.w_attn_gate, {}, n);
        if (d.keeps_kv(l)) {  // (Gemma 4's last layers attend over an earlier layer's)
          project(s.k.data(), s.xb.data(), L.wk, L.bk, n);
          if (L.wv)
            project(s.v.data(), s.xb.data(), L.wv, L.bv, n);
          else  // (Gemma 4's full layers without attn_v: V = K, before K's norm)
            std::copy_n(s.k.data(), n * kv_dim, s.v.data());
        }
      }
      // OLMo 1's clip_qkv: every element of q, k and v clamped to ±clamp_kqv before RoPE and the caches
      if (d.clamp_kqv > 0.0f) {
        const float c = d.clamp_kqv;
        const auto clamp_all = [c](float* x, int64_t count) {
          for (int64_t i = 0; i < count; ++i) x[i] = std::clamp(x[i], -c, c);
        };
        clamp_all(s.q.data(), n * q_dim);
        clamp_all(s.k.data(), n * kv_dim);
        clamp_all(s.v.data(), n * kv_dim);
      }

      // RMSNorm of every q and k head (qwen3), RoPE on q and k, then q into the Q cache and k, v into the KV
      // cache
      // (sliding-window layers: their own base, no RoPE scaling)
      const float base = d.rope_base(l);
      const bool scaled = d.rope_scaled(l);
      const model::Vector factors = scaled ? w.rope_factors(d, c.n_ctx) : model::Vector{};
      const model::Vector divisors = scaled ? w.rope_divisors(d, c.n_ctx) : model::Vector{};
      const model::RopeScaling scaling = scaled ? d.rope_scaling : model::RopeScaling{};
      const auto rope_qk = [&](float* x, int64_t n_heads, int64_t pos) {
        if (!d.rope_in_layer(l)) return;  // SmolLM3's NoPE layers
        if (rounding_ == Rounding::Fast)
          rope(x, n_heads, hd, heads.n_rot, pos, base, arch.rope, divisors, scaling.mscale());
        else
          rope_like_ggml(x, n_heads, hd, heads.n_rot, pos, base, arch.rope, factors, scaling);
      };
      for (int64_t t = 0; t < n; ++t) {
        float* q = &s.q[sz(t * q_dim)];
        float* k = &s.k[sz(t * kv_dim)];
        const auto norm_qk = [&] {
          if (arch.qk_norm_full) {
            rmsnorm(q, q, L.q_norm, q_dim, d.norm_eps);
            rmsnorm(k, k, L.k_norm, kv_dim, d.norm_eps);
          } else if (d.qk_layer_norm) {  // StableLM 2 12B, Command R+: LayerNorms, each head its own gains
            for (int64_t h = 0; h < d.n_head; ++h)
              layernorm(q + h * hd, q + h * hd, L.q_norm.subspan(sz(h * hd), sz(hd)), {}, hd, d.norm_eps);
            for (int64_t h = 0; h < heads.n_head_kv; ++h)
              layernorm(k + h * hd, k + h * hd, L.k_norm.subspan(sz(h * hd), sz(hd)), {}, hd, d.norm_eps);
          } else if (!L.q_norm.empty()) {
            for (int64_t h = 0; h < d.n_head; ++h) rmsnorm(q + h * hd, q + h * hd, L.q_norm, hd, d.norm_eps);
            for (int64_t h = 0; h < heads.n_head_kv && !L.k_norm.empty(); ++h)
              rmsnorm(k + h * hd, k + h * hd, L.k_norm, hd, d.norm_eps);
          }
          if (arch.layer_shapes && !L.k_norm.empty()) {  // Gemma 4: each V head RMS-normalized, no gains
            float* v = &s.v[sz(t * kv_dim)];
            for (int64_t h = 0; h < heads.n_head_kv; ++h)
              rmsnorm(v + h * hd, v + h * hd, model::Vector(s.ones).first(sz(hd)), hd, d.norm_eps);
          }
        };
        if (!arch.qk_norm_after_rope) norm_qk();
        const bool own_kv = d.keeps_kv(l);  // (else k and v are an earlier layer's, already cached)
        rope_qk(q, d.n_head, pos0 + t);
        if (own_kv) rope_qk(k, heads.n_head_kv, pos0 + t);
        if (arch.qk_norm_after_rope) norm_qk();     // (Hunyuan)
        if (d.qk_rms_norm && d.rope_in_layer(l)) {  // Llama 4: each turned q and k head normalized, no gains
          const model::Vector ones = model::Vector(s.ones).first(sz(hd));
          for (int64_t h = 0; h < d.n_head; ++h) rmsnorm(q + h * hd, q + h * hd, ones, hd, d.norm_eps);
          for (int64_t h = 0; h < heads.n_head_kv; ++h) rmsnorm(k + h * hd, k + h * hd, ones, hd, d.norm_eps);
        }
        // (Llama 4's NoPE layers, Mistral's every layer: the queries scaled by the attention temperature of
        // their position)
        const float temp = d.attn_temperature(l, pos0 + t);
        if (temp != 1.0f)
          for (int64_t i = 0; i < q_dim; ++i) q[i] *= temp;
        if (rounding_ == Rounding::LlamaCpp) {
          // F16 KV cache; the query is converted to fp16 for the F16 K·Q product.
          for (int64_t i = 0; i < q_dim; ++i) q[i] = round_fp16(q[i]);
          for (int64_t i = 0; i < kv_dim && own_kv; ++i) {
            k[i] = round_fp16(k[i]);
            s.v[sz(t * kv_dim + i)] = round_fp16(s.v[sz(t * kv_dim + i)]);
          }
        }
        if (d.is_mla()) {  // each head unabsorbed: its RoPE part, its nope part (map_queries absorbs them)
          const int64_t r = d.n_rot, nope = d.mla.nope;
          for (int64_t h = 0; h < d.n_head; ++h) {
            float* row = c.q_at(l, pos0 + t) + h * (r + nope);
            std::copy_n(q + h * hd, r, row);
            const float* q_nope = &s.mla_q[sz((t * d.n_head + h) * (nope + r))];  // (before the temperature)
            for (int64_t i = 0; i < nope; ++i) row[r + i] = q_nope[i] * temp;
          }
        } else {
          std::memcpy(c.q_at(l, pos0 + t), q, sz(q_dim) * sizeof(float));
        }
        if (!own_kv) continue;
        std::memcpy(c.k_at(l, pos0 + t), k, sz(kv_dim) * sizeof(float));
        if (!c.v_is_k) std::memcpy(c.v_at(l, pos0 + t), &s.v[sz(t * kv_dim)], sz(kv_dim) * sizeof(float));
      }

      // causal multi-head attention over the cache: token t sees positions 0…pos0+t
      static const GemmKernel gemm = best_gemm_kernel();
      if (rounding_ == Rounding::Fast && gemm != GemmKernel::Portable && n >= 2 && hd >= kPanelInputs) {
        // Prompt steps: the keys and values packed once, then per head blocks of queries as two products with
        // the GEMM kernel (gemm_f32.h)
        pack_kv_panels(c, l, pos0 + n);
        const int64_t group = gemm_rows_group(gemm), n_blocks = (n + group - 1) / group;
        pool_.parallel_for(d.n_head * n_blocks, [&](int64_t begin, int64_t end, int) {
          for (int64_t i = begin; i < end; ++i)
            attention_block(l, i / n_blocks, (i % n_blocks) * group, n, pos0, pos0 + n, gemm);
        });
      } else if (rounding_ == Rounding::Fast && n == 1 &&
                 int64_t((pos0 + 1 - d.first_key(l, pos0)) * hd * 2 * sizeof(float)) > group_bytes_) {
        attention_groups(c, l, pos0);
      } else {
        // one task per token × head (a KV head's keys and values stay in L2 for its other query heads)
        pool_.parallel_for(n * d.n_head, [&](int64_t begin, int64_t end, int thread) {
          float* att = &s.att[sz(thread * c.n_ctx)];
          for (int64_t i = begin; i < end; ++i) {
            const int64_t t = i / d.n_head, h = i % d.n_head, pos = pos0 + t, kv_head = h / heads.group();
            float* out = &s.att_out[sz(t * q_dim + h * hd)];
            const float* qh = &s.q[sz(t * q_dim + h * hd)];
            if (rounding_ == Rounding::LlamaCpp) {
              attention_like_ggml(out, att, qh, c, d, l, h, pos, head_sink(L, h));
              continue;
            }
            attention_row(att, qh, c, d, l, h, pos, head_sink(L, h));
            const int64_t first = d.first_key(l, pos);
            attention_values(out, att + first, c.v_at(l, first) + kv_head * hd, kv_dim, pos + 1 - first, hd);
          }
        });
      }

      // output projection and residual (multi-head latent attention: each head's output from latent space
      // first)
      if (d.is_mla()) mla_values(L, n);
      if (arch.gates_attn_output())  // each head's output times σ(its gate) (Qwen3.5, afmoe)
        for (int64_t i = 0; i < n * q_dim; ++i)
          s.att_out[sz(i)] *= 1.0f / (1.0f + std::exp(-s.attn_gate[sz(i)]));
      project(s.xb2.data(), d.is_mla() ? s.mla_o.data() : s.att_out.data(), L.wo, L.bo, n);
    }
    // (as llama.cpp's falcon-h1: x + (attn + ssm))
    if (beside) add(s.xb2.data(), s.ssm_res.data(), n * dim);
    // (a parallel block keeps the attention's output aside: the FFN reads the layer's input too)
    if (mixes && d.parallel_residual) {
      s.attn_res.swap(s.xb2);
    } else if (mixes) {
      post_norm(L.attn_post_norm);
      residual_scale();
      add(s.x.data(), s.xb2.data(), n * dim);
    }
    if (arch.altup) {  // Gemma 3n: LAuReL joins the attention's residual sum, the two scaled by 1/√2
      add(s.x.data(), s.laurel.data(), n * dim);
      const float inv_sqrt2 = 1.0f / std::sqrt(2.0f);
      for (int64_t i = 0; i < n * dim; ++i) s.x[sz(i)] *= inv_sqrt2;
    }
    if (!d.has_ffn(l)) continue;  // (Nemotron-H's mixer layers, deci's layers without an FFN)

    // ffn norm (a parallel block without one: the attention norm's output, still in xb)
    if (!d.parallel_residual || !L.ffn_norm.empty())
      for (int64_t t = 0; t < n; ++t) norm(&s.xb[sz(t * dim)], &s.x[sz(t * dim)], L.ffn_norm, L.ffn_norm_b);

    // MLP: down(silu(gate·x) ⊙ up·x), down(gelu(gate·x) ⊙ up·x) or down(gelu(up·x + b)) + b; or the
    // mixture of experts
    if (!L.up_exps.empty() && arch.layer_shapes) {
      gemma4_moe(L, n);
    } else if (!L.up_exps.empty()) {
      moe_ffn(L, n, arch.router_from_layer_input ? s.router_in.data() : nullptr);
    } else {
      // (Gemma 4's shared-KV layers may be twice as wide; Gemma 3n's first layers sparse)
      dense_ffn(L, n, d.ff_width(l), d.sparse_ffn(l) ? d.ffn_sparsity[sz(l)] : std::nanf(""),
                d.xielu.empty() ? nullptr : &d.xielu[sz(l)]);
    }
    post_norm(L.ffn_post_norm);

    // residual
    residual_scale();
    add(s.x.data(), s.xb2.data(), n * dim);
    if (d.parallel_residual) add(s.x.data(), s.attn_res.data(), n * dim);

    // Gemma 4: the layer's per-layer input, gated by GELU of the output, projected, normalized and added;
    // then the whole output scaled
    if (arch.altup) {  // Gemma 3n: every stream corrected, the per-layer input added to the others
      altup_correct(L, l, n);
    } else if (L.ple_gate) {
      const int64_t p = d.per_layer_embd;
      project(s.ple_g.data(), s.x.data(), L.ple_gate, {}, n);
      for (int64_t t = 0; t < n; ++t) {
        float* g = &s.ple_g[sz(t * p)];
        gelu_rows(g, p);
        const float* input = &s.ple[sz((t * d.n_layer + l) * p)];
        for (int64_t i = 0; i < p; ++i) g[i] *= input[i];
      }
      project(s.xb2.data(), s.ple_g.data(), L.ple_proj, {}, n);
      for (int64_t t = 0; t < n; ++t)
        rmsnorm(&s.xb2[sz(t * dim)], &s.xb2[sz(t * dim)], L.ple_norm, dim, d.norm_eps);
      add(s.x.data(), s.xb2.data(), n * dim);
    }
    if (!L.out_scale.empty())
      for (int64_t i = 0; i < n * dim; ++i) s.x[sz(i)] *= L.out_scale[0];
  }

  // final norm and classifier, for the tokens whose logits are wanted
  const int64_t n_out = n - first_logit;
  if (n_out <= 0) return;
  if (arch.altup) altup_merge(first_logit, n);
  for (int64_t t = 0; t < n_out; ++t)
    norm(&s.xb[sz(t * dim)], &s.x[sz((first_logit + t) * dim)], w.output_norm, w.output_norm_b);
  project(logits, s.xb.data(), w.output, w.output_b, n_out);
  if (d.logit_multiplier != 1.0f)  // (granite, Command-R)
    for (int64_t i = 0; i < n_out * d.n_vocab; ++i) logits[i] *= d.logit_multiplier;
  softcap(logits, n_out * d.n_vocab, d.final_softcap);
}

// Gemma 4's per-layer inputs of the step's tokens into s_.ple (token, layer, per_layer_embd), from the scaled
// embeddings in s_.x: per layer RMSNorm(proj · x / √n_embd) · gains, plus the token's own per-layer
// embedding × √per_layer_embd, the sum × 1/√2.
void CpuBackend::per_layer_inputs(const int32_t* tokens, int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const model::Weights& w = model_.weights();
  const int64_t p = d.per_layer_embd, all = p * d.n_layer;
  project(s_.ple.data(), s_.x.data(), w.per_layer_model_proj, {}, n);
  const float proj_scale = 1.0f / std::sqrt(static_cast<float>(d.n_embd));
  const float own_scale = std::sqrt(static_cast<float>(p)), sum_scale = 1.0f / std::sqrt(2.0f);
  for (int64_t t = 0; t < n; ++t) {
    float* own = s_.ple_own.data();
    quant::dequantize_row(w.per_layer_token_embd.type, w.per_layer_token_embd.row(tokens[t]), own, all);
    for (int64_t l = 0; l < d.n_layer; ++l) {
      float* x = &s_.ple[sz(t * all + l * p)];
      for (int64_t i = 0; i < p; ++i) x[i] *= proj_scale;
      rmsnorm(x, x, w.per_layer_proj_norm, p, d.norm_eps);
      for (int64_t i = 0; i < p; ++i) x[i] = (x[i] + own[l * p + i] * own_scale) * sum_scale;
    }
  }
}

// Gemma 3n's AltUp router over n rows of x (a stream's tokens): tanh(router · (RMSNorm(x) · gains / n_embd))
// into s_.alt_m, n_inputs per token.
void CpuBackend::altup_modalities(const model::LayerWeights& L, const float* x, int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const int64_t dim = d.n_embd;
  const float scale = 1.0f / static_cast<float>(dim);
  for (int64_t t = 0; t < n; ++t) {
    float* r = &s_.alt_tmp[sz(t * dim)];
    rmsnorm(r, x + t * dim, L.altup_router_norm, dim, d.norm_eps);
    for (int64_t i = 0; i < dim; ++i) r[i] *= scale;
  }
  project(s_.alt_m.data(), s_.alt_tmp.data(), L.altup_router, {}, n);
  for (int64_t i = 0; i < n * d.altup.n_inputs; ++i) s_.alt_m[sz(i)] = std::tanh(s_.alt_m[sz(i)]);
}

namespace {
// The magnitude (L2 norm) of row v of n floats.
float magnitude(const float* v, int64_t n) {
  float sq = 0;
  for (int64_t i = 0; i < n; ++i) sq += v[i] * v[i];
  return std::sqrt(sq);
}
// Row v rescaled to the magnitude `target`: v · target / |v|, as ggml's mul then div.
void to_magnitude(float* v, float target, int64_t n) {
  const float mag = magnitude(v, n);
  for (int64_t i = 0; i < n; ++i) v[i] = v[i] * target / mag;
}
}  // namespace

// AltUp's streams from the scaled embeddings in s_.x: the first is the embedding, each other one its
// projection (altup_proj) rescaled to the embedding's magnitude.
void CpuBackend::altup_init(int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const int64_t dim = d.n_embd;
  std::copy_n(s_.x.data(), n * dim, s_.alt.data());
  for (int64_t i = 1; i < d.altup.n_inputs; ++i) {
    float* stream = &s_.alt[sz(i * n * dim)];
    project(stream, s_.x.data(), model_.weights().altup_proj[sz(i - 1)], {}, n);
    for (int64_t t = 0; t < n; ++t) to_magnitude(stream + t * dim, magnitude(&s_.x[sz(t * dim)], dim), dim);
  }
}

// A layer's prediction of every stream from all of them, by coefficients that the router makes from the
// active stream: pred_j = stream_j + Σ_k c[j·N + k] · stream_k (N streams); the active one's into s_.x.
void CpuBackend::altup_predict(const model::LayerWeights& L, int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const int64_t dim = d.n_embd, N = d.altup.n_inputs;
  altup_modalities(L, s_.alt.data(), n);
  project(s_.alt_c.data(), s_.alt_m.data(), L.altup_predict, {}, n);
  for (int64_t j = 0; j < N; ++j)
    for (int64_t t = 0; t < n; ++t) {
      float* pred = &s_.alt_pred[sz((j * n + t) * dim)];
      const float* c = &s_.alt_c[sz(t * N * N + j * N)];
      for (int64_t i = 0; i < dim; ++i) {
        float sum = 0;
        for (int64_t k = 0; k < N; ++k) sum += c[k] * s_.alt[sz((k * n + t) * dim + i)];
        pred[i] = s_.alt[sz((j * n + t) * dim + i)] + sum;
      }
    }
  std::copy_n(s_.alt_pred.data(), n * dim, s_.x.data());
}

// LAuReL beside attention, from the attention norm's output in s_.xb: xb + RMSNorm(laurel_r · laurel_l · xb)
// into s_.laurel.
void CpuBackend::laurel(const model::LayerWeights& L, int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const int64_t dim = d.n_embd;
  project(s_.laurel_lo.data(), s_.xb.data(), L.laurel_l, {}, n);
  project(s_.laurel.data(), s_.laurel_lo.data(), L.laurel_r, {}, n);
  for (int64_t t = 0; t < n; ++t) {
    float* r = &s_.laurel[sz(t * dim)];
    rmsnorm(r, r, L.laurel_norm, dim, d.norm_eps);
    add(r, &s_.xb[sz(t * dim)], dim);
  }
}

// The layer's correction: its output in s_.x less the active stream's prediction (the innovation), times
// 1 + the coefficients the router makes from that output, added to every stream's prediction. Then the
// per-layer input: GELU(gate · (corrected active stream ⊙ correct_scale)) ⊙ this layer's input, projected
// and RMS-normalized, added to every stream but the active one (as Hugging Face's corrected[1:] +=).
void CpuBackend::altup_correct(const model::LayerWeights& L, int64_t l, int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const int64_t dim = d.n_embd, N = d.altup.n_inputs, p = d.per_layer_embd;
  altup_modalities(L, s_.x.data(), n);
  project(s_.alt_c.data(), s_.alt_m.data(), L.altup_correct, {}, n);
  for (int64_t t = 0; t < n; ++t) {
    const float* x = &s_.x[sz(t * dim)];
    const float* active = &s_.alt_pred[sz(t * dim)];
    for (int64_t j = 0; j < N; ++j) {
      const float c = s_.alt_c[sz(t * N + j)] + 1.0f;
      const float* pred = &s_.alt_pred[sz((j * n + t) * dim)];
      float* out = &s_.alt[sz((j * n + t) * dim)];
      for (int64_t i = 0; i < dim; ++i) out[i] = pred[i] + (x[i] - active[i]) * c;
    }
  }
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < dim; ++i)
      s_.alt_tmp[sz(t * dim + i)] = s_.alt[sz(t * dim + i)] * L.altup_correct_scale[sz(i)];
  project(s_.ple_g.data(), s_.alt_tmp.data(), L.ple_gate, {}, n);
  for (int64_t t = 0; t < n; ++t) {
    float* g = &s_.ple_g[sz(t * p)];
    gelu_rows(g, p);
    const float* input = &s_.ple[sz((t * d.n_layer + l) * p)];
    for (int64_t i = 0; i < p; ++i) g[i] *= input[i];
  }
  project(s_.xb2.data(), s_.ple_g.data(), L.ple_proj, {}, n);
  for (int64_t t = 0; t < n; ++t)
    rmsnorm(&s_.xb2[sz(t * dim)], &s_.xb2[sz(t * dim)], L.ple_norm, dim, d.norm_eps);
  for (int64_t j = 1; j < N; ++j) add(&s_.alt[sz(j * n * dim)], s_.xb2.data(), n * dim);
}

// The streams of tokens [first, n) back into one, in s_.x's rows: each other stream projected back
// (altup_unembd_proj) and rescaled to the first's magnitude, the N averaged.
void CpuBackend::altup_merge(int64_t first, int64_t n) {
  const model::ModelDescription& d = model_.desc();
  const int64_t dim = d.n_embd, N = d.altup.n_inputs, n_out = n - first;
  float* x = &s_.x[sz(first * dim)];
  std::copy_n(&s_.alt[sz(first * dim)], n_out * dim, x);
  for (int64_t j = 1; j < N; ++j) {
    project(s_.alt_tmp.data(), &s_.alt[sz((j * n + first) * dim)], model_.weights().altup_unembd[sz(j - 1)],
            {}, n_out);
    for (int64_t t = 0; t < n_out; ++t) {
      float* u = &s_.alt_tmp[sz(t * dim)];
      to_magnitude(u, magnitude(&s_.alt[sz((first + t) * dim)], dim), dim);
      add(x + t * dim, u, dim);
    }
  }
  const float inv = 1.0f / static_cast<float>(N);
  for (int64_t i = 0; i < n_out * dim; ++i) x[i] *= inv;
}

std::vector<float> CpuBackend::map_queries(const CpuCaches& c, int64_t l, model::Range positions) {
  const model::ModelDescription& d = model_.desc();
  // (Kimi Linear's Kimi Delta Attention layers have no queries to absorb)
  if (!d.is_mla() || !d.has_attention(l) || positions.size() <= 0) return {};
  const int64_t n = positions.size();
  std::vector<float> out(sz(n * d.q_dim())), in(sz(n * d.mla.nope)), absorbed(sz(n * d.mla.kv_rank));
  // (the cache's heads are [RoPE part, nope part])
  absorb_queries(model_.weights().layers[sz(l)], c.q_at(l, positions.begin), c.q_dim, 0, d.n_rot, n,
                 out.data(), in.data(), absorbed.data());
  if (rounding_ ==
      Rounding::LlamaCpp)  // as the forward pass rounds its queries (the RoPE parts already were)
    for (float& q : out) q = round_fp16(q);
  return out;
}

model::AttentionMatrix CpuBackend::attention_impl(const model::Session& session, int64_t layer, int64_t head,
                                                  model::Range queries, model::Range keys) {
  std::lock_guard lock(mutex_);  // the pool runs one job at a time
  const auto& c = static_cast<const CpuCaches&>(session.caches());
  const auto& d = model_.desc();
  model::AttentionMatrix m{queries, keys, std::vector<float>(sz(queries.size() * keys.size()), 0.0f)};
  const std::vector<float> absorbed = map_queries(c, layer, queries);
  pool_.parallel_for(queries.size(), [&](int64_t begin, int64_t end, int) {
    std::vector<float> att(sz(session.position()));
    for (int64_t i = begin; i < end; ++i) {
      const int64_t pos = queries.begin + i;
      const float* q = absorbed.empty() ? c.q_at(layer, pos) + head * d.heads(layer).head_dim
                                        : &absorbed[sz(i * d.q_dim() + head * d.head_dim)];
      attention_row(att.data(), q, c, d, layer, head, pos,
                    head_sink(model_.weights().layers[sz(layer)], head));
      for (int64_t k = keys.begin; k < std::min(keys.end, pos + 1); ++k)
        m.probs[sz(i * keys.size() + k - keys.begin)] = att[sz(k)];
    }
  });
  return m;
}

std::vector<model::HeadSummary> CpuBackend::attention_summary_impl(const model::Session& session,
                                                                   model::Range queries) {
  std::lock_guard lock(mutex_);  // the pool runs one job at a time
  const auto& c = static_cast<const CpuCaches&>(session.caches());
  const auto& d = model_.desc();
  std::vector<model::HeadSummary> out(sz(d.n_layer * d.n_head));
  // (latent attention: one layer at a time, its queries absorbed first; else every layer's heads at once)
  const int64_t layers_at_once = d.is_mla() ? 1 : d.n_layer;
  for (int64_t l0 = 0; l0 < d.n_layer; l0 += layers_at_once) {
    const std::vector<float> absorbed = map_queries(c, l0, queries);
    pool_.parallel_for(layers_at_once * d.n_head, [&](int64_t begin, int64_t end, int) {
      std::vector<float> att(sz(session.position()));
      for (int64_t i = l0 * d.n_head + begin; i < l0 * d.n_head + end; ++i) {
        model::HeadSummary& h = out[sz(i)];
        h.layer = i / d.n_head;
        h.head = i % d.n_head;
        if (!d.has_attention(h.layer)) continue;  // (Backend::attention_summary marks it)
        for (int64_t pos = queries.begin; pos < queries.end; ++pos) {
          const float* q = absorbed.empty()
                               ? c.q_at(h.layer, pos) + h.head * d.heads(h.layer).head_dim
                               : &absorbed[sz((pos - queries.begin) * d.q_dim() + h.head * d.head_dim)];
          attention_row(att.data(), q, c, d, h.layer, h.head, pos,
                        head_sink(model_.weights().layers[sz(h.layer)], h.head));
          float max = 0, entropy = 0;
          for (int64_t j = 0; j <= pos; ++j) {
            max = std::max(max, att[sz(j)]);
            if (att[sz(j)] > 0) entropy -= att[sz(j)] * std::log(att[sz(j)]);
          }
          h.max_prob += max;
          h.entropy += entropy;
          h.first_token += att[0];
        }
        if (queries.size() > 0) {
          const float inv = 1.0f / static_cast<float>(queries.size());
          h.max_prob *= inv;
          h.entropy *= inv;
          h.first_token *= inv;
        }
      }
    });
  }
  return out;
}

}  // namespace glasswing::cpu
