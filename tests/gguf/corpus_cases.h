#pragma once
// The broken GGUF files of tests/gguf/corpus, made from a valid file written by GgufWriter plus byte edits
// (or, for what the writer refuses, raw bytes). tests/gguf/make_corpus writes them; a test checks that the
// checked-in files still match; corpus/EXPECTED says which error each must give.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace glasswing::test {

// The valid file every edit starts from: all scalar kinds the edits need, an array, and four tensors.
std::vector<uint8_t> corpus_base_file();

// (file name, bytes) for every generated corpus file.
std::vector<std::pair<std::string, std::vector<uint8_t>>> make_corpus_cases();

}  // namespace glasswing::test
