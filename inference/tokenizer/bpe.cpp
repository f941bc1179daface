#include "inference/tokenizer/bpe.h"

#include <algorithm>
#include <cstdio>
#include <queue>

#include "inference/tokenizer/unicode.h"

namespace glasswing::tokenizer {

namespace {
uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}
constexpr const char* kSpaceMark = "\xE2\x96\x81";  // U+2581
}  // namespace

BpeModel::BpeModel(const Vocab& vocab, const std::vector<std::string>& merges, const PreTokenizerSpec& pre,
                   std::vector<std::string>& warnings)
    : vocab_(vocab), splitter_(pre.regexes), ignore_merges_(pre.ignore_merges), spm_style_(pre.spm_style) {
  for (int b = 0; b < 256; ++b) {
    if (spm_style_) {
      // Looked up by text whatever the token's type, as llama.cpp does.
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      byte_ids_[b] = vocab.find(name);
    } else {
      byte_ids_[b] = vocab.find(unicode::byte_to_symbol(static_cast<uint8_t>(b)));
    }
  }
  size_t malformed = 0, unusable = 0;
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& m = merges[rank];
    const size_t space = m.find(' ', 1);  // from 1: a merge may start with a literal space symbol
    if (space == std::string::npos) {
      ++malformed;
      continue;
    }
    const std::string_view left = std::string_view(m).substr(0, space);
    const std::string_view right = std::string_view(m).substr(space + 1);
    const int32_t l = vocab.find(left), r = vocab.find(right);
    const int32_t result = vocab.find(std::string(left) + std::string(right));
    if (l < 0 || r < 0 || result < 0) {
      ++unusable;
      continue;
    }
    merges_.emplace(pair_key(l, r), Merge{static_cast<int32_t>(rank), result});  // first (best) rank wins
  }
  if (malformed)
    warnings.push_back(std::to_string(malformed) +
                       " entries of tokenizer.ggml.merges have no space; ignored");
  if (unusable)
    warnings.push_back(std::to_string(unusable) +
                       " entries of tokenizer.ggml.merges name or produce text that is not a token; ignored");
}

void BpeModel::encode(std::string_view text, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  std::string buffer;  // the sanitized and/or escaped copy `text` views, when one is needed
  if (!unicode::is_valid(text)) {
    buffer = unicode::sanitize(text);
    text = buffer;
  }
  if (spm_style_) {
    // Only the ASCII space is escaped (tabs and newlines stay themselves), before the split: the regex
    // then sees one line of "words" joined by U+2581, and merges may cross them.
    std::string escaped;
    escaped.reserve(text.size() + text.size() / 4);
    for (char c : text) {
      if (c == ' ')
        escaped += kSpaceMark;
      else
        escaped += c;
    }
    buffer = std::move(escaped);
    text = buffer;
  }
  std::vector<std::pair<size_t, size_t>> words;
  splitter_.split(text, words);
  for (const auto& [off, len] : words) {
    const std::string_view word = text.substr(off, len);
    if (cache_.lookup(word, out)) continue;
    const size_t before = out.size();
    encode_word(word, out);
    cache_.store(word, out.data() + before, out.size() - before);
  }
}

namespace {
struct Symbol {
  int32_t id;  // -1: a byte or character the vocabulary has no token for (it never merges)
  int32_t prev, next;
  bool alive;
  uint32_t offset, length;  // where the starting symbol lies in the word (used for the byte fallback)
};
struct Bigram {
  int32_t rank;
  int32_t left, right;
  int32_t left_id, right_id;  // ids when queued; a change later means the entry is stale
  int32_t result;
};
struct BigramOrder {
  // Lowest rank first; on ties the leftmost pair.
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};
}  // namespace

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (ignore_merges_) {
    std::string encoded;
    if (spm_style_) {
      encoded = word;
    } else {
      encoded.reserve(word.size() * 2);
      for (char c : word) encoded += unicode::byte_to_symbol(static_cast<uint8_t>(c));
    }
    const int32_t whole = vocab_.find(encoded);
    if (whole >= 0) {
      out.push_back(whole);
      return;
    }
  }
  std::vector<Symbol> sym;
  sym.reserve(word.size());
  if (spm_style_) {
    // A run of newlines that is a token stays whole rather than being rebuilt by merges (llama.cpp's
    // Gemma 4 fix, ggml-org/llama.cpp#21343: the merges would cut "\n\n\n" into "\n\n" + "\n").
    if (word.find_first_not_of('\n') == std::string_view::npos) {
      const int32_t whole = vocab_.find(word);
      if (whole >= 0) {
        out.push_back(whole);
        return;
      }
    }
    // One symbol per UTF-8 character (encode() made the text valid), looked up by its text.
    uint32_t cp = 0;
    for (size_t off = 0; off < word.size();) {
      const size_t len = std::max<size_t>(1, unicode::decode(word, off, cp));
      sym.push_back({vocab_.find(word.substr(off, len)), 0, 0, true, static_cast<uint32_t>(off),
                     static_cast<uint32_t>(len)});
      off += len;
    }
  } else {
    for (size_t i = 0; i < word.size(); ++i)
      sym.push_back({byte_ids_[static_cast<uint8_t>(word[i])], 0, 0, true, static_cast<uint32_t>(i), 1});
  }
  const auto n = static_cast<int32_t>(sym.size());
  for (int32_t i = 0; i < n; ++i) {
    sym[i].prev = i - 1;
    sym[i].next = i + 1 == n ? -1 : i + 1;
  }

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto try_add = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const int32_t a = sym[l].id, b = sym[r].id;
    if (a < 0 || b < 0) return;
    auto it = merges_.find(pair_key(a, b));
    if (it == merges_.end()) return;
    queue.push({it->second.rank, l, r, a, b, it->second.result});
  };
  for (int32_t i = 1; i < n; ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram bg = queue.top();
    queue.pop();
    Symbol& left = sym[bg.left];
    Symbol& right = sym[bg.right];
    if (!left.alive || !right.alive || left.next != bg.right || left.id != bg.left_id ||
        right.id != bg.right_id)
      continue;
    left.id = bg.result;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) sym[right.next].prev = bg.left;
    try_add(left.prev, bg.left);
    try_add(bg.left, left.next);
  }

  for (int32_t i = 0; i != -1 && n > 0; i = sym[i].next) {
    const Symbol& s = sym[i];
    if (s.id >= 0) {
      out.push_back(s.id);
    } else if (spm_style_) {
      // A character outside the vocabulary: its UTF-8 bytes as <0xNN> tokens (a missing one is dropped,
      // as llama.cpp does).
      for (uint32_t j = 0; j < s.length; ++j) {
        const int32_t b = byte_ids_[static_cast<uint8_t>(word[s.offset + j])];
        if (b >= 0) out.push_back(b);
      }
    }
    // Byte-level: a byte the vocabulary has no symbol for is dropped, as llama.cpp does (falcon and
    // starcoder lack a few control bytes; emitting <unk>, which is <|endoftext|> there, would end the
    // prompt).
  }
}

}  // namespace glasswing::tokenizer
