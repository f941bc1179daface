#pragma once
// gpt-oss writes its replies in channels (OpenAI's "harmony" format):
//
//   <|channel|>analysis<|message|>…reasoning…<|end|><|start|>assistant<|channel|>final<|message|>…answer…<|return|>
//
// The app shows, stores and copies every reasoning model's reply in the <think>…</think> convention
// (ui/core/markdown_blocks.h), so HarmonyRewriter turns the markup into it as the reply streams: the
// analysis channel's text becomes <think>…</think>, the final channel's text the answer, and the header
// tokens between (<|start|>, the role, <|channel|>, the channel's name, <|message|>) disappear.
#include <string>
#include <string_view>

namespace glasswing::chat {

class HarmonyRewriter {
 public:
  // The next streamed text (a token's, usually; markers split across calls are held back until whole);
  // returns what to show.
  std::string feed(std::string_view delta);
  // At the end of the reply: any text still held back.
  std::string flush();

 private:
  enum class State { Text, Header, Channel };
  State state_ = State::Text;
  std::string pending_;    // text not yet rewritten (it may be the start of a marker)
  std::string channel_;    // the name of the channel being opened
  bool thinking_ = false;  // inside the analysis channel: <think> written, </think> not yet
};

// Whether a chat template writes the harmony format (gpt-oss's).
bool is_harmony_template(std::string_view source);

}  // namespace glasswing::chat
