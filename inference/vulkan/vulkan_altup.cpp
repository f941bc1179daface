// Gemma 3n's AltUp (several residual streams, one active per layer, predicted and corrected around it) and
// LAuReL (a low-rank path beside attention) on the Vulkan engine. Part of VulkanBackend (vulkan_backend.h).
#include <cmath>

#include "inference/vulkan/backend_tensors.h"
#include "inference/vulkan/record_util.h"

namespace glasswing::vulkan {

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

}  // namespace glasswing::vulkan
