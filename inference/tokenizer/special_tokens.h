#pragma once
// Finds special tokens (control, user-defined, unknown) written literally in text, so that
// "<|im_end|>" becomes one token instead of being spelled out.
//
// Matching is leftmost-longest over a byte trie (one pass over the text, like Hugging Face's added-token
// matcher). User-defined tokens are always matched; control and unknown tokens only when the caller asks
// for special-token parsing (llama.cpp's rule: user-defined tokens are ordinary added words).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "inference/tokenizer/vocab.h"

namespace glasswing::tokenizer {

struct Fragment {
  int32_t token = -1;  // >= 0: a special token; -1: raw text [offset, offset + length)
  size_t offset = 0;
  size_t length = 0;
};

class SpecialTokenMatcher {
 public:
  void build(const Vocab& vocab);

  // lstrip: whitespace before the token is dropped; rstrip: whitespace after it (HF AddedToken flags).
  void set_strip(int32_t id, bool lstrip, bool rstrip);

  void partition(std::string_view text, bool parse_special, std::vector<Fragment>& out) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
    int32_t token = -1;
    bool always = false;  // user-defined: matched even without parse_special
    int32_t child(uint8_t b) const;
  };
  std::vector<Node> nodes_;  // nodes_[0] is the root
  bool first_byte_[256] = {};
  std::vector<uint8_t> strip_;  // per token id: bit 0 lstrip, bit 1 rstrip
};

}  // namespace glasswing::tokenizer
