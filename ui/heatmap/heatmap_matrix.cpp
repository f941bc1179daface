#include "ui/heatmap/heatmap_matrix.h"

#include <QDebug>
#include <limits>
#include <stdexcept>
#include <string>

namespace glasswing::ui {

namespace {

bool size_fits(int rows, int columns, size_t count) {
  return rows >= 0 && columns >= 0 && count == static_cast<size_t>(rows) * static_cast<size_t>(columns);
}

}  // namespace

void HeatmapMatrix::set(int rows, int columns, std::vector<float> values, float low, float high) {
  if (!size_fits(rows, columns, values.size())) {
    throw std::invalid_argument("HeatmapMatrix: " + std::to_string(values.size()) + " values for " +
                                std::to_string(rows) + " x " + std::to_string(columns) + " cells");
  }
  rows_ = rows;
  columns_ = columns;
  values_ = std::move(values);
  low_ = low;
  high_ = high;
  emit changed();
}

void HeatmapMatrix::setValues(int rows, int columns, const QList<float>& values, double low, double high) {
  if (!size_fits(rows, columns, static_cast<size_t>(values.size()))) {
    qWarning("HeatmapMatrix::setValues: %lld values for %d x %d cells; matrix unchanged",
             static_cast<long long>(values.size()), rows, columns);
    return;
  }
  set(rows, columns, std::vector<float>(values.begin(), values.end()), static_cast<float>(low),
      static_cast<float>(high));
}

void HeatmapMatrix::clear() {
  set(0, 0, {}, low_, high_);
}

double HeatmapMatrix::value(int row, int column) const {
  if (row < 0 || row >= rows_ || column < 0 || column >= columns_)
    return std::numeric_limits<double>::quiet_NaN();
  return values_[static_cast<size_t>(row) * static_cast<size_t>(columns_) + static_cast<size_t>(column)];
}

}  // namespace glasswing::ui
