#include "inference/chat/harmony.h"

#include <array>

#include "inference/chat/stream_markers.h"

namespace glasswing::chat {

namespace {

constexpr std::string_view kChannel = "<|channel|>", kMessage = "<|message|>", kStart = "<|start|>",
                           kEnd = "<|end|>", kReturn = "<|return|>", kCall = "<|call|>",
                           kConstrain = "<|constrain|>";
constexpr std::array kMarkers = {kChannel, kMessage, kStart, kEnd, kReturn, kCall, kConstrain};

}  // namespace

std::string HarmonyRewriter::feed(std::string_view delta) {
  pending_ += delta;
  std::string out;
  size_t pos = 0;
  while (true) {
    const auto [at, len] = next_marker(pending_, pos, kMarkers);
    if (at == std::string_view::npos) break;
    const std::string_view before = std::string_view(pending_).substr(pos, at - pos);
    const std::string_view marker = std::string_view(pending_).substr(at, len);
    if (state_ == State::Text) out += before;
    if (state_ == State::Channel) channel_ += before;
    if (marker == kChannel) {
      state_ = State::Channel;
      channel_.clear();
    } else if (marker == kMessage) {
      if (state_ == State::Channel) {
        // "analysis" opens the reasoning; "final" (or "commentary", a tool call's) the visible text
        const bool analysis = channel_.rfind("analysis", 0) == 0;
        if (analysis && !thinking_) out += "<think>";
        if (!analysis && thinking_) out += "</think>";
        thinking_ = analysis;
      }
      state_ = State::Text;
    } else if (marker == kStart || marker == kConstrain) {
      state_ = State::Header;  // a role ("assistant") or a constraint ("json") up to the next marker
    } else if (marker == kEnd) {
      if (thinking_) out += "</think>";
      thinking_ = false;
      state_ = State::Text;
    }  // <|return|> and <|call|> end the reply and show nothing
    pos = at + len;
  }
  const std::string_view rest = std::string_view(pending_).substr(pos);
  const size_t hold = partial_marker(rest, kMarkers);
  const std::string_view ready = rest.substr(0, rest.size() - hold);
  if (state_ == State::Text) out += ready;
  if (state_ == State::Channel) channel_ += ready;
  pending_ = std::string(rest.substr(rest.size() - hold));
  return out;
}

std::string HarmonyRewriter::flush() {
  std::string out = state_ == State::Text ? pending_ : std::string();
  pending_.clear();
  return out;
}

bool is_harmony_template(std::string_view source) {
  return source.find(kChannel) != std::string_view::npos && source.find(kMessage) != std::string_view::npos;
}

}  // namespace glasswing::chat
