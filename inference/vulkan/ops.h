#pragma once
// The kernels as named ops recorded into a command buffer in forward order:
//
//   rec.rmsnorm(x, w.attn_norm, xb, {n_embd, n_tokens});  // attention rmsnorm
//   rec.matvec(wq, xb, q, {n_tokens});                    // q = Wq.xb, dequantized inside the kernel
//   rec.barrier();                                        // compute write -> compute read
//
// All activations are f32. Values that change per step (position, token ids) are read by the kernels from
// a StepState buffer, so a recorded Recorder can be submitted again after the host rewrites that buffer.
// Each push-constant block has its C++ twin here, checked by static_assert against the GLSL layout size.
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>

#include "inference/gguf/ggml_type.h"
#include "inference/vulkan/buffer.h"
#include "inference/vulkan/command.h"
#include "inference/vulkan/context.h"
#include "inference/vulkan/pipeline.h"

namespace glasswing::vulkan {

class DispatchTimer;

// Twin of shaders/common/state.glsl: the header; token ids follow it.
struct StepState {
  uint32_t n_past = 0;
  uint32_t n_tokens = 0;
  uint32_t pad[2] = {0, 0};
};
static_assert(sizeof(StepState) == 16);

// The order of a matrix's rows on the device. GateUpPairs: gate rows then as many up rows (as uploaded),
// stored so that Recorder::matvec_swiglu reads each gate row with its up row (matvec_swiglu_supported types;
// matvec refuses it): CPU devices' tiles hold chunks of 32 gate then 32 up rows, the GPU kernels' layouts
// interleave them (row 2r is gate r, 2r + 1 up r).
enum class RowOrder { Plain, GateUpPairs };

// A weight matrix on the device in its GGUF encoding, split into row slices that each fit
// maxStorageBufferRange (each slice is bound on its own).
struct WeightTensor {
  struct Slice {
    BufferRange range;
    uint32_t first_row = 0;
    uint32_t rows = 0;
  };
  gguf::GgmlType type = gguf::GgmlType::F32;
  uint32_t rows = 0;
  uint32_t cols = 0;
  std::vector<Slice> slices;
  RowOrder order = RowOrder::Plain;
};

// True for the types the kernels read (the same set as quant::can_dequantize).
bool kernel_supports(gguf::GgmlType type);
// True where Recorder::matvec_swiglu runs: a quantized type on a CPU device (stored in tiles), or a type
// with a GPU layout (gpu_layout.h) where the GPU kernels run.
bool matvec_swiglu_supported(const DeviceInfo& info, gguf::GgmlType type);
// Bytes of a gate|up matrix of 2 n_ff rows uploaded as RowOrder::GateUpPairs (one slice: at most
// maxStorageBufferRange), for a matvec_swiglu_supported type.
uint64_t gate_up_pair_bytes(const DeviceInfo& info, gguf::GgmlType type, uint32_t n_ff, uint32_t cols);
// Bytes per row of a quantized matrix stored in tiles (matvec_swiglu_supported types), padding rows aside.
uint64_t tile_row_bytes(gguf::GgmlType type, uint32_t cols);
// True where a matvec over w can take part in a deferred RMSNorm (NormWrite / NormRead).
bool defers_norm(const DeviceInfo& info, const WeightTensor& w);
// The partial sums per vector a NormWrite matvec over w with n_vec vectors leaves (one per subgroup).
uint32_t norm_slots(const DeviceInfo& info, const WeightTensor& w, uint32_t n_vec);
// Shader-name suffix of a type: "f32", "q4_k", ...
std::string kernel_type_name(gguf::GgmlType type);

// Uploads rows x cols elements of `type` (GGUF bytes at data) into the arena. Throws VulkanError for a type
// the kernels cannot read or a row that does not divide into blocks.
WeightTensor upload_weight(Context& ctx, Arena& arena, gguf::GgmlType type, uint32_t rows, uint32_t cols,
                           const void* data, const Progress& progress = {}, RowOrder order = RowOrder::Plain);

// Deferred RMSNorm, where defers_norm(weight) holds (CPU devices' tiles): a residual-accumulating matvec
// (y += W.x) with NormWrite also writes xg = y * gain and the sums of squares of y of each of its subgroups
// (per vector, norm_slots of them) into partials; the next matvec takes xg as x and, with NormRead over those
// sums, scales its outputs by 1 / sqrt(mean(y^2) + eps). Together: RMSNorm(y) . W without an RMSNorm dispatch
// between the two (on lavapipe each dispatch costs ~40 us of thread wake-ups; 2 per layer).
struct NormWrite {
  BufferRange gain;      // the next RMSNorm's weight
  BufferRange xg;        // y * gain, laid out as y
  BufferRange partials;  // kMaxNormStride floats per vector
};
struct NormRead {
  BufferRange partials;  // what the NormWrite matvec wrote
  uint32_t slots = 0;    // norm_slots() of that matvec
  float eps = 0.0f;
};
constexpr uint32_t kMaxNormStride = 64;

// Inline RMSNorm, where inlines_norm() holds (the GPU kernels' mat-vec of a few vectors): the matvec reads
// the un-normalized x and computes (W . (x * gain)) / sqrt(mean(x^2) + eps), i.e. RMSNorm(x) . W without the
// RMSNorm dispatch and barrier before it (the CPU devices' tiles defer the norm instead: NormWrite/NormRead).
struct InlineNorm {
  BufferRange gain;  // the RMSNorm's weight (cols floats)
  float eps = 0.0f;
};
// True where a matvec over w of n_vec vectors can take an InlineNorm.
bool inlines_norm(const DeviceInfo& info, const WeightTensor& w, uint32_t n_vec);

// Expert tiles (MatShape::expert_tiles): `count` entries of 3 uints (expert, first vector, vectors).
struct ExpertTiles {
  BufferRange table;
  uint32_t count = 0;
};
constexpr uint32_t kExpertTileVectors = 64;
// Expert ids a routing kernel wrote on the device: `count` uints at `ids` (any number; no host copy).
struct DeviceExpertIds {
  BufferRange ids;
  uint32_t count = 0;
};
struct MatShape {
  uint32_t n_vec = 1;                     // input vectors (tokens)
  uint32_t x_stride = 0;                  // elements between input vectors; 0 = cols
  uint32_t y_stride = 0;                  // elements between output vectors; 0 = rows
  bool accumulate = false;                // y += W.x
  const NormWrite* norm_write = nullptr;  // with accumulate
  const NormRead* norm_read = nullptr;
  const InlineNorm* inline_norm = nullptr;  // see inlines_norm()
  // Row groups (shaders/common/row_groups.glsl): several small products in one dispatch, e.g. latent
  // attention's per-head k_b stacked into one matrix. w's rows come in groups of group_rows (a multiple of
  // kRowGroupRows; w in one slice; no norms), group g reading its vectors at x + g * x_group (a multiple of
  // 4) and writing them at y + g * y_group; 0: one group.
  uint32_t group_rows = 0;
  uint32_t x_group = 0;
  uint32_t y_group = 0;
  // Expert ids, with row groups (a mixture's experts stacked into one matrix, group_rows rows each, a
  // multiple of kExpertGroupRows): group g multiplies expert expert_ids[g] (at most kMaxGroupExperts groups);
  // the product has expert_ids.size() groups of outputs. Not for the CPU devices' tiles.
  std::span<const uint32_t> expert_ids = {};
  // Or the expert ids on the device (Recorder::route_experts' output): group g multiplies expert
  // device_ids->ids[g]; the mat-vec kernels only (n_vec <= kMatvecMaxVectors, GPU kernels or plain types).
  const DeviceExpertIds* device_ids = nullptr;
  // Or expert tiles (a mixture's prompt, the GPU kernels' tiled GEMM): w a stack of experts of group_rows
  // rows each, and the n_vec vectors in tiles of at most kExpertTileVectors, tile i multiplying expert
  // table[3i] on vectors table[3i + 1] ... + table[3i + 2] - 1: every expert's batch in one dispatch.
  const ExpertTiles* expert_tiles = nullptr;
};
constexpr uint32_t kMaxGroupExperts = 8;
// Vectors up to which a product runs the mat-vec kernels (above, on GPU kernels, the tiled GEMM wins).
constexpr uint32_t kMatvecMaxVectors = 4;
constexpr uint32_t kExpertGroupRows = 64;
// True where w (experts of `rows` rows each, stacked) can be multiplied by expert ids on this device.
bool expert_groups_supported(const DeviceInfo& info, const WeightTensor& w, uint32_t rows);
// True where this device's kernels for `type` take expert ids (all but the CPU devices' tiles).
bool expert_ids_supported(const DeviceInfo& info, gguf::GgmlType type);
// What group_rows must be a multiple of on the CPU devices' tiles: the rows every product kernel computes
// from one load of x (a subgroup's rows, a pass of the tiles) divide it, so they lie in one group. The other
// kernels take multiples of kExpertGroupRows (their GEMMs use tiles of 64 rows where 128 would straddle).
constexpr uint32_t kRowGroupRows = 128;
// kRowGroupRows for a type the CPU devices' tiles hold, else kExpertGroupRows.
uint32_t row_group_multiple(const DeviceInfo& info, gguf::GgmlType type);
// True where w can be a matrix of row groups of group_rows rows (see MatShape::group_rows).
bool row_groups_supported(const DeviceInfo& info, const WeightTensor& w, uint32_t group_rows);

// How route_experts chooses (model::RouterRule's fields, and where the weights go).
struct ExpertChoice {
  enum Gating : uint32_t { Softmax = 0, Sigmoid = 1, SoftmaxOfChosen = 2 };
  uint32_t n_expert = 0, k = 0;
  Gating gating = Softmax;
  bool normalize = true;
  float scale = 1.0f;
  uint32_t groups = 1, groups_used = 1;
  float weight_scale = 1.0f;     // every weight times this (Granite's residual scale)
  bool weight_on_input = false;  // Llama 4: the weight scales the expert's input row
  uint32_t row_align = 1;        // batch rows between ranks (weight_on_input's row_weights)
  uint32_t n_tokens = 1;         // tokens (one workgroup each): their logits n_expert apart, outputs k apart
};
// A prompt's routed pairs into batch rows (Recorder::batch_experts): the buffers and counts.
struct ExpertBatching {
  BufferRange ids = {}, pair_weights = {};  // route_experts' ids and (weight_on_input) its row_weights
  BufferRange rows = {}, slots = {},
              row_weights = {};  // out: per row its token (and weight), per pair its row
  BufferRange tiles = {};        // out: max_tiles expert tiles (ExpertTiles), the rest empty
  uint32_t n_pairs = 0, k = 0, n_expert = 0, max_tiles = 0;
  bool weight_on_input = false;
};
// True where route_experts takes this many experts and picks (one workgroup's shared memory holds them).
bool route_on_device_supported(uint32_t n_expert, uint32_t k);

struct RowsShape {
  uint32_t n = 0;         // elements per row
  uint32_t n_rows = 1;    // rows (tokens)
  uint32_t x_stride = 0;  // 0 = n
  uint32_t y_stride = 0;  // 0 = n
};

struct RopeStoreParams {
  uint32_t n_tokens = 1;
  uint32_t n_heads = 0;
  uint32_t n_kv_heads = 0;
  uint32_t head_dim = 0;
  uint32_t n_rot = 0;                   // rotated dims per head; 0: no RoPE (the stores only)
  bool neox = false;                    // pairs (i, i + n_rot/2) instead of (2i, 2i+1)
  uint32_t q_stride = 0, q_offset = 0;  // elements between tokens (0 = n_heads * head_dim), of token 0
  uint32_t k_stride = 0, k_offset = 0;  // (0 = n_kv_heads * head_dim)
  uint32_t v_stride = 0, v_offset = 0;
  uint32_t q_cache_offset = 0;   // elements into the Q cache
  uint32_t kv_cache_offset = 0;  // elements into the K and V caches
  // the RoPE table for n_rot (rope_table.h: each pair's frequency, then the magnitude of cos and sin):
  // required with RoPE
  BufferRange rope_table;
  bool store_v = true;  // rope_store: false leaves the V cache alone (latent attention: V is the K cache)
  // rope_store: head_dim gains multiplying every q / k element after its rotation (Hunyuan's norms after
  // RoPE, with the heads normalized before it at unit gain); empty: none
  BufferRange q_post_gain{}, k_post_gain{};
};

// AttentionParams::window's flag: its other bits are a chunk length (Llama 4: a query sees the keys of its
// own chunk, chunks aligned to position 0) rather than a sliding window. One word, read by every attention
// kernel's window_first_key (shaders/common/scores.glsl), so windows and chunks take one path.
inline constexpr uint32_t kKeysInChunks = 0x80000000u;

struct AttentionParams {
  uint32_t n_tokens = 1;
  uint32_t n_heads = 0;
  uint32_t n_kv_heads = 0;
  uint32_t head_dim = 0;
  uint32_t q_stride = 0;  // 0 = n_heads * head_dim
  uint32_t q_offset = 0;
  uint32_t o_stride = 0;   // 0 = n_heads * head_dim
  uint32_t kv_offset = 0;  // element offset of the layer in the caches
  uint32_t n_ctx = 0;      // cache capacity (positions); scores need n_tokens * n_heads * n_ctx floats
  float scale = 1.0f;
  // keys a query sees, itself included, in a sliding-window layer; chunk | kKeysInChunks: its own chunk; 0:
  // all
  uint32_t window = 0;
  float softcap = 0.0f;  // scores become softcap·tanh(s / softcap) after the scale (gemma2); 0: none
  // ALiBi (BLOOM, MPT, Baichuan 13B): head h adds slope_h · (key − query position) to its scores, the
  // slopes m0^(h+1) below the largest power of two n ≤ n_heads, m1^(2(h−n)+1) from there
  // (ModelDescription::alibi_slope; common/scores.glsl). m0 = 0: none.
  float alibi_m0 = 0.0f, alibi_m1 = 0.0f;
  // n_heads sink logits (gpt-oss: each joins its head's softmax without a value), or empty: none. Taken by
  // the GPU kernels (attention_gpu_sinks, attention_gpu_rope_store_sinks, split-K included) and the plain
  // kernel (attention_sinks); the CPU devices' fused decode kernel declines them.
  BufferRange sinks;
};

struct AttentionProbsParams {
  uint32_t n_heads = 0;
  uint32_t n_kv_heads = 0;
  uint32_t head_dim = 0;
  uint32_t head = 0;
  uint32_t q_offset = 0;    // element offset of the layer in the Q cache
  uint32_t k_offset = 0;    // element offset of the layer in the K cache
  uint32_t q0 = 0, nq = 0;  // query rows
  uint32_t k0 = 0, nk = 0;  // key columns
  float scale = 1.0f;
  uint32_t window = 0;                     // as AttentionParams::window
  float softcap = 0.0f;                    // as AttentionParams::softcap
  float alibi_m0 = 0.0f, alibi_m1 = 0.0f;  // as AttentionParams::alibi_m0, alibi_m1
  BufferRange sinks;                       // as AttentionParams::sinks
  uint32_t q_first = 0;  // the position of q_cache's first row (latent attention's absorbed queries: q0)
};

struct AttentionSummaryParams {
  uint32_t n_heads = 0;
  uint32_t n_kv_heads = 0;
  uint32_t head_dim = 0;
  uint32_t q0 = 0, nq = 0;  // query rows
  uint32_t out_offset = 0;  // elements into the output
  float scale = 1.0f;
  uint32_t window = 0;                     // as AttentionParams::window
  float softcap = 0.0f;                    // as AttentionParams::softcap
  float alibi_m0 = 0.0f, alibi_m1 = 0.0f;  // as AttentionParams::alibi_m0, alibi_m1
  BufferRange sinks;                       // as AttentionParams::sinks
  uint32_t q_first = 0;                    // as AttentionProbsParams::q_first
};

class Recorder {
 public:
  explicit Recorder(Context& ctx);
  ~Recorder();
  // Starts a new recording; descriptor sets of the previous one are kept until the Recorder dies.
  void begin();
  void end();
  // Submits what was recorded and waits (may be called many times per recording).
  void submit_and_wait();

  // y[v][r] (+)= W[r] . x[v]: a GEMV per vector, reading each weight byte once per vector.
  void matvec(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape shape = {});
  // y[v][r] = silu(W[r] . x[v]) * (W[n + r] . x[v]) for r < n = rows / 2: gate and up rows in one matrix of
  // one slice, SwiGLU applied as each pair is computed (see matvec_swiglu_supported). The GPU kernels with
  // more vectors than a mat-vec takes compute the product with the GEMM into `scratch` (n_vec x rows floats)
  // and apply SwiGLU in a second dispatch.
  void matvec_swiglu(const WeightTensor& gate_up, const BufferRange& x, const BufferRange& y,
                     MatShape shape = {}, const BufferRange& scratch = {});
  // As matvec, as a tiled GEMM (prefill: many vectors).
  void matmul(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape shape = {});
  // The two GPU GEMMs matmul chooses between (GPU kernels, x_stride % 4 == 0): the tensor-core one (device
  // coopmat, cols % 32 == 0; see coopmat_check.h) and the register-blocked f32 one.
  void matmul_coopmat(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape shape = {});
  void matmul_tiled(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape shape = {});
  // matvec for a few vectors, matmul for many.
  void project(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape shape = {});
  // out[t] (+)= row token_ids[t] (or n_past + t when by_position) of w, for n_tokens tokens. A table split
  // into slices is gathered by one dispatch per slice (the ids stay on the device; rows past w skip).
  void get_rows(const WeightTensor& w, const BufferRange& state, const BufferRange& out, uint32_t n_tokens,
                bool by_position = false, bool accumulate = false);
  void rmsnorm(const BufferRange& x, const BufferRange& w, const BufferRange& y, RowsShape shape, float eps);
  void layernorm(const BufferRange& x, const BufferRange& w, const BufferRange& b, const BufferRange& y,
                 RowsShape shape, float eps);
  // RMSNorm of every head of this step's q and k in place (qwen3: before RoPE), with one gain vector
  // (head_dim floats) for the q heads and one for the k heads; q and k are laid out as for rope_store (the
  // same strides and offsets; they may be views of one fused buffer). One dispatch.
  // LayerPerHeadGains (StableLM 2 12B, Command R+): each head LayerNorm'd (mean-centred, no bias) with gains
  // of its own, q_gain n_heads vectors of head_dim and k_gain n_kv_heads.
  enum class HeadNorm { Rms, LayerPerHeadGains };
  void head_rmsnorm(const BufferRange& q, const BufferRange& k, const BufferRange& q_gain,
                    const BufferRange& k_gain, const RopeStoreParams& layout, float eps,
                    HeadNorm kind = HeadNorm::Rms);
  // RoPE on this step's q (in place) and k, and q, k, v stored into the caches at positions n_past + t (one
  // dispatch; q, k and v may be views of one fused buffer).
  void rope_store(const BufferRange& q, const BufferRange& k, const BufferRange& v,
                  const BufferRange& q_cache, const BufferRange& k_cache, const BufferRange& v_cache,
                  const BufferRange& state, const RopeStoreParams& p);
  void attention(const BufferRange& q, const BufferRange& k_cache, const BufferRange& v_cache,
                 const BufferRange& out, const BufferRange& scores, const BufferRange& state,
                 const AttentionParams& p);
  // LFM2's gated short convolution of this step's n_tokens (shaders/short_conv.comp): from in_proj's rows
  // bcx (n_tokens × [b, c, x] of dim each), b·x stored into `cache` (n_ctx × dim) at positions n_past + t,
  // and y (n_tokens × dim) = c · the causal convolution with `taps` (dim × kernel, 2..16 taps).
  void short_conv(const BufferRange& bcx, const BufferRange& taps, const BufferRange& cache,
                  const BufferRange& y, const BufferRange& state, uint32_t n_tokens, uint32_t dim,
                  uint32_t kernel);
  // A gated delta-net layer (Qwen3.5; model::ModelDescription::DeltaNet), in two steps: delta_conv runs
  // the causal convolution and SiLU over q|k|v (qkv: n_tokens × channels) into y, the layer's last inputs
  // kept in `window` ((kernel − 1) × channels); delta_rule runs the delta rule of every value head over the
  // tokens with the layer's `state`, into `out` (n_tokens × value_dim, gated RMSNorm applied; on the GPU
  // kernels two dispatches with a barrier between: delta_rule_rows, delta_gated_norm). The other
  // inputs are the projections' z, β and α logits and the layer's dt_bias, A and norm gains.
  struct DeltaRuleInputs {
    BufferRange qkv, z, beta, alpha, dt_bias, a, norm, state, out;
  };
  // (Mamba-2: the inputs are columns in_offset.. of rows in_stride apart, and a bias is added before SiLU)
  void delta_conv(const BufferRange& qkv, const BufferRange& taps, const BufferRange& window,
                  const BufferRange& y, uint32_t n_tokens, uint32_t channels, uint32_t kernel,
                  uint32_t in_stride = 0, uint32_t in_offset = 0, const BufferRange& bias = {});
  // Mamba-2's selective scan of every head over the tokens (shaders/mamba_scan.comp), from the convolved
  // x|B|C, in_proj's rows (z, dt) and the layer's dt bias, A and D, with its `state`, into y (n_tokens ×
  // d_inner, times SiLU(z), before the grouped norm). On the GPU kernels each head's channels spread over
  // workgroups (shaders/mamba_scan_rows.comp).
  struct MambaScanInputs {
    BufferRange xbc, in, dt_bias, a, d, state, y;
  };
  void mamba_scan(const MambaScanInputs& in, uint32_t n_tokens, uint32_t d_inner, uint32_t d_state,
                  uint32_t n_head, uint32_t n_group, uint32_t in_dim);
  // Mamba-1's selective scan of every channel over the tokens (shaders/mamba1_scan.comp), from the convolved
  // x, in_proj's rows (z), x_proj's rows (B, C after dt_rank), dt_proj's output and the layer's dt bias, A
  // (d_inner × d_state) and D, with its `state`, into y (n_tokens × d_inner, times SiLU(z)); b_c_rms:
  // B and C RMS-normalized with eps, times bc_gain (B's gains then C's, d_state each: Jamba's, or ones for
  // Falcon-Mamba; bound, not read, without b_c_rms).
  struct Mamba1ScanInputs {
    BufferRange x, in, xdb, dt, dt_bias, a, d, state, y, bc_gain;
  };
  void mamba1_scan(const Mamba1ScanInputs& in, uint32_t n_tokens, uint32_t d_inner, uint32_t d_state,
                   uint32_t dt_rank, bool b_c_rms, float eps);
  // (grouped: Qwen3-Next's head mapping and packed β|α rows, model::ModelDescription::DeltaNet::grouped)
  void delta_rule(const DeltaRuleInputs& in, uint32_t n_tokens, uint32_t n_k_heads, uint32_t n_v_heads,
                  uint32_t head_k_dim, uint32_t head_v_dim, float eps, bool grouped = false);
  // Kimi Delta Attention of every head over the tokens (shaders/kda_rule.comp): q, k and v as the
  // convolutions' three planes of n_tokens × inner in qkv, the decays' input g (f_b · f_a · x), the output
  // gate's logits z, the β logits and the layer's dt_bias (per channel), A (per head) and norm gains, with
  // its `state`, into `out` (n_tokens × inner, gated RMSNorm applied).
  struct KdaRuleInputs {
    BufferRange qkv, g, z, beta, dt_bias, a, norm, state, out;
  };
  void kda_rule(const KdaRuleInputs& in, uint32_t n_tokens, uint32_t n_heads, uint32_t head_dim, float eps);
  void mul_sigmoid(const BufferRange& y, const BufferRange& gate, uint32_t n);  // y *= σ(gate)
  void relu_sqr(const BufferRange& y, uint32_t n);                              // y = relu(y)²
  void clamp(const BufferRange& y, uint32_t n, float limit);                    // y = clamp(y, ±limit)
  // y = xielu(y) with one layer's parameters (Apertus; model::ModelDescription::XIelu)
  void xielu(const BufferRange& y, uint32_t n, float a_n, float a_p, float beta, float eps);
  // Gemma 3n: each of n_rows rows of y (n wide) brought to the magnitude (L2 norm) of ref's row; each row of
  // an FFN gate less mean + std · q (the sample std), the negative values 0 (Gaussian top-k)
  void magnitude_match(const BufferRange& y, const BufferRange& ref, uint32_t n, uint32_t n_rows);
  // Gemma 3n's AltUp steps over n_streams blocks of n_tokens rows of dim (shaders/altup_predict.comp,
  // altup_correct.comp): every stream predicted from all of them by the router output m's coefficients (the
  // first's prediction also into x), and every stream corrected by the layer's output y (the first times
  // `scale` also into `first`)
  void altup_predict(const BufferRange& streams, const BufferRange& m, const BufferRange& coef,
                     const BufferRange& pred, const BufferRange& x, uint32_t dim, uint32_t n_tokens,
                     uint32_t n_streams);
  void altup_correct(const BufferRange& pred, const BufferRange& y, const BufferRange& m,
                     const BufferRange& coef, const BufferRange& scale, const BufferRange& streams,
                     const BufferRange& first, uint32_t dim, uint32_t n_tokens, uint32_t n_streams);
  void gaussian_topk(const BufferRange& g, uint32_t n, uint32_t n_rows, float q);
  // rope_store then attention for a one-token step, in one dispatch (the CPU kernels:
  // common/attention_lanes.glsl; the GPU kernels: common/attention_gpu_body.glsl, which uses `scores`); q, k
  // and v are views of the one buffer qkv (RopeStoreParams' strides and offsets into it). Records nothing and
  // returns false where neither kernel applies. `split`: the GPU kernel's split-K scratch of at least
  // attention_split_bytes(...) bytes whose counters are zero (it leaves them zero), or empty (no split).
  bool attention_rope_store(const BufferRange& qkv, const BufferRange& q_cache, const BufferRange& k_cache,
                            const BufferRange& v_cache, const BufferRange& out, const BufferRange& scores,
                            const BufferRange& state, const RopeStoreParams& rope,
                            const AttentionParams& attention, const BufferRange& split = {});
  // Bytes of attention_rope_store's split-K scratch for a cache of n_ctx positions on GPU kernels (0: the
  // keys are not split, GLASSWING_VULKAN_ATTN_SPLIT=0). Starts with n_heads zero counters.
  static uint64_t attention_split_bytes(uint32_t n_heads, uint32_t head_dim, uint32_t n_ctx);
  // out[r][c] = probability of key k0 + c for query q0 + r (row-major nq x nk)
  void attention_probs(const BufferRange& q_cache, const BufferRange& k_cache, const BufferRange& out,
                       const AttentionProbsParams& p);
  // For every head h and query q0 + r of one layer: out[out_offset + (h * nq + r) * 3 + {0, 1, 2}] = largest
  // probability, entropy (nats), probability of key 0 of its causal attention row.
  void attention_summary(const BufferRange& q_cache, const BufferRange& k_cache, const BufferRange& out,
                         const AttentionSummaryParams& p);
  void softmax(const BufferRange& data, RowsShape shape);
  void swiglu(const BufferRange& gate, const BufferRange& up, const BufferRange& out, uint32_t n);
  // gpt-oss's clamped SwiGLU (swiglu_oai.comp): min(g, 7)·σ(1.702·min(g, 7))·(clamp(u, ±7) + 1)
  void swiglu_oai(const BufferRange& gate, const BufferRange& up, const BufferRange& out, uint32_t n);
  void gelu(const BufferRange& data, uint32_t n);
  void geglu(const BufferRange& gate, const BufferRange& up, const BufferRange& out,
             uint32_t n);  // gelu(g)·u
  void reglu(const BufferRange& gate, const BufferRange& up, const BufferRange& out,
             uint32_t n);                                    // relu(g)·u (SmallThinker's experts)
  void scale(const BufferRange& data, uint32_t n, float s);  // data *= s
  // data[r][i] *= factors[r] for n_rows rows of `width` (Llama 4: each expert's input rows times the router's
  // weight of that token)
  void scale_rows(const BufferRange& data, const BufferRange& factors, uint32_t width, uint32_t n_rows);
  // Llama 4's attention temperature tuning (its NoPE layers; every layer of Ministral 3, Mistral Large 3 and
  // Small 4): q[t][i] (i < width, rows of `stride`) times 1 + scale · ln(1 + ⌊(pos + offset) / floor⌋) at
  // pos = n_past + t from the step state (shaders/attn_temperature.comp)
  void attn_temperature(const BufferRange& q, const BufferRange& state, uint32_t n_tokens, uint32_t width,
                        uint32_t stride, float scale, float floor, float offset);
  // data[r][i] *= sigmoid(gate[r]) over rows of `width`, n elements in all
  void scale_rows_sigmoid(const BufferRange& data, const BufferRange& gate, uint32_t width, uint32_t n);
  void softcap(const BufferRange& data, uint32_t n, float cap);      // data = cap · tanh(data / cap)
  void add(const BufferRange& x, const BufferRange& y, uint32_t n);  // y += x
  // y[r * stride + offset + i] += b[i] for r < n_rows, i < n
  void add_bias(const BufferRange& b, const BufferRange& y, uint32_t n, uint32_t n_rows, uint32_t stride = 0,
                uint32_t offset = 0);
  // y[g * stride + i] += b[expert_ids[g] * n + i] (b: a stacked table of n-wide bias rows, one per expert):
  // each of a decode step's picked experts (at most kMaxGroupExperts) adds its bias in one dispatch.
  void add_expert_biases(const BufferRange& b, const BufferRange& y, uint32_t n, uint32_t stride,
                         std::span<const uint32_t> expert_ids);
  // The same with the ids on the device (route_experts' output; each id below b's rows).
  void add_expert_biases(const BufferRange& b, const BufferRange& y, uint32_t n, uint32_t stride,
                         const DeviceExpertIds& expert_ids);
  // Each expert tile's rows (ExpertTiles) add their expert's bias: y[(first + v) · stride + i] += b[e · n +
  // i].
  void add_expert_biases(const BufferRange& b, const BufferRange& y, uint32_t n, uint32_t stride,
                         const ExpertTiles& tiles);
  // A step's expert choice on the device (shaders/route_experts.comp, as model::ExpertRouting): each of
  // choice.n_tokens tokens' router logits (n_expert floats) to its k chosen experts' ids and weights (at
  // t · k + r), with weight_on_input the weights into row_weights[(t · k + r) · row_align] instead (the
  // weights then 1); all weights
  // times weight_scale and, where output_scale is given (n_expert floats), the chosen expert's scale.
  // selection_bias: n_expert floats, or empty.
  void route_experts(const BufferRange& logits, const BufferRange& selection_bias,
                     const BufferRange& output_scale, const BufferRange& ids, const BufferRange& weights,
                     const BufferRange& row_weights, const ExpertChoice& choice);
  // A prompt's routed pairs into batch rows per expert, in expert order and token order within each, with
  // the expert tiles over them (shaders/batch_experts.comp, one workgroup): what the host's routing writes.
  void batch_experts(const ExpertBatching& b);
  // Mixtures of experts: out[r] = x[rows[r]] (uint row ids) for n_rows rows of n floats; and
  // x[t] += Σ_r weights[t·k + r] · y[slots[t·k + r]] in rank order for n_tokens rows of n floats.
  void gather_rows(const BufferRange& x, const BufferRange& rows, const BufferRange& out, uint32_t n,
                   uint32_t n_rows);
  void combine_experts(const BufferRange& y, const BufferRange& slots, const BufferRange& weights,
                       const BufferRange& x, uint32_t n, uint32_t n_tokens, uint32_t k);
  // compute write -> compute read
  void barrier();
  // copies bytes (for reading results back through a host-visible buffer)
  void copy(const BufferRange& src, const BufferRange& dst, uint64_t bytes);
  // rows runs of `floats` floats, the i-th at element i * src_stride of src and i * dst_stride of dst
  // (transfer commands: any offsets; barriers on both sides, as copy)
  void copy_rows(const BufferRange& src, const BufferRange& dst, uint32_t floats, uint32_t rows,
                 uint32_t src_stride, uint32_t dst_stride);

  // Any embedded shader (shaders/<shader>.comp) with buffers at bindings 0..N-1 and a push-constant block:
  // for kernels recorded outside this file (the reference-compatible forward, exact_forward.cpp).
  void dispatch_shader(std::string_view shader, std::span<const BufferRange> buffers,
                       std::span<const std::byte> push, uint32_t x, uint32_t y = 1, uint32_t z = 1);

 private:
  template <typename Push>
  void dispatch(const char* shader, std::span<const BufferRange> buffers, const Push& push, uint32_t x,
                uint32_t y = 1, uint32_t z = 1, std::span<const uint32_t> spec = {},
                std::span<const VkBufferView> texels = {});
  void delta_gated_norm(const BufferRange& z, const BufferRange& norm, const BufferRange& out,
                        uint32_t n_tokens, uint32_t n_heads, uint32_t head_dim, float eps, bool sigmoid);
  // matvec over CPU devices' tiles; gate_up: SwiGLU over gate|up pairs.
  void matvec_tiles(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape shape,
                    bool gate_up);
  // matvec over a weight in a GPU layout (gpu_layout.h).
  void matvec_gpu(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape shape,
                  bool swiglu = false);
  void dispatch_raw(const Pipeline& pipeline, std::span<const BufferRange> buffers,
                    std::span<const std::byte> push, uint32_t x, uint32_t y, uint32_t z,
                    std::span<const VkBufferView> texels = {});
  // A view of r as 16-byte texels (R32G32B32A32_UINT), made once per range and kept with the recordings;
  // VK_NULL_HANDLE when r cannot be one (misaligned, or larger than maxTexelBufferElements).
  VkBufferView texels(const BufferRange& r);
  uint32_t reduce_wg() const;
  void elementwise(const char* shader, std::span<const BufferRange> buffers, std::span<const std::byte> push,
                   uint64_t n);
  void elementwise_with(const char* shader, const BufferRange& data, uint32_t n, float v);
  Context* ctx_;
  CommandBuffer cmd_;
  std::unique_ptr<DispatchTimer> timer_;  // GLASSWING_VULKAN_PROFILE=1 only
  DescriptorPool descriptors_;
  std::map<std::tuple<VkBuffer, uint64_t, uint64_t>, DeviceHandle<VkBufferView, vkDestroyBufferView>> views_;
};

}  // namespace glasswing::vulkan
