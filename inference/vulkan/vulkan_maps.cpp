// Attention maps on the Vulkan engine: the probabilities of any (layer, head) over any query and key range,
// recomputed from the Q and K caches at full precision, and the layer x head overview (largest probability,
// entropy, weight on the first key). Part of VulkanBackend (vulkan_backend.h).
#include <algorithm>
#include <cstring>

#include "inference/vulkan/backend_tensors.h"
#include "inference/vulkan/record_util.h"

namespace glasswing::vulkan {

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

}  // namespace glasswing::vulkan
