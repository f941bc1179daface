#include "inference/tokenizer/spm.h"

#include <algorithm>
#include <cstdio>
#include <queue>

#include "inference/tokenizer/unicode.h"

namespace glasswing::tokenizer {

namespace {
bool mergeable_type(TokenType t) {
  return t != TokenType::Control && t != TokenType::Byte && t != TokenType::Unknown && t != TokenType::Unused;
}
constexpr const char* kSpaceMark = "\xE2\x96\x81";  // U+2581
uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}
}  // namespace

SpmModel::SpmModel(const Vocab& vocab, int32_t unk_id) : vocab_(vocab), unk_id_(unk_id) {
  byte_tokens_.fill(-1);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    const int32_t id = vocab.find(name);
    if (id >= 0 && vocab.type[id] == TokenType::Byte) {
      byte_tokens_[b] = id;
      has_byte_tokens_ = true;
    }
  }
  for (int32_t id = 0; id < vocab.size(); ++id)
    if (mergeable_type(vocab.type[id])) mergeable_.emplace(vocab.text[id], id);
  split_words_ = true;
  for (const auto& [text, id] : mergeable_) {
    for (size_t i = 1; i + 3 <= text.size(); ++i)
      if (text.compare(i, 3, kSpaceMark) == 0 && (i < 3 || text.compare(i - 3, 3, kSpaceMark) != 0))
        split_words_ = false;
    // Every split at a character boundary whose two halves are tokens is a pair that merges into `id`.
    for (size_t i = unicode::sequence_length(static_cast<uint8_t>(text[0])); i < text.size();
         i += unicode::sequence_length(static_cast<uint8_t>(text[i]))) {
      const int32_t left = find_mergeable(std::string_view(text).substr(0, i));
      if (left < 0) continue;
      const int32_t right = find_mergeable(std::string_view(text).substr(i));
      if (right >= 0) pairs_.emplace(pair_key(left, right), id);
    }
  }
}

int32_t SpmModel::find_mergeable(std::string_view s) const {
  auto it = mergeable_.find(s);
  return it == mergeable_.end() ? -1 : it->second;
}

namespace {
struct Symbol {
  int32_t id;  // token spelled by the symbol, -1 when it is not one
  int32_t prev, next;
  uint32_t offset, length;  // length 0: merged into its left neighbour
};
struct Bigram {
  float score;
  int32_t left, right;
  uint32_t length;  // left + right length when queued; a mismatch later means the entry is stale
  int32_t token;
};
struct BigramOrder {
  // Highest score first; on ties the leftmost pair (llama.cpp / SentencePiece order).
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};
}  // namespace

void SpmModel::encode(std::string_view text, std::vector<int32_t>& out) const {
  if (!split_words_) {
    encode_piece(text, out);
    return;
  }
  // Cut before every U+2581 that does not follow another one. A U+2581 byte triple always is that
  // character: E2 never continues a sequence, so the cut lands on a character boundary.
  size_t start = 0;
  auto flush = [&](size_t end) {
    const std::string_view word = text.substr(start, end - start);
    if (word.empty() || cache_.lookup(word, out)) return;
    const size_t before = out.size();
    encode_piece(word, out);
    cache_.store(word, out.data() + before, out.size() - before);
  };
  for (size_t pos = text.find(kSpaceMark, 1); pos != std::string_view::npos;
       pos = text.find(kSpaceMark, pos + 3)) {
    if (pos >= 3 && text.compare(pos - 3, 3, kSpaceMark) == 0) continue;
    flush(pos);
    start = pos;
  }
  flush(text.size());
}

void SpmModel::encode_piece(std::string_view text, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  std::vector<Symbol> sym;
  sym.reserve(text.size());
  for (size_t off = 0; off < text.size();) {
    // Ill-formed bytes become one-byte symbols, which fall back to byte tokens: nothing is lost.
    uint32_t cp = 0;
    const size_t len = std::max<size_t>(1, unicode::decode(text, off, cp));
    const auto index = static_cast<int32_t>(sym.size());
    sym.push_back({find_mergeable(text.substr(off, len)), index - 1,
                   off + len == text.size() ? -1 : index + 1, static_cast<uint32_t>(off),
                   static_cast<uint32_t>(len)});
    off += len;
  }

  std::vector<Bigram> storage;
  storage.reserve(sym.size());
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue(BigramOrder{}, std::move(storage));
  auto try_add = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const Symbol& a = sym[l];
    const Symbol& b = sym[r];
    int32_t token = -1;
    if (a.id >= 0 && b.id >= 0) {
      auto it = pairs_.find(pair_key(a.id, b.id));
      if (it != pairs_.end()) token = it->second;
    } else {
      // A character outside the vocabulary can still start a token in odd vocabularies: look it up by text.
      token = find_mergeable(text.substr(a.offset, a.length + b.length));
    }
    if (token >= 0) queue.push({vocab_.score[token], l, r, a.length + b.length, token});
  };
  for (int32_t i = 1; i < static_cast<int32_t>(sym.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram bg = queue.top();
    queue.pop();
    Symbol& left = sym[bg.left];
    Symbol& right = sym[bg.right];
    if (left.length == 0 || right.length == 0 || left.length + right.length != bg.length) continue;
    left.length += right.length;
    left.id = bg.token;
    right.length = 0;
    left.next = right.next;
    if (right.next >= 0) sym[right.next].prev = bg.left;
    try_add(left.prev, bg.left);
    try_add(bg.left, left.next);
  }

  for (int32_t i = 0; i != -1; i = sym[i].next) {
    const Symbol& s = sym[i];
    if (s.id >= 0) {
      out.push_back(s.id);
    } else if (has_byte_tokens_) {
      for (uint32_t j = 0; j < s.length; ++j) {
        const int32_t b = byte_tokens_[static_cast<uint8_t>(text[s.offset + j])];
        if (b >= 0)
          out.push_back(b);
        else if (unk_id_ >= 0)
          out.push_back(unk_id_);
      }
    } else if (unk_id_ >= 0) {
      out.push_back(unk_id_);
    }
  }
}

}  // namespace glasswing::tokenizer
