#pragma once
// The visible branch of the open conversation, one row per message, for the chat ListView. The whole tree
// lives in a ConversationTree; rows follow its chosen path. While a reply streams, only its row changes
// (dataChanged with TextRole), and its BlockListModel re-lays out only its last Markdown block.
#include <QtQml/qqmlregistration.h>

#include <QAbstractListModel>
#include <QHash>
#include <QSet>

#include "ui/core/conversation_tree.h"
#include "ui/models/block_list_model.h"

namespace glasswing::ui {

class MessageListModel : public QAbstractListModel {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("Provided by ChatController")
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

 public:
  enum Role {
    MessageIdRole = Qt::UserRole + 1,
    AuthorRole,  // "user", "assistant", "system"
    TextRole,
    StateRole,         // "complete", "streaming", "stopped", "interrupted", "failed"
    SiblingIndexRole,  // 0-based position among the branches at this point
    SiblingCountRole,
    BlocksRole,  // BlockListModel*
    DetailRole,  // a reply's "42 tokens · 35.1 tok/s · CPU, 2 threads", or why it failed
  };
  Q_ENUM(Role)

  explicit MessageListModel(QObject* parent = nullptr);

  [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;
  [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

  // Replaces everything (opening a conversation).
  void setMessages(std::vector<MessageRecord> records, const std::vector<int64_t>& active_path = {});
  void clear() { setMessages({}); }
  // A new message becomes the chosen branch below its parent.
  void addMessage(const MessageRecord& record);
  void appendText(qint64 message_id, const QString& text_delta);
  // A reply has ended: its state, numbers and (failed) reason, as storage now records them.
  void setFinished(qint64 message_id, MessageState state, int generated_tokens, double tokens_per_s,
                   const std::string& device, const std::string& reason);
  void removeMessage(qint64 message_id);
  // Shows the sibling `step` places away from the message in `row`; returns the id now shown there.
  qint64 switchBranch(int row, int step);
  // Marks a message as owned by a running generation (shown "streaming", never "interrupted").
  void setActive(qint64 message_id, bool active);

  [[nodiscard]] const ConversationTree& tree() const { return tree_; }
  [[nodiscard]] qint64 messageIdAt(int row) const;
  [[nodiscard]] int rowOf(qint64 message_id) const;
  // Turns from the first message down to message_id (the prompt for a reply below it).
  [[nodiscard]] std::vector<MessageRecord> chainTo(qint64 message_id) const;

 signals:
  void countChanged();

 private:
  void syncPath();
  [[nodiscard]] QString stateName(const MessageRecord& m) const;
  [[nodiscard]] static QString detail(const MessageRecord& m);
  BlockListModel* blocksFor(qint64 message_id);

  ConversationTree tree_;
  std::vector<int64_t> rows_;              // message ids of the visible path
  QHash<qint64, BlockListModel*> blocks_;  // per visible message, owned by this
  QSet<qint64> active_;
};

}  // namespace glasswing::ui
