#include "ui/models/block_list_model.h"

namespace glasswing::ui {

namespace {

int countWords(const QString& text) {
  int words = 0;
  bool in_word = false;
  for (const QChar c : text) {
    const bool space = c.isSpace();
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

// The roles of a row whose block went from `was` to `now`.
QList<int> changedRoles(const MarkdownBlock& was, const MarkdownBlock& now) {
  QList<int> roles;
  if (was.kind != now.kind) roles << BlockListModel::KindRole;
  if (was.text != now.text) roles << BlockListModel::TextRole << BlockListModel::WordsRole;
  if (was.language != now.language) roles << BlockListModel::LanguageRole;
  if (was.open != now.open) roles << BlockListModel::OpenRole;
  return roles;
}

}  // namespace

int BlockListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(shown_.size());
}

QVariant BlockListModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, QAbstractItemModel::CheckIndexOption::IndexIsValid)) return {};
  const MarkdownBlock& b = shown_[index.row()];
  switch (role) {
    case KindRole:
      switch (b.kind) {
        case MarkdownBlock::Kind::Code:
          return QStringLiteral("code");
        case MarkdownBlock::Kind::Reasoning:
          return QStringLiteral("reasoning");
        case MarkdownBlock::Kind::Prose:
          break;
      }
      return QStringLiteral("prose");
    case OpenRole:
      return b.open;
    case TextRole:
    case Qt::DisplayRole:
      return b.text;
    case LanguageRole:
      return b.language;
    case WordsRole:
      return countWords(b.text);
    default:
      return {};
  }
}

QHash<int, QByteArray> BlockListModel::roleNames() const {
  return {{KindRole, "kind"},
          {TextRole, "text"},
          {LanguageRole, "language"},
          {OpenRole, "open"},
          {WordsRole, "words"}};
}

void BlockListModel::setText(const QString& text) {
  if (text == splitter_.text()) return;
  beginResetModel();
  splitter_.reset(text);
  shown_ = splitter_.blocks();
  endResetModel();
}

void BlockListModel::appendText(const QString& delta) {
  if (delta.isEmpty()) return;
  const qsizetype first = splitter_.append(delta);
  const QList<MarkdownBlock>& now = splitter_.blocks();
  // Rows before `first` are untouched by construction; rows past the new count go (a </think> that folds
  // earlier blocks into reasoning), the re-parsed rows that changed are reported...
  if (now.size() < shown_.size()) {
    beginRemoveRows({}, static_cast<int>(now.size()), static_cast<int>(shown_.size() - 1));
    shown_.resize(now.size());
    endRemoveRows();
  }
  const qsizetype old_count = shown_.size();
  for (qsizetype row = first; row < old_count; ++row) {
    const QList<int> roles = changedRoles(shown_[row], now[row]);
    shown_[row] = now[row];
    if (roles.isEmpty()) continue;  // only its offset moved, which no view shows
    const QModelIndex i = index(static_cast<int>(row));
    emit dataChanged(i, i, roles);
  }
  // ...and add the new ones.
  if (now.size() > old_count) {
    beginInsertRows({}, static_cast<int>(old_count), static_cast<int>(now.size() - 1));
    shown_.append(now.mid(old_count));
    endInsertRows();
  }
}

}  // namespace glasswing::ui
