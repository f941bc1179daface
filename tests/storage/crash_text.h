#pragma once
// The text crash_writer streams, so the crash test can tell exactly what a message must contain.
#include <cstdint>
#include <string>

namespace glasswing::storage::test {

// Token i of every assistant message.
inline std::string crash_token(int64_t i) {
  return "w" + std::to_string(i) + " ";
}

// The content of an assistant message after n_tokens tokens.
inline std::string crash_text(int64_t n_tokens) {
  std::string text;
  for (int64_t i = 0; i < n_tokens; ++i) text += crash_token(i);
  return text;
}

inline std::string crash_user_text(int64_t turn) {
  return "user turn " + std::to_string(turn);
}

}  // namespace glasswing::storage::test
