#include "inference/model/model_description.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace glasswing::model {

namespace {
int64_t positive(const gguf::GgufFile& file, const std::string& key) {
  const int64_t v = file.require_int(key);
  if (v <= 0) throw std::runtime_error("metadata " + key + " must be positive, got " + std::to_string(v));
  return v;
}
// The count under key `a + key` (absent: 0), which must be in 0..max.
int64_t count_key(const gguf::GgufFile& file, const std::string& a, const std::string& key, int64_t max) {
  const int64_t v = file.get_int(a + key).value_or(0);
  if (v < 0 || v > max)
    throw std::runtime_error("metadata " + a + key + " = " + std::to_string(v) + " is out of range 0.." +
                             std::to_string(max));
  return v;
}

// A per-layer array of n integers (bools too) under `key`.
std::vector<int64_t> per_layer_ints(const gguf::GgufFile& file, const std::string& key, int64_t n) {
  const gguf::Value* v = file.find(key);
  if (!v || v->type != gguf::ValueType::Array ||
      !(gguf::is_integer_type(v->array->elem_type) || v->array->elem_type == gguf::ValueType::Bool) ||
      static_cast<int64_t>(v->array->ints.size()) != n)
    throw std::runtime_error(key + " must hold one integer per layer (" + std::to_string(n) + ")");
  return v->array->ints;
}

// A mixture's router: llama.cpp's expert_gating_func (1 softmax, 2 sigmoid; absent or 0: `fallback`).
ExpertGating read_gating(const gguf::GgufFile& file, const std::string& a, int64_t fallback) {
  const int64_t gating = file.get_int(a + "expert_gating_func").value_or(0);
  switch (gating != 0 ? gating : fallback) {
    case 1:
      return ExpertGating::Softmax;
    case 2:
      return ExpertGating::Sigmoid;
    default:
      throw std::runtime_error("metadata " + a + "expert_gating_func " + std::to_string(gating) +
                               " is not supported");
  }
}

// The chosen experts' weights' scale: expert_weights_scale, where a key that is absent or 0 scales nothing
// (as llama.cpp reads it).
float read_weights_scale(const gguf::GgufFile& file, const std::string& a) {
  const double scale = file.get_float(a + "expert_weights_scale").value_or(0.0);
  if (!std::isfinite(scale) || scale < 0)
    throw std::runtime_error("metadata " + a + "expert_weights_scale must be a positive number");
  return scale > 0 ? static_cast<float>(scale) : 1.0f;
}

// The leading dense layers of a mixture (leading_dense_block_count), whose width n_ff must then be given.
void read_dense_lead(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  d.n_layer_dense_lead = count_key(file, a, "leading_dense_block_count", d.n_layer);
  if (d.n_layer_dense_lead > 0 && d.n_ff <= 0)
    throw std::runtime_error("metadata " + a +
                             "feed_forward_length (the leading dense layers' width) must be positive");
}

// A DeepSeek-style mixture (glm4moe, deepseek2, dots1, bailingmoe, bailingmoe2, minimax-m2) as llama.cpp
// reads its keys: leading dense layers, shared experts of n_ff_exp each, the gating function, whether the
// chosen weights are renormalized (absent: no), their scale, DeepSeek-V3's expert groups, and the
// multi-token-prediction layers after the model's own.
void read_deepseek_moe(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  d.n_layer_nextn = count_key(file, a, "nextn_predict_layers", d.n_layer - 1);
  d.n_layer -= d.n_layer_nextn;
  read_dense_lead(file, a, d);
  d.n_expert_shared = count_key(file, a, "expert_shared_count", 1 << 10);
  d.n_ff_shexp = d.n_expert_shared * d.n_ff_exp;
  if (d.architecture == "bailingmoe2") {
    // (Ling 2.0, as llama.cpp's loader: expert_shared_feed_forward_length, where given, is one shared
    // expert's width, times the count)
    const int64_t width = file.get_int(a + "expert_shared_feed_forward_length").value_or(0);
    if (width < 0 || width > (int64_t{1} << 32))
      throw std::runtime_error("metadata " + a + "expert_shared_feed_forward_length " +
                               std::to_string(width) + " is out of range");
    d.n_ff_shexp = d.n_expert_shared * (width > 0 ? width : d.n_ff_exp);
  }
  if (d.architecture == "cohere2moe" && d.n_expert_shared > 0) {
    // (Command A+, as llama.cpp's loader: expert_shared_feed_forward_length, where given, is the shared
    // experts' whole width, else n_ff_exp times their count)
    const int64_t width = file.get_int(a + "expert_shared_feed_forward_length").value_or(0);
    if (width < 0 || width > (int64_t{1} << 32))
      throw std::runtime_error("metadata " + a + "expert_shared_feed_forward_length " +
                               std::to_string(width) + " is out of range");
    if (width > 0) d.n_ff_shexp = width;
  }
  // (llama.cpp: none given means softmax for DeepSeek-V2's files, sigmoid for GLM-4.5's)
  // (llama.cpp: GLM-4.7-Flash's deepseek2 files, known by their 47 or 48 blocks and 154880 tokens, sigmoid)
  const auto* embd = file.find_tensor("token_embd.weight");
  const bool glm_flash =
      embd && embd->dims.size() == 2 && embd->dims[1] == 154880 && (d.n_layer == 47 || d.n_layer == 48);
  const bool deepseek2 = d.architecture == "deepseek2" || d.architecture == "mistral4";
  d.router.gating = read_gating(file, a, deepseek2 && !glm_flash ? 1 : 2);
  if (d.architecture == "bailingmoe") {
    // Ling 1.0, as llama.cpp's graph runs it: softmax whatever the file says, and experts in every layer (its
    // loader gives each layer experts and no dense FFN, so files that say otherwise are not run)
    d.router.gating = ExpertGating::Softmax;
    if (d.n_layer_dense_lead > 0)
      throw std::runtime_error(
          "metadata " + a + "leading_dense_block_count " + std::to_string(d.n_layer_dense_lead) +
          ": bailingmoe with dense layers is not supported (llama.cpp runs every layer as a "
          "mixture)");
  }
  // (MiniMax-M2: always renormalized, as llama.cpp's graph passes it whatever the file says)
  // (Kimi Linear: always renormalized too, as llama.cpp's kimi-linear graph passes it)
  d.router.normalize = d.architecture == "minimax-m2" || d.architecture == "kimi-linear" ||
                       file.get_bool(a + "expert_weights_norm").value_or(false);
  const double scale = file.get_float(a + "expert_weights_scale").value_or(1.0);
  if (!std::isfinite(scale) || scale <= 0)
    throw std::runtime_error("metadata " + a + "expert_weights_scale must be a positive number");
  d.router.scale = static_cast<float>(scale);
  // DeepSeek-V3's group-limited choice (experts in groups, only the best groups' experts chosen)
  d.router.groups = file.get_int(a + "expert_group_count").value_or(1);
  d.router.groups_used = file.get_int(a + "expert_group_used_count").value_or(d.router.groups);
  if (!d.router.groups_fit(d.n_expert, d.n_expert_used))
    throw std::runtime_error("metadata " + a + "expert_group_count " + std::to_string(d.router.groups) +
                             " and expert_group_used_count " + std::to_string(d.router.groups_used) +
                             " do not divide " + std::to_string(d.n_expert) +
                             " experts into groups that hold " + std::to_string(d.n_expert_used) +
                             " of them");
}

// ERNIE 4.5's mixtures as llama.cpp's ernie4_5-moe reads them (and Hunyuan-A13B's): leading dense layers, one
// shared expert of expert_shared_feed_forward_length (absent or 0: none); softmax gating, renormalized
// (RouterRule's default).
void read_ernie_moe(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  read_dense_lead(file, a, d);
  // (llama.cpp's loader gives every layer after the dense ones experts: only a step of 1 agrees with it)
  if (const int64_t step = file.get_int(a + "interleave_moe_layer_step").value_or(1); step != 1)
    throw std::runtime_error("mixtures of experts on every " + std::to_string(step) +
                             "th layer (interleave_moe_layer_step) are not supported");
  // (Hunyuan-A13B: its shared expert is feed_forward_length wide when the key is absent, as llama.cpp reads
  // it)
  d.n_ff_shexp = file.get_int(a + "expert_shared_feed_forward_length")
                     .value_or(d.architecture == "hunyuan-moe" ? d.n_ff : 0);
  if (d.n_ff_shexp < 0)
    throw std::runtime_error("the shared expert's feed_forward_length must not be negative");
  d.n_expert_shared = d.n_ff_shexp > 0 ? 1 : 0;
}

// Llama 4's mixtures as llama.cpp's llama4 graph runs them: experts on every interleave_moe_layer_step-th
// layer (Scout: 1, all; Maverick: 2, the odd ones; the others dense FFNs of feed_forward_length), each
// token's expert(s) chosen by the router's sigmoid, weighted by it (not renormalized, not scaled: keys that
// say otherwise are refused) on the expert's input, and one shared expert of expert_feed_forward_length
// that every token runs.
void read_llama4_moe(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  const int64_t step = file.get_int(a + "interleave_moe_layer_step").value_or(1);
  if (step < 1 || step > d.n_layer)
    throw std::runtime_error("metadata " + a + "interleave_moe_layer_step " + std::to_string(step) +
                             " is out of range (1 .. block_count " + std::to_string(d.n_layer) + ")");
  d.moe_step = step;
  if (step > 1 && d.n_ff <= 0)
    throw std::runtime_error("metadata " + a +
                             "feed_forward_length (the dense layers' width) must be positive");
  if (read_gating(file, a, 2) != ExpertGating::Sigmoid)
    throw std::runtime_error("metadata " + a + "expert_gating_func: llama4's router is a sigmoid");
  if (read_weights_scale(file, a) != 1.0f || file.get_bool(a + "expert_weights_norm").value_or(false))
    throw std::runtime_error("metadata " + a +
                             "expert_weights_scale or expert_weights_norm: llama4 "
                             "weights its experts by the router's sigmoid as it is");
  d.router = {ExpertGating::Sigmoid, false, 1.0f};
  d.n_expert_shared = 1;
  d.n_ff_shexp = d.n_ff_exp;
}

// Llama 4's attention as llama.cpp reads it: chunks of 8192 positions and the temperature's floor 8192 and
// scale 0.1 are constants of the architecture there (Hugging Face's attention_chunk_size, floor_scale,
// attn_scale), so files carry them only as attention.chunk_size (ollama's key), temperature_length and
// temperature_scale, read where present (the tiny test shapes shrink them); q and k normalized after RoPE
// unless the file says use_qk_norm false or, as llama.cpp decides without the key, the model has 128
// experts (Maverick).
void read_llama4_attention(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  if (const auto swa = file.get_int(a + "attention.sliding_window"); swa && *swa == 0)
    throw std::runtime_error("metadata " + a +
                             "attention.sliding_window 0 (llama4 without chunked attention, "
                             "MobileLLM) is not supported");
  d.attn_chunk = file.get_int(a + "attention.chunk_size").value_or(8192);
  d.attn_temp_floor = file.get_int(a + "attention.temperature_length").value_or(8192);
  const double scale = file.get_float(a + "attention.temperature_scale").value_or(0.1);
  if (d.attn_chunk <= 0 || d.attn_temp_floor <= 0 || !std::isfinite(scale) || scale < 0)
    throw std::runtime_error("metadata " + a + "attention.chunk_size " + std::to_string(d.attn_chunk) +
                             ", temperature_length " + std::to_string(d.attn_temp_floor) +
                             " and temperature_scale " + std::to_string(scale) + " must be positive");
  d.attn_temp_scale = static_cast<float>(scale);
  d.attn_temp_offset = 1.0f;
  d.qk_rms_norm = file.get_bool(a + "use_qk_norm").value_or(d.n_expert != 128);
}

// Multi-head latent attention as llama.cpp's converter writes it (since it splits attn_kv_b): key_length
// and value_length are the latent's (kv_rank + n_rot, kv_rank), one KV head, and the *_mla keys hold the
// unabsorbed head widths.
void read_mla(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  ModelDescription::Mla& m = d.mla;
  m.q_rank = file.get_int(a + "attention.q_lora_rank").value_or(0);
  m.kv_rank = positive(file, a + "attention.kv_lora_rank");
  if (d.traits->mla_whole_kv_b) {
    // MiniCPM3 as llama.cpp's converter writes it: key_length the heads' nope + rope, head_count_kv n_head,
    // no value_length (llama.cpp's n_embd / n_head: MiniCPM3-4B's v_head_dim); then the latent's shape here
    const int64_t n_rot = file.get_int(a + "rope.dimension_count").value_or(0);
    m.whole_kv_b = true;
    m.nope = d.head_dim - n_rot;
    m.v_head = file.get_int(a + "attention.value_length").value_or(d.n_embd / d.n_head);
    if (n_rot <= 0 || n_rot % 2 != 0 || m.nope <= 0 || m.v_head <= 0 || m.q_rank < 0)
      throw std::runtime_error("multi-head latent attention: attention.key_length " +
                               std::to_string(d.head_dim) + " and rope.dimension_count " +
                               std::to_string(n_rot) + " do not describe heads");
    if (d.n_head_kv != d.n_head)
      throw std::runtime_error(a + "attention.head_count_kv " + std::to_string(d.n_head_kv) +
                               " differs from head_count " + std::to_string(d.n_head) +
                               " (not supported for " + d.architecture + ")");
    d.head_dim = m.kv_rank + n_rot;
    d.n_head_kv = 1;
    return;
  }
  const auto k_mla = file.get_int(a + "attention.key_length_mla");
  const auto v_mla = file.get_int(a + "attention.value_length_mla");
  if (!k_mla || !v_mla || file.find_tensor("blk.0.attn_kv_b.weight"))
    throw std::runtime_error("this " + d.architecture +
                             " file predates llama.cpp's split attn_k_b/attn_v_b tensors (no " + a +
                             "attention.key_length_mla); convert it again with a current llama.cpp");
  const int64_t n_rot = file.get_int(a + "rope.dimension_count").value_or(0);
  m.nope = *k_mla - n_rot;
  m.v_head = *v_mla;
  if (m.q_rank < 0 || n_rot <= 0 || n_rot % 2 != 0 || m.nope <= 0 || m.v_head <= 0)
    throw std::runtime_error("multi-head latent attention: attention.key_length_mla " +
                             std::to_string(*k_mla) + ", rope.dimension_count " + std::to_string(n_rot) +
                             " and value_length_mla " + std::to_string(*v_mla) + " do not describe heads");
  if (d.head_dim != m.kv_rank + n_rot || d.n_head_kv != 1 ||
      file.get_int(a + "attention.value_length").value_or(m.kv_rank) != m.kv_rank)
    throw std::runtime_error(
        "multi-head latent attention needs attention.key_length = kv_lora_rank + " +
        std::string("rope.dimension_count, value_length = kv_lora_rank and one KV head"));
}

// LFM2-MoE's mixtures as llama.cpp's lfm2moe reads them: leading dense layers, the gating function of
// expert_gating_func (sigmoid when absent), a selection bias (exp_probs_b), the chosen weights always
// renormalized and scaled by expert_weights_scale where given.
void read_lfm2_moe(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  read_dense_lead(file, a, d);
  d.router.gating = read_gating(file, a, 2);
  d.router.normalize = true;
  d.router.scale = read_weights_scale(file, a);
}

// SmallThinker's mixtures as llama.cpp's smallthinker reads them: experts in every layer, chosen by the
// router of expert_gating_func (its converter always writes one: softmax or sigmoid), the chosen weights
// always renormalized and not scaled (llama.cpp's loader reads no expert_weights_scale for it); no shared
// experts.
void read_smallthinker_moe(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  if (!file.find(a + "expert_gating_func"))
    throw std::runtime_error("metadata " + a + "expert_gating_func (softmax or sigmoid router) is missing");
  d.router.gating = read_gating(file, a, 0);
  d.router.normalize = true;
  d.router.scale = 1.0f;
  if (file.find_tensor("blk.0.ffn_gate_shexp.weight") || file.find_tensor("blk.0.ffn_up.weight"))
    throw std::runtime_error("smallthinker with shared experts or dense FFNs is not supported");
}

// SmallThinker's windows as llama.cpp sets them: where the file has attention.sliding_window, every layer
// but each fourth from the first slides a window of 4096 keys (llama.cpp's constant, whatever the file says)
// and only those layers turn; without it every layer attends to all keys, and turns.
void read_smallthinker_windows(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  const int64_t window = file.get_int(a + "attention.sliding_window").value_or(0);
  if (window < 0) throw std::runtime_error("attention.sliding_window must not be negative");
  if (window == 0) return;
  d.sliding_window = 4096;
  for (int64_t l = 0; l < d.n_layer; ++l) d.local_layers.push_back(l % 4 != 0);
}

// feed_forward_length: one number, or (Nemotron-H) one per layer, 0 for the layers without an FFN, the others
// sharing one width.
int64_t read_ff_width(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  const gguf::Value* v = file.find(a + "feed_forward_length");
  if (!v || v->type != gguf::ValueType::Array) return file.get_int(a + "feed_forward_length").value_or(0);
  if (d.traits->layer_shapes) {  // (Gemma 4's double-wide FFNs in its shared-KV layers)
    d.layer_ff = per_layer_ints(file, a + "feed_forward_length", d.n_layer);
    for (const int64_t w : d.layer_ff)
      if (w <= 0) throw std::runtime_error(a + "feed_forward_length must be positive in every layer");
    return *std::max_element(d.layer_ff.begin(), d.layer_ff.end());
  }
  if (d.traits->block_configs) {  // (deci: each layer's own width, 0 where the layer has no FFN)
    d.layer_ff = per_layer_ints(file, a + "feed_forward_length", d.n_layer);
    for (int64_t l = 0; l < d.n_layer; ++l)
      if (d.layer_ff[static_cast<size_t>(l)] < 0 || d.layer_ff[static_cast<size_t>(l)] > (int64_t{1} << 32))
        throw std::runtime_error(a + "feed_forward_length gives layer " + std::to_string(l) + " " +
                                 std::to_string(d.layer_ff[static_cast<size_t>(l)]) + ", out of range");
    return *std::max_element(d.layer_ff.begin(), d.layer_ff.end());
  }
  if (!d.traits->single_sublayer)
    throw std::runtime_error("per-layer " + a + "feed_forward_length (an array) is not supported for " +
                             d.architecture);
  int64_t width = 0;
  for (const int64_t w : v->array->ints) {
    if (w < 0 || (w > 0 && width > 0 && w != width))
      throw std::runtime_error(a + "feed_forward_length: the FFN layers must share one positive width");
    if (w > 0) width = w;
  }
  return width;
}

// Gemma 3n's attention.shared_kv_layers: an integer, or a float in some early files; absent, llama.cpp's
// constant (the layers from the 20th on share).
int64_t read_gemma3n_shared_kv(const gguf::GgufFile& file, const std::string& a, int64_t n_layer) {
  const std::string key = a + "attention.shared_kv_layers";
  const auto v = file.get_float(key);
  if (!v) return std::max<int64_t>(0, n_layer - 20);
  if (*v < 0 || *v > static_cast<double>(n_layer) || *v != std::floor(*v))
    throw std::runtime_error("metadata " + key + " = " + std::to_string(*v) +
                             " is not a count of layers in 0.." + std::to_string(n_layer));
  return static_cast<int64_t>(*v);
}

// K-EXAONE's and Cohere's mixtures' windows (exaone-moe, cohere2moe), as llama.cpp's converter writes them:
// attention.sliding_window keys on the layers that attention.sliding_window_pattern marks (one flag per
// layer, from the config's layer_types; absent: EXAONE's three sliding layers of four, while llama.cpp's
// cohere2moe requires the key). Only the sliding layers turn q and k (ArchTraits::rope_local_only). A file
// without windows is refused: llama.cpp's exaone-moe graph would then turn no layer and Hugging Face's every
// layer, and neither can be called the model.
void read_pattern_windows(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  if (d.sliding_window <= 0)
    throw std::runtime_error("metadata " + a + "attention.sliding_window is missing: " + d.architecture +
                             " without sliding-window layers is not supported");
  const std::string pattern = a + "attention.sliding_window_pattern";
  const gguf::Value* v = file.find(pattern);
  if (!v && d.architecture == "cohere2moe") throw std::runtime_error("metadata " + pattern + " is missing");
  if (v && v->type == gguf::ValueType::Array) {
    // (the converter writes a flag for each of the model's own layers; one for the MTP layers too is taken)
    const size_t n = v->array->ints.size();
    const bool with_mtp = d.n_layer_nextn > 0 && n == static_cast<size_t>(d.n_layer + d.n_layer_nextn);
    for (const int64_t f : per_layer_ints(file, pattern, with_mtp ? d.n_layer + d.n_layer_nextn : d.n_layer))
      d.local_layers.push_back(f != 0);
    d.local_layers.resize(static_cast<size_t>(d.n_layer));  // (the MTP layers' flags: not run)
  } else if (v) {
    throw std::runtime_error("metadata " + pattern + " must hold one flag per layer");
  }
}

// What of Cohere's mixtures (cohere2moe) Glasswing runs, refusing the rest by name: leading dense layers that
// slide windows (llama.cpp also turns the dense layers that attend to every key; only sliding layers turn
// here). (Files with an RMS epsilon run RMSNorms, as llama.cpp: cohere2moe_rms_traits.) Shared experts
// (Command A+'s) run, averaged with the routed experts (the CPU and Vulkan engines halve their sum).
void check_cohere2moe(const gguf::GgufFile& file, const std::string& a, const ModelDescription& d) {
  // (llama.cpp loads shared experts only where expert_shared_count says so: tensors without it are not run)
  if (d.n_expert_shared == 0 &&
      file.find_tensor("blk." + std::to_string(d.n_layer - 1) + ".ffn_up_shexp.weight"))
    throw std::runtime_error("cohere2moe with shared-expert tensors but no " + a +
                             "expert_shared_count is not supported");
  for (int64_t l = 0; l < d.n_layer_dense_lead; ++l)
    if (!d.is_local(l))
      throw std::runtime_error("cohere2moe whose leading dense layer " + std::to_string(l) +
                               " attends to every key (turned by RoPE all the same) is not supported");
}

// Gemma 4's layer shapes as llama.cpp's gemma4 reads them: the sliding layers by the per-layer
// sliding_window_pattern (a bool per layer, or one for all), their own head and rotary widths, their RoPE
// base (rope.freq_base_swa, 10000 when absent); the last shared_kv_layers layers attending over the keys
// and values of the last layer of their kind that keeps its own; scores unscaled; the final soft-cap 30
// when the key is absent; the per-layer inputs' width.
void read_layer_shapes(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  const std::string pattern = a + "attention.sliding_window_pattern";
  const gguf::Value* v = file.find(pattern);
  const bool gemma3n = d.traits->altup;
  if (!v && gemma3n) {  // (llama.cpp's gemma3n without the key: a full layer every fifth)
    for (int64_t l = 0; l < d.n_layer; ++l) d.local_layers.push_back(l % 5 < 4);
  } else if (!v) {
    throw std::runtime_error("metadata " + pattern + " is missing");
  } else if (v->type == gguf::ValueType::Array) {
    for (const int64_t f : per_layer_ints(file, pattern, d.n_layer)) d.local_layers.push_back(f != 0);
  } else {
    d.local_layers.assign(static_cast<size_t>(d.n_layer), file.get_bool(pattern).value_or(false));
  }
  d.sliding_window = positive(file, a + "attention.sliding_window");
  // (Gemma 3n's layers share one head width)
  d.head_dim_local = gemma3n ? file.get_int(a + "attention.key_length_swa").value_or(d.head_dim)
                             : positive(file, a + "attention.key_length_swa");
  if (d.head_dim_local <= 0)
    throw std::runtime_error("metadata " + a + "attention.key_length_swa must be positive");
  if (file.get_int(a + "attention.value_length_swa").value_or(d.head_dim_local) != d.head_dim_local)
    throw std::runtime_error("attention.value_length_swa differs from key_length_swa (not supported)");
  d.n_rot_local = file.get_int(a + "rope.dimension_count_swa").value_or(d.n_rot);
  if (d.n_rot_local <= 0 || d.n_rot_local > d.head_dim_local || d.n_rot_local % 2 != 0)
    throw std::runtime_error("rope.dimension_count_swa " + std::to_string(d.n_rot_local) +
                             " must be even and at most the sliding layers' head dimension " +
                             std::to_string(d.head_dim_local));
  d.rope_freq_base_local = static_cast<float>(file.get_float(a + "rope.freq_base_swa").value_or(10000.0));
  const int64_t shared = gemma3n ? read_gemma3n_shared_kv(file, a, d.n_layer)
                                 : count_key(file, a, "attention.shared_kv_layers", d.n_layer);
  if (shared > 0) {
    d.n_layer_kv = d.n_layer - shared;
    if (d.n_layer_kv < 2 || d.is_local(d.n_layer_kv - 1) || !d.is_local(d.n_layer_kv - 2))
      throw std::runtime_error("metadata " + a + "attention.shared_kv_layers " + std::to_string(shared) +
                               ": the last two layers that keep their keys and values must be a sliding "
                               "one, then a full one");
  }
  d.attention_scale = 1.0f;
  d.final_softcap = static_cast<float>(file.get_float(a + "final_logit_softcapping").value_or(30.0));
  d.per_layer_embd = count_key(file, a, "embedding_length_per_layer_input", 1 << 16);
  if (gemma3n && d.per_layer_embd == 0)
    throw std::runtime_error("metadata " + a + "embedding_length_per_layer_input must be positive");
}

// Gemma 3n's AltUp streams, LAuReL's rank and the FFN gates' sparsity, as Hugging Face's Gemma3n states
// them. llama.cpp runs the first 10 layers sparse at the 95th percentile (a quantile of 1.6448533535)
// whatever the file says; the converter writes that as activation_sparsity_scale, one quantile per layer,
// −inf for the layers without sparsity (its quantile of 0). Reading the array agrees with both; a file
// without it gets llama.cpp's constants.
void read_altup(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  ModelDescription::AltUp& u = d.altup;
  u.n_inputs = positive(file, a + "altup.num_inputs");
  if (u.n_inputs < 2 || u.n_inputs > 16)
    throw std::runtime_error("metadata " + a + "altup.num_inputs " + std::to_string(u.n_inputs) +
                             " is outside the supported 2..16 streams");
  u.active = file.get_int(a + "altup.active_idx").value_or(0);
  if (u.active != 0)  // (the per-layer inputs join the other streams, the unembedding reads the first: HF)
    throw std::runtime_error("metadata " + a + "altup.active_idx " + std::to_string(u.active) +
                             ": only the first stream active is supported");
  const auto* laurel = file.find_tensor("blk.0.laurel_l.weight");
  if (!laurel || laurel->dims.size() != 2 || laurel->dims[1] == 0)
    throw std::runtime_error(
        "tensor 'blk.0.laurel_l.weight' (LAuReL's rank) is missing or not 2-dimensional");
  u.laurel_rank = static_cast<int64_t>(laurel->dims[1]);
  const std::string key = a + "activation_sparsity_scale";
  d.ffn_sparsity.assign(static_cast<size_t>(d.n_layer), std::nanf(""));
  const gguf::Value* v = file.find(key);
  if (!v) {
    for (int64_t l = 0; l < std::min<int64_t>(10, d.n_layer); ++l)
      d.ffn_sparsity[static_cast<size_t>(l)] = 1.6448533535f;
    return;
  }
  if (v->type != gguf::ValueType::Array || v->array->floats.size() != static_cast<size_t>(d.n_layer))
    throw std::runtime_error(key + " must hold one float per layer (" + std::to_string(d.n_layer) + ")");
  for (int64_t l = 0; l < d.n_layer; ++l) {
    const double q = v->array->floats[static_cast<size_t>(l)];
    if (std::isnan(q) || q == std::numeric_limits<double>::infinity())
      throw std::runtime_error(key + " holds " + std::to_string(q) + " for layer " + std::to_string(l));
    if (std::isfinite(q)) d.ffn_sparsity[static_cast<size_t>(l)] = static_cast<float>(q);  // (−inf: none)
  }
}

// Apertus's xIELU parameters: each key one float for every layer or an array of one per layer (llama.cpp's
// get_key_or_arr), all four required, written by the converter without the architecture's prefix.
void read_xielu(const gguf::GgufFile& file, ModelDescription& d) {
  const auto n = static_cast<size_t>(d.n_layer);
  d.xielu.assign(n, {});
  const std::pair<const char*, float ModelDescription::XIelu::*> keys[] = {
      {"xielu.alpha_n", &ModelDescription::XIelu::alpha_n},
      {"xielu.alpha_p", &ModelDescription::XIelu::alpha_p},
      {"xielu.beta", &ModelDescription::XIelu::beta},
      {"xielu.eps", &ModelDescription::XIelu::eps}};
  for (const auto& [key, field] : keys) {
    const gguf::Value* v = file.find(key);
    if (!v)
      throw std::runtime_error("missing metadata " + std::string(key) + " (Apertus's xIELU activation)");
    std::vector<double> values;
    if (v->type != gguf::ValueType::Array)
      values.assign(n, file.get_float(key).value());  // (get_float names the key of a value not a number)
    else if (v->array->floats.size() == n)
      values = v->array->floats;
    else
      throw std::runtime_error("metadata " + std::string(key) + " must be one float or one per layer (" +
                               std::to_string(n) + ")");
    for (size_t l = 0; l < n; ++l) {
      if (!std::isfinite(values[l]))
        throw std::runtime_error("metadata " + std::string(key) + " holds " + std::to_string(values[l]) +
                                 " for layer " + std::to_string(l));
      d.xielu[l].*field = static_cast<float>(values[l]);
    }
  }
}

// Each layer's index among the layers of its kind (ModelDescription::cache_slot).
void number_slots(ModelDescription& d) {
  int32_t slots[ModelDescription::kMixerKinds] = {};  // (per kind of mixer)
  for (ModelDescription::Mixer m : d.mixers) {
    // (a layer with Mamba-2 beside attention: its recurrent state numbered with the Mamba-2 layers')
    if (m == ModelDescription::Mixer::Mamba2Attention) m = ModelDescription::Mixer::Mamba2;
    d.layer_slots.push_back(slots[static_cast<int>(m)]++);
  }
}

// attention.head_count_kv: one number, or (hybrids) one per layer, where 0 marks a short-convolution layer
// and the attention layers share one count.
void read_kv_heads(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  const std::string key = a + "attention.head_count_kv";
  const gguf::Value* v = file.find(key);
  if (!v || v->type != gguf::ValueType::Array) {
    d.n_head_kv = file.get_int(key).value_or(d.n_head);
    return;
  }
  if (d.traits->layer_shapes) {  // (Gemma 4: each layer's own count)
    d.layer_kv_heads = per_layer_ints(file, key, d.n_layer);
    for (const int64_t n : d.layer_kv_heads)
      if (n <= 0 || d.n_head % n != 0)
        throw std::runtime_error(key + " holds " + std::to_string(n) + ", which does not divide the " +
                                 std::to_string(d.n_head) + " query heads");
    d.n_head_kv = d.layer_kv_heads[0];
    return;
  }
  if (!d.traits->short_conv && !d.traits->mamba2 && !d.traits->kda && !d.traits->mamba1_hybrid)
    throw std::runtime_error("per-layer " + key + " (an array) is not supported for " + d.architecture);
  const auto zero_kv = d.traits->mamba2          ? ModelDescription::Mixer::Mamba2
                       : d.traits->kda           ? ModelDescription::Mixer::DeltaNet
                       : d.traits->mamba1_hybrid ? ModelDescription::Mixer::Mamba1
                                                 : ModelDescription::Mixer::ShortConv;
  // Nemotron-H: a layer with a feed_forward_length (per-layer array) is an FFN layer, not Mamba-2
  std::vector<int64_t> ff(static_cast<size_t>(d.n_layer), 0);
  if (const gguf::Value* f = file.find(a + "feed_forward_length");
      d.traits->single_sublayer && f && f->type == gguf::ValueType::Array) {
    if (!gguf::is_integer_type(f->array->elem_type) ||
        static_cast<int64_t>(f->array->ints.size()) != d.n_layer)
      throw std::runtime_error(a + "feed_forward_length must hold one integer per layer (" +
                               std::to_string(d.n_layer) + ")");
    ff = f->array->ints;
  }
  const gguf::Array& counts = *v->array;
  if (!gguf::is_integer_type(counts.elem_type) || static_cast<int64_t>(counts.ints.size()) != d.n_layer)
    throw std::runtime_error(key + " must hold one integer per layer (" + std::to_string(d.n_layer) + ")");
  d.n_head_kv = 0;
  for (int64_t l = 0; l < d.n_layer; ++l) {
    const int64_t n = counts.ints[static_cast<size_t>(l)];
    d.mixers.push_back(n != 0                           ? ModelDescription::Mixer::Attention
                       : ff[static_cast<size_t>(l)] > 0 ? ModelDescription::Mixer::None
                                                        : zero_kv);
    if (n == 0) continue;
    if (n < 0 || (d.n_head_kv != 0 && n != d.n_head_kv))
      throw std::runtime_error(key + " gives layer " + std::to_string(l) + " " + std::to_string(n) +
                               " KV heads: the attention layers must share one positive count");
    d.n_head_kv = n;
  }
  if (d.n_head_kv == 0) throw std::runtime_error(key + " leaves no attention layer (all are 0)");
  number_slots(d);
}

// deci's layer shapes as llama.cpp's converter writes a Llama-Nemotron's block_configs: attention.head_count
// and head_count_kv (one number, or one per layer) and feed_forward_length (one per layer). A layer with
// query heads but no KV heads replaces attention by attn_output alone (Mixer::Linear); one with neither has
// no attention (Mixer::None, HF's no_op); a width of 0 marks a layer without an FFN. The attention layers
// share one count of query heads (the config's num_attention_heads), each with its own KV heads.
void read_block_configs(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  const auto per_layer = [&](const std::string& key) {
    const gguf::Value* v = file.find(key);
    if (v && v->type == gguf::ValueType::Array) return per_layer_ints(file, key, d.n_layer);
    const int64_t n = file.require_int(key);
    if (n < 0)
      throw std::runtime_error("metadata " + key + " must not be negative, got " + std::to_string(n));
    return std::vector<int64_t>(static_cast<size_t>(d.n_layer), n);
  };
  const std::string heads_key = a + "attention.head_count", kv_key = a + "attention.head_count_kv";
  const std::vector<int64_t> heads = per_layer(heads_key);
  // (DeciLM-7B writes no head_count_kv array where every layer has the query heads' count)
  const std::vector<int64_t> kv = file.find(kv_key) ? per_layer(kv_key) : heads;
  d.n_head = d.n_head_kv = 0;
  for (int64_t l = 0; l < d.n_layer; ++l) {
    const int64_t h = heads[static_cast<size_t>(l)], k = kv[static_cast<size_t>(l)];
    const std::string layer = "layer " + std::to_string(l);
    if (h < 0 || k < 0 || (h > 0 && d.n_head > 0 && h != d.n_head))
      throw std::runtime_error(heads_key + " gives " + layer + " " + std::to_string(h) +
                               " query heads: the attention layers must share one positive count");
    if (h > 0) d.n_head = h;
    if (h == 0 && k != 0)
      throw std::runtime_error(kv_key + " gives " + layer + " " + std::to_string(k) +
                               " KV heads, but it has no query heads (" + heads_key + " 0)");
    if (k > 0 && h % k != 0)
      throw std::runtime_error(kv_key + " gives " + layer + " " + std::to_string(k) +
                               " KV heads, which do not divide its " + std::to_string(h) + " query heads");
    using M = ModelDescription::Mixer;
    d.mixers.push_back(h == 0 ? M::None : k == 0 ? M::Linear : M::Attention);
    d.layer_kv_heads.push_back(k);
    d.n_head_kv = std::max(d.n_head_kv, k);  // (the widest layer's: scratch sizes)
  }
  if (d.n_head_kv == 0)
    throw std::runtime_error(kv_key + " leaves no attention layer (every layer has 0 KV heads)");
  number_slots(d);
}

// The short convolution's taps (shortconv.l_cache), which a hybrid needs when it has convolution layers.
void read_short_conv(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  if (d.n_conv_layers() == 0) return;
  d.shortconv_kernel = positive(file, a + "shortconv.l_cache");
  if (d.shortconv_kernel < 2 || d.shortconv_kernel > 16)
    throw std::runtime_error("metadata " + a + "shortconv.l_cache " + std::to_string(d.shortconv_kernel) +
                             " is outside the supported 2..16 taps");
  // LFM2 with sliding windows (llama.cpp's lfm2 with attention.sliding_window): every attention layer sees
  // the last sliding_window keys, its RoPE as the others'
  d.sliding_window = file.get_int(a + "attention.sliding_window").value_or(0);
  if (d.sliding_window < 0) throw std::runtime_error("attention.sliding_window must not be negative");
}

// Qwen3.5's gated delta net as llama.cpp's qwen35 reads it: every full_attention_interval-th layer attends
// (default 4), the others are delta-net layers whose sizes are the ssm.* keys.
void read_delta_net(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  const int64_t interval = file.get_int(a + "full_attention_interval").value_or(4);
  if (interval <= 0 || interval > d.n_layer)
    throw std::runtime_error("metadata " + a + "full_attention_interval " + std::to_string(interval) +
                             " is out of range 1.." + std::to_string(d.n_layer));
  for (int64_t l = 0; l < d.n_layer; ++l)
    d.mixers.push_back((l + 1) % interval != 0 ? ModelDescription::Mixer::DeltaNet
                                               : ModelDescription::Mixer::Attention);
  number_slots(d);
  ModelDescription::DeltaNet& n = d.delta;
  n.grouped = d.architecture == "qwen3next";
  if (n.grouped && file.find_tensor("blk.0.ssm_in.weight"))
    throw std::runtime_error(
        "this qwen3next file packs q, k, v and z in one ssm_in per key head (an older "
        "llama.cpp conversion); convert it again with a current llama.cpp");
  n.conv_kernel = positive(file, a + "ssm.conv_kernel");
  n.head_k_dim = positive(file, a + "ssm.state_size");
  n.n_k_heads = positive(file, a + "ssm.group_count");
  n.n_v_heads = positive(file, a + "ssm.time_step_rank");
  const int64_t inner = positive(file, a + "ssm.inner_size");
  n.head_v_dim = inner / n.n_v_heads;
  if (n.conv_kernel < 2 || n.conv_kernel > 16)
    throw std::runtime_error("metadata " + a + "ssm.conv_kernel " + std::to_string(n.conv_kernel) +
                             " is outside the supported 2..16 taps");
  if (inner % n.n_v_heads != 0 || n.n_v_heads % n.n_k_heads != 0 || n.head_v_dim != n.head_k_dim)
    throw std::runtime_error("the delta net's ssm.inner_size " + std::to_string(inner) + ", " +
                             std::to_string(n.n_v_heads) + " value heads (ssm.time_step_rank) and " +
                             std::to_string(n.n_k_heads) + " key heads of " + std::to_string(n.head_k_dim) +
                             " (ssm.group_count, ssm.state_size) do not make heads of one width");
}

// Kimi Delta Attention's sizes as llama.cpp's kimi-linear reads them: n_head heads of kda.head_dim (older
// files: ssm.state_size) for q, k and v alike, ssm.conv_kernel taps. The variants llama.cpp's newer models
// add (a bounded "safe" gate, attention residuals across blocks, a full-rank output gate, experts in a
// latent width) change the math: refused by name rather than run wrong.
void read_kda(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  if (d.n_delta_layers() == 0)
    throw std::runtime_error("metadata " + a +
                             "attention.head_count_kv must mark the Kimi Delta Attention layers with 0 (one "
                             "count per layer)");
  for (const char* key : {"kda.safe_gate", "kda.gate_lower_bound", "kda.lower_bound"})
    if (file.find(a + key) && file.get_bool(a + key).value_or(true))
      throw std::runtime_error("metadata " + a + key +
                               ": Kimi Delta Attention with a bounded gate is not supported");
  if (file.get_int(a + "attn_res_block_size").value_or(0) > 0)
    throw std::runtime_error("metadata " + a +
                             "attn_res_block_size: attention residuals across blocks are not supported");
  if (file.get_int(a + "moe_latent_size").value_or(0) > 0)
    throw std::runtime_error("metadata " + a +
                             "moe_latent_size: experts in a latent width are not supported");
  for (int64_t l = 0; l < d.n_layer; ++l)
    if (const std::string t = "blk." + std::to_string(l) + ".attn_gate.weight"; file.find_tensor(t))
      throw std::runtime_error("tensor '" + t + "': a full-rank output gate (instead of ssm_g_a, ssm_g_b) " +
                               "is not supported");
  ModelDescription::DeltaNet& n = d.delta;
  n.kda = true;
  n.conv_kernel = positive(file, a + "ssm.conv_kernel");
  n.head_k_dim = n.head_v_dim = file.find(a + "kda.head_dim") ? positive(file, a + "kda.head_dim")
                                                              : positive(file, a + "ssm.state_size");
  n.n_k_heads = n.n_v_heads = d.n_head;
  if (n.conv_kernel < 2 || n.conv_kernel > 16)
    throw std::runtime_error("metadata " + a + "ssm.conv_kernel " + std::to_string(n.conv_kernel) +
                             " is outside the supported 2..16 taps");
}

// Nemotron 3's mixtures as llama.cpp's nemotron_h_moe reads them: a sigmoid router whose choice a bias
// steers, the chosen weights renormalized where expert_weights_norm says so and times expert_weights_scale,
// and a shared ReLU² expert of expert_shared_feed_forward_length. Its latent experts (Nemotron 3 Super) are
// refused.
void read_nemotron_moe(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  if (file.find_tensor("blk.1.ffn_latent_down.weight") || file.get_int(a + "moe_latent_size").value_or(0) > 0)
    throw std::runtime_error("mixtures whose experts run in a latent width (" + a +
                             "moe_latent_size, Nemotron 3 Super) are not supported");
  if (read_gating(file, a, 2) != ExpertGating::Sigmoid)
    throw std::runtime_error("metadata " + a + "expert_gating_func: only the sigmoid router is supported");
  d.router.gating = ExpertGating::Sigmoid;
  d.router.normalize = file.get_bool(a + "expert_weights_norm").value_or(false);
  d.router.scale = read_weights_scale(file, a);
  d.n_ff_shexp = file.get_int(a + "expert_shared_feed_forward_length").value_or(0);
  if (d.n_ff_shexp < 0)
    throw std::runtime_error("the shared expert's feed_forward_length must not be negative");
  d.n_expert_shared = d.n_ff_shexp > 0 ? 1 : 0;
}

// Mamba-2's sizes as llama.cpp's granitehybrid reads them (the ssm.* keys), where the file has Mamba-2
// layers.
void read_mamba2(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  if (d.n_mamba_layers() == 0) return;
  ModelDescription::Mamba2& m = d.mamba;
  m.conv_kernel = positive(file, a + "ssm.conv_kernel");
  m.d_inner = positive(file, a + "ssm.inner_size");
  m.d_state = positive(file, a + "ssm.state_size");
  m.n_head = positive(file, a + "ssm.time_step_rank");
  m.n_group = positive(file, a + "ssm.group_count");
  if (m.conv_kernel < 2 || m.conv_kernel > 16)
    throw std::runtime_error("metadata " + a + "ssm.conv_kernel " + std::to_string(m.conv_kernel) +
                             " is outside the supported 2..16 taps");
  if (m.d_inner % m.n_head != 0 || m.n_head % m.n_group != 0 || m.d_inner % m.n_group != 0)
    throw std::runtime_error("Mamba-2's ssm.inner_size " + std::to_string(m.d_inner) + ", " +
                             std::to_string(m.n_head) + " heads (ssm.time_step_rank) and " +
                             std::to_string(m.n_group) + " groups (ssm.group_count) do not divide evenly");
  // granite's switch for RoPE (absent: on)
  if (d.traits->granite_scales) d.rope_off = !file.get_bool(a + "rope.scaling.finetuned").value_or(true);
}

// Falcon-H1 as llama.cpp's falcon-h1 reads it: every layer runs Mamba-2 beside attention (one KV head count
// for all; per-layer counts would mark layers without attention, which it has none of), without experts.
void read_parallel_hybrid(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  if (!d.mixers.empty())
    throw std::runtime_error("per-layer " + a + "attention.head_count_kv (an array) is not supported for " +
                             d.architecture + ": every layer attends beside its Mamba-2");
  if (file.get_int(a + "expert_count").value_or(0) > 0)
    throw std::runtime_error(a + "expert_count: " + d.architecture + " with experts is not supported");
  d.mixers.assign(static_cast<size_t>(d.n_layer), ModelDescription::Mixer::Mamba2Attention);
  number_slots(d);
}

// The vocabulary's size (token_embd's rows) and whether the classifier reuses the embeddings.
void read_vocabulary_and_classifier(const gguf::GgufFile& file, ModelDescription& d) {
  const auto* embd = file.find_tensor("token_embd.weight");
  if (!embd || embd->dims.size() != 2)
    throw std::runtime_error("tensor 'token_embd.weight' is missing or not 2-dimensional");
  d.n_vocab = static_cast<int64_t>(embd->dims[1]);
  d.tied_embeddings = file.find_tensor("output.weight") == nullptr;
}

// Mamba-1's sizes (the ssm.* keys, as llama.cpp's mamba and jamba read them): its dt rank is
// ssm.time_step_rank; Falcon-Mamba's ssm.dt_b_c_rms normalizes its dt, B and C.
void read_mamba1(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  ModelDescription::Mamba2& m = d.mamba;
  m.v1 = true;
  m.conv_kernel = positive(file, a + "ssm.conv_kernel");
  m.d_inner = positive(file, a + "ssm.inner_size");
  m.d_state = positive(file, a + "ssm.state_size");
  m.dt_rank = positive(file, a + "ssm.time_step_rank");
  m.dt_b_c_rms = file.get_bool(a + "ssm.dt_b_c_rms").value_or(false);
  if (m.conv_kernel < 2 || m.conv_kernel > 16)
    throw std::runtime_error("metadata " + a + "ssm.conv_kernel " + std::to_string(m.conv_kernel) +
                             " is outside the supported 2..16 taps");
}

// A pure state-space model (ArchTraits::pure_ssm) as llama.cpp's mamba and mamba2 read it: no attention
// (the converter writes attention.head_count 0) and no FFN, every layer one Mamba-2 (mamba2) or Mamba-1
// (mamba) mixer whose sizes are the ssm.* keys. Mamba-1's dt rank is ssm.time_step_rank; Falcon-Mamba's
// ssm.dt_b_c_rms normalizes its dt, B and C.
void read_pure_ssm(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  if (const auto heads = file.get_int(a + "attention.head_count"); heads && *heads != 0)
    throw std::runtime_error("metadata " + a + "attention.head_count " + std::to_string(*heads) + ": " +
                             d.architecture + " has no attention (0 heads)");
  d.n_head = d.n_head_kv = d.head_dim = d.n_rot = 0;
  d.n_ff = 0;
  const bool v1 = !d.traits->mamba2;
  d.mixers.assign(static_cast<size_t>(d.n_layer),
                  v1 ? ModelDescription::Mixer::Mamba1 : ModelDescription::Mixer::Mamba2);
  number_slots(d);
  if (!v1) {
    read_mamba2(file, a, d);
    return;
  }
  read_mamba1(file, a, d);
}

// Jamba (ArchTraits::mamba1_hybrid) as llama.cpp's jamba reads it: Mamba-1's sizes from the ssm.* keys, its
// dt, B and C always RMS-normalized, with the gains the loader requires; experts wherever a layer has a
// router (ffn_gate_inp), which the converter writes on every expert_layer_period-th layer from
// expert_layer_offset (2 and 1 in every Jamba; the file keeps no key for them): moe_step where the routers
// sit on layers step-1, 2·step-1, ..., anything else refused by name.
void read_jamba(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  if (d.n_mamba_layers() == 0)
    throw std::runtime_error("metadata " + a +
                             "attention.head_count_kv must be a per-layer array with 0 for " +
                             d.architecture + "'s Mamba layers");
  read_mamba1(file, a, d);
  d.mamba.dt_b_c_rms = d.mamba.dt_b_c_gains = true;
}

void read_jamba_moe(const gguf::GgufFile& file, const std::string& a, ModelDescription& d) {
  auto routed = [&](int64_t l) {
    return file.find_tensor("blk." + std::to_string(l) + ".ffn_gate_inp.weight");
  };
  int64_t first = 0;
  while (first < d.n_layer && !routed(first)) ++first;
  if (first == d.n_layer) {
    // (a Jamba without experts: its config's num_experts 1, which the converter writes as expert_count 1,
    // and every FFN dense)
    if (d.n_expert > 1)
      throw std::runtime_error(a + "expert_count " + std::to_string(d.n_expert) +
                               ", but no layer has an expert router (blk.N.ffn_gate_inp.weight)");
    d.n_expert = d.n_expert_used = d.n_ff_exp = 0;
    return;
  }
  d.moe_step = first + 1;
  for (int64_t l = 0; l < d.n_layer; ++l)
    if ((routed(l) != nullptr) != d.moe_layer(l))
      throw std::runtime_error("layer " + std::to_string(l) + (routed(l) ? " has" : " lacks") +
                               " an expert router (ffn_gate_inp): " + d.architecture +
                               "'s experts must sit on every " + std::to_string(d.moe_step) +
                               "th layer from layer " + std::to_string(first));
  if (file.get_int(a + "expert_shared_count").value_or(0) > 0 ||
      file.find_tensor("blk.1.ffn_gate_shexp.weight"))
    throw std::runtime_error(d.architecture + " with shared experts is not supported");
  if (const auto scale = file.get_float(a + "expert_weights_scale"); scale && *scale != 0.0 && *scale != 1.0)
    throw std::runtime_error(d.architecture + "'s experts scaled by expert_weights_scale are not supported");
}

// Cohere's mixtures with RMSNorms: llama.cpp's cohere2moe graph runs every norm (the layers' and the
// output's) as an RMSNorm of its gain whenever the file gives attention.layer_norm_rms_epsilon, and a
// LayerNorm otherwise; the same family's row with RMSNorms (the epsilon then read from that key)
const ArchTraits& cohere2moe_rms_traits() {
  static const ArchTraits traits = [] {
    ArchTraits t = architecture_traits("cohere2moe");
    t.norm = NormKind::Rms;
    return t;
  }();
  return traits;
}

}  // namespace

ModelDescription ModelDescription::from_gguf(const gguf::GgufFile& file) {
  ModelDescription d;
  d.architecture = file.architecture();
  if (d.architecture.empty()) throw std::runtime_error("model file has no general.architecture");
  d.traits = &architecture_traits(d.architecture);
  if (d.architecture == "cohere2moe" &&
      file.get_float(d.architecture + ".attention.layer_norm_rms_epsilon").value_or(0.0) != 0.0)
    d.traits = &cohere2moe_rms_traits();
  d.name = file.get_string("general.name").value_or(file.path().stem().string());
  const std::string a = d.architecture + ".";

  d.n_embd = positive(file, a + "embedding_length");
  d.n_layer = positive(file, a + "block_count");
  if (d.traits->pure_ssm) {  // (no attention, no FFN: the rest below describes those)
    read_pure_ssm(file, a, d);
    d.n_ctx_train = d.n_ctx_max = positive(file, a + "context_length");
    d.norm_eps = static_cast<float>(file.get_float(a + "attention.layer_norm_rms_epsilon").value_or(1e-5));
    read_vocabulary_and_classifier(file, d);
    return d;
  }
  if (d.traits->block_configs) {
    read_block_configs(file, a, d);  // (per-layer head counts)
  } else {
    d.n_head = positive(file, a + "attention.head_count");
    // (Qwen3.5's multi-token-prediction layer after the model's own is not run)
    if (d.traits->delta_net) {
      d.n_layer_nextn = count_key(file, a, "nextn_predict_layers", d.n_layer - 1);
      d.n_layer -= d.n_layer_nextn;
    }
    read_kv_heads(file, a, d);
  }
  if (d.traits->parallel_hybrid) read_parallel_hybrid(file, a, d);
  read_short_conv(file, a, d);
  if (d.traits->delta_net) read_delta_net(file, a, d);
  if (d.traits->kda) read_kda(file, a, d);
  if (d.traits->mamba2) read_mamba2(file, a, d);
  if (d.traits->mamba1_hybrid) read_jamba(file, a, d);
  if (d.n_head_kv <= 0 || d.n_head % d.n_head_kv != 0)
    throw std::runtime_error("attention.head_count " + std::to_string(d.n_head) +
                             " is not a multiple of attention.head_count_kv " + std::to_string(d.n_head_kv));
  d.head_dim = file.get_int(a + "attention.key_length").value_or(d.n_embd / d.n_head);
  if (d.head_dim <= 0) throw std::runtime_error("head dimension must be positive");
  if (d.traits->mla) read_mla(file, a, d);
  if (auto v = file.get_int(a + "attention.value_length"); v && *v != d.head_dim && !d.is_mla())
    throw std::runtime_error("attention.value_length " + std::to_string(*v) + " differs from key_length " +
                             std::to_string(d.head_dim) + " (not supported)");
  d.n_ff = read_ff_width(file, a, d);
  // Qwen (1): llama.cpp's converter writes the config's intermediate_size, which counts w1's and w2's rows
  // together; each FFN matrix is half of it wide (llama.cpp's loader halves it too)
  if (d.architecture == "qwen") {
    if (d.n_ff <= 0 || d.n_ff % 2 != 0)
      throw std::runtime_error("metadata " + a + "feed_forward_length " + std::to_string(d.n_ff) +
                               " must be even and positive (qwen's intermediate_size: twice the FFN width)");
    d.n_ff /= 2;
  }
  d.n_expert = file.get_int(a + "expert_count").value_or(0);
  if (d.n_expert > 0) {
    d.n_expert_used = positive(file, a + "expert_used_count");
    if (d.n_expert_used > d.n_expert)
      throw std::runtime_error("expert_used_count " + std::to_string(d.n_expert_used) +
                               " exceeds expert_count " + std::to_string(d.n_expert));
    d.n_ff_exp = file.get_int(a + "expert_feed_forward_length").value_or(d.n_ff);
    if (d.n_ff_exp <= 0) throw std::runtime_error("the experts' feed_forward_length must be positive");
    if (d.traits->moe_softmax_weight)  // gpt-oss's gating comes with its architecture
      d.router = {ExpertGating::SoftmaxOfChosen, false, 1.0f};
    if (d.traits->moe_unnormalized) d.router.normalize = false;
    if (d.traits->deepseek_moe) {
      read_deepseek_moe(file, a, d);
    } else if (d.traits->moe_weight_input) {
      read_llama4_moe(file, a, d);
    } else if (d.traits->ernie_moe) {
      read_ernie_moe(file, a, d);
    } else if (d.traits->short_conv) {
      read_lfm2_moe(file, a, d);
    } else if (d.traits->router_from_layer_input) {
      read_smallthinker_moe(file, a, d);
    } else if (d.traits->single_sublayer) {
      read_nemotron_moe(file, a, d);
    } else if (d.traits->mamba1_hybrid) {
      read_jamba_moe(file, a, d);
    } else if (d.traits->mamba2) {  // Granite 4.0-H: softmax, renormalized, a shared expert where it has one
      d.n_ff_shexp = file.get_int(a + "expert_shared_feed_forward_length").value_or(0);
      if (d.n_ff_shexp < 0)
        throw std::runtime_error("the shared expert's feed_forward_length must not be negative");
      d.n_expert_shared = d.n_ff_shexp > 0 ? 1 : 0;
    } else if (d.traits->gated_shared_expert) {  // as llama.cpp's qwen2moe
      d.n_expert_shared = 1;
      d.n_ff_shexp = file.get_int(a + "expert_shared_feed_forward_length").value_or(d.n_ff);
      if (d.n_ff_shexp <= 0)
        throw std::runtime_error("the shared expert's feed_forward_length must be positive");
      d.router.normalize = d.traits->delta_net;  // (Qwen3.5's mixtures renormalize, Qwen2-MoE's do not)
    } else {
      // variants whose extra steps these architectures do not have: refused rather than run wrong
      if (file.get_int(a + "expert_shared_count").value_or(0) > 0 ||
          file.get_int(a + "expert_shared_feed_forward_length").value_or(0) > 0 ||
          file.find_tensor("blk.0.ffn_gate_shexp.weight"))
        throw std::runtime_error("mixture-of-experts models with shared experts are not supported");
      if (const auto scale = file.get_float(a + "expert_weights_scale");
          scale && *scale != 0.0 && *scale != 1.0)
        throw std::runtime_error(
            "mixture-of-experts weights scaled by expert_weights_scale are not supported");
      if (!d.traits->moe_softmax_weight && file.get_int(a + "expert_gating_func").value_or(1) != 1)
        throw std::runtime_error("mixture-of-experts gating other than softmax is not supported");
    }
    if (d.n_layer_dense_lead >= d.n_layer) {
      // every layer dense by its keys (a cut of a model's first layers): no mixture to run, and the expert
      // widths, which no tensor then bounds, must size nothing
      d.n_expert = d.n_expert_used = d.n_ff_exp = d.n_expert_shared = d.n_ff_shexp = d.n_layer_dense_lead = 0;
      d.router = {};
    }
  } else if (file.find_tensor("blk.0.ffn_gate_inp.weight")) {
    throw std::runtime_error("tensor 'blk.0.ffn_gate_inp.weight' (an expert router) without " + a +
                             "expert_count: per-expert tensors of old GGUFs are not supported");
  } else if (d.traits->ffn == FfnKind::SwiGluOai || d.traits->router_from_layer_input) {
    throw std::runtime_error(d.architecture + " without " + a + "expert_count is not supported");
  } else if (d.n_ff <= 0) {
    throw std::runtime_error("metadata " + a + "feed_forward_length must be positive");
  }
  d.n_ctx_train = positive(file, a + "context_length");

  const auto rms_eps = file.get_float(a + "attention.layer_norm_rms_epsilon");
  const auto ln_eps = file.get_float(a + "attention.layer_norm_epsilon");
  if (d.traits->norm == NormKind::Rms)
    d.norm_eps = static_cast<float>(rms_eps.value_or(ln_eps.value_or(1e-5)));
  else
    d.norm_eps = static_cast<float>(ln_eps.value_or(rms_eps.value_or(1e-5)));

  d.rope_freq_base = static_cast<float>(file.get_float(a + "rope.freq_base").value_or(10000.0));
  d.n_rot = file.get_int(a + "rope.dimension_count").value_or(d.head_dim);
  if (d.traits->rope != RopeKind::None && (d.n_rot <= 0 || d.n_rot > d.head_dim || d.n_rot % 2 != 0))
    throw std::runtime_error("rope.dimension_count " + std::to_string(d.n_rot) +
                             " must be even and at most the head dimension " + std::to_string(d.head_dim));
  // (Ling 1.0: llama.cpp's bailingmoe takes its heads as rope.dimension_count wide; files whose heads are
  // otherwise are not run)
  if (d.architecture == "bailingmoe" && d.n_rot != d.head_dim)
    throw std::runtime_error("rope.dimension_count " + std::to_string(d.n_rot) +
                             " differs from the head width " + std::to_string(d.head_dim) +
                             ": bailingmoe with partial RoPE is not supported");
  // Baichuan: llama.cpp knows the 7B (RoPE) from the 13B (Baichuan 13B, Baichuan2 13B: no RoPE, ALiBi at
  // llama.cpp's constant max bias of 8) by the layer count alone, as the file says no more; any other count
  // its graph would run with no positions at all
  if (d.architecture == "baichuan" && d.n_layer == 40) {
    d.rope_off = true;
    d.alibi_max_bias = 8.0f;
  } else if (d.architecture == "baichuan" && d.n_layer != 32) {
    throw std::runtime_error(
        "baichuan with " + std::to_string(d.n_layer) +
        " layers: llama.cpp turns only the 32-layer model (Baichuan 7B) with RoPE and "
        "biases only the 40-layer one (Baichuan 13B) by ALiBi, and runs the others with no "
        "positions: not supported");
  }
  // ALiBi: BLOOM's max bias is llama.cpp's constant 8 (its converter writes no key); MPT's is the key its
  // converter always writes (attn_config.alibi_bias_max), 8 where a file lacks it, as MPT's config defaults
  // it (a current llama.cpp would then run the file with no positions at all)
  if (d.traits->alibi) {
    const double b =
        d.architecture == "bloom" ? 8.0 : file.get_float(a + "attention.max_alibi_bias").value_or(8.0);
    if (!std::isfinite(b) || b <= 0)
      throw std::runtime_error(a + "attention.max_alibi_bias must be a positive number, not " +
                               std::to_string(b));
    d.alibi_max_bias = static_cast<float>(b);
  }
  if (file.find(a + "rope.dimension_sections") && !d.traits->text_of_multimodal)
    throw std::runtime_error("multimodal RoPE sections (" + a + "rope.dimension_sections) are not supported");
  // RoPE scaling (rope_scaling.h): linear, YaRN and LongRoPE's attn_factor here; the per-pair factors
  // (Llama 3.1's rope_freqs, LongRoPE's short and long ones) are tensors (Weights)
  if (d.traits->rope != RopeKind::None)
    d.rope_scaling = RopeScaling::from_gguf(file, a, d.n_rot, d.rope_freq_base, d.n_ctx_train);

  d.attention_scale = 1.0f / std::sqrt(static_cast<float>(d.is_mla() ? d.mla.nope + d.n_rot : d.head_dim));
  if (d.traits->yarn_unit_magnitude) {
    // llama.cpp's mistral3 graph: YaRN's cos and sin at magnitude 1 (its attn_factor replaces the file's),
    // the log multiplier unused
    RopeScaling& r = d.rope_scaling;
    r.attn_factor = r.ext_factor != 0.0f && r.freq_scale < 1.0f
                        ? 1.0f / (1.0f + 0.1f * std::log(1.0f / r.freq_scale))
                        : 1.0f;
  } else if (d.rope_scaling.yarn_log_mul != 0.0f) {
    // DeepSeek's YaRN, as its reference code and llama.cpp's deepseek2 graph: cos and sin of magnitude 1
    // (the file's attn_factor aside), the scores times mscale² with mscale = 1 + yarn_log_mul · ln(factor)
    if (!d.is_mla())
      throw std::runtime_error("YaRN with rope.scaling.yarn_log_multiplier (DeepSeek) is not supported for " +
                               d.architecture);
    RopeScaling& r = d.rope_scaling;
    const float factor = 1.0f / r.freq_scale;
    if (factor > 1.0f) {
      r.attn_factor /= 1.0f + 0.1f * std::log(factor);  // (what RopeScaling::mscale() multiplies back in)
      const float mscale = 1.0f + r.yarn_log_mul * std::log(factor);
      d.attention_scale *= mscale * mscale;
    }
  } else if (d.is_mla() && d.rope_scaling.scales_angles()) {
    throw std::runtime_error(
        "RoPE scaling with multi-head latent attention is supported as DeepSeek's YaRN "
        "only (rope.scaling.yarn_log_multiplier)");
  }
  d.rope_freq_base_local = d.rope_freq_base;
  if (d.traits->swa_pattern > 0) {
    const bool gemma2 = d.architecture == "gemma2", gemma3 = d.architecture == "gemma3";
    d.sliding_window = file.get_int(a + "attention.sliding_window").value_or(gemma2 ? 4096 : 0);
    if (d.sliding_window < 0) throw std::runtime_error("attention.sliding_window must not be negative");
    // (EXAONE 4.0, as llama.cpp: only the 32B, known by its 64 layers, slides windows, of 4096 keys unless
    // the file says otherwise)
    if (d.architecture == "exaone4")
      d.sliding_window = d.n_layer == 64 ? file.get_int(a + "attention.sliding_window").value_or(4096) : 0;
    // as llama.cpp (after gemma_pytorch's configs): the 27B models (gemma2: 46 layers, gemma3: 62) scale by
    // n_embd / n_head; gemma3's local layers turn with a base of 10000
    if ((gemma2 && d.n_layer == 46) || (gemma3 && d.n_layer == 62))
      d.attention_scale = 1.0f / std::sqrt(static_cast<float>(d.n_embd / d.n_head));
    if (gemma3) d.rope_freq_base_local = 10000.0f;
    if (d.architecture == "exaone-moe" || d.architecture == "cohere2moe") {
      read_pattern_windows(file, a, d);
      if (d.architecture == "cohere2moe") check_cohere2moe(file, a, d);
    } else if (const gguf::Value* flags = file.find(a + "attention.sliding_window_pattern");
               flags && flags->type == gguf::ValueType::Array) {
      // a current converter writes EXAONE 4.0's (and others') pattern as one flag per layer, from the
      // config's layer_types: where the model slides windows, it must mark the layers this architecture's
      // pattern does (llama.cpp's graph follows that fixed pattern)
      const std::string key = a + "attention.sliding_window_pattern";
      const std::vector<int64_t> marked = per_layer_ints(file, key, d.n_layer);
      for (int64_t l = 0; l < d.n_layer && d.sliding_window > 0; ++l)
        if ((marked[static_cast<size_t>(l)] != 0) != d.is_local(l))
          throw std::runtime_error(key + " marks layer " + std::to_string(l) + " as " +
                                   (marked[static_cast<size_t>(l)] != 0 ? "sliding" : "full") + ", but " +
                                   d.architecture +
                                   "'s layers slide in a fixed pattern (every layer but each " +
                                   std::to_string(d.traits->swa_pattern) + "th): not supported");
    } else if (const auto pattern = file.get_int(a + "attention.sliding_window_pattern");
               pattern && *pattern != d.traits->swa_pattern)
      // gpt-oss: sliding_window_pattern, where written, must be the one its layers follow (every other one)
      throw std::runtime_error("attention.sliding_window_pattern " + std::to_string(*pattern) +
                               " is not supported for " + d.architecture);
  }
  if (d.architecture == "smallthinker") read_smallthinker_windows(file, a, d);
  if (d.traits->embed_scale) d.embedding_scale = std::sqrt(static_cast<float>(d.n_embd));
  if (d.traits->granite_scales) {
    // as llama.cpp: a key that is absent or 0 scales nothing
    auto multiplier = [&](const std::string& key) {
      const double v = file.get_float(a + key).value_or(0.0);
      if (!std::isfinite(v) || v < 0) throw std::runtime_error(a + key + " must be a positive number");
      return static_cast<float>(v);
    };
    if (const float v = multiplier("embedding_scale"); v != 0) d.embedding_scale = v;
    if (const float v = multiplier("residual_scale"); v != 0) d.residual_scale = v;
    if (const float v = multiplier("attention.scale"); v != 0) d.attention_scale = v;
    if (const float v = multiplier("logit_scale"); v != 0) d.logit_multiplier = 1.0f / v;  // (as ggml)
    if (d.traits->minicpm_scales) {
      // MiniCPM's constants where a key is absent (scale_emb 12, scale_depth 1.4, dim_model_base 256 in every
      // MiniCPM config): files from before the converter wrote the keys, and minicpm3's, whose converter
      // writes none (llama.cpp's minicpm3 graph hard-codes these three)
      if (!file.find(a + "embedding_scale")) d.embedding_scale = 12.0f;
      if (!file.find(a + "residual_scale"))
        d.residual_scale = 1.4f / std::sqrt(static_cast<float>(d.n_layer));
      if (!file.find(a + "logit_scale")) d.logit_multiplier = 256.0f / static_cast<float>(d.n_embd);
    }
  }
  if (d.traits->logit_multiplier) {  // Command-R: the logits times logit_scale (absent or 0: none)
    const double v = file.get_float(a + "logit_scale").value_or(0.0);
    if (!std::isfinite(v) || v < 0) throw std::runtime_error(a + "logit_scale must be a positive number");
    if (v != 0) d.logit_multiplier = static_cast<float>(v);
  }
  // Falcon: attn_qkv as llama.cpp's converter reorders it ("jploski": all q heads, then the KV heads' k, then
  // their v); the checkpoint's own order (each KV group's q heads, k and v together) would be read wrong
  if (d.architecture == "falcon")
    if (const auto layout = file.get_string(a + "tensor_data_layout"); layout && *layout != "jploski")
      throw std::runtime_error(
          a + "tensor_data_layout '" + *layout +
          "' is not supported (only 'jploski', q|k|v as llama.cpp's converter orders them)");
  // (GPT-NeoX's files say whether their block is parallel; llama.cpp's default is parallel)
  // (StableLM 2 12B's FFN reads the attention norm's output: it has no ffn_norm, which is how llama.cpp
  // tells its parallel block from the smaller StableLM 2's sequential one)
  d.parallel_residual =
      (d.traits->parallel_block &&
       (d.architecture != "gptneox" || file.get_bool(a + "use_parallel_residual").value_or(true))) ||
      (d.architecture == "stablelm" && file.find_tensor("blk.0.ffn_norm.weight") == nullptr);
  d.qk_layer_norm =
      d.traits->qk_layer_norm_if_present && file.find_tensor("blk.0.attn_q_norm.weight") != nullptr;
  // (llama.cpp reads the key for olmo and mpt; their converters write it where the config sets clip_qkv)
  if (d.architecture == "olmo" || d.architecture == "mpt") {
    const double c = file.get_float(a + "attention.clamp_kqv").value_or(0.0);
    if (!std::isfinite(c) || c < 0)
      throw std::runtime_error(a + "attention.clamp_kqv must be a positive number (0: none), not " +
                               std::to_string(c));
    d.clamp_kqv = static_cast<float>(c);
  }
  d.attn_softcap = static_cast<float>(file.get_float(a + "attn_logit_softcapping").value_or(0.0));
  d.final_softcap = static_cast<float>(file.get_float(a + "final_logit_softcapping").value_or(0.0));
  if (d.traits->layer_shapes) read_layer_shapes(file, a, d);
  if (d.traits->altup) read_altup(file, a, d);
  if (d.traits->ffn == FfnKind::XIelu) read_xielu(file, d);
  if (d.attn_softcap < 0 || d.final_softcap < 0 || !std::isfinite(d.attn_softcap) ||
      !std::isfinite(d.final_softcap))
    throw std::runtime_error("logit soft-capping values must be positive (0: none)");

  d.n_ctx_max = d.n_ctx_train;
  if (d.traits->chunked_attention) {
    read_llama4_attention(file, a, d);  // (its temperature runs: sessions go on past it)
  } else if (const double t = file.get_float(a + "attention.temperature_scale").value_or(0.0); t != 0.0) {
    // Llama 4's attention temperature tuning in every layer (Ministral 3, Devstral 2, Mistral Large 3 and
    // Small 4), counted from pos as llama.cpp does: its length is YaRN's original context (mistral3) or
    // attention.temperature_length (deepseek2, mistral4)
    const int64_t length = d.traits->yarn_unit_magnitude
                               ? d.rope_scaling.n_ctx_orig
                               : file.get_int(a + "attention.temperature_length").value_or(0);
    if (length <= 0 || !std::isfinite(t) || t < 0)
      throw std::runtime_error("attention temperature tuning (" + a + "attention.temperature_scale " +
                               std::to_string(t) + ") needs a positive scale and the length it steps by (" +
                               a + "attention.temperature_length" +
                               (d.traits->yarn_unit_magnitude ? " or YaRN's original context" : "") + ")");
    d.attn_temp_scale = static_cast<float>(t);
    d.attn_temp_floor = length;
  }

  read_vocabulary_and_classifier(file, d);
  return d;
}

int64_t ModelDescription::max_q_dim() const {
  return n_head * max_head_dim();
}

int64_t ModelDescription::attention_cache_floats() const {
  int64_t floats = 0;
  for (int64_t l = 0; l < n_layer; ++l) {
    if (!has_attention(l)) continue;
    if (keeps_kv(l)) floats += (is_mla() ? 1 : 2) * heads(l).kv_dim();
    floats += is_mla() ? q_cache_dim() : heads(l).q_dim();
  }
  return floats;
}

int64_t ModelDescription::max_kv_dim() const {
  int64_t m = 0;
  for (int64_t l = 0; l < n_layer; ++l) m = std::max(m, heads(l).kv_dim());
  return m;
}

}  // namespace glasswing::model
