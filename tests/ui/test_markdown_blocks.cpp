#include <catch2/catch.hpp>

#include "ui/core/markdown_blocks.h"

using glasswing::ui::MarkdownBlock;
using glasswing::ui::MarkdownBlockSplitter;

namespace {
const QString kReply = QStringLiteral(
    "Here is a **function**:\n\n```python\ndef add(a, b):\n\n    return a + b\n```\nIt adds.\n\n"
    "- one\n- two\n\n~~~\nraw ``` inside\n~~~\n\nThe end.");
}

TEST_CASE("Markdown splits into prose and fenced code blocks", "[ui][markdown]") {
  MarkdownBlockSplitter s;
  s.reset(kReply);
  const auto& b = s.blocks();
  REQUIRE(b.size() == 6);
  CHECK(b[0].kind == MarkdownBlock::Kind::Prose);
  CHECK(b[0].text == "Here is a **function**:");
  CHECK(b[1].kind == MarkdownBlock::Kind::Code);
  CHECK(b[1].language == "python");
  CHECK(b[1].text == "def add(a, b):\n\n    return a + b");  // blank lines inside code stay in the block
  CHECK(b[2].text == "It adds.");
  CHECK(b[3].text == "- one\n- two");
  CHECK(b[4].kind == MarkdownBlock::Kind::Code);
  CHECK(b[4].text == "raw ``` inside");  // a ``` line does not close a ~~~ fence
  CHECK(b[5].text == "The end.");
}

TEST_CASE("Streaming any split of a reply gives the same blocks as parsing it whole", "[ui][markdown]") {
  MarkdownBlockSplitter whole;
  whole.reset(kReply);
  for (int piece = 1; piece <= 7; ++piece) {
    MarkdownBlockSplitter streamed;
    for (qsizetype i = 0; i < kReply.size(); i += piece) {
      const qsizetype before = streamed.blocks().size();
      const auto earlier = streamed.blocks();
      const qsizetype first = streamed.append(kReply.mid(i, piece));
      // Only the last block of before may change; earlier ones stay identical.
      CHECK(first >= std::max<qsizetype>(0, before - 1));
      for (qsizetype k = 0; k < first && k < earlier.size(); ++k) CHECK(streamed.blocks()[k] == earlier[k]);
    }
    INFO("piece size " << piece);
    CHECK(streamed.blocks() == whole.blocks());
  }
}

TEST_CASE("An unclosed code fence is a code block while it streams", "[ui][markdown]") {
  MarkdownBlockSplitter s;
  s.append("Look:\n```cpp\nint x");
  REQUIRE(s.blocks().size() == 2);
  CHECK(s.blocks()[1].kind == MarkdownBlock::Kind::Code);
  CHECK(s.blocks()[1].text == "int x");
  s.append(" = 1;\n```\n");
  CHECK(s.blocks()[1].text == "int x = 1;");
}

TEST_CASE("A reasoning model's thinking becomes one reasoning block ahead of the answer", "[ui][markdown]") {
  using Kind = MarkdownBlock::Kind;
  MarkdownBlockSplitter s;
  SECTION("between <think> and </think> at the start (Qwen3, QwQ)") {
    s.reset("<think>\nThe user greets me.\n\nI should greet back.\n</think>\n\nHello!\n\n```\ncode\n```");
    REQUIRE(s.blocks().size() == 3);
    CHECK(s.blocks()[0].kind == Kind::Reasoning);
    CHECK(s.blocks()[0].text ==
          "The user greets me.\n\nI should greet back.");  // one block, blank lines kept
    CHECK_FALSE(s.blocks()[0].open);
    CHECK(s.blocks()[1].kind == Kind::Prose);
    CHECK(s.blocks()[1].text == "Hello!");
    CHECK(s.blocks()[2].kind == Kind::Code);
  }
  SECTION("before a </think> whose tag the template opened in the prompt (DeepSeek-R1)") {
    s.reset("Let me count.\n\n1, 2, 3.\n</think>\n\nThree.");
    REQUIRE(s.blocks().size() == 2);
    CHECK(s.blocks()[0].kind == Kind::Reasoning);
    CHECK(s.blocks()[0].text == "Let me count.\n\n1, 2, 3.");
    CHECK(s.blocks()[1].text == "Three.");
  }
  SECTION("an empty thinking block (Qwen3 with thinking off) is an empty reasoning block") {
    s.reset("<think>\n\n</think>\n\nHi.");
    REQUIRE(s.blocks().size() == 2);
    CHECK(s.blocks()[0].kind == Kind::Reasoning);
    CHECK(s.blocks()[0].text.isEmpty());
  }
  SECTION("what a user wrote has no reasoning, whatever its tags") {
    MarkdownBlockSplitter user(/*reasoning=*/false);
    user.reset("<think>\nmine\n</think>\n\nText.");
    for (const auto& b : user.blocks()) CHECK(b.kind == Kind::Prose);
    MarkdownBlockSplitter streamed(false);
    streamed.append("Why does R1 print ");
    streamed.append("</think>?");
    REQUIRE(streamed.blocks().size() == 1);
    CHECK(streamed.blocks()[0].text == "Why does R1 print </think>?");
  }
  SECTION("tags elsewhere are the answer's text") {
    s.reset("Use `<think>` tags like <think>this</think> in your prompt.");
    REQUIRE(s.blocks().size() == 1);
    CHECK(s.blocks()[0].kind == Kind::Prose);
  }
  SECTION("while the model thinks the block is open and holds what has come so far") {
    s.append("<thi");
    s.append("nk>\nFirst");
    REQUIRE(s.blocks().size() == 1);
    CHECK(s.blocks()[0].kind == Kind::Reasoning);
    CHECK(s.blocks()[0].open);
    CHECK(s.blocks()[0].text == "First");
    s.append(" idea.\n\nSecond.\n</thin");
    REQUIRE(s.blocks().size() == 1);
    CHECK(s.blocks()[0].open);
    CHECK(s.append("k>\n\nDone.") == 0);
    REQUIRE(s.blocks().size() == 2);
    CHECK_FALSE(s.blocks()[0].open);
    CHECK(s.blocks()[0].text == "First idea.\n\nSecond.");
    CHECK(s.blocks()[1].text == "Done.");
  }
}

TEST_CASE("Streaming a reply whose </think> has no opening tag folds the blocks so far into reasoning",
          "[ui][markdown]") {
  const QString reply =
      QStringLiteral("Okay.\n\nLet me think.\n\n- a\n- b\n</think>\n\nSo:\n\n```\nx\n```\nEnd.");
  MarkdownBlockSplitter whole;
  whole.reset(reply);
  REQUIRE(whole.blocks().size() == 4);
  CHECK(whole.blocks()[0].kind == MarkdownBlock::Kind::Reasoning);
  for (int piece = 1; piece <= 9; ++piece) {
    INFO("piece size " << piece);
    MarkdownBlockSplitter streamed;
    qsizetype most = 0;
    for (qsizetype i = 0; i < reply.size(); i += piece) {
      streamed.append(reply.mid(i, piece));
      most = std::max(most, streamed.blocks().size());
    }
    CHECK(most >= 3);  // three prose blocks before the </think> came
    CHECK(streamed.blocks() == whole.blocks());
  }
}

TEST_CASE("A reply's answer is its text after the reasoning", "[ui][markdown]") {
  CHECK(MarkdownBlockSplitter::answer("<think>\nhmm\n</think>\n\nHello!") == "Hello!");
  CHECK(MarkdownBlockSplitter::answer("Counting.\n</think>\n\nThree.") == "Three.");
  CHECK(MarkdownBlockSplitter::answer("<think>\nstill thinking") == "");
  CHECK(MarkdownBlockSplitter::answer("Plain **text**.\n") == "Plain **text**.\n");  // as written
  CHECK(MarkdownBlockSplitter::answer("Use <think> and </think>.") == "Use <think> and </think>.");
}
