// A layer's attention sublayer on the Vulkan engine: the norm, q|k|v (fused, biased, gated, normalized per
// head), RoPE and the K, V and Q cache stores, the attention kernels (one token split over keys, a batch in
// tiles), the output projection into the residual stream; and multi-head latent attention's parts
// (DeepSeek-V2/V3 and the like). Part of VulkanBackend (vulkan_backend.h).
#include <algorithm>
#include <cmath>

#include "inference/vulkan/backend_tensors.h"
#include "inference/vulkan/record_util.h"

namespace glasswing::vulkan {

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

}  // namespace glasswing::vulkan
