// gpt-oss's channel markup (harmony) rewritten into the <think>…</think> convention the app shows.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "inference/chat/harmony.h"

using glasswing::chat::HarmonyRewriter;

namespace {

// The reply streamed in `pieces` (as tokens arrive), rewritten.
std::string rewrite(const std::vector<std::string>& pieces) {
  HarmonyRewriter r;
  std::string out;
  for (const auto& p : pieces) out += r.feed(p);
  return out + r.flush();
}

}  // namespace

TEST_CASE("harmony: the analysis channel becomes <think>…</think>, the final channel the answer") {
  // as gpt-oss streams it after the generation prompt "<|start|>assistant": one token per piece
  const std::vector<std::string> tokens = {"<|channel|>", "analysis", "<|message|>", "We",        " need",
                                           " 4",          ".",        "<|end|>",     "<|start|>", "assistant",
                                           "<|channel|>", "final",    "<|message|>", "2",         "+",
                                           "2",           " = 4",     "<|return|>"};
  CHECK(rewrite(tokens) == "<think>We need 4.</think>2+2 = 4");
  // the same text in one piece, or cut inside the markers, gives the same
  std::string whole;
  for (const auto& t : tokens) whole += t;
  CHECK(rewrite({whole}) == "<think>We need 4.</think>2+2 = 4");
  std::vector<std::string> bytes;
  for (char c : whole) bytes.emplace_back(1, c);
  CHECK(rewrite(bytes) == "<think>We need 4.</think>2+2 = 4");
}

TEST_CASE("harmony: a reply without reasoning, text with '<', and an unfinished reasoning") {
  CHECK(rewrite({"<|channel|>", "final", "<|message|>", "a < b", " and <", "|x"}) == "a < b and <|x");
  // stopped while thinking: the reasoning stays open (the view shows "Thinking…")
  CHECK(rewrite({"<|channel|>", "analysis", "<|message|>", "Let me"}) == "<think>Let me");
  // a tool call: the commentary channel's header and constraint disappear, its arguments stay
  CHECK(rewrite({"<|channel|>", "analysis", "<|message|>", "call it", "<|end|>", "<|start|>", "assistant",
                 " to=functions.f", "<|channel|>", "commentary", " ", "<|constrain|>", "json", "<|message|>",
                 "{\"a\":1}", "<|call|>"}) == "<think>call it</think>{\"a\":1}");
}

TEST_CASE("harmony templates are recognised by their channel markup") {
  CHECK(glasswing::chat::is_harmony_template("{{ '<|start|>assistant<|channel|>final<|message|>' }}"));
  CHECK_FALSE(glasswing::chat::is_harmony_template("{{ '<|im_start|>assistant' }}"));
}
