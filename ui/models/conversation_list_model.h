#pragma once
// The sidebar: either every conversation (newest first) or, while a search is active, the matching
// messages with their snippets. Filled from storage results delivered to the GUI thread.
#include <QtQml/qqmlregistration.h>

#include <QAbstractListModel>

#include "ui/backend/conversation_store.h"

namespace glasswing::ui {

class ConversationListModel : public QAbstractListModel {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("Provided by ChatController")
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

 public:
  enum Role {
    ConversationIdRole = Qt::UserRole + 1,
    TitleRole,
    SnippetRole,
    UpdatedRole,
    MessageIdRole,
    ModelNameRole
  };
  Q_ENUM(Role)

  using QAbstractListModel::QAbstractListModel;

  [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;
  [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

  void setConversations(const std::vector<ConversationRecord>& conversations);
  void setSearchHits(const std::vector<SearchHit>& hits);
  void rename(qint64 conversation_id, const QString& title);
  [[nodiscard]] int rowOf(qint64 conversation_id) const;

 signals:
  void countChanged();

 private:
  struct Row {
    qint64 conversation_id = 0;
    qint64 message_id = 0;  // search hits only
    QString title;
    QString snippet;  // search hits only, rich text with the match in bold
    qint64 updated_ms = 0;
    QString model_name;  // file name of the model it last used; conversations only
  };
  void replace(QList<Row> rows);
  QList<Row> rows_;
};

}  // namespace glasswing::ui
