#pragma once
// Splits Markdown into blocks (prose paragraphs and fenced code blocks) incrementally: while a reply streams
// in, only the last block can change, so appending text re-parses from the start of the last block and
// leaves every earlier block untouched. The chat view lays out one Text per block, so a token re-lays out
// one block instead of the whole message.
#include <QList>
#include <QString>

namespace glasswing::ui {

struct MarkdownBlock {
  enum class Kind { Prose, Code };
  Kind kind = Kind::Prose;
  QString text;         // prose: the Markdown source; code: the code without its fences
  QString language;     // code only: the word after the opening fence
  qsizetype start = 0;  // offset of the block's first character in the whole text
  bool operator==(const MarkdownBlock&) const = default;
};

class MarkdownBlockSplitter {
 public:
  // Replaces the whole text.
  void reset(const QString& text);
  // Appends streamed text; returns the index of the first block that may differ from before.
  qsizetype append(const QString& delta);

  [[nodiscard]] const QList<MarkdownBlock>& blocks() const { return blocks_; }
  [[nodiscard]] const QString& text() const { return text_; }

 private:
  void reparse_from(qsizetype block_index);

  QString text_;
  QList<MarkdownBlock> blocks_;
};

}  // namespace glasswing::ui
