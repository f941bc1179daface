#include "inference/tokenizer/streaming_decoder.h"

#include "inference/tokenizer/unicode.h"

namespace glasswing::tokenizer {

std::string StreamingDecoder::push(int32_t id) {
  pending_ += tokenizer_.decode_piece(id, at_start_);
  const size_t keep = unicode::incomplete_tail(pending_);
  std::string ready = unicode::sanitize(std::string_view(pending_).substr(0, pending_.size() - keep));
  pending_.erase(0, pending_.size() - keep);
  return ready;
}

std::string StreamingDecoder::flush() {
  std::string rest = unicode::sanitize(pending_);
  pending_.clear();
  at_start_ = true;
  return rest;
}

}  // namespace glasswing::tokenizer
