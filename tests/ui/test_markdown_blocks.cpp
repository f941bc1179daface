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
