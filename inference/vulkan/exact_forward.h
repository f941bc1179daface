#pragma once
// The Vulkan engine's reference-compatible forward pass (backend "vulkan-llamacpp",
// model::Rounding::LlamaCpp): the same arithmetic as the CPU engine's Rounding::LlamaCpp
// (inference/cpu/ggml_kernels.h), ported to compute shaders (shaders/ggml_*_exact.comp,
// shaders/common/ggml_exact.glsl), so that on lavapipe its logits reproduce llama.cpp's x86 CPU logits bit
// for bit.
//
// Exact by construction, not by tuning: expressions are `precise`, every FMA ggml makes is an explicit
// single-rounding ex_fma(), ggml's double sums are doubles, and what no GPU reproduces bit for bit (cosf/sinf
// of RoPE, tanhf of the GELU table, the token embedding) is computed on the host with the CPU emulation's
// own functions and uploaded. One invocation per output element, ggml's 8 lanes emulated in sequence: speed
// is not a goal (tens of times slower than the normal Vulkan path). Needs shaderFloat64.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "inference/model/model.h"
#include "inference/vulkan/buffer.h"
#include "inference/vulkan/context.h"
#include "inference/vulkan/exact_weights.h"

namespace glasswing::vulkan {

// The caches a forward writes: per layer, the post-RoPE q, k and v of every position (fp16-rounded values
// stored as f32, the layout the attention-map shaders read).
struct ExactCacheView {
  int64_t n_ctx = 0;
  std::vector<BufferRange> q, k, v;  // one range per layer
};

class ExactForward {
 public:
  static constexpr int64_t kMaxBatch = 64;  // tokens per submission

  // Decodes and uploads the weights (exact_weights.h). Throws VulkanError when the device has no
  // shaderFloat64 or a weight cannot be emulated.
  ExactForward(Context& ctx, const model::Model& model);
  ~ExactForward();

  // Runs `tokens` at positions n_past…; logits receives every token's logits (want_all_logits) or the last
  // one's.
  void forward(const ExactCacheView& caches, std::span<const int32_t> tokens, int64_t n_past,
               bool want_all_logits, float* logits);

  uint64_t weight_bytes() const { return weight_bytes_; }

 private:
  struct Layer;
  // One submission of n tokens at positions n_past…; the logits of tokens [first_logit, n) land in
  // readback_.
  void step(const ExactCacheView& c, const int32_t* tokens, uint32_t n, uint32_t n_past,
            uint32_t first_logit);
  void ensure_scores(uint64_t bytes);

  Context& ctx_;
  const model::Model& model_;
  Arena weights_, acts_;
  std::vector<Layer> layers_;
  ExactMatrix output_;
  BufferRange output_norm_, output_norm_b_, output_b_, gelu_table_, dummy_;
  BufferRange x_, xb_, qkv_, q_, k_, v_, att_out_, hb_, hb2_, logits_;
  std::unique_ptr<Buffer> embed_upload_, rope_upload_, readback_, scores_;
  // SwiGLU on the host when n_ff is not a multiple of 8 (ggml then takes the C library's expf for each row's
  // leftovers, which no shader reproduces): gate and up come back through ffn_readback_, go out through
  // ffn_upload_.
  std::unique_ptr<Buffer> ffn_readback_, ffn_upload_;
  uint64_t weight_bytes_ = 0;
};

}  // namespace glasswing::vulkan
