#include "inference/chat/gemma4_channels.h"

#include <array>

#include "inference/chat/stream_markers.h"

namespace glasswing::chat {

namespace {

constexpr std::string_view kOpen = "<|channel>", kClose = "<channel|>";
constexpr std::array kMarkers = {kOpen, kClose};

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
    const auto [at, len] = next_marker(all, pos, kMarkers);
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
  const size_t hold = partial_marker(rest, kMarkers);
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
