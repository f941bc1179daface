#include "inference/vulkan/exact_forward.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "inference/cpu/ggml_kernels.h"
#include "inference/cpu/ggml_rounding.h"
#include "inference/quant/fp16.h"
#include "inference/quant/quant.h"
#include "inference/vulkan/ops.h"
#include "inference/vulkan/record_util.h"
#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

namespace {

// Push-constant twins of the ggml_*_exact.comp blocks (std430 scalars: 4 bytes each, in order).
struct MatmulPush {
  uint32_t ncols, nrows, x_stride, x_offset, y_stride, y_offset, accumulate, has_bias, kind, variant;
};
struct NormPush {
  uint32_t n, n_rows, layer_norm, has_bias;
  float eps;
};
struct StorePush {
  uint32_t q_dim, kv_dim, head_dim, n_rot, rope, q_stride, q_offset, k_stride, k_offset, v_stride, v_offset,
      n_past;
};
struct ProbsPush {
  uint32_t n_heads, n_kv_heads, head_dim, n_ctx, n_past, n_tokens;
  float scale;
};
struct OutPush {
  uint32_t n_heads, n_kv_heads, head_dim, n_ctx, n_past, n_tokens;
};
struct ActPush {
  uint32_t n, op, row_groups;
};
static_assert(sizeof(MatmulPush) == 40 && sizeof(NormPush) == 20 && sizeof(StorePush) == 48 &&
              sizeof(ProbsPush) == 28 && sizeof(OutPush) == 24 && sizeof(ActPush) == 12);

template <typename T>
std::span<const std::byte> bytes_of(const T& v) {
  return std::as_bytes(std::span<const T, 1>(&v, 1));
}

uint32_t groups(uint64_t n) {
  return static_cast<uint32_t>((n + 63) / 64);
}

}  // namespace

struct ExactForward::Layer {
  BufferRange attn_norm, attn_norm_b, bq, bk, bv, bqkv, bo, ffn_norm, ffn_norm_b, b_up, b_down;
  BufferRange q_norm, k_norm;  // per-head gains (qwen3), else empty
  ExactMatrix wq, wk, wv, wqkv, wo, w_gate, w_up, w_down;
};

ExactForward::ExactForward(Context& ctx, const model::Model& model)
    : ctx_(ctx),
      model_(model),
      weights_(ctx.device(), MemoryUse::DeviceLocal, 64ull << 20, "llama.cpp-compatible weights"),
      acts_(ctx.device(), MemoryUse::DeviceLocal, 16ull << 20, "llama.cpp-compatible activations") {
  if (model.desc().traits->chunked_attention)
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run " + model.desc().architecture +
                      " (chunked attention, the NoPE layers' attention temperature); use cpu-llamacpp");
  if (model.desc().traits->swa_pattern > 0 || model.desc().traits->post_norms)
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run " + model.desc().architecture +
                      " (sliding windows, post-sublayer norms); use cpu-llamacpp");
  if (model.desc().traits->qk_norm_after_rope)
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run q and k norms after RoPE (" +
                      model.desc().architecture + "); use cpu-llamacpp");
  if (model.desc().traits->granite_scales)
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run granite's multipliers (" +
                      model.desc().architecture + "); use cpu-llamacpp");
  if (model.desc().traits->block_configs)
    throw VulkanError(
        "the llama.cpp-compatible Vulkan mode does not run " + model.desc().architecture +
        " (layers of their own shapes: no attention, attention replaced by one matrix, KV heads "
        "and FFN widths per layer); use cpu-llamacpp");
  if (model.desc().delta.kda)
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run " + model.desc().architecture +
                      " (Kimi Delta Attention); use cpu-llamacpp");
  if (model.desc().n_conv_layers() > 0 || model.desc().n_recurrent_layers() > 0)
    throw VulkanError(
        "the llama.cpp-compatible Vulkan mode does not run short-convolution or recurrent layers (" +
        model.desc().architecture + "); use cpu-llamacpp");
  if (model.desc().traits->ffn == FfnKind::GeGlu || model.desc().traits->ffn == FfnKind::ReluSqr ||
      model.desc().traits->ffn == FfnKind::XIelu || model.desc().embedding_scale != 1.0f)
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run " + model.desc().architecture +
                      " (scaled embeddings, GeGLU, ReLU², xIELU); use cpu-llamacpp");
  if (model.desc().qk_layer_norm)
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run per-head LayerNorms of q and k (" +
                      model.desc().architecture + ": StableLM 2 12B, Command R+); use cpu-llamacpp");
  if (model.desc().parallel_residual || model.desc().traits->logit_multiplier)
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run parallel blocks (" +
                      model.desc().architecture + "); use cpu-llamacpp");
  if (model.desc().is_mla())
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run multi-head latent attention (" +
                      model.desc().architecture + "); use cpu-llamacpp");
  if (model.desc().traits->router_from_layer_input || model.desc().traits->attn_gate_proj)
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run " + model.desc().architecture +
                      " (gated attention output, experts routed from the layer's input, ReGLU experts); use "
                      "cpu-llamacpp");
  if (model.desc().alibi_max_bias > 0.0f)
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run " + model.desc().architecture +
                      " (ALiBi: a per-head linear bias on the attention scores); use cpu-llamacpp");
  if (model.desc().clamp_kqv > 0.0f)
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run " + model.desc().architecture +
                      " with q, k and v clamped (attention.clamp_kqv); use cpu-llamacpp");
  if (model.desc().n_expert > 0)
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run mixtures of experts (" +
                      model.desc().architecture + "); use cpu-llamacpp");
  if (model.desc().attn_temp_scale != 0.0f)
    throw VulkanError("the llama.cpp-compatible Vulkan mode does not run " + model.desc().architecture +
                      " with Llama 4's attention temperature tuning (attention.temperature_scale); use "
                      "cpu-llamacpp");
  if (!ctx.device().info().fp64)
    throw VulkanError(
        "the llama.cpp-compatible Vulkan mode needs 64-bit floats in shaders (shaderFloat64), "
        "which " +
        ctx.device().info().name + " lacks");
  const auto& d = model.desc();
  const auto& w = model.weights();
  auto vec = [&](std::span<const float> v) -> BufferRange {
    if (v.empty()) return {};
    const BufferRange r = weights_.allocate(v.size_bytes());
    ctx_.upload(r, v.data(), v.size_bytes());
    weight_bytes_ += v.size_bytes();
    return r;
  };
  auto mat = [&](const model::WeightMatrix& m) -> ExactMatrix {
    if (!m) return {};
    ExactMatrix e = upload_exact_matrix(ctx_, weights_, m);
    weight_bytes_ += e.bytes;
    return e;
  };
  for (const auto& L : w.layers) {
    Layer t;
    t.attn_norm = vec(L.attn_norm);
    t.attn_norm_b = vec(L.attn_norm_b);
    t.bq = vec(L.bq);
    t.bk = vec(L.bk);
    t.bv = vec(L.bv);
    t.bqkv = vec(L.bqkv);
    t.q_norm = vec(L.q_norm);
    t.k_norm = vec(L.k_norm);
    t.bo = vec(L.bo);
    t.ffn_norm = vec(L.ffn_norm);
    t.ffn_norm_b = vec(L.ffn_norm_b);
    t.b_up = vec(L.b_up);
    t.b_down = vec(L.b_down);
    t.wq = mat(L.wq);
    t.wk = mat(L.wk);
    t.wv = mat(L.wv);
    t.wqkv = mat(L.wqkv);
    t.wo = mat(L.wo);
    t.w_gate = mat(L.w_gate);
    t.w_up = mat(L.w_up);
    t.w_down = mat(L.w_down);
    layers_.push_back(std::move(t));
  }
  output_norm_ = vec(w.output_norm);
  output_norm_b_ = vec(w.output_norm_b);
  output_b_ = vec(w.output_b);
  output_ = mat(w.output);
  // GELU over every fp16 input, by the CPU emulation's own function (its tanhf is the C library's).
  if (d.traits->ffn != FfnKind::SwiGlu) {
    std::vector<float> table(65536);
    for (uint32_t h = 0; h < 65536; ++h)
      table[h] = cpu::gelu_ggml(quant::fp16_to_f32(static_cast<uint16_t>(h)));
    gelu_table_ = vec(table);
  }
  dummy_ = vec(std::vector<float>(16, 0.0f));  // bound where a shader's optional input is absent

  const uint64_t b = kMaxBatch, f = sizeof(float);
  x_ = acts_.allocate(b * d.n_embd * f);
  xb_ = acts_.allocate(b * std::max(d.n_embd, d.q_dim()) * f);
  if (d.traits->fused_qkv) qkv_ = acts_.allocate(b * (d.q_dim() + 2 * d.kv_dim()) * f);
  q_ = acts_.allocate(b * d.q_dim() * f);
  k_ = acts_.allocate(b * d.kv_dim() * f);
  v_ = acts_.allocate(b * d.kv_dim() * f);
  att_out_ = acts_.allocate(b * d.q_dim() * f);
  hb_ = acts_.allocate(b * d.n_ff * f);
  hb2_ = acts_.allocate(b * d.n_ff * f);
  logits_ = acts_.allocate(b * d.n_vocab * f);
  embed_upload_ = std::make_unique<Buffer>(
      Buffer::Create(ctx.device(), b * d.n_embd * f, MemoryUse::Upload, "token embeddings"));
  rope_upload_ = std::make_unique<Buffer>(
      Buffer::Create(ctx.device(), b * std::max<int64_t>(d.n_rot, 2) * f, MemoryUse::Upload, "RoPE cos/sin"));
  readback_ = std::make_unique<Buffer>(
      Buffer::Create(ctx.device(), b * d.n_vocab * f, MemoryUse::Readback, "the logits readback"));
  if (d.traits->ffn == FfnKind::SwiGlu && d.n_ff % 8 != 0) {
    ffn_readback_ = std::make_unique<Buffer>(
        Buffer::Create(ctx.device(), 2 * b * d.n_ff * f, MemoryUse::Readback, "the SwiGLU readback"));
    ffn_upload_ = std::make_unique<Buffer>(
        Buffer::Create(ctx.device(), b * d.n_ff * f, MemoryUse::Upload, "the SwiGLU upload"));
  }
}

ExactForward::~ExactForward() = default;

void ExactForward::ensure_scores(uint64_t bytes) {
  if (bytes > ctx_.device().info().max_storage_buffer_range)
    throw VulkanError("the attention scratch of this context exceeds what this GPU can bind");
  if (!scores_ || scores_->size() < bytes)
    scores_ = std::make_unique<Buffer>(Buffer::Create(ctx_.device(), std::max<uint64_t>(bytes, 1 << 16),
                                                      MemoryUse::DeviceLocal, "attention scores"));
}

void ExactForward::forward(const ExactCacheView& c, std::span<const int32_t> tokens, int64_t n_past,
                           bool want_all_logits, float* logits) {
  const auto& d = model_.desc();
  const int64_t n = static_cast<int64_t>(tokens.size());
  // The score scratch holds (tokens, heads, n_ctx) floats and must fit one binding.
  const uint64_t per_token = uint64_t(d.n_head) * c.n_ctx * sizeof(float);
  const int64_t batch = std::min<int64_t>(
      kMaxBatch, static_cast<int64_t>(ctx_.device().info().max_storage_buffer_range / per_token));
  if (batch == 0) throw VulkanError("the attention scratch of this context exceeds what this GPU can bind");
  ensure_scores(uint64_t(batch) * per_token);
  for (int64_t start = 0; start < n; start += batch) {
    const auto count = static_cast<uint32_t>(std::min(batch, n - start));
    const bool last = start + count == n;
    const uint32_t first_logit = want_all_logits ? 0 : (last ? count - 1 : count);
    step(c, tokens.data() + start, count, u32(n_past + start), first_logit);
    const uint32_t n_out = count - first_logit;
    if (n_out > 0)
      std::memcpy(logits + (want_all_logits ? start * d.n_vocab : 0), readback_->mapped(),
                  uint64_t(n_out) * d.n_vocab * sizeof(float));
  }
}

void ExactForward::step(const ExactCacheView& c, const int32_t* tokens, uint32_t n, uint32_t n_past,
                        uint32_t first_logit) {
  const auto& d = model_.desc();
  const auto& arch = *d.traits;
  const auto& w = model_.weights();
  const uint32_t dim = u32(d.n_embd), q_dim = u32(d.q_dim()), kv_dim = u32(d.kv_dim()), hd = u32(d.head_dim);
  const uint32_t n_ff = u32(d.n_ff);

  // Token embedding (+ learned position embedding) on the host, as the CPU engine computes it.
  auto* x = static_cast<float*>(embed_upload_->mapped());
  std::vector<float> pos_row(arch.learned_positions ? dim : 0);
  for (uint32_t t = 0; t < n; ++t) {
    if (tokens[t] < 0 || tokens[t] >= d.n_vocab)
      throw std::out_of_range("token id " + std::to_string(tokens[t]) + " outside the vocabulary");
    quant::dequantize_row(w.token_embd.type, w.token_embd.row(tokens[t]), x + t * dim, dim);
    if (arch.learned_positions) {
      quant::dequantize_row(w.position_embd.type, w.position_embd.row(n_past + t), pos_row.data(), dim);
      for (uint32_t i = 0; i < dim; ++i) x[t * dim + i] += pos_row[i];
    }
  }
  // RoPE cos/sin per token and pair, as inference/cpu/ggml_kernels.cpp rope_like_ggml makes them.
  const uint32_t half = u32(d.n_rot / 2);
  if (arch.rope != RopeKind::None) {
    auto* cs = static_cast<float*>(rope_upload_->mapped());
    const model::Vector factors = model_.weights().rope_factors(d, c.n_ctx);
    for (uint32_t t = 0; t < n; ++t)
      cpu::rope_cos_sin_like_ggml(n_past + t, d.n_rot, d.rope_freq_base, factors, d.rope_scaling,
                                  cs + uint64_t(t) * half * 2);
  }

  Recorder rec(ctx_);
  rec.begin();
  const BufferRange scores = whole(*scores_);
  auto matmul = [&](const ExactMatrix& m, const BufferRange& in, uint32_t x_stride, uint32_t x_offset,
                    const BufferRange& out, uint32_t y_stride, uint32_t y_offset, bool accumulate,
                    const BufferRange& bias, uint32_t rows_n) {
    const MatmulPush p{m.cols,
                       m.rows,
                       x_stride,
                       x_offset,
                       y_stride,
                       y_offset,
                       accumulate ? 1u : 0u,
                       present(bias) ? 1u : 0u,
                       m.kind,
                       m.variant};
    const BufferRange buffers[] = {in,
                                   out,
                                   present(m.values) ? m.values : dummy_,
                                   present(m.codes) ? m.codes : dummy_,
                                   present(m.blocks) ? m.blocks : dummy_,
                                   present(m.mins) ? m.mins : dummy_,
                                   present(bias) ? bias : dummy_};
    rec.dispatch_shader("ggml_matmul_exact", buffers, bytes_of(p), groups(m.rows), rows_n);
  };
  auto norm = [&](const BufferRange& in, const BufferRange& out, const BufferRange& gain,
                  const BufferRange& bias, uint32_t rows, uint32_t width = 0) {
    const NormPush p{width ? width : dim, rows, arch.norm == NormKind::Rms ? 0u : 1u, present(bias) ? 1u : 0u,
                     d.norm_eps};
    const BufferRange buffers[] = {in, gain, present(bias) ? bias : dummy_, out};
    rec.dispatch_shader("ggml_norm_exact", buffers, bytes_of(p), groups(rows));
  };
  auto act = [&](uint32_t op, const BufferRange& a, const BufferRange& b2) {
    const uint64_t count = uint64_t(n) * n_ff;
    const uint32_t g = groups(count), gx = std::min<uint32_t>(g, 65535);
    const ActPush p{u32(count), op, gx};
    const BufferRange buffers[] = {a, b2, present(gelu_table_) ? gelu_table_ : dummy_};
    rec.dispatch_shader("ggml_act_exact", buffers, bytes_of(p), gx, (g + gx - 1) / gx);
  };

  rec.copy(whole(*embed_upload_), x_, uint64_t(n) * dim * sizeof(float));
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& L = layers_[l];
    norm(x_, xb_, L.attn_norm, L.attn_norm_b, n);
    rec.barrier();
    BufferRange qb = q_, kb = k_, vb = v_;
    uint32_t q_stride = q_dim, kv_stride = kv_dim, q_off = 0, k_off = 0, v_off = 0;
    if (arch.fused_qkv) {
      const uint32_t n_qkv = q_dim + 2 * kv_dim;
      matmul(L.wqkv, xb_, dim, 0, qkv_, n_qkv, 0, false, L.bqkv, n);
      qb = kb = vb = qkv_;
      q_stride = kv_stride = n_qkv;
      k_off = q_dim;
      v_off = q_dim + kv_dim;
    } else {
      matmul(L.wq, xb_, dim, 0, q_, q_dim, 0, false, L.bq, n);
      matmul(L.wk, xb_, dim, 0, k_, kv_dim, 0, false, L.bk, n);
      matmul(L.wv, xb_, dim, 0, v_, kv_dim, 0, false, L.bv, n);
    }
    rec.barrier();
    if (present(L.q_norm)) {  // qwen3: each head of q and k RMS-normalized in place, rows of head_dim
      norm(q_, q_, L.q_norm, {}, n * u32(d.n_head), hd);
      norm(k_, k_, L.k_norm, {}, n * u32(d.n_head_kv), hd);
      rec.barrier();
    }
    {
      const uint32_t rope = !d.rope_in_layer(l)             ? 0u  // (SmolLM3's NoPE layers)
                            : arch.rope == RopeKind::Normal ? 1u
                                                            : 2u;
      const StorePush p{q_dim, kv_dim,    hd,    u32(d.n_rot), rope,  q_stride,
                        q_off, kv_stride, k_off, kv_stride,    v_off, n_past};
      const BufferRange rope_table = rope ? whole(*rope_upload_) : dummy_;
      const BufferRange buffers[] = {qb, kb, vb, rope_table, c.q[l], c.k[l], c.v[l]};
      rec.dispatch_shader("ggml_store_qkv_exact", buffers, bytes_of(p), groups(q_dim + 2 * kv_dim), n);
    }
    rec.barrier();
    {
      const ProbsPush p{u32(d.n_head),
                        u32(d.n_head_kv),
                        hd,
                        u32(c.n_ctx),
                        n_past,
                        n,
                        1.0f / std::sqrt(static_cast<float>(hd))};
      const BufferRange buffers[] = {c.q[l], c.k[l], scores};
      rec.dispatch_shader("ggml_attn_probs_exact", buffers, bytes_of(p), groups(d.n_head), n);
    }
    rec.barrier();
    {
      const OutPush p{u32(d.n_head), u32(d.n_head_kv), hd, u32(c.n_ctx), n_past, n};
      const BufferRange buffers[] = {scores, c.v[l], att_out_};
      rec.dispatch_shader("ggml_attn_out_exact", buffers, bytes_of(p), groups(q_dim), n);
    }
    rec.barrier();
    matmul(L.wo, att_out_, q_dim, 0, x_, dim, 0, true, L.bo, n);  // x += Wo·att (+ bo), as add(x, xb2)
    rec.barrier();
    norm(x_, xb_, L.ffn_norm, L.ffn_norm_b, n);
    rec.barrier();
    if (arch.ffn == FfnKind::SwiGlu) {
      matmul(L.w_gate, xb_, dim, 0, hb_, n_ff, 0, false, {}, n);
      matmul(L.w_up, xb_, dim, 0, hb2_, n_ff, 0, false, L.b_up, n);
      rec.barrier();
      if (ffn_readback_) {
        // Split the submission: SwiGLU by the CPU emulation's own function, exactly as the CPU engine.
        const uint64_t bytes = uint64_t(n) * n_ff * sizeof(float);
        rec.copy(hb_, whole(*ffn_readback_), bytes);
        rec.copy(hb2_, whole(*ffn_readback_).sub(bytes, bytes), bytes);
        rec.end();
        rec.submit_and_wait();
        const auto* gate_up = static_cast<const float*>(ffn_readback_->mapped());
        auto* out = static_cast<float*>(ffn_upload_->mapped());
        std::memcpy(out, gate_up, bytes);
        cpu::swiglu_like_ggml(out, gate_up + uint64_t(n) * n_ff, n, n_ff);
        rec.begin();
        rec.copy(whole(*ffn_upload_), hb_, bytes);
      } else {
        act(0, hb_, hb2_);
      }
    } else {
      matmul(L.w_up, xb_, dim, 0, hb_, n_ff, 0, false, L.b_up, n);
      rec.barrier();
      act(1, hb_, dummy_);
    }
    rec.barrier();
    matmul(L.w_down, hb_, n_ff, 0, x_, dim, 0, true, L.b_down, n);
    rec.barrier();
  }

  const uint32_t n_out = n - first_logit;
  if (n_out > 0) {
    norm(x_, xb_, output_norm_, output_norm_b_, n);
    rec.barrier();
    const uint32_t n_vocab = u32(d.n_vocab);
    matmul(output_, xb_, dim, first_logit * dim, logits_, n_vocab, 0, false, output_b_, n_out);
    rec.copy(logits_, whole(*readback_), uint64_t(n_out) * n_vocab * sizeof(float));
  }
  rec.end();
  rec.submit_and_wait();
}

}  // namespace glasswing::vulkan
