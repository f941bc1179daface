#pragma once
// The model panel's list: GGUF files found in other apps' folders, each with what its header says and
// whether it can run here. Scanning and header reading happen on a pool thread; rows arrive on the GUI
// thread when done.
#include <QtQml/qqmlregistration.h>

#include <QAbstractListModel>

#include "ui/core/model_probe.h"

namespace glasswing::ui {

class ModelFileListModel : public QAbstractListModel {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("Provided by ChatController")
  Q_PROPERTY(bool scanning READ scanning NOTIFY scanningChanged)
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

 public:
  enum Role {
    PathRole = Qt::UserRole + 1,
    NameRole,
    FileNameRole,
    SourceRole,
    ArchitectureRole,
    SizeRole,  // "1.2 GiB"
    QuantizationRole,
    ContextLengthRole,
    ParametersRole,  // "15 M"
    RunnableRole,
    ProblemRole,
  };
  Q_ENUM(Role)

  explicit ModelFileListModel(QObject* parent = nullptr);

  [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;
  [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

  [[nodiscard]] bool scanning() const { return scanning_; }
  // Scans `folders` (plus `extra_files`, e.g. the model given on the command line) in the background.
  void scan(std::vector<ModelFolder> folders, std::vector<std::filesystem::path> extra_files,
            EngineCapabilities capabilities);
  // Reads one file in the background and adds (or refreshes) its row; `done` gets its summary.
  void probe(const QString& path, EngineCapabilities capabilities);
  void setRows(std::vector<ModelFileSummary> rows);
  [[nodiscard]] int rowOf(const QString& path) const;
  [[nodiscard]] const ModelFileSummary& at(int row) const { return rows_[static_cast<size_t>(row)]; }

 signals:
  void scanningChanged();
  void countChanged();
  void probed(const glasswing::ui::ModelFileSummary& summary);

 private:
  void upsert(const ModelFileSummary& summary);
  std::vector<ModelFileSummary> rows_;
  bool scanning_ = false;
};

}  // namespace glasswing::ui
