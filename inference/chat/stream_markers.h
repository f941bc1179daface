#pragma once
// Markup in a streamed reply (harmony.h, gemma4_channels.h): special tokens that arrive as text, a token or
// a few bytes at a time. Finding the next whole marker, and how much of the text's end could still become
// one, is the same for every format; only the markers differ.
#include <cstddef>
#include <span>
#include <string_view>
#include <utility>

namespace glasswing::chat {

// The first of `markers` in s at or after `from`: its position and length; npos when none.
inline std::pair<size_t, size_t> next_marker(std::string_view s, size_t from,
                                             std::span<const std::string_view> markers) {
  size_t best = std::string_view::npos, len = 0;
  for (std::string_view m : markers)
    if (const size_t at = s.find(m, from); at < best) {
      best = at;
      len = m.size();
    }
  return {best, len};
}

// How many trailing bytes of s could begin one of `markers` (kept back until the next text decides). Every
// marker starts with '<' and has no other, so only the text from the last '<' can be one.
inline size_t partial_marker(std::string_view s, std::span<const std::string_view> markers) {
  const size_t lt = s.rfind('<');
  if (lt == std::string_view::npos) return 0;
  const std::string_view tail = s.substr(lt);
  for (std::string_view m : markers)
    if (tail.size() < m.size() && m.substr(0, tail.size()) == tail) return tail.size();
  return 0;
}

}  // namespace glasswing::chat
