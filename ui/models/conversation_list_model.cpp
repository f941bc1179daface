#include "ui/models/conversation_list_model.h"

#include <QDateTime>
#include <QFileInfo>

namespace glasswing::ui {

namespace {

// Storage marks matches with [ and ]; show them in bold, everything else escaped.
QString snippetToRichText(const std::string& snippet) {
  QString out;
  const QString s = QString::fromStdString(snippet);
  qsizetype pos = 0;
  while (pos < s.size()) {
    const qsizetype open = s.indexOf(u'[', pos);
    const qsizetype close = open < 0 ? -1 : s.indexOf(u']', open);
    if (open < 0 || close < 0) {
      out += s.mid(pos).toHtmlEscaped();
      break;
    }
    out += s.mid(pos, open - pos).toHtmlEscaped();
    out += QStringLiteral("<b>") + s.mid(open + 1, close - open - 1).toHtmlEscaped() + QStringLiteral("</b>");
    pos = close + 1;
  }
  return out;
}

}  // namespace

int ConversationListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QVariant ConversationListModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, QAbstractItemModel::CheckIndexOption::IndexIsValid)) return {};
  const Row& r = rows_[index.row()];
  switch (role) {
    case ConversationIdRole:
      return r.conversation_id;
    case TitleRole:
    case Qt::DisplayRole:
      return r.title;
    case SnippetRole:
      return r.snippet;
    case UpdatedRole:
      return r.updated_ms ? QDateTime::fromMSecsSinceEpoch(r.updated_ms) : QDateTime();
    case MessageIdRole:
      return r.message_id;
    case ModelNameRole:
      return r.model_name;
    default:
      return {};
  }
}

QHash<int, QByteArray> ConversationListModel::roleNames() const {
  return {{ConversationIdRole, "conversationId"},
          {TitleRole, "title"},
          {SnippetRole, "snippet"},
          {UpdatedRole, "updated"},
          {MessageIdRole, "messageId"},
          {ModelNameRole, "modelName"}};
}

void ConversationListModel::replace(QList<Row> rows) {
  const bool count_changed = rows.size() != rows_.size();
  beginResetModel();
  rows_ = std::move(rows);
  endResetModel();
  if (count_changed) emit countChanged();
}

void ConversationListModel::setConversations(const std::vector<ConversationRecord>& conversations) {
  QList<Row> rows;
  rows.reserve(static_cast<qsizetype>(conversations.size()));
  for (const auto& c : conversations)
    rows.push_back(Row{c.id,
                       0,
                       QString::fromStdString(c.title),
                       {},
                       c.updated_ms,
                       QFileInfo(QString::fromStdString(c.model_path)).fileName()});
  replace(std::move(rows));
}

void ConversationListModel::setSearchHits(const std::vector<SearchHit>& hits) {
  QList<Row> rows;
  rows.reserve(static_cast<qsizetype>(hits.size()));
  for (const auto& h : hits)
    rows.push_back(Row{h.conversation_id,
                       h.message_id,
                       QString::fromStdString(h.title),
                       snippetToRichText(h.snippet),
                       0,
                       {}});
  replace(std::move(rows));
}

void ConversationListModel::rename(qint64 conversation_id, const QString& title) {
  for (int row = 0; row < rowCount(); ++row) {
    if (rows_[row].conversation_id != conversation_id || rows_[row].title == title) continue;
    rows_[row].title = title;
    emit dataChanged(index(row), index(row), {TitleRole});
  }
}

int ConversationListModel::rowOf(qint64 conversation_id) const {
  for (int row = 0; row < rowCount(); ++row)
    if (rows_[row].conversation_id == conversation_id) return row;
  return -1;
}

}  // namespace glasswing::ui
