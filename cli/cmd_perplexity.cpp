// glasswing-cli perplexity — the standard llama.cpp measurement: the text is cut into non-overlapping
// windows of --ctx tokens, each evaluated from position 0 (its first token replaced by BOS when the model
// adds one), and only the second half of each window is scored, so every scored token has at least
// ctx/2 tokens of context.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/command.h"
#include "cli/engine_setup.h"
#include "inference/model/session.h"
#include "inference/tokenizer/tokenizer.h"

namespace {

using namespace glasswing;

// −log softmax(logits)[target], in double: the scores of a whole file are summed.
double negative_log_likelihood(std::span<const float> logits, int32_t target) {
  float max = logits[0];
  for (float l : logits) max = std::max(max, l);
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l) - max);
  return std::log(sum) - (static_cast<double>(logits[static_cast<size_t>(target)]) - max);
}

int run_perplexity(cli::Args& args) {
  const std::string path = args.require("--file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();

  auto engine = cli::load_engine(args);
  const auto& d = engine.model->desc();
  const int64_t n_ctx = args.integer("--ctx", std::min<int64_t>(512, d.n_ctx_train));
  if (n_ctx < 4 || n_ctx > d.n_ctx_train)
    throw cli::UsageError("--ctx must be between 4 and the model's context " + std::to_string(d.n_ctx_train));
  const auto tokenizer = tokenizer::Tokenizer::from_gguf(engine.model->file());
  const bool add_bos = tokenizer.add_bos_by_default();
  const auto tokens = tokenizer.encode(text.str(), {.add_bos = add_bos});
  const int64_t n_chunks = static_cast<int64_t>(tokens.size()) / n_ctx;
  if (n_chunks < 1)
    throw std::runtime_error("the text has " + std::to_string(tokens.size()) + " tokens; --ctx " +
                             std::to_string(n_ctx) + " needs at least that many");

  model::Session session(*engine.model, *engine.backend, n_ctx);
  const int64_t first = n_ctx / 2;  // positions before this are context only
  double nll = 0;
  int64_t scored = 0;
  std::vector<int32_t> window(static_cast<size_t>(n_ctx));
  for (int64_t c = 0; c < n_chunks; ++c) {
    std::copy_n(tokens.begin() + c * n_ctx, n_ctx, window.begin());
    if (add_bos) window[0] = tokenizer.bos_id();
    session.truncate(0);
    const auto logits = engine.backend->forward(session, window, /*want_all_logits=*/true);
    // The logits at position j predict token j + 1 of the window.
    for (int64_t j = first; j < n_ctx - 1; ++j) {
      nll += negative_log_likelihood(
          logits.subspan(static_cast<size_t>(j * d.n_vocab), static_cast<size_t>(d.n_vocab)),
          window[static_cast<size_t>(j + 1)]);
      ++scored;
    }
    std::fprintf(stderr, "[%lld/%lld] running perplexity %.4f\n", static_cast<long long>(c + 1),
                 static_cast<long long>(n_chunks), std::exp(nll / static_cast<double>(scored)));
  }
  std::printf("%.4f\n", std::exp(nll / static_cast<double>(scored)));
  std::fprintf(stderr, "perplexity over %lld windows of %lld tokens (%lld scored tokens)\n",
               static_cast<long long>(n_chunks), static_cast<long long>(n_ctx),
               static_cast<long long>(scored));
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(perplexity, "perplexity -m MODEL.gguf -f TEXT.txt [--ctx N] [--backend cpu]",
                      "perplexity of a text file over non-overlapping windows (second half of each scored)",
                      ({cli::model_option(),
                        {"--file", "-f", true, "text file"},
                        {"--ctx", "", true,
                         "window length in tokens (default 512, at most the model's context)"},
                        cli::backend_option()}),
                      run_perplexity);
