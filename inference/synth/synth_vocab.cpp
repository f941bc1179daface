// A SentencePiece vocabulary that tokenizes English sensibly without a trained model: every multi-character
// piece is built by extending a shorter piece by one character, so the SPM merge search can reach it, and
// anything else falls back to the 256 byte tokens.
#include <cstdio>
#include <stdexcept>
#include <string>
#include <unordered_set>

#include "inference/synth/synth_model.h"

namespace glasswing::synth {

namespace {

constexpr const char* kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's word-boundary mark

// Letters by English frequency, so short common pieces come first.
constexpr std::string_view kLetters = "etaoinshrdlcumwfgypbvkjxqz";

constexpr const char* kWords[] = {
    "the",      "and",    "to",     "a",      "was",    "he",    "she",     "it",    "of",    "in",
    "that",     "her",    "his",    "they",   "you",    "with",  "for",     "on",    "said",  "had",
    "is",       "day",    "one",    "big",    "little", "time",  "upon",    "once",  "there", "girl",
    "boy",      "play",   "saw",    "friend", "happy",  "mom",   "dog",     "cat",   "tree",  "ball",
    "park",     "sun",    "wanted", "went",   "very",   "so",    "but",     "not",   "be",    "at",
    "have",     "we",     "all",    "what",   "can",    "like",  "go",      "see",   "look",  "help",
    "run",      "man",    "old",    "new",    "good",   "red",   "blue",    "come",  "then",  "them",
    "were",     "are",    "as",     "by",     "from",   "this",  "an",      "or",    "will",  "would",
    "their",    "about",  "out",    "up",     "into",   "when",  "who",     "how",   "make",  "know",
    "get",      "people", "year",   "way",    "thing",  "world", "life",    "hand",  "child", "eye",
    "woman",    "place",  "work",   "name",   "named",  "loved", "outside", "hello", "model", "attention",
    "language", "quick",  "brown",  "fox",    "jumps",  "over",  "lazy",    "need",  "is",    "story",
    "The",      "Once",   "Lily",   "She",    "He",     "One",   "It",      "They",  "Tom",   "Ben",
};

class Builder {
 public:
  explicit Builder(uint32_t capacity, Vocab& v) : capacity_(capacity), v_(v) {}
  bool full() const { return v_.tokens.size() >= capacity_; }
  void add(const std::string& piece) {
    if (full() || !seen_.insert(piece).second) return;
    v_.tokens.push_back(piece);
    v_.scores.push_back(-static_cast<float>(generated_++));  // earlier pieces merge first
    v_.types.push_back(1);                                   // normal
  }
  // Adds every prefix of piece (from two characters on, counting the space mark as one), so it is reachable.
  void add_chain(const std::string& piece, size_t first_len) {
    for (size_t len = first_len; len <= piece.size(); ++len) add(piece.substr(0, len));
  }

 private:
  uint32_t capacity_;
  Vocab& v_;
  std::unordered_set<std::string> seen_;
  uint32_t generated_ = 0;
};

}  // namespace

Vocab make_vocab(uint32_t n_vocab) {
  if (n_vocab < 260)
    throw std::invalid_argument("vocabulary of " + std::to_string(n_vocab) +
                                " tokens is too small (3 special + 256 byte tokens + at least one piece)");
  Vocab v;
  v.tokens.reserve(n_vocab);
  v.scores.reserve(n_vocab);
  v.types.reserve(n_vocab);
  auto special = [&](const std::string& t, int32_t type) {
    v.tokens.push_back(t);
    v.scores.push_back(0.0f);
    v.types.push_back(type);
  };
  special("<unk>", 2);  // unknown
  special("<s>", 3);    // control
  special("</s>", 3);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    special(name, 6);  // byte
  }
  Builder builder(n_vocab, v);
  const std::string space = kSpace;
  builder.add(space);
  for (char c : kLetters) builder.add(std::string(1, c));
  for (char c : kLetters) builder.add(std::string(1, static_cast<char>(c - 'a' + 'A')));
  for (char c : std::string_view("0123456789.,!?'\"-:;()")) builder.add(std::string(1, c));
  for (const char* w : kWords) builder.add_chain(space + w, space.size() + 1);
  // Fill the rest breadth-first with letter strings, each as "▁s" and "s"; all prefixes exist already.
  std::vector<std::string> level = {""};
  while (!builder.full()) {
    std::vector<std::string> next;
    for (const auto& prefix : level) {
      for (char c : kLetters) {
        const std::string s = prefix + c;
        builder.add(space + s);
        builder.add(s);
        if (builder.full()) break;
        next.push_back(s);
      }
      if (builder.full()) break;
    }
    level = std::move(next);
  }
  return v;
}

}  // namespace glasswing::synth
