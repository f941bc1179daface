// glasswing-cli detokenize -m MODEL.gguf — text of the token ids on stdin (separated by whitespace
// and/or commas), written to stdout as is. Special tokens appear as their text.
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/command.h"
#include "inference/gguf/gguf_file.h"
#include "inference/tokenizer/tokenizer.h"

namespace {

using namespace glasswing;

std::vector<int32_t> parse_ids(const std::string& in, int32_t n_vocab) {
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (std::isspace(c) || c == ',') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < in.size() && !std::isspace(static_cast<unsigned char>(in[j])) && in[j] != ',') ++j;
    const std::string word = in.substr(i, j - i);
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(word.c_str(), &end, 10);
    if (*end != '\0' || errno == ERANGE) throw std::runtime_error("'" + word + "' is not a token id");
    if (v < 0 || v >= n_vocab)
      throw std::runtime_error("token id " + word + " is out of range (the vocabulary has " +
                               std::to_string(n_vocab) + " tokens)");
    ids.push_back(static_cast<int32_t>(v));
    i = j;
  }
  return ids;
}

int run_detokenize(cli::Args& args) {
  if (!args.positional().empty()) throw cli::UsageError("unexpected argument '" + args.positional()[0] + "'");
  const auto file = gguf::GgufFile::open(args.require("--model"));
  const auto tok = tokenizer::Tokenizer::from_gguf(file);
  for (const auto& w : tok.warnings())
    std::fprintf(stderr, "glasswing-cli detokenize: warning: %s\n", w.c_str());

  std::ios::sync_with_stdio(false);
  const std::string in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  const std::string text = tok.decode(parse_ids(in, tok.n_vocab()));
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(detokenize, "detokenize -m MODEL.gguf < ids",
                      "print the text of the token ids on stdin (separated by spaces, newlines or commas)",
                      ({{"--model", "-m", true, "GGUF file whose tokenizer to use"}}), run_detokenize);
