// glasswing-cli attention — prefills a prompt and writes one head's attention probabilities (queries × keys),
// recomputed by the backend from the session's Q and K caches, as CSV or raw float32 + a JSON header; or,
// with --summary, the layer × head overview (max, entropy, attention to the first token) as CSV.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/attention_output.h"
#include "cli/command.h"
#include "cli/engine_setup.h"
#include "inference/model/session.h"
#include "inference/tokenizer/tokenizer.h"

namespace {

using namespace glasswing;
namespace out = cli::attention_output;

int64_t index_flag(const cli::Args& args, const char* flag, int64_t count, const char* what) {
  const int64_t v = args.integer(flag, -1);
  if (!args.has(flag)) throw cli::UsageError(std::string("missing required option ") + flag);
  if (v < 0 || v >= count)
    throw cli::UsageError(std::string(flag) + " " + std::to_string(v) + " is out of range: the model has " +
                          std::to_string(count) + " " + what + " (0 to " + std::to_string(count - 1) + ")");
  return v;
}

std::ofstream open_out(const std::string& path, std::ios::openmode mode = std::ios::out) {
  std::ofstream f(path, mode);
  if (!f) throw std::runtime_error("cannot write " + path);
  return f;
}

void finish(std::ofstream& f, const std::string& path) {
  f.close();
  if (!f) throw std::runtime_error("cannot write " + path);
}

int run_attention(cli::Args& args) {
  const std::string prompt = args.require("--prompt");
  const std::string out_path = args.require("--out");
  const std::string format = args.get_or("--format", "csv");
  const bool summary = args.has("--summary");
  if (prompt.empty()) throw cli::UsageError("--prompt is empty");
  if (format != "csv" && format != "f32")
    throw cli::UsageError("--format must be csv or f32, got '" + format + "'");
  if (args.has("--bos") && args.has("--no-bos"))
    throw cli::UsageError("--bos and --no-bos exclude each other");
  if (summary && (args.has("--layer") || args.has("--head") || args.has("--keys") || format != "csv"))
    throw cli::UsageError(
        "--summary covers every layer and head over all keys, as CSV: drop --layer, --head, "
        "--keys and --format");

  auto engine = cli::load_engine(args);
  const auto& d = engine.model->desc();
  // (a pure state-space model, Mamba: no layer attends; its heads, 0, would divide nothing)
  if (d.n_attention_layers() == 0)
    throw std::runtime_error(d.architecture + " has no attention layers (a state-space model: every layer " +
                             "mixes tokens by its recurrent state), so it has no attention maps to write");
  int64_t layer = 0, head = 0;
  if (!summary) {
    layer = index_flag(args, "--layer", d.n_layer, "layers");
    head = index_flag(args, "--head", d.n_head, "heads");
  }
  if (!engine.backend->capabilities().attention_maps)
    throw std::runtime_error("the " + engine.backend->name() + " backend does not compute attention maps");

  const auto tokenizer = tokenizer::Tokenizer::from_gguf(engine.model->file());
  const bool bos = args.has("--bos") || (!args.has("--no-bos") && tokenizer.add_bos_by_default());
  const auto tokens = tokenizer.encode(prompt, {.add_bos = bos, .parse_special = false});
  if (tokens.empty()) throw std::runtime_error("the prompt encodes to no tokens");
  const auto n = static_cast<int64_t>(tokens.size());
  if (n > d.n_ctx_train)
    throw std::runtime_error("the prompt is " + std::to_string(n) +
                             " tokens, more than the model's context of " + std::to_string(d.n_ctx_train));
  const auto queries = out::parse_range("--queries", args.get_or("--queries", ""), n);
  const auto keys = out::parse_range("--keys", args.get_or("--keys", ""), n);

  model::Session session(*engine.model, *engine.backend, n);
  engine.backend->forward(session, tokens, /*want_all_logits=*/false);

  if (summary) {
    const auto s = engine.backend->attention_summary(session, queries);
    auto f = open_out(out_path);
    // (each layer's own KV heads: Gemma 4, deci)
    out::write_summary_csv(f, s, [&d](int64_t l) { return d.has_attention(l) ? d.heads(l).group() : 0; });
    finish(f, out_path);
    std::fprintf(stderr, "wrote the %lld x %lld layer x head summary over queries %lld:%lld to %s\n",
                 static_cast<long long>(d.n_layer), static_cast<long long>(d.n_head),
                 static_cast<long long>(queries.begin), static_cast<long long>(queries.end),
                 out_path.c_str());
    return 0;
  }

  const auto m = engine.backend->attention(session, layer, head, queries, keys);
  out::MatrixInfo info{std::filesystem::path(engine.model->file().path()).filename().string(),
                       engine.backend->name(),
                       layer,
                       head,
                       head / d.heads(layer).group(),
                       {}};
  for (int32_t id : tokens) info.tokens.push_back(out::display_token(tokenizer.token_piece(id)));
  if (format == "csv") {
    auto f = open_out(out_path);
    out::write_matrix_csv(f, m, info);
    finish(f, out_path);
  } else {
    auto f = open_out(out_path, std::ios::binary);
    // Hosts we build for are little-endian, the file format's byte order.
    f.write(reinterpret_cast<const char*>(m.probs.data()),
            static_cast<std::streamsize>(m.probs.size() * sizeof(float)));
    finish(f, out_path);
    const std::string json_path = out_path + ".json";
    auto j = open_out(json_path);
    j << out::matrix_json(m, info);
    finish(j, json_path);
  }
  std::fprintf(stderr, "wrote layer %lld head %lld (kv head %lld): %lld queries x %lld keys to %s\n",
               static_cast<long long>(layer), static_cast<long long>(head),
               static_cast<long long>(info.kv_head), static_cast<long long>(queries.size()),
               static_cast<long long>(keys.size()), out_path.c_str());
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(
    attention,
    "attention -m MODEL.gguf -p TEXT --layer L --head H --out FILE [--format csv|f32] [--queries A:B] "
    "[--keys A:B] [--bos|--no-bos] [--backend cpu|vulkan|auto] [--summary]",
    "write one head's attention probabilities for a prompt (or the layer x head summary)",
    ({cli::model_option(),
      {"--prompt", "-p", true, "prompt text (special tokens are not parsed)"},
      {"--layer", "", true, "layer, from 0"},
      {"--head", "", true, "query head, from 0"},
      {"--out", "", true, "output file (f32: FILE is the raw matrix and FILE.json its header)"},
      {"--format", "", true, "csv (default) or f32: raw little-endian float32 (queries x keys)"},
      {"--queries", "", true, "query positions A:B, B excluded (default: all)"},
      {"--keys", "", true, "key positions A:B, B excluded (default: all)"},
      {"--bos", "", false, "add BOS even when the model's tokenizer does not by default"},
      {"--no-bos", "", false, "do not add BOS"},
      {"--summary", "", false, "write every (layer, head): mean max, entropy and first-token attention"},
      cli::backend_option()}),
    run_attention);
