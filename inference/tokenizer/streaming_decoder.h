#pragma once
// Turns generated token ids into text as they arrive. A token may end in the middle of a UTF-8 character
// (byte-fallback and byte-level tokens often do); those bytes are held back until the character is
// complete, so every string returned is valid UTF-8 and can go straight into the UI.
//
// Invariant: the concatenation of every push() and the final flush() equals
// unicode::sanitize(tokenizer.decode(ids)) — same leading-space rule, same special-token text.
#include <cstdint>
#include <string>

#include "inference/tokenizer/tokenizer.h"

namespace glasswing::tokenizer {

class StreamingDecoder {
 public:
  // The tokenizer must outlive the decoder.
  explicit StreamingDecoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  // Text that became complete with this token (possibly empty). Throws std::out_of_range for a bad id.
  std::string push(int32_t id);
  // Whatever is still held back, with incomplete sequences replaced by U+FFFD; resets the decoder.
  std::string flush();

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;
  bool at_start_ = true;
};

}  // namespace glasswing::tokenizer
