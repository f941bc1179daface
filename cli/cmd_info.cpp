// glasswing-cli info MODEL.gguf — what a model file holds, and whether the engine runs it (its tensors are
// checked in place, through the mapping: nothing is read into memory).
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "cli/command.h"
#include "inference/gguf/file_type.h"
#include "inference/gguf/gguf_file.h"
#include "inference/model/model.h"

namespace {

using namespace glasswing;

// "a-b" or "a" for a run of layers
std::string layer_range(int64_t first, int64_t last) {
  return first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
}

// Gemma 4's layers as the engine reads them: which slide a window, the two kinds' heads (their widths, the
// dimensions RoPE turns, KV heads), the layers that read an earlier layer's keys and values, the FFN widths,
// the per-layer inputs and the experts (Gemma 3n's too, with its AltUp streams, LAuReL and sparse gates).
void print_layer_shapes(const model::Model& model) {
  const model::ModelDescription& d = model.desc();
  int64_t first[2] = {-1, -1}, n_local = 0;  // the first full and the first sliding layer
  for (int64_t l = 0; l < d.n_layer; ++l) {
    if (first[d.is_local(l)] < 0) first[d.is_local(l)] = l;
    n_local += d.is_local(l);
  }
  std::printf("layers:        %lld sliding (window %lld), %lld full\n", static_cast<long long>(n_local),
              static_cast<long long>(d.sliding_window), static_cast<long long>(d.n_layer - n_local));
  // RoPE's per-pair factors turn off the full layers' pairs past a fraction (a factor of 1e30: no rotation)
  const auto& factors = model.weights().rope_freqs;
  const int64_t turned = 2 * std::count_if(factors.begin(), factors.end(), [](float f) { return f < 1e20f; });
  std::string heads, kv;
  for (const int kind : {1, 0}) {
    const int64_t l = first[kind];
    if (l < 0) continue;
    const auto h = d.heads(l);
    int64_t rot = h.n_rot;
    if (!kind && !factors.empty()) rot = std::min(rot, turned);
    const bool v_is_k = !model.weights().layers[static_cast<size_t>(l)].wv;
    heads += std::string(heads.empty() ? "" : ", ") + (kind ? "sliding " : "full ") +
             std::to_string(h.q_heads) + " x " + std::to_string(h.head_dim) + " (RoPE on " +
             std::to_string(rot) + ", base " + std::to_string(static_cast<long long>(d.rope_base(l))) + ")";
    kv += std::string(kv.empty() ? "" : ", ") + (kind ? "sliding " : "full ") + std::to_string(h.n_head_kv) +
          (v_is_k ? " (V = K)" : "");
  }
  std::printf("heads:         %s\n", heads.c_str());
  std::printf("kv heads:      %s\n", kv.c_str());
  if (d.n_layer_kv > 0 && d.n_layer_kv < d.n_layer) {
    std::string reads;
    for (const int kind : {1, 0})
      for (int64_t l = d.n_layer_kv; l < d.n_layer; ++l)
        if (d.is_local(l) == (kind == 1)) {
          reads += std::string(reads.empty() ? "" : ", ") + "layer " + std::to_string(d.kv_layer(l)) +
                   "'s (" + (kind ? "sliding" : "full") + ")";
          break;
        }
    const bool one = d.n_layer_kv + 1 == d.n_layer;
    std::printf("shared kv:     %s %s %s %s keys and values\n", one ? "layer" : "layers",
                layer_range(d.n_layer_kv, d.n_layer - 1).c_str(), one ? "reads" : "read", reads.c_str());
  }
  std::string ff;
  for (int64_t l = 0, start = 0; l < d.n_layer; ++l)
    if (l + 1 == d.n_layer || d.ff_width(l + 1) != d.ff_width(l)) {
      ff += std::string(ff.empty() ? "" : ", ") + std::to_string(d.ff_width(l)) +
            (start == l ? " on layer " : " on layers ") + layer_range(start, l);
      start = l + 1;
    }
  std::printf("ffn:           %s\n", ff.c_str());
  if (d.per_layer_embd > 0)
    std::printf("per-layer in:  %lld per layer (%lld per token in all)\n",
                static_cast<long long>(d.per_layer_embd),
                static_cast<long long>(d.per_layer_embd * d.n_layer));
  if (d.altup.n_inputs > 0) {  // Gemma 3n
    std::printf("altup:         %lld streams, the layers run the first\n",
                static_cast<long long>(d.altup.n_inputs));
    std::printf("laurel:        rank %lld beside attention\n", static_cast<long long>(d.altup.laurel_rank));
    std::string sparse;
    for (int64_t l = 0, start = -1; l < d.n_layer; ++l) {
      if (d.sparse_ffn(l) && start < 0) start = l;
      if (start >= 0 &&
          (l + 1 == d.n_layer || !d.sparse_ffn(l + 1) ||
           d.ffn_sparsity[static_cast<size_t>(l + 1)] != d.ffn_sparsity[static_cast<size_t>(l)])) {
        char cut[64];
        std::snprintf(cut, sizeof cut, " (gate cut at mean + %.4g std)",
                      d.ffn_sparsity[static_cast<size_t>(l)]);
        sparse += std::string(sparse.empty() ? "" : ", ") + (start == l ? "layer " : "layers ") +
                  layer_range(start, l) + cut;
        start = -1;
      }
    }
    std::printf("sparse ffn:    %s\n", sparse.empty() ? "none" : sparse.c_str());
  }
  if (d.n_expert > 0)
    std::printf("experts:       %lld of %lld, %lld per token, beside the dense FFN\n",
                static_cast<long long>(d.n_expert), static_cast<long long>(d.n_ff_exp),
                static_cast<long long>(d.n_expert_used));
}

// deci's layers as the engine reads them (a Llama-Nemotron's block_configs): runs of layers of one shape,
// each with its attention (its KV heads, none, or replaced by one matrix) and its FFN's width (or none).
void print_block_configs(const model::ModelDescription& d) {
  using M = model::ModelDescription::Mixer;
  const auto shape = [&](int64_t l) {
    const std::string attention = d.mixer(l) == M::None ? "no attention"
                                  : d.mixer(l) == M::Linear
                                      ? "attention replaced by one matrix"
                                      : "attention over " + std::to_string(d.heads(l).n_head_kv) +
                                            (d.heads(l).n_head_kv == 1 ? " KV head" : " KV heads");
    return attention + ", " + (d.has_ffn(l) ? "FFN " + std::to_string(d.ff_width(l)) : "no FFN");
  };
  for (int64_t l = 0, start = 0; l < d.n_layer; ++l)
    if (l + 1 == d.n_layer || shape(l + 1) != shape(l)) {
      std::printf("  %s %s: %s\n", start == l ? "layer " : "layers", layer_range(start, l).c_str(),
                  shape(l).c_str());
      start = l + 1;
    }
}

int run_info(cli::Args& args) {
  if (args.positional().size() != 1) throw cli::UsageError("expected exactly one MODEL.gguf");
  const auto file = gguf::GgufFile::open(args.positional()[0]);
  const std::string arch = file.architecture();
  std::printf("file:          %s\n", file.path().c_str());
  std::printf("file size:     %.2f MiB (%llu bytes)\n", file.file_size() / 1048576.0,
              static_cast<unsigned long long>(file.file_size()));
  std::printf("gguf version:  %u, alignment %llu\n", file.version(),
              static_cast<unsigned long long>(file.alignment()));
  std::printf("architecture:  %s\n", arch.empty() ? "(none)" : arch.c_str());
  if (auto name = file.get_string("general.name")) std::printf("name:          %s\n", name->c_str());
  const char* keys[] = {"context_length",
                        "embedding_length",
                        "block_count",
                        "feed_forward_length",
                        "attention.head_count",
                        "attention.head_count_kv",
                        "attention.key_length",
                        "attention.value_length",
                        "rope.dimension_count",
                        "rope.freq_base",
                        "rope.scaling.type",
                        "rope.scaling.factor",
                        "rope.scaling.original_context_length",
                        "rope.scaling.attn_factor",
                        "attention.sliding_window",
                        "expert_count",
                        "expert_used_count",
                        "expert_feed_forward_length",
                        "expert_shared_count",
                        "expert_shared_feed_forward_length",
                        "expert_group_count",
                        "expert_group_used_count",
                        "interleave_moe_layer_step",
                        "leading_dense_block_count",
                        "expert_gating_func",
                        "expert_weights_norm",
                        "expert_weights_scale",
                        "nextn_predict_layers",
                        "rope.scaling.yarn_log_multiplier",
                        "attention.temperature_scale",
                        "attention.temperature_length",
                        "attention.q_lora_rank",
                        "attention.kv_lora_rank",
                        "attention.key_length_mla",
                        "attention.value_length_mla",
                        "attention.layer_norm_rms_epsilon",
                        "attention.layer_norm_epsilon"};
  for (const char* k : keys)
    if (const auto* v = file.find(arch + "." + k))
      std::printf("%-44s %s\n", (arch + "." + k).c_str(), v->to_display_string().c_str());
  const std::string tok_model = file.get_string("tokenizer.ggml.model").value_or("(none)");
  const auto* tokens = file.get_array("tokenizer.ggml.tokens");
  std::printf("tokenizer:     %s, %zu tokens", tok_model.c_str(), tokens ? tokens->size() : size_t{0});
  if (auto pre = file.get_string("tokenizer.ggml.pre")) std::printf(", pre-tokenizer %s", pre->c_str());
  std::printf("\nchat template: %s\n", file.find("tokenizer.chat_template") ? "present" : "absent");
  // Whether Glasswing runs it: the description and every tensor's shape and type, as loading checks them.
  try {
    const auto model = model::Model::load(args.positional()[0]);
    std::printf("engine:        runs it\n");
    // a hybrid's layers by how they mix tokens (their attention maps exist for the attention layers only)
    const model::ModelDescription& d = model->desc();
    if (!d.mixers.empty()) {
      using M = model::ModelDescription::Mixer;
      std::string kinds;
      for (const auto& [m, name] :
           {std::pair{M::Attention, "attention"}, std::pair{M::ShortConv, "short convolution"},
            std::pair{M::DeltaNet, d.delta.kda ? "Kimi Delta Attention" : "gated delta net"},
            std::pair{M::Mamba2, "Mamba-2"},
            // (deci's None layers may have no FFN either)
            std::pair{M::None, d.traits->block_configs ? "without attention" : "FFN only"},
            std::pair{M::Mamba2Attention, "Mamba-2 beside attention"}, std::pair{M::Mamba1, "Mamba-1"},
            std::pair{M::Linear, "attention replaced by one matrix"}})
        if (const int64_t n = d.n_mixer_layers(m); n > 0)
          kinds += (kinds.empty() ? "" : ", ") + std::to_string(n) + " " + name;
      std::printf("layers:        %s\n", kinds.c_str());
    }
    if (d.traits && d.traits->layer_shapes) print_layer_shapes(*model);
    if (d.traits && d.traits->block_configs) print_block_configs(d);
  } catch (const std::exception& e) {
    std::printf("engine:        refuses it: %s\n", e.what());
  }

  uint64_t n_params = 0, tensor_bytes = 0;
  std::map<std::string, std::pair<size_t, uint64_t>> by_type;  // type -> (tensor count, bytes)
  for (const auto& t : file.tensors()) {
    n_params += t.n_elements;
    tensor_bytes += t.n_bytes;
    auto& e = by_type[gguf::ggml_type_name(t.type)];
    e.first++;
    e.second += t.n_bytes;
  }
  std::printf("tensors:       %zu\n", file.tensors().size());
  std::printf("parameters:    %llu (%.2f M), %.2f bits per weight\n",
              static_cast<unsigned long long>(n_params), n_params / 1e6,
              n_params ? 8.0 * static_cast<double>(tensor_bytes) / static_cast<double>(n_params) : 0.0);
  if (auto ft = file.get_uint("general.file_type")) {
    const std::string name = gguf::file_type_name(*ft);
    std::printf("file type:     %s\n", name.empty() ? ("#" + std::to_string(*ft)).c_str() : name.c_str());
  }
  std::printf("\n%-10s %8s %14s\n", "type", "tensors", "bytes");
  for (const auto& [type, e] : by_type)
    std::printf("%-10s %8zu %14llu\n", type.c_str(), e.first, static_cast<unsigned long long>(e.second));
  if (args.has("--tensors")) {
    std::printf("\n%-40s %-8s %s\n", "tensor", "type", "shape");
    for (const auto& t : file.tensors())
      std::printf("%-40s %-8s %s\n", t.name.c_str(), gguf::ggml_type_name(t.type).c_str(),
                  t.shape_string().c_str());
  }
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(info, "info MODEL.gguf [--tensors]",
                      "print a model's architecture, tokenizer, parameter count and tensor types",
                      ({{"--tensors", "", false, "also list every tensor"}}), run_info);
