#pragma once
// A row-major float matrix and the value range its colours span: what HeatmapItem draws (e.g. the attention
// of every query token to every key token). NaN cells mean "no value", e.g. keys after the query that causal
// masking hides. QML can create and fill one; C++ hands over a vector without copying.
#include <QtQml/qqmlregistration.h>

#include <QList>
#include <QObject>
#include <vector>

namespace glasswing::ui {

class HeatmapMatrix : public QObject {
  Q_OBJECT
  QML_ELEMENT
  Q_PROPERTY(int rows READ rows NOTIFY changed)
  Q_PROPERTY(int columns READ columns NOTIFY changed)
  Q_PROPERTY(double low READ low NOTIFY changed)
  Q_PROPERTY(double high READ high NOTIFY changed)

 public:
  using QObject::QObject;

  [[nodiscard]] int rows() const { return rows_; }
  [[nodiscard]] int columns() const { return columns_; }
  [[nodiscard]] double low() const { return low_; }
  [[nodiscard]] double high() const { return high_; }
  [[nodiscard]] const std::vector<float>& values() const { return values_; }

  // Throws std::invalid_argument when rows or columns is negative or values.size() != rows * columns.
  void set(int rows, int columns, std::vector<float> values, float low, float high);
  // For QML and tests: a wrong size is logged and leaves the matrix unchanged.
  Q_INVOKABLE void setValues(int rows, int columns, const QList<float>& values, double low, double high);
  // Back to 0 x 0.
  Q_INVOKABLE void clear();
  // The value at (row, column); NaN outside the matrix (and where the cell has no value).
  [[nodiscard]] Q_INVOKABLE double value(int row, int column) const;

 signals:
  void changed();

 private:
  int rows_ = 0;
  int columns_ = 0;
  float low_ = 0;
  float high_ = 1;
  std::vector<float> values_;
};

}  // namespace glasswing::ui
