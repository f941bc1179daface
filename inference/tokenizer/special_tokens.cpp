#include "inference/tokenizer/special_tokens.h"

#include <algorithm>

namespace glasswing::tokenizer {

int32_t SpecialTokenMatcher::Node::child(uint8_t b) const {
  for (const auto& [byte, index] : children)
    if (byte == b) return index;
  return -1;
}

void SpecialTokenMatcher::build(const Vocab& vocab) {
  nodes_.assign(1, Node{});
  std::fill(std::begin(first_byte_), std::end(first_byte_), false);
  strip_.assign(static_cast<size_t>(vocab.size()), 0);
  for (int32_t id = 0; id < vocab.size(); ++id) {
    if (!vocab.is_special(id) || vocab.text[id].empty()) continue;
    const std::string& t = vocab.text[id];
    int32_t node = 0;
    for (char c : t) {
      const auto b = static_cast<uint8_t>(c);
      int32_t next = nodes_[node].child(b);
      if (next < 0) {
        next = static_cast<int32_t>(nodes_.size());
        nodes_[node].children.emplace_back(b, next);
        nodes_.emplace_back();
      }
      node = next;
    }
    if (nodes_[node].token < 0) {  // the first id wins when a text repeats
      nodes_[node].token = id;
      nodes_[node].always = vocab.type[id] == TokenType::UserDefined;
    }
    first_byte_[static_cast<uint8_t>(t[0])] = true;
  }
}

void SpecialTokenMatcher::set_strip(int32_t id, bool lstrip, bool rstrip) {
  if (id < 0 || static_cast<size_t>(id) >= strip_.size()) return;
  strip_[id] = static_cast<uint8_t>((lstrip ? 1 : 0) | (rstrip ? 2 : 0));
}

namespace {
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
}  // namespace

void SpecialTokenMatcher::partition(std::string_view text, bool parse_special,
                                    std::vector<Fragment>& out) const {
  out.clear();
  const size_t n = text.size();
  size_t raw_start = 0, pos = 0;
  while (pos < n) {
    if (!first_byte_[static_cast<uint8_t>(text[pos])]) {
      ++pos;
      continue;
    }
    int32_t node = 0, best = -1;
    size_t best_end = 0;
    for (size_t i = pos; i < n; ++i) {
      node = nodes_[node].child(static_cast<uint8_t>(text[i]));
      if (node < 0) break;
      const Node& nd = nodes_[node];
      if (nd.token >= 0 && (parse_special || nd.always)) {
        best = nd.token;
        best_end = i + 1;
      }
    }
    if (best < 0) {
      ++pos;
      continue;
    }
    size_t raw_end = pos;
    if (strip_[best] & 1)
      while (raw_end > raw_start && is_space(text[raw_end - 1])) --raw_end;
    if (raw_end > raw_start) out.push_back({-1, raw_start, raw_end - raw_start});
    out.push_back({best, pos, best_end - pos});
    pos = best_end;
    if (strip_[best] & 2)
      while (pos < n && is_space(text[pos])) ++pos;
    raw_start = pos;
  }
  if (raw_start < n) out.push_back({-1, raw_start, n - raw_start});
}

}  // namespace glasswing::tokenizer
