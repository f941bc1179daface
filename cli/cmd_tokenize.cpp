// glasswing-cli tokenize -m MODEL.gguf [--bos] [--special] — token ids of the UTF-8 text on stdin.
// The text is used exactly as read (a trailing newline is part of it). Output: ids on one line,
// separated by spaces. Tokenizer warnings go to stderr.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "cli/command.h"
#include "inference/gguf/gguf_file.h"
#include "inference/tokenizer/tokenizer.h"

namespace {

using namespace glasswing;

int run_tokenize(cli::Args& args) {
  if (!args.positional().empty()) throw cli::UsageError("unexpected argument '" + args.positional()[0] + "'");
  const auto file = gguf::GgufFile::open(args.require("--model"));
  const auto tok = tokenizer::Tokenizer::from_gguf(file);
  for (const auto& w : tok.warnings())
    std::fprintf(stderr, "glasswing-cli tokenize: warning: %s\n", w.c_str());

  std::ios::sync_with_stdio(false);
  const std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  tokenizer::Tokenizer::EncodeOptions opts;
  opts.add_bos = args.has("--bos");
  opts.parse_special = args.has("--special");
  const auto ids = tok.encode(text, opts);

  std::string line;
  line.reserve(ids.size() * 6 + 1);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) line += ' ';
    line += std::to_string(ids[i]);
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(tokenize, "tokenize -m MODEL.gguf [--bos] [--special] < text",
                      "print the token ids of the UTF-8 text on stdin",
                      ({{"--model", "-m", true, "GGUF file whose tokenizer to use"},
                        {"--bos", "", false, "prepend the BOS token"},
                        {"--special", "", false, "parse control tokens written in the text (<|im_start|>)"}}),
                      run_tokenize);
