#include "inference/chat/gemma4_channels.h"

#include <array>
#include <utility>

namespace glasswing::chat {

namespace {

constexpr std::string_view kOpen = "<|channel>", kClose = "<channel|>";
constexpr std::array kMarkers = {kOpen, kClose};

// The first marker in s at or after `from`: its position and length; npos when none.
std::pair<size_t, size_t> next_marker(std::string_view s, size_t from) {
  size_t best = std::string_view::npos, len = 0;
  for (std::string_view m : kMarkers)
    if (const size_t at = s.find(m, from); at < best) {
      best = at;
      len = m.size();
    }
  return {best, len};
}

// How many trailing bytes of s could begin a marker (kept back until the next text decides). Each marker
// has one '<', its first byte, so only the text from the last '<' can be one.
size_t partial_marker(std::string_view s) {
  const size_t lt = s.rfind('<');
  if (lt == std::string_view::npos) return 0;
  const std::string_view tail = s.substr(lt);
  for (std::string_view m : kMarkers)
    if (tail.size() < m.size() && m.substr(0, tail.size()) == tail) return tail.size();
  return 0;
}

}  // namespace

void Gemma4ChannelRewriter::emit(std::string_view text, std::string& out) {
  if (state_ == State::Name) {
    // the channel's name ("thought") up to its newline shows nothing
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return;
    state_ = State::Channel;
    text.remove_prefix(nl + 1);
  }
  if (text.empty()) return;
  if (state_ == State::Channel && !opened_) {
    out += "<think>";
    opened_ = true;
  }
  out += text;
}

std::string Gemma4ChannelRewriter::feed(std::string_view delta) {
  pending_ += delta;
  std::string out;
  const std::string_view all(pending_);
  size_t pos = 0;
  while (true) {
    const auto [at, len] = next_marker(all, pos);
    if (at == std::string_view::npos) break;
    emit(all.substr(pos, at - pos), out);
    if (all.substr(at, len) == kOpen) {
      state_ = State::Name;  // (a second channel inside the first goes on with the same reasoning)
    } else {
      if (opened_) out += "</think>";
      opened_ = false;
      state_ = State::Text;  // a <channel|> without its <|channel> just disappears
    }
    pos = at + len;
  }
  const std::string_view rest = all.substr(pos);
  const size_t hold = partial_marker(rest);
  emit(rest.substr(0, rest.size() - hold), out);
  pending_ = std::string(rest.substr(rest.size() - hold));
  return out;
}

std::string Gemma4ChannelRewriter::flush() {
  std::string out;
  emit(pending_, out);  // stopped while thinking: the reasoning stays open (the view shows "Thinking…")
  pending_.clear();
  return out;
}

bool is_gemma4_channel_template(std::string_view source) {
  return source.find(kOpen) != std::string_view::npos && source.find(kClose) != std::string_view::npos;
}

}  // namespace glasswing::chat
