#pragma once
// Splits Markdown into blocks (prose paragraphs and fenced code blocks) incrementally: while a reply streams
// in, only the last block can change, so appending text re-parses from the start of the last block and
// leaves every earlier block untouched. The chat view lays out one Text per block, so a token re-lays out
// one block instead of the whole message.
//
// A reasoning model's thinking (Qwen3, QwQ, DeepSeek-R1 and its distills write it between <think> and
// </think> before the answer) becomes one Reasoning block ahead of the answer's blocks, so the view can fold
// it away. It is recognised at the start of the text, or, for templates that open the tag in the prompt
// (DeepSeek-R1's end the generation prompt with "<think>\n"), as everything before a </think> that has no
// opening tag.
#include <QList>
#include <QString>

namespace glasswing::ui {

struct MarkdownBlock {
  enum class Kind { Prose, Code, Reasoning };
  Kind kind = Kind::Prose;
  QString text;      // prose: the Markdown source; code: the code without its fences; reasoning: the thinking
  QString language;  // code only: the word after the opening fence
  qsizetype start = 0;  // offset of the block's first character in the whole text
  bool open = false;    // reasoning only: no </think> yet (the model is still thinking)
  bool operator==(const MarkdownBlock&) const = default;
};

class MarkdownBlockSplitter {
 public:
  // reasoning: recognise a reasoning block (a model's reply); off for what a user wrote, where "</think>" is
  // just text.
  explicit MarkdownBlockSplitter(bool reasoning = true) : reasoning_(reasoning) {}

  // Replaces the whole text.
  void reset(const QString& text);
  // Appends streamed text; returns the index of the first block that may differ from before (0 when a
  // </think> turns the blocks so far into reasoning; the list may then be shorter than before).
  qsizetype append(const QString& delta);

  [[nodiscard]] const QList<MarkdownBlock>& blocks() const { return blocks_; }

  // A reply without its reasoning (what Copy puts on the clipboard): the text after </think>, or all of it
  // when there is no reasoning block; empty while the model still thinks.
  [[nodiscard]] static QString answer(const QString& reply);
  [[nodiscard]] const QString& text() const { return text_; }

 private:
  void reparse_from(qsizetype block_index);

  bool reasoning_ = true;
  QString text_;
  QList<MarkdownBlock> blocks_;
};

}  // namespace glasswing::ui
