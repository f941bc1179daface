// tokenizer_bench VOCAB.gguf TEXT_FILE [RUNS] — encode throughput of one vocabulary on one text.
// The first run starts with an empty word cache ("cold"); later runs reuse it, as a chat does when the
// same history is tokenized on every turn ("warm", best of the remaining runs). Throughput is per second
// of this process's CPU time, which stays meaningful on a machine shared with other jobs; the warm
// wall-clock figure is printed too.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <fstream>
#include <sstream>

#include "inference/gguf/gguf_file.h"
#include "inference/tokenizer/tokenizer.h"

namespace {
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: tokenizer_bench VOCAB.gguf TEXT_FILE [RUNS]\n");
    return 2;
  }
  try {
    const int runs = argc > 3 ? std::max(2, std::atoi(argv[3])) : 4;
    const auto file = glasswing::gguf::GgufFile::open(argv[1]);
    const auto tok = glasswing::tokenizer::Tokenizer::from_gguf(file);
    std::ifstream in(argv[2], std::ios::binary);
    if (!in) throw std::runtime_error(std::string("cannot read ") + argv[2]);
    std::ostringstream s;
    s << in.rdbuf();
    const std::string text = s.str();
    const double mb = static_cast<double>(text.size()) / 1e6;

    double cold = 0, warm = 1e30, warm_wall = 1e30;
    size_t n_tokens = 0;
    for (int r = 0; r < runs; ++r) {
      const double c0 = cpu_seconds();
      const auto t0 = std::chrono::steady_clock::now();
      const auto ids = tok.encode(text);
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double cpu = cpu_seconds() - c0;
      n_tokens = ids.size();
      if (r == 0) {
        cold = cpu;
      } else {
        warm = std::min(warm, cpu);
        warm_wall = std::min(warm_wall, wall);
      }
    }
    const bool round_trip = tok.decode(tok.encode(text)) == text;
    std::printf(
        "%-30s %-3s %-12s %5.2f MB %8zu tokens | MB/s per CPU-second: cold %6.2f, warm %6.2f | "
        "warm wall-clock %6.2f MB/s | round-trip %s\n",
        file.path().filename().c_str(), tok.kind().c_str(),
        tok.pre_tokenizer().empty() ? "-" : tok.pre_tokenizer().c_str(), mb, n_tokens, mb / cold, mb / warm,
        mb / warm_wall, round_trip ? "ok" : "MISMATCH");
    return round_trip ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tokenizer_bench: %s\n", e.what());
    return 1;
  }
}
