// The layers that mix tokens without attention on the Vulkan engine: deci's linear replacement, Mamba-2
// (Granite 4.0-H, Nemotron-H, Falcon-H1), Mamba-1 (Falcon-Mamba, Jamba), Kimi Delta Attention (Kimi Linear),
// the gated delta net (Qwen3.5, Qwen3-Next) and LFM2's short convolution; each from the residual stream x
// back into it. Part of VulkanBackend (vulkan_backend.h).
#include <cmath>

#include "inference/vulkan/backend_tensors.h"
#include "inference/vulkan/record_util.h"

namespace glasswing::vulkan {

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
    rec.barrier();
  } else {
    record_mamba_out(rec, n, L);
  }
}

// A Mamba layer's output: out_proj of the scan's rows (mb_y) added to the residual stream x, times granite's
// residual scale where it has one.
void VulkanBackend::record_mamba_out(Recorder& rec, uint32_t n, const LayerTensors& L) {
  const Activations& a = *a_;
  if (model_.desc().residual_scale != 1.0f) {
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
  record_mamba_out(rec, n, L);
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

}  // namespace glasswing::vulkan
