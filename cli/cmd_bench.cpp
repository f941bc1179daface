// glasswing-cli bench — prompt processing (pp) and token generation (tg) speed, like llama-bench: each test
// runs -r times in a fresh session after one warm-up, and reports mean ± standard deviation in tokens/s.
// With -d N both tests run after N tokens of context (prefilled untimed first), as llama-bench's -d: how the
// speed holds up deep into a conversation, where attention over the cache is a growing share of each step.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/engine_setup.h"
#include "inference/model/session.h"

namespace {

using namespace glasswing;
using Clock = std::chrono::steady_clock;

struct TestResult {
  std::string name;  // "pp512", "tg128"
  int64_t n_tokens = 0;
  std::vector<double> tokens_per_second;  // one per repetition
  double mean() const {
    double s = 0;
    for (double v : tokens_per_second) s += v;
    return s / static_cast<double>(tokens_per_second.size());
  }
  double stddev() const {
    if (tokens_per_second.size() < 2) return 0;
    double m = mean(), s = 0;
    for (double v : tokens_per_second) s += (v - m) * (v - m);
    return std::sqrt(s / static_cast<double>(tokens_per_second.size() - 1));
  }
};

// Fixed, vocabulary-spread token ids: the speed does not depend on which tokens they are.
std::vector<int32_t> bench_tokens(int64_t n, int64_t n_vocab) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) t[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7919 + 1) % n_vocab);
  return t;
}

// Fills the first `depth` positions of a session (not timed).
void fill(cli::Engine& e, model::Session& session, std::span<const int32_t> tokens, int64_t depth) {
  if (depth > 0) e.backend->forward(session, tokens.subspan(0, static_cast<size_t>(depth)), false);
}

// Seconds to prefill `n` tokens in one forward after `depth` tokens of context.
double time_prompt(cli::Engine& e, int64_t n, int64_t depth) {
  model::Session session(*e.model, *e.backend, depth + n);
  const auto tokens = bench_tokens(depth + n, e.model->desc().n_vocab);
  fill(e, session, tokens, depth);
  const auto start = Clock::now();
  e.backend->forward(session, std::span(tokens).subspan(static_cast<size_t>(depth)), false);
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Seconds to decode `n` tokens one at a time after `depth` tokens of context.
double time_generation(cli::Engine& e, int64_t n, int64_t depth) {
  model::Session session(*e.model, *e.backend, depth + n);
  const auto tokens = bench_tokens(depth + n, e.model->desc().n_vocab);
  fill(e, session, tokens, depth);
  const auto start = Clock::now();
  for (int64_t i = depth; i < depth + n; ++i)
    e.backend->forward(session, std::span(&tokens[static_cast<size_t>(i)], 1), false);
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int run_bench(cli::Args& args) {
  const int64_t n_prompt = args.integer("--n-prompt", 512);
  const int64_t n_gen = args.integer("--n-gen", 128);
  const int64_t reps = args.integer("--repetitions", 3);
  const int64_t depth = args.integer("--depth", 0);
  if (n_prompt < 0 || n_gen < 0 || reps < 1 || depth < 0)
    throw cli::UsageError("-p, -n and -d must be ≥ 0 and -r ≥ 1");
  auto e = cli::load_engine(args);
  const auto& d = e.model->desc();
  for (int64_t n : {n_prompt, n_gen})
    if (depth + n > d.n_ctx_max)
      throw std::runtime_error("test of " + std::to_string(n) + " tokens" +
                               (depth ? " after " + std::to_string(depth) : std::string()) +
                               " exceeds the model's context of " + std::to_string(d.n_ctx_max));
  const std::string at = depth ? " @ d" + std::to_string(depth) : "";  // llama-bench's test names

  std::vector<TestResult> results;
  if (n_prompt > 0) {
    time_prompt(e, n_prompt, depth);  // warm-up: page in the weights, grow buffers
    TestResult r{"pp" + std::to_string(n_prompt) + at, n_prompt, {}};
    for (int64_t i = 0; i < reps; ++i)
      r.tokens_per_second.push_back(n_prompt / time_prompt(e, n_prompt, depth));
    results.push_back(r);
  }
  if (n_gen > 0) {
    time_generation(e, std::min<int64_t>(n_gen, 4), depth);
    TestResult r{"tg" + std::to_string(n_gen) + at, n_gen, {}};
    for (int64_t i = 0; i < reps; ++i)
      r.tokens_per_second.push_back(n_gen / time_generation(e, n_gen, depth));
    results.push_back(r);
  }

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
  const double size_mib = static_cast<double>(e.model->file().file_size()) / 1048576.0;
  uint64_t n_params = 0;
  for (const auto& t : e.model->file().tensors()) n_params += t.n_elements;
  const auto caps = e.backend->capabilities();

  if (args.has("--json")) {
    std::printf(
        "{\"model\": \"%s\", \"size_mib\": %.2f, \"params\": %llu, \"backend\": \"%s\", \"device\": \"%s\", "
        "\"load_seconds\": %.4f, \"peak_rss_mib\": %.1f, \"repetitions\": %lld, \"depth\": %lld, \"tests\": "
        "[",
        e.model->file().path().stem().c_str(), size_mib, static_cast<unsigned long long>(n_params),
        e.backend->name().c_str(), caps.device.c_str(), e.load_seconds, peak_rss_mib,
        static_cast<long long>(reps), static_cast<long long>(depth));
    for (size_t i = 0; i < results.size(); ++i)
      std::printf("%s{\"test\": \"%s\", \"tokens_per_second\": %.3f, \"stddev\": %.3f}", i ? ", " : "",
                  results[i].name.c_str(), results[i].mean(), results[i].stddev());
    std::printf("]}\n");
    return 0;
  }
  size_t name_width = 6;  // "pp512", "tg128 @ d4096"
  for (const auto& r : results) name_width = std::max(name_width, r.name.size());
  const int w = static_cast<int>(name_width);
  std::printf("| %-20s | %10s | %8s | %-8s | %-16s | %*s | %20s |\n", "model", "size", "params", "backend",
              "device", w, "test", "t/s");
  std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", std::string(20, '-').c_str(),
              std::string(10, '-').c_str(), std::string(8, '-').c_str(), std::string(8, '-').c_str(),
              std::string(16, '-').c_str(), std::string(name_width, '-').c_str(),
              std::string(20, '-').c_str());
  for (const auto& r : results)
    std::printf("| %-20s | %6.2f MiB | %6.2f M | %-8s | %-16s | %*s | %11.2f ± %6.2f |\n",
                e.model->file().path().stem().c_str(), size_mib, static_cast<double>(n_params) / 1e6,
                e.backend->name().c_str(), caps.device.c_str(), w, r.name.c_str(), r.mean(), r.stddev());
  std::printf("\nload time: %.1f ms, peak memory (RSS): %.1f MiB, repetitions: %lld\n", e.load_seconds * 1000,
              peak_rss_mib, static_cast<long long>(reps));
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(bench, "bench -m MODEL.gguf [-p 512] [-n 128] [-r 3] [-d 0] [--backend cpu] [--json]",
                      "measure prompt processing and generation speed (tokens/s, mean ± stddev)",
                      ({cli::model_option(),
                        {"--n-prompt", "-p", true, "prompt tokens per pp test (0: skip; default 512)"},
                        {"--n-gen", "-n", true, "generated tokens per tg test (0: skip; default 128)"},
                        {"--repetitions", "-r", true, "repetitions of each test (default 3)"},
                        {"--depth", "-d", true,
                         "tokens of context before each test, prefilled untimed (default 0)"},
                        cli::backend_option(),
                        cli::device_option(),
                        {"--json", "", false, "print one JSON object instead of the table"}}),
                      run_bench);
