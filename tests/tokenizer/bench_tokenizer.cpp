// tokenizer_bench VOCAB.gguf TEXT_FILE [RUNS] — encode throughput of one vocabulary on one text.
// The first run starts with an empty BPE word cache ("cold"); later runs reuse it, as a chat does
// when the same prompt prefix is tokenized on every turn ("warm", best of the remaining runs).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>

#include "inference/gguf/gguf_file.h"
#include "inference/tokenizer/tokenizer.h"

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
    const double mb = text.size() / 1e6;

    double cold = 0, warm = 1e30;
    size_t n_tokens = 0;
    for (int r = 0; r < runs; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto ids = tok.encode(text);
      const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      n_tokens = ids.size();
      if (r == 0)
        cold = sec;
      else
        warm = std::min(warm, sec);
    }
    const std::string back = tok.decode(tok.encode(text));
    std::printf(
        "%-40s %-3s %-10s %8.2f MB %9zu tokens  encode cold %7.2f MB/s  warm %7.2f MB/s  round-trip %s\n",
        file.path().filename().c_str(), tok.kind().c_str(),
        tok.pre_tokenizer().empty() ? "-" : tok.pre_tokenizer().c_str(), mb, n_tokens, mb / cold, mb / warm,
        back == text ? "ok" : "MISMATCH");
    return back == text ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tokenizer_bench: %s\n", e.what());
    return 1;
  }
}
