// make_corpus OUT_DIR — writes the generated broken GGUF files of tests/gguf/corpus (see corpus_cases.h).
//   build/tests/gguf/gguf_make_corpus tests/gguf/corpus
// Files found by the fuzzer are checked in beside them by hand; corpus/EXPECTED lists both.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/gguf/corpus_cases.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  for (const auto& [name, bytes] : glasswing::test::make_corpus_cases()) {
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
      return 1;
    }
    std::printf("%s (%zu bytes)\n", name.c_str(), bytes.size());
  }
  return 0;
}
