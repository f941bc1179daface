#pragma once
// Gemma 4 writes its reasoning in a channel ahead of the answer:
//
//   <|channel>thought\n…reasoning…<channel|>…answer…<turn|>
//
// <|channel> and <channel|> are user-defined tokens, so the decoded reply holds them as text (<turn|> ends
// the generation and is not part of it). With thinking off the template's generation prompt already ends in
// an empty channel ("<|channel>thought\n<channel|>"), and the reply is the answer alone.
//
// The app shows, stores and copies every reasoning model's reply in the <think>…</think> convention
// (ui/core/markdown_blocks.h), so Gemma4ChannelRewriter turns the channel into it as the reply streams: the
// channel's text becomes <think>…</think>, the channel's name line ("thought\n") disappears, and a channel
// with nothing in it disappears altogether.
#include <string>
#include <string_view>

namespace glasswing::chat {

class Gemma4ChannelRewriter {
 public:
  // The next streamed text (a token's, usually; markers split across calls are held back until whole);
  // returns what to show.
  std::string feed(std::string_view delta);
  // At the end of the reply: any text still held back.
  std::string flush();

 private:
  enum class State { Text, Name, Channel };
  // Appends text of the current state to `out` (reasoning opens <think> on its first character).
  void emit(std::string_view text, std::string& out);
  State state_ = State::Text;
  std::string pending_;  // text not yet rewritten (it may be the start of a marker)
  bool opened_ = false;  // inside the channel: <think> written, </think> not yet
};

// Whether a chat template writes Gemma 4's channels (<|channel>…<channel|>).
bool is_gemma4_channel_template(std::string_view source);

}  // namespace glasswing::chat
