// glasswing-cli perplexity — llama.cpp's standard measurement (see inference/model/perplexity.h): windows
// of --ctx tokens, the second half of each scored. Prints the perplexity on stdout, progress on stderr.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/command.h"
#include "cli/engine_setup.h"
#include "inference/model/perplexity.h"
#include "inference/model/session.h"
#include "inference/tokenizer/tokenizer.h"

namespace {

using namespace glasswing;

int run_perplexity(cli::Args& args) {
  const std::string path = args.require("--file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();

  auto engine = cli::load_engine(args);
  const auto& d = engine.model->desc();
  const int64_t n_ctx = args.integer("--ctx", std::min<int64_t>(512, d.n_ctx_max));
  if (n_ctx < 4 || n_ctx > d.n_ctx_max)
    throw cli::UsageError("--ctx must be between 4 and the model's context " + std::to_string(d.n_ctx_max));
  const auto tokenizer = tokenizer::Tokenizer::from_gguf(engine.model->file());
  const bool add_bos = tokenizer.add_bos_by_default();
  const auto tokens = tokenizer.encode(text.str(), {.add_bos = add_bos});

  model::Session session(*engine.model, *engine.backend, n_ctx);
  const auto result =
      model::perplexity(*engine.backend, session, tokens, n_ctx, add_bos ? tokenizer.bos_id() : -1,
                        [&](int64_t done, double running) {
                          std::fprintf(stderr, "[%lld/%lld] %.4f\n", static_cast<long long>(done),
                                       static_cast<long long>(tokens.size() / n_ctx), running);
                        });
  std::printf("%.4f\n", result.perplexity);
  std::fprintf(stderr, "perplexity over %lld windows of %lld tokens (%lld tokens scored)\n",
               static_cast<long long>(result.windows), static_cast<long long>(n_ctx),
               static_cast<long long>(result.scored_tokens));
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(perplexity, "perplexity -m MODEL.gguf -f TEXT.txt [--ctx N] [--backend cpu]",
                      "perplexity of a text file over non-overlapping windows (second half of each scored)",
                      ({cli::model_option(),
                        {"--file", "-f", true, "text file"},
                        {"--ctx", "", true,
                         "window length in tokens (default 512, at most the model's context)"},
                        cli::backend_option(),
                        cli::device_option()}),
                      run_perplexity);
