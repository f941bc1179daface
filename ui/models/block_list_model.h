#pragma once
// The Markdown blocks of one message, as a list model the message delegate repeats over. Streaming appends
// change only the last row (dataChanged) or add rows (rowsInserted), so QML re-lays out one Text per token.
// Kinds: "prose", "code" and "reasoning" (a reasoning model's thinking; `open` while it still thinks).
// Only the roles that changed are reported, and a block's word count comes from here: every string a QML
// delegate takes (or splits) per token lands on the JS heap, and Qt 6.4's collector stops the GUI thread
// for tens of milliseconds each time that heap fills.
#include <QtQml/qqmlregistration.h>

#include <QAbstractListModel>

#include "ui/core/markdown_blocks.h"

namespace glasswing::ui {

class BlockListModel : public QAbstractListModel {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("Owned by MessageListModel")

 public:
  enum Role { KindRole = Qt::UserRole + 1, TextRole, LanguageRole, OpenRole, WordsRole };
  Q_ENUM(Role)

  // reasoning: the text is a model's reply, whose thinking becomes a reasoning block (MarkdownBlockSplitter)
  explicit BlockListModel(bool reasoning, QObject* parent = nullptr)
      : QAbstractListModel(parent), splitter_(reasoning) {}
  explicit BlockListModel(QObject* parent = nullptr) : BlockListModel(true, parent) {}

  [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;
  [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

  void setText(const QString& text);
  void appendText(const QString& delta);
  [[nodiscard]] const QString& text() const { return splitter_.text(); }

 private:
  MarkdownBlockSplitter splitter_;
  QList<MarkdownBlock> shown_;  // what the view has been told about; trails splitter_ only inside appendText
};

}  // namespace glasswing::ui
