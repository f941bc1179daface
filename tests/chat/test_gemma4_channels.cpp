// Gemma 4's reasoning channel (<|channel>thought\n…<channel|>) rewritten into the <think>…</think> convention
// the app shows.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "inference/chat/gemma4_channels.h"
#include "inference/chat/harmony.h"
#include "tests/chat/chat_test_util.h"

using glasswing::chat::Gemma4ChannelRewriter;

namespace {

// The reply streamed in `pieces` (as tokens arrive), rewritten.
std::string rewrite(const std::vector<std::string>& pieces) {
  Gemma4ChannelRewriter r;
  std::string out;
  for (const auto& p : pieces) out += r.feed(p);
  return out + r.flush();
}

// `text` cut in two at every position: each cut must give what the whole text gives.
void check_every_cut(const std::string& text, const std::string& expected) {
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    INFO("cut at " << cut << ": [" << text.substr(0, cut) << "|" << text.substr(cut) << "]");
    CHECK(rewrite({text.substr(0, cut), text.substr(cut)}) == expected);
  }
  std::vector<std::string> bytes;
  for (const char c : text) bytes.emplace_back(1, c);
  CHECK(rewrite(bytes) == expected);
}

}  // namespace

TEST_CASE("gemma4: the thought channel becomes <think>…</think>, the text after it the answer",
          "[chat][gemma4]") {
  // as Gemma 4 streams it after the generation prompt "<|turn>model\n" with thinking on: one token a piece
  CHECK(rewrite({"<|channel>", "thought", "\n", "The", " user", " asks", ".", "<channel|>", "2", "+", "2",
                 " = 4"}) == "<think>The user asks.</think>2+2 = 4");
  const std::string whole = "<|channel>thought\nThe user asks.<channel|>2+2 = 4";
  CHECK(rewrite({whole}) == "<think>The user asks.</think>2+2 = 4");
  check_every_cut(whole, "<think>The user asks.</think>2+2 = 4");
  // reasoning over several lines keeps its newlines; only the name's line goes
  check_every_cut("<|channel>thought\nLine 1\nLine 2\n<channel|>\nAnswer.\n",
                  "<think>Line 1\nLine 2\n</think>\nAnswer.\n");
}

TEST_CASE("gemma4: a reply without reasoning, an empty channel, and text that only looks like a marker",
          "[chat][gemma4]") {
  // thinking off: the prompt ends in the empty channel, the reply is the answer alone
  check_every_cut("Hello! a < b and <|chan x <channel", "Hello! a < b and <|chan x <channel");
  // an empty channel (the model skipped thinking) disappears altogether
  check_every_cut("<|channel>thought\n<channel|>Answer.", "Answer.");
  CHECK(rewrite({"<|channel>", "thought", "\n", "<channel|>", "Answer", "."}) == "Answer.");
  // a stray close, as in a generation prompt's empty channel echoed back, disappears
  CHECK(rewrite({"<channel|>", "Answer"}) == "Answer");
  // other special tokens written as text stay
  CHECK(rewrite({"<|\"|>", "x"}) == "<|\"|>x");
}

TEST_CASE("gemma4: a reply stopped while thinking keeps its reasoning open", "[chat][gemma4]") {
  CHECK(rewrite({"<|channel>", "thought", "\n", "Let", " me"}) == "<think>Let me");
  // held back: a partial close marker at the end is reasoning text once the reply ends
  CHECK(rewrite({"<|channel>thought\nLet me <chan"}) == "<think>Let me <chan");
  // stopped inside the channel's name: nothing to show yet
  CHECK(rewrite({"<|channel>", "thou"}).empty());
  // the parts of a stream give the whole's text as they arrive: the reasoning shows before the close
  Gemma4ChannelRewriter r;
  CHECK(r.feed("<|channel>thought\n").empty());
  CHECK(r.feed("Hmm") == "<think>Hmm");
  CHECK(r.feed("<chan").empty());  // held: may be the close
  CHECK(r.feed("nel|>Yes") == "</think>Yes");
  CHECK(r.flush().empty());
}

TEST_CASE("Gemma 4 templates are recognised by their channel markup, harmony ones are not",
          "[chat][gemma4]") {
  using glasswing::chat::is_gemma4_channel_template;
  using glasswing::chat::is_harmony_template;
  const std::string gemma4 =
      "{{ bos_token }}{% for m in messages %}<|turn>{{ m.role }}\n{{ m.content }}<turn|>\n{% endfor %}"
      "{% if add_generation_prompt %}<|turn>model\n{% if not enable_thinking %}<|channel>thought\n<channel|>"
      "{% endif %}{% endif %}";
  const std::string harmony = "{{ '<|start|>assistant<|channel|>final<|message|>' }}";
  CHECK(is_gemma4_channel_template(gemma4));
  CHECK_FALSE(is_harmony_template(gemma4));
  CHECK_FALSE(is_gemma4_channel_template(harmony));
  CHECK_FALSE(is_gemma4_channel_template("{{ '<start_of_turn>model\\n' }}"));  // Gemma 2/3
  CHECK_FALSE(is_gemma4_channel_template("{{ '<|turn>model\\n' }}"));          // no channel
}

namespace {

// A template of our own in Gemma 4's turn format (not Google's): a system turn when thinking is on or the
// conversation has a system prompt, <|think|> opening it when thinking is on, past replies without their
// reasoning channel, and a generation prompt that closes an empty channel when thinking is off.
const std::string kGemma4StyleTemplate = R"({%- macro drop_thought(text) -%}
{%- set acc = namespace(out='') -%}
{%- for chunk in text.split('<channel|>') -%}
{%- if '<|channel>' in chunk -%}{%- set acc.out = acc.out + chunk.split('<|channel>')[0] -%}
{%- else -%}{%- set acc.out = acc.out + chunk -%}{%- endif -%}
{%- endfor -%}
{{- acc.out | trim -}}
{%- endmacro -%}
{{- bos_token -}}
{%- set rest = messages -%}
{%- set think = enable_thinking is defined and enable_thinking -%}
{%- if think or messages[0]['role'] == 'system' -%}
{{- '<|turn>system\n' -}}
{%- if think -%}{{- '<|think|>\n' -}}{%- endif -%}
{%- if messages[0]['role'] == 'system' -%}{{- messages[0]['content'] | trim -}}{%- set rest = messages[1:] -%}{%- endif -%}
{{- '<turn|>\n' -}}
{%- endif -%}
{%- for m in rest -%}
{%- set who = 'model' if m['role'] == 'assistant' else m['role'] -%}
{{- '<|turn>' + who + '\n' -}}
{{- drop_thought(m['content']) if who == 'model' else m['content'] | trim -}}
{{- '<turn|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|turn>model\n' -}}
{%- if not enable_thinking | default(false) -%}{{- '<|channel>thought\n<channel|>' -}}{%- endif -%}
{%- endif -%})";

std::string render_gemma4_style(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& extra) {
  glasswing::chat::ChatTemplate::Options opt;
  opt.bos_token = "<bos>";
  opt.eos_token = "<eos>";
  opt.add_generation_prompt = true;
  opt.extra_context = extra;
  return glasswing::chat::ChatTemplate::parse(kGemma4StyleTemplate).render(messages, opt);
}

}  // namespace

TEST_CASE("a Gemma 4-style conversation renders in its turn format, with and without thinking",
          "[chat][gemma4]") {
  CHECK(glasswing::chat::is_gemma4_channel_template(kGemma4StyleTemplate));
  // a past reply with its reasoning channel, as the model wrote it: the template drops the reasoning
  const auto messages = nlohmann::ordered_json::parse(R"([
    {"role": "system", "content": " Be brief. "},
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "<|channel>thought\nA greeting.<channel|>Hello! "},
    {"role": "user", "content": "2+2?"}])");
  CHECK(
      render_gemma4_style(messages, {{"enable_thinking", true}}) ==
      "<bos><|turn>system\n<|think|>\nBe brief.<turn|>\n<|turn>user\nHi<turn|>\n<|turn>model\nHello!<turn|>\n"
      "<|turn>user\n2+2?<turn|>\n<|turn>model\n");
  CHECK(render_gemma4_style(messages, {{"enable_thinking", false}}) ==
        "<bos><|turn>system\nBe brief.<turn|>\n<|turn>user\nHi<turn|>\n<|turn>model\nHello!<turn|>\n"
        "<|turn>user\n2+2?<turn|>\n<|turn>model\n<|channel>thought\n<channel|>");
  // no system prompt: a system turn only to switch thinking on
  const auto plain = nlohmann::ordered_json::parse(R"([{"role": "user", "content": "Hi"}])");
  CHECK(render_gemma4_style(plain, {{"enable_thinking", true}}) ==
        "<bos><|turn>system\n<|think|>\n<turn|>\n<|turn>user\nHi<turn|>\n<|turn>model\n");
  CHECK(render_gemma4_style(plain, nlohmann::ordered_json::object()) ==
        "<bos><|turn>user\nHi<turn|>\n<|turn>model\n<|channel>thought\n<channel|>");
}
