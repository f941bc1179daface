#include "ui/models/message_list_model.h"

namespace glasswing::ui {

MessageListModel::MessageListModel(QObject* parent) : QAbstractListModel(parent) {}

int MessageListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QVariant MessageListModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, QAbstractItemModel::CheckIndexOption::IndexIsValid)) return {};
  const int64_t id = rows_[static_cast<size_t>(index.row())];
  const MessageRecord& m = tree_.message(id);
  switch (role) {
    case MessageIdRole:
      return QVariant::fromValue<qint64>(id);
    case AuthorRole:
      return QString::fromStdString(m.role);
    case TextRole:
    case Qt::DisplayRole:
      return blocks_.value(id) ? blocks_.value(id)->text() : QString::fromStdString(m.text);
    case StateRole:
      return stateName(m);
    case SiblingIndexRole:
      return tree_.sibling_index(id);
    case SiblingCountRole:
      return static_cast<int>(tree_.siblings(id).size());
    case BlocksRole:
      return QVariant::fromValue<QObject*>(blocks_.value(id));
    case DetailRole:
      return detail(m);
    default:
      return {};
  }
}

QHash<int, QByteArray> MessageListModel::roleNames() const {
  return {{MessageIdRole, "messageId"},
          {AuthorRole, "author"},
          {TextRole, "text"},
          {StateRole, "status"},
          {SiblingIndexRole, "siblingIndex"},
          {SiblingCountRole, "siblingCount"},
          {BlocksRole, "blocks"},
          {DetailRole, "detail"}};
}

QString MessageListModel::stateName(const MessageRecord& m) const {
  switch (m.state) {
    case MessageState::Complete:
      return QStringLiteral("complete");
    case MessageState::Streaming:
      // A streaming record nobody here is writing was left behind by a crash.
      return active_.contains(m.id) ? QStringLiteral("streaming") : QStringLiteral("interrupted");
    case MessageState::Stopped:
      return QStringLiteral("stopped");
    case MessageState::Interrupted:
      return QStringLiteral("interrupted");
    case MessageState::Failed:
      return QStringLiteral("failed");
  }
  return {};
}

BlockListModel* MessageListModel::blocksFor(qint64 message_id) {
  BlockListModel*& b = blocks_[message_id];
  if (!b) {
    const MessageRecord& m = tree_.message(message_id);
    b = new BlockListModel(m.role == "assistant", this);
    b->setText(QString::fromStdString(m.text));
  }
  return b;
}

void MessageListModel::setMessages(std::vector<MessageRecord> records,
                                   const std::vector<int64_t>& active_path) {
  beginResetModel();
  const int old_count = static_cast<int>(rows_.size());
  for (BlockListModel* b : std::as_const(blocks_)) b->deleteLater();  // delegates may still hold them
  blocks_.clear();
  active_.clear();
  tree_.reset(std::move(records));
  tree_.choose_path(active_path);
  rows_ = tree_.visible_path();
  for (int64_t id : rows_) blocksFor(id);
  endResetModel();
  if (old_count != static_cast<int>(rows_.size())) emit countChanged();
}

void MessageListModel::syncPath() {
  // Rows kept above the first difference keep their sibling counts: a branch point is always the first
  // replaced row, so only the changed tail is removed and re-inserted.
  const size_t old_count = rows_.size();
  const std::vector<int64_t> path = tree_.visible_path();
  size_t same = 0;
  while (same < rows_.size() && same < path.size() && rows_[same] == path[same]) ++same;
  if (same < rows_.size()) {
    beginRemoveRows({}, static_cast<int>(same), static_cast<int>(rows_.size()) - 1);
    for (size_t i = same; i < rows_.size(); ++i) {
      if (BlockListModel* b = blocks_.take(rows_[i])) b->deleteLater();
    }
    rows_.resize(same);
    endRemoveRows();
  }
  if (path.size() > same) {
    beginInsertRows({}, static_cast<int>(same), static_cast<int>(path.size()) - 1);
    rows_.assign(path.begin(), path.end());
    for (size_t i = same; i < rows_.size(); ++i) blocksFor(rows_[i]);
    endInsertRows();
  }
  if (rows_.size() != old_count) emit countChanged();
}

void MessageListModel::addMessage(const MessageRecord& record) {
  if (record.parent_id != 0 && !tree_.contains(record.parent_id)) return;
  tree_.add(record);
  syncPath();
}

void MessageListModel::appendText(qint64 message_id, const QString& text_delta) {
  if (!tree_.contains(message_id) || text_delta.isEmpty()) return;
  tree_.message(message_id).text += text_delta.toStdString();
  const int row = rowOf(message_id);
  if (row < 0) return;  // streaming into a branch the user is not looking at
  blocksFor(message_id)->appendText(text_delta);
  emit dataChanged(index(row), index(row), {TextRole});
}

void MessageListModel::setFinished(qint64 message_id, MessageState state, int generated_tokens,
                                   double tokens_per_s, const std::string& device,
                                   const std::string& reason) {
  if (!tree_.contains(message_id)) return;
  MessageRecord& m = tree_.message(message_id);
  m.state = state;
  m.generated_tokens = generated_tokens;
  m.generation_tokens_per_s = tokens_per_s;
  m.device = device;
  m.reason = state == MessageState::Failed ? reason : std::string();
  if (const int row = rowOf(message_id); row >= 0)
    emit dataChanged(index(row), index(row), {StateRole, DetailRole});
}

QString MessageListModel::detail(const MessageRecord& m) {
  if (!m.reason.empty()) return QString::fromStdString(m.reason);
  if (m.role != "assistant" || m.generated_tokens <= 0) return {};
  QString d = m.generated_tokens == 1 ? tr("1 token") : tr("%1 tokens").arg(m.generated_tokens);
  if (m.generation_tokens_per_s > 0) d += tr(" \u00b7 %1 tok/s").arg(m.generation_tokens_per_s, 0, 'f', 1);
  if (!m.device.empty()) d += QStringLiteral(" \u00b7 ") + QString::fromStdString(m.device);
  return d;
}

void MessageListModel::setActive(qint64 message_id, bool active) {
  if (active)
    active_.insert(message_id);
  else
    active_.remove(message_id);
  if (const int row = rowOf(message_id); row >= 0) emit dataChanged(index(row), index(row), {StateRole});
}

void MessageListModel::removeMessage(qint64 message_id) {
  if (!tree_.contains(message_id)) return;
  tree_.remove(message_id);
  syncPath();
}

qint64 MessageListModel::switchBranch(int row, int step) {
  if (row < 0 || row >= rowCount()) return 0;
  const qint64 chosen = tree_.step_sibling(rows_[static_cast<size_t>(row)], step);
  syncPath();
  return chosen;
}

qint64 MessageListModel::messageIdAt(int row) const {
  return row >= 0 && row < rowCount() ? rows_[static_cast<size_t>(row)] : 0;
}

int MessageListModel::rowOf(qint64 message_id) const {
  // Streaming targets the last row, so search from the end.
  for (int row = rowCount() - 1; row >= 0; --row)
    if (rows_[static_cast<size_t>(row)] == message_id) return row;
  return -1;
}

std::vector<MessageRecord> MessageListModel::chainTo(qint64 message_id) const {
  std::vector<MessageRecord> chain;
  for (int64_t id : tree_.ancestors_and_self(message_id)) chain.push_back(tree_.message(id));
  return chain;
}

}  // namespace glasswing::ui
