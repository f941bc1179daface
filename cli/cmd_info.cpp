// glasswing-cli info MODEL.gguf — what a model file holds, and whether the engine runs it (its tensors are
// checked in place, through the mapping: nothing is read into memory).
#include <cstdio>
#include <map>

#include "cli/command.h"
#include "inference/gguf/file_type.h"
#include "inference/gguf/gguf_file.h"
#include "inference/model/model.h"

namespace {

using namespace glasswing;

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
            std::pair{M::DeltaNet, "gated delta net"}, std::pair{M::Mamba2, "Mamba-2"},
            std::pair{M::None, "FFN only"}, std::pair{M::Mamba2Attention, "Mamba-2 beside attention"}})
        if (const int64_t n = d.n_mixer_layers(m); n > 0)
          kinds += (kinds.empty() ? "" : ", ") + std::to_string(n) + " " + name;
      std::printf("layers:        %s\n", kinds.c_str());
    }
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
