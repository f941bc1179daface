#pragma once
// The forward pass on a Vulkan GPU, behind the same Backend interface as the CPU engine. Weights are
// uploaded once (in their GGUF encoding; the kernels dequantize), every session keeps its K, V and Q caches
// in device memory, and the single-token decode step is recorded once per session and re-submitted: per
// token the host writes the position and token id into a small buffer, submits, and reads back the logits.
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "inference/model/backend.h"
#include "inference/model/model.h"
#include "inference/model/rounding.h"
#include "inference/vulkan/context.h"
#include "inference/vulkan/exact_forward.h"
#include "inference/vulkan/ops.h"

namespace glasswing::vulkan {

class VulkanBackend final : public model::Backend {
 public:
  // Prompt tokens per recorded prefill step: kMaxBatch on CPU implementations, kGpuMaxBatch on GPUs (whose
  // tiled GEMM needs many tokens to fill the device); GLASSWING_VULKAN_BATCH overrides both (benchmarks).
  static constexpr int64_t kMaxBatch = 64;
  static constexpr int64_t kGpuMaxBatch = 512;
  // Tokens per step whose logits are all wanted (perplexity, `logits`): a prompt's logits buffers hold
  // at most this many rows, so 512-token steps don't cost 512 x n_vocab floats (311 MB for a 152k vocabulary)
  // on the device and again per session on the host.
  static constexpr int64_t kMaxLogitRows = 64;

  // device: see Device::Create ("" = $GLASSWING_VULKAN_DEVICE or the best GPU); progress: weight upload.
  // Throws VulkanError (no device, out of device memory, device lost, a tensor type the kernels cannot read);
  // nothing stays allocated on the device then. Once the device is lost, every forward pass and attention
  // map throws that loss again (Device::throw_if_lost); a new VulkanBackend opens the device afresh.
  VulkanBackend(const model::Model& model, std::string_view device = {}, const Progress& progress = {});
  ~VulkanBackend() override;

  std::string name() const override { return "vulkan"; }
  model::BackendCapabilities capabilities() const override;
  model::MemoryEstimate estimate_memory(int64_t n_ctx) const override;
  std::unique_ptr<model::SessionCaches> create_caches(int64_t n_ctx) override;

  Context& context() { return *ctx_; }
  // True where a mixture's decode step chooses its experts on the device (one submission per token, recorded
  // once, as a dense model's): every mixture layer's experts stacked, at most 1024 experts and 32 picks;
  // GLASSWING_VULKAN_ROUTE_ON_DEVICE=0 routes on the host (one submission per layer), to compare.
  bool routes_on_device() const { return routes_on_device_; }
  // And a prompt's steps too, where the GPU kernels' expert tiles run them (recorded once per shape).
  bool routes_prompts_on_device() const { return prompts_on_device_; }

  // The arithmetic of every later forward pass: Fast (the kernels above, the default) or LlamaCpp
  // (inference/vulkan/exact_forward.h: llama.cpp's x86 CPU arithmetic bit for bit; slow; needs shaderFloat64,
  // else throws VulkanError). Set it before a session's first forward: caches written in one mode are not
  // what the other computes. register_vulkan_backend() offers LlamaCpp as "vulkan-llamacpp".
  void set_rounding(model::Rounding rounding);

 protected:
  void forward_impl(model::Session& session, std::span<const int32_t> tokens, bool want_all_logits) override;
  model::AttentionMatrix attention_impl(const model::Session& session, int64_t layer, int64_t head,
                                        model::Range queries, model::Range keys) override;
  std::vector<model::HeadSummary> attention_summary_impl(const model::Session& session,
                                                         model::Range queries) override;

 private:
  struct LayerTensors;
  struct DeviceWeights;
  struct Activations;
  struct ExpertScratch;
  class Caches;
  // What one layer's recording leaves for the next: the deferred RMSNorm's partial sums (see layer_flow).
  struct LayerFlow {
    bool defer_norms = false;
    NormRead attn_read;
  };

  // Records the forward of n tokens (positions and ids come from the caches' state buffer) whose logits of
  // tokens [first_logit, n) end in the caches' readback buffer. The parts, in order:
  void record_step(Recorder& rec, Caches& c, uint32_t n, uint32_t first_logit);
  LayerFlow layer_flow() const;
  void record_embedding(Recorder& rec, Caches& c, uint32_t n);
  void record_parallel_ffn_norm(Recorder& rec, uint32_t n, int64_t l);
  void record_per_layer_inputs(Recorder& rec, uint32_t n);
  void write_per_layer_rows(std::span<const int32_t> ids);
  void record_layer_end(Recorder& rec, uint32_t n, int64_t l);
  // Gemma 3n's AltUp (vulkan_altup.cpp): the router's output for n rows of `in`, the streams from the
  // embedding, a layer's prediction and correction, LAuReL, and the streams merged for the classifier
  void record_altup_router(Recorder& rec, uint32_t n, int64_t l, const BufferRange& in);
  void record_altup_init(Recorder& rec, uint32_t n);
  void record_altup_predict(Recorder& rec, uint32_t n, int64_t l);
  void record_altup_correct(Recorder& rec, uint32_t n, int64_t l);
  void record_laurel(Recorder& rec, uint32_t n, int64_t l);
  void record_altup_merge(Recorder& rec, uint32_t n, uint32_t first);
  void record_gemma4_moe_inputs(Recorder& rec, uint32_t n, int64_t l, bool to_host);
  void record_mixer(Recorder& rec, Caches& c, uint32_t n, int64_t l, LayerFlow& flow);
  // attention (vulkan_attention.cpp, latent attention's parts too) and the other mixers (vulkan_mixers.cpp)
  void record_attention(Recorder& rec, Caches& c, uint32_t n, int64_t l, LayerFlow& flow);
  void record_short_conv(Recorder& rec, Caches& c, uint32_t n, int64_t l);
  void record_delta_net(Recorder& rec, Caches& c, uint32_t n, int64_t l);
  void record_linear_mixer(Recorder& rec, uint32_t n, int64_t l);
  void record_kda(Recorder& rec, Caches& c, uint32_t n, int64_t l);
  void record_mamba2(Recorder& rec, Caches& c, uint32_t n, int64_t l);
  void record_mamba1(Recorder& rec, Caches& c, uint32_t n, int64_t l);
  void record_mamba_out(Recorder& rec, uint32_t n, const LayerTensors& L);
  void record_ffn(Recorder& rec, uint32_t n, int64_t l, LayerFlow& flow);
  void record_mla_qkv(Recorder& rec, uint32_t n, const LayerTensors& L);
  void record_mla_values(Recorder& rec, uint32_t n, const LayerTensors& L);
  void record_mla_rope_store(Recorder& rec, Caches& c, uint32_t n, int64_t l, const RopeStoreParams& rope);
  // The maps' queries (vulkan_maps.cpp): the query rows per submission (all of them, except under latent
  // attention, whose absorbed queries take map_queries_: map_query_rows), and the Q buffer that layer l's
  // maps of positions [q0, q0 + nq) read with the position of its first row (the Q cache itself, or the
  // queries absorbed into map_queries_, which prepare_maps sized).
  struct MapQueries {
    BufferRange q;
    uint32_t first = 0;
  };
  uint32_t map_query_rows(int64_t n_queries) const;
  void prepare_maps(uint32_t rows, uint64_t readback_bytes);
  MapQueries record_map_queries(Recorder& rec, const Caches& c, int64_t l, uint32_t q0, uint32_t nq);
  void record_output(Recorder& rec, Caches& c, uint32_t n, uint32_t first_logit);
  void record_norm(Recorder& rec, const BufferRange& in, const BufferRange& out, const BufferRange& gain,
                   const BufferRange& bias, uint32_t rows);
  void record_add_sublayer(Recorder& rec, const BufferRange& out, const BufferRange& gain,
                           const BufferRange& x, uint32_t rows);
  void record_bias(Recorder& rec, const BufferRange& b, const BufferRange& y, uint32_t width, uint32_t n,
                   uint32_t stride = 0, uint32_t offset = 0);
  // Mixtures of experts (vulkan_experts.cpp): a step runs as one submission per layer (run_expert_step), the
  // host routing each layer's tokens between them; or, a decode step where routes_on_device(), recorded once
  // with the choice on the device (record_routed_experts).
  void run_expert_step(Caches& c, uint32_t n, uint32_t first_logit);
  void record_router(Recorder& rec, uint32_t n, int64_t l, bool to_host = true);
  void route_experts(const float* logits, uint32_t n, int64_t l);
  void record_experts(Recorder& rec, uint32_t n, int64_t l);
  bool can_route_on_device() const;
  // Whether a step of n tokens chooses its experts on the device (recorded once) or on the host.
  bool routes_step_on_device(uint32_t n) const { return n == 1 ? routes_on_device_ : prompts_on_device_; }
  void record_routed_experts(Recorder& rec, uint32_t n, int64_t l);
  // A layer's stacked experts over `rows` batch rows (record_experts and record_routed_experts), each
  // product (w, its experts' rows, x, x's row width, a decode step's x offset per expert, y, y's row width,
  // SwiGLU) and stacked bias table (table, y, width) recorded as the caller routes them.
  using ExpertProduct = std::function<void(const WeightTensor&, uint32_t, const BufferRange&, uint32_t,
                                           uint32_t, const BufferRange&, uint32_t, bool)>;
  using ExpertBias = std::function<void(const BufferRange&, const BufferRange&, uint32_t)>;
  void record_stacked_experts(Recorder& rec, const LayerTensors& L, const BufferRange& x, uint32_t x_group,
                              uint32_t rows, const ExpertProduct& product, const ExpertBias& bias);
  void record_experts_sum(Recorder& rec, uint32_t n, const LayerTensors& L, const BufferRange& slots,
                          const BufferRange& weights);
  void record_shared_experts(Recorder& rec, uint32_t n, const LayerTensors& L, const BufferRange& out);
  void build_pipelines();
  const WeightTensor& upload_matrix(const model::WeightMatrix& m, const Progress& progress);
  const WeightTensor& upload_fused(std::span<const model::WeightMatrix* const> parts,
                                   const Progress& progress, RowOrder order = RowOrder::Plain);
  BufferRange upload_vector(std::span<const float> v);
  BufferRange upload_bytes(const void* data, uint64_t bytes);
  // Layer l's RoPE table (rope_table.h) in a session of n_ctx positions (LongRoPE's long factors past the
  // original context)
  BufferRange rope_table_of(int64_t l, int64_t n_ctx) const;

  const model::Model& model_;
  std::unique_ptr<Context> ctx_;
  std::unique_ptr<Arena> arena_;
  std::map<const uint8_t*, WeightTensor> matrices_;  // by data pointer: a tied classifier is uploaded once
  std::list<WeightTensor> fused_;                    // q|k|v rows uploaded as one matrix (upload_fused)
  std::unique_ptr<DeviceWeights> w_;
  std::unique_ptr<Activations> a_;
  std::unique_ptr<ExpertScratch> moe_;  // mixtures of experts only
  bool routes_on_device_ = false, prompts_on_device_ = false;
  // a prompt's stacked experts in one tiled GEMM per matrix on the GPU kernels (ops.h ExpertTiles), else one
  // per expert; GLASSWING_VULKAN_EXPERT_TILES=0 to compare
  bool expert_tiles_ = true;
  uint64_t weight_bytes_ = 0;
  int64_t max_batch_ = kMaxBatch;        // see kGpuMaxBatch
  std::unique_ptr<Buffer> readback_;     // attention maps and summaries come back through it; grown on demand
  std::unique_ptr<Buffer> ple_rows_;     // Gemma 4: the step's per-layer token rows (write_per_layer_rows)
  std::unique_ptr<Buffer> map_queries_;  // latent attention's absorbed queries for the maps; grown on demand
  std::mutex mutex_;                     // one forward at a time: activations are shared by every session

  // Rounding::LlamaCpp only: forwards run there instead of record_step.
  std::unique_ptr<ExactForward> exact_;
};

// Makes "vulkan" available to model::create_backend (priority above the CPU for "auto", which skips it when
// choose_auto_backend() declines: only CPU-implemented Vulkan devices; its reason, either way, is the
// BackendChoice's); device: the selector every VulkanBackend it creates uses (see Device::Create).
void register_vulkan_backend(const std::string& device = {});

}  // namespace glasswing::vulkan
