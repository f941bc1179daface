// glasswing-cli logits — evaluates a token sequence from position 0 in one batch and writes every
// position's logits: float32 little-endian, [n_tokens][n_vocab]. Used to compare backends and references.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/engine_setup.h"
#include "inference/model/session.h"

namespace {

using namespace glasswing;

std::vector<int32_t> parse_tokens(const std::string& list) {
  std::vector<int32_t> tokens;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string item = list.substr(start, comma - start);
    char* end = nullptr;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 0 || v > INT32_MAX)
      throw cli::UsageError("--tokens expects comma-separated token ids, got '" + item + "'");
    tokens.push_back(static_cast<int32_t>(v));
    start = comma + 1;
  }
  return tokens;
}

int run_logits(cli::Args& args) {
  const auto tokens = parse_tokens(args.require("--tokens"));
  const std::string out_path = args.require("--out");
  auto engine = cli::load_engine(args);
  model::Session session(*engine.model, *engine.backend, static_cast<int64_t>(tokens.size()));
  const auto logits = engine.backend->forward(session, tokens, /*want_all_logits=*/true);
  std::ofstream out(out_path, std::ios::binary);
  // Hosts we build for are little-endian, the file format's byte order.
  out.write(reinterpret_cast<const char*>(logits.data()), static_cast<std::streamsize>(logits.size_bytes()));
  if (!out) throw std::runtime_error("cannot write " + out_path);
  std::fprintf(stderr, "wrote %zu x %lld logits to %s\n", tokens.size(),
               static_cast<long long>(engine.model->desc().n_vocab), out_path.c_str());
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(logits, "logits -m MODEL.gguf --tokens 1,2,3 --out FILE.f32 [--backend cpu]",
                      "write the logits of every position of a token sequence (float32 [n_tokens][n_vocab])",
                      ({cli::model_option(),
                        {"--tokens", "", true, "comma-separated token ids, evaluated from position 0"},
                        {"--out", "", true, "output file"},
                        cli::backend_option(),
                        cli::device_option()}),
                      run_logits);
