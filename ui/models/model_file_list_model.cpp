#include "ui/models/model_file_list_model.h"

#include <QPointer>
#include <QThreadPool>
#include <algorithm>

namespace glasswing::ui {

ModelFileListModel::ModelFileListModel(QObject* parent) : QAbstractListModel(parent) {}

int ModelFileListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QVariant ModelFileListModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, QAbstractItemModel::CheckIndexOption::IndexIsValid)) return {};
  const ModelFileSummary& s = rows_[static_cast<size_t>(index.row())];
  switch (role) {
    case PathRole:
      return QString::fromStdString(s.path.string());
    case NameRole:
    case Qt::DisplayRole:
      return QString::fromStdString(s.name);
    case FileNameRole:
      return QString::fromStdString(s.path.filename().string());
    case SourceRole:
      return QString::fromStdString(s.source);
    case ArchitectureRole:
      return QString::fromStdString(s.architecture);
    case SizeRole:
      return QString::fromStdString(format_bytes(s.file_bytes));
    case QuantizationRole:
      return QString::fromStdString(s.quantization);
    case ContextLengthRole:
      return static_cast<qint64>(s.context_length);
    case ParametersRole:
      return s.n_parameters >= 1'000'000'000 ? QStringLiteral("%1 B").arg(s.n_parameters / 1e9, 0, 'f', 1)
             : s.n_parameters >= 1'000'000   ? QStringLiteral("%1 M").arg(s.n_parameters / 1e6, 0, 'f', 1)
                                             : QStringLiteral("%1 K").arg(s.n_parameters / 1e3, 0, 'f', 0);
    case RunnableRole:
      return s.runnable;
    case ProblemRole:
      return QString::fromStdString(s.problem);
    default:
      return {};
  }
}

QHash<int, QByteArray> ModelFileListModel::roleNames() const {
  return {{PathRole, "path"},
          {NameRole, "name"},
          {FileNameRole, "fileName"},
          {SourceRole, "source"},
          {ArchitectureRole, "architecture"},
          {SizeRole, "size"},
          {QuantizationRole, "quantization"},
          {ContextLengthRole, "contextLength"},
          {ParametersRole, "parameters"},
          {RunnableRole, "runnable"},
          {ProblemRole, "problem"}};
}

void ModelFileListModel::scan(std::vector<ModelFolder> folders,
                              std::vector<std::filesystem::path> extra_files,
                              EngineCapabilities capabilities) {
  scanning_ = true;
  emit scanningChanged();
  QPointer<ModelFileListModel> self(this);
  QThreadPool::globalInstance()->start([self, folders = std::move(folders),
                                        extra_files = std::move(extra_files),
                                        capabilities = std::move(capabilities)] {
    // Files are listed once even when reached twice (the command line and a scanned folder).
    std::vector<ModelFileSummary> rows;
    auto add = [&rows, &capabilities](const std::filesystem::path& path, const std::string& source) {
      std::error_code ec;
      const std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
      const std::filesystem::path& p = ec ? path : canonical;
      if (std::any_of(rows.begin(), rows.end(), [&](const auto& r) { return r.path == p; })) return;
      ModelFileSummary s = probe_model_file(p, capabilities);
      if (!source.empty()) s.source = source;
      rows.push_back(std::move(s));
    };
    for (const auto& p : extra_files) add(p, "");
    for (const auto& found : find_model_files(folders)) add(found.path, found.source);
    QMetaObject::invokeMethod(
        self.data(),
        [self, rows = std::move(rows)]() mutable {
          if (!self) return;
          self->setRows(std::move(rows));
          self->scanning_ = false;
          emit self->scanningChanged();
        },
        Qt::QueuedConnection);
  });
}

void ModelFileListModel::probe(const QString& path, EngineCapabilities capabilities) {
  QPointer<ModelFileListModel> self(this);
  QThreadPool::globalInstance()->start(
      [self, path = path.toStdString(), capabilities = std::move(capabilities)] {
        std::error_code ec;
        const std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
        ModelFileSummary s = probe_model_file(ec ? std::filesystem::path(path) : canonical, capabilities);
        QMetaObject::invokeMethod(
            self.data(),
            [self, s = std::move(s)] {
              if (!self) return;
              self->upsert(s);
              emit self->probed(s);
            },
            Qt::QueuedConnection);
      });
}

void ModelFileListModel::setRows(std::vector<ModelFileSummary> rows) {
  const bool count_changed = rows.size() != rows_.size();
  beginResetModel();
  rows_ = std::move(rows);
  endResetModel();
  if (count_changed) emit countChanged();
}

void ModelFileListModel::upsert(const ModelFileSummary& summary) {
  const int row = rowOf(QString::fromStdString(summary.path.string()));
  if (row >= 0) {
    rows_[static_cast<size_t>(row)] = summary;
    emit dataChanged(index(row), index(row));
    return;
  }
  beginInsertRows({}, 0, 0);
  rows_.insert(rows_.begin(), summary);
  endInsertRows();
  emit countChanged();
}

int ModelFileListModel::rowOf(const QString& path) const {
  // Paths are canonical (resolved on the pool thread), so plain comparison finds a file reached twice.
  const std::string wanted = path.toStdString();
  for (int row = 0; row < rowCount(); ++row)
    if (rows_[static_cast<size_t>(row)].path == wanted) return row;
  return -1;
}

}  // namespace glasswing::ui
