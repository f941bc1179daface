// glasswing-cli synth — writes a random-weight model with a real model's shape (for benchmarks and tests).
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "cli/command.h"
#include "inference/gguf/ggml_type.h"
#include "inference/quant/quant.h"
#include "inference/synth/synth_model.h"

namespace {

using namespace glasswing;

void list_shapes() {
  std::printf("%-18s %-14s %6s %6s %5s %4s %6s %7s %7s %10s %6s %s\n", "shape", "arch", "embd", "layers",
              "heads", "kv", "ff", "vocab", "ctx", "rope base", "eps", "params");
  for (const auto& s : synth::shapes()) {
    if (s.hidden) continue;
    std::printf("%-18s %-14s %6u %6u %5u %4u %6u %7u %7u %10.0f %6.0e %.1fM%s\n", s.name.c_str(),
                s.arch.c_str(), s.n_embd, s.n_layer, s.n_head, s.n_head_kv, s.n_ff, s.n_vocab, s.n_ctx,
                s.rope_base, s.norm_eps, s.n_params() / 1e6, s.tied_embeddings ? " (tied embeddings)" : "");
  }
  std::printf("\n--arch may be %s\n", synth::architecture_list().c_str());
}

int run_synth(cli::Args& args) {
  if (args.has("--list")) {
    list_shapes();
    return 0;
  }
  if (!args.positional().empty()) throw cli::UsageError("unexpected argument '" + args.positional()[0] + "'");
  const std::string shape_name = args.require("--shape");
  const synth::Shape* shape = synth::find_shape(shape_name);
  if (!shape) throw cli::UsageError("unknown shape '" + shape_name + "' (see synth --list)");
  synth::Options options;
  options.shape = *shape;
  if (auto arch = args.get("--arch")) {
    if (!synth::can_write_architecture(*arch))
      throw cli::UsageError("--arch must be " + synth::architecture_list() + ", got '" + *arch + "'");
    options.shape.arch = *arch;
  }
  if (args.has("--layers")) {
    const int64_t layers = args.integer("--layers", 0);
    if (layers < 1 || layers > options.shape.n_layer)
      throw cli::UsageError("--layers must be between 1 and the shape's " +
                            std::to_string(options.shape.n_layer));
    // (Gemma 4: the kept layers' own shapes, and those past the model's last layer with its own keys and
    // values still reading that layer's)
    auto& shape = options.shape;
    const uint32_t n_layer_kv = shape.n_layer - shape.shared_kv_layers, kept = static_cast<uint32_t>(layers);
    shape.shared_kv_layers = kept > n_layer_kv ? kept - n_layer_kv : 0;
    for (auto* per_layer :
         {&shape.sliding_layers, &shape.layer_kv_heads, &shape.layer_ff, &shape.layer_heads})
      if (!per_layer->empty()) per_layer->resize(kept);
    shape.n_layer = kept;
    std::erase_if(shape.attention_layers, [&](uint32_t l) { return l >= layers; });  // (LFM2)
  }
  const std::string type_name = args.get_or("--type", "F16");
  const auto type = gguf::ggml_type_from_name(type_name);
  if (!type || !quant::can_quantize(*type))
    throw cli::UsageError(
        "cannot write type '" + type_name +
        "' (use F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, "
        "Q6_K, IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_NL, IQ4_XS, TQ1_0, TQ2_0 "
        "or MXFP4)");
  options.type = *type;
  const int64_t seed = args.integer("--seed", 42);
  if (seed < 0) throw cli::UsageError("--seed must not be negative");
  options.seed = static_cast<uint64_t>(seed);
  const int64_t threads = args.integer("--threads", 0);
  if (threads < 0 || threads > 1024) throw cli::UsageError("--threads must be between 0 and 1024");
  options.threads = static_cast<unsigned>(threads);
  const std::string out = args.require("--output");

  const auto start = std::chrono::steady_clock::now();
  const synth::Report report = synth::write_model(options, out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("wrote %s: %s %s, %.1fM parameters, weights %s, %.1f MiB in %.1f s\n", out.c_str(),
              options.shape.arch.c_str(), options.shape.name.c_str(), report.n_params / 1e6,
              gguf::ggml_type_name(options.type).c_str(), report.file_bytes / 1048576.0, seconds);
  // One line per (row length, type) instead of one per tensor.
  std::map<std::pair<uint64_t, std::string>, int> groups;
  for (const auto& f : report.fallbacks) groups[{f.row_length, gguf::ggml_type_name(f.used)}]++;
  for (const auto& [key, count] : groups)
    std::printf("fallback: %d tensors with rows of %llu -> %s (%s needs rows that are a multiple of %u)\n",
                count, static_cast<unsigned long long>(key.first), key.second.c_str(),
                gguf::ggml_type_name(options.type).c_str(),
                gguf::ggml_type_traits(options.type).block_elements);
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(
    synth, "synth --shape NAME -t TYPE -o OUT.gguf [--arch ARCH] [--layers N] [--seed S] [--list]",
    "write a random-weight model with a real model's shape and a working tokenizer",
    ({{"--shape", "", true, "preset (see --list): stories15m, smollm2-135m, qwen3-30b-a3b, llama-2-7b, ..."},
      {"--type", "-t", true,
       "weight type (default F16): F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K Q4_K Q5_K Q6_K IQ1_S "
       "IQ1_M IQ2_XXS IQ2_XS IQ2_S IQ3_XXS IQ3_S IQ4_NL IQ4_XS TQ1_0 TQ2_0 MXFP4"},
      {"--output", "-o", true, "output .gguf path"},
      {"--arch", "", true,
       "another architecture for the preset's shape (see --list; qwen2 adds Q/K/V biases, "
       "qwen3 per-head q and k norms, phi3 packs q|k|v and gate|up)"},
      {"--layers", "", true,
       "only the first N layers (default: the preset's): a large model's per-layer speed in a small file"},
      {"--seed", "", true, "random seed (default 42); the same seed writes the same file"},
      {"--threads", "", true, "worker threads (default: all); does not change the output"},
      {"--list", "", false, "list the shapes"}}),
    run_synth);
