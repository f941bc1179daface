#include "ui/heatmap/heatmap_item.h"

#include <QHoverEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QQuickWindow>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "ui/heatmap/heatmap_render.h"

namespace glasswing::ui {

namespace {

// The cell index of `pos` along an axis of `length` item units split evenly into `count` cells.
int cell_at(double pos, double length, int count) {
  if (count <= 0 || !(length > 0) || !(pos >= 0) || pos >= length) return -1;  // !(>=) also rejects NaN
  return std::min(count - 1, static_cast<int>(std::floor(pos / length * count)));
}

bool same_value(double a, double b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

}  // namespace

HeatmapItem::HeatmapItem(QQuickItem* parent) : QQuickPaintedItem(parent) {
  setAcceptHoverEvents(true);
  setAcceptedMouseButtons(Qt::LeftButton);
}

void HeatmapItem::setMatrix(HeatmapMatrix* matrix) {
  if (matrix == matrix_) return;
  if (matrix_) disconnect(matrix_, nullptr, this, nullptr);
  matrix_ = matrix;
  if (matrix_) {
    connect(matrix_, &HeatmapMatrix::changed, this, &HeatmapItem::onMatrixChanged);
    // The QPointer is already null when destroyed() arrives; this only tells QML and drops the stale image.
    connect(matrix_, &QObject::destroyed, this, [this] {
      onMatrixChanged();
      emit matrixChanged();
    });
  }
  onMatrixChanged();
  emit matrixChanged();
}

void HeatmapItem::setGamma(double gamma) {
  if (!(gamma > 0) || gamma == gamma_) return;
  gamma_ = gamma;
  invalidateImage();
  emit gammaChanged();
}

void HeatmapItem::setEmptyColor(const QColor& color) {
  if (color == empty_color_) return;
  empty_color_ = color;
  invalidateImage();
  emit emptyColorChanged();
}

void HeatmapItem::setSelectionColor(const QColor& color) {
  if (color == selection_color_) return;
  selection_color_ = color;
  update();  // only the outline changes, the cached image stays
  emit selectionColorChanged();
}

void HeatmapItem::setSelectedRow(int row) {
  row = std::max(row, -1);
  if (row == selected_row_) return;
  selected_row_ = row;
  update();
  emit selectedRowChanged();
}

void HeatmapItem::setSelectedColumn(int column) {
  column = std::max(column, -1);
  if (column == selected_column_) return;
  selected_column_ = column;
  update();
  emit selectedColumnChanged();
}

int HeatmapItem::rowAt(double y) const {
  return matrix_ ? cell_at(y, height(), matrix_->rows()) : -1;
}

int HeatmapItem::columnAt(double x) const {
  if (!matrix_ || view_end_ <= view_begin_) return -1;
  const int c = cell_at(x, width(), view_end_ - view_begin_);
  return c < 0 ? -1 : view_begin_ + c;
}

void HeatmapItem::setZoomable(bool zoomable) {
  if (zoomable == zoomable_) return;
  zoomable_ = zoomable;
  if (!zoomable_) resetZoom();
  emit zoomableChanged();
}

void HeatmapItem::setView(int begin, int end) {
  if (begin == view_begin_ && end == view_end_) return;
  view_begin_ = begin;
  view_end_ = end;
  invalidateImage();
  refreshHover();
  emit viewChanged();
}

void HeatmapItem::resetZoom() {
  setView(0, matrix_ ? matrix_->columns() : 0);
}

void HeatmapItem::zoomColumns(double factor, double x) {
  const int columns = matrix_ ? matrix_->columns() : 0;
  if (columns == 0 || !(factor > 0) || !(width() > 0)) return;
  const int span = view_end_ - view_begin_;
  const int wanted = static_cast<int>(std::lround(span * factor));
  const int new_span = std::clamp(wanted, std::min(8, columns), columns);
  // The column under x stays under x: it sits at the same fraction of the shown columns.
  const double f = std::clamp(x / width(), 0.0, 1.0);
  const double anchor = view_begin_ + f * span;
  const int begin = std::clamp(static_cast<int>(std::lround(anchor - f * new_span)), 0, columns - new_span);
  setView(begin, begin + new_span);
}

void HeatmapItem::panColumns(double fraction) {
  const int columns = matrix_ ? matrix_->columns() : 0;
  const int span = view_end_ - view_begin_;
  if (columns == 0 || span <= 0) return;
  const int shift = static_cast<int>(std::lround(fraction * span));
  const int begin =
      std::clamp(view_begin_ + (shift == 0 ? (fraction > 0) - (fraction < 0) : shift), 0, columns - span);
  setView(begin, begin + span);
}

void HeatmapItem::wheelEvent(QWheelEvent* event) {
  if (!zoomable_ || !matrix_ || matrix_->columns() == 0) {
    event->ignore();
    return;
  }
  const QPoint delta = event->angleDelta();
  // One notch is 120; a horizontal wheel, or Shift with the vertical one, pans by a tenth per notch.
  if (delta.x() != 0 || (event->modifiers() & Qt::ShiftModifier)) {
    const int notches = delta.x() != 0 ? delta.x() : delta.y();
    panColumns(-0.1 * notches / 120.0);
  } else {
    zoomColumns(std::pow(0.8, delta.y() / 120.0), event->position().x());
  }
  event->accept();
}

void HeatmapItem::mouseDoubleClickEvent(QMouseEvent* event) {
  if (!zoomable_ || event->button() != Qt::LeftButton) {
    event->ignore();
    return;
  }
  resetZoom();
  event->accept();
}

void HeatmapItem::paint(QPainter* painter) {
  if (!matrix_) return;
  const qreal dpr = window() ? window()->effectiveDevicePixelRatio() : 1.0;
  const QSize target(static_cast<int>(std::ceil(width() * dpr)), static_cast<int>(std::ceil(height() * dpr)));
  if (image_dirty_ || target != image_target_) {
    image_ = render_heatmap(matrix_->rows(), matrix_->columns(), matrix_->values(),
                            static_cast<float>(matrix_->low()), static_cast<float>(matrix_->high()), gamma_,
                            target, empty_color_.rgba(), view_begin_, view_end_);
    image_target_ = target;
    image_dirty_ = false;
  }
  if (image_.isNull()) return;
  // Nearest-neighbour stretching keeps a small matrix's cells crisp squares instead of a blur.
  painter->setRenderHint(QPainter::SmoothPixmapTransform, false);
  painter->drawImage(boundingRect(), image_);
  paintSelection(painter);
}

void HeatmapItem::paintSelection(QPainter* painter) const {
  const int rows = matrix_->rows(), shown = view_end_ - view_begin_;
  if (selected_row_ < 0 || selected_row_ >= rows || shown <= 0) return;
  const double cell_w = width() / shown, cell_h = height() / rows;
  painter->setBrush(Qt::NoBrush);
  if (selected_column_ < 0) {
    painter->setPen(QPen(selection_color_, 1));
    painter->drawRect(QRectF(0, selected_row_ * cell_h, width(), cell_h).adjusted(0.5, 0.5, -0.5, -0.5));
    return;
  }
  if (selected_column_ < view_begin_ || selected_column_ >= view_end_) return;  // zoomed away from it
  QRectF cell((selected_column_ - view_begin_) * cell_w, selected_row_ * cell_h, cell_w, cell_h);
  // A cell of a large matrix can be narrower than the pen; grow the outline around its centre so the
  // selection stays visible.
  constexpr double kMinOutline = 6;
  const QPointF centre = cell.center();
  cell.setSize(QSizeF(std::max(cell.width(), kMinOutline), std::max(cell.height(), kMinOutline)));
  cell.moveCenter(centre);
  painter->setPen(QPen(selection_color_, 2));
  painter->drawRect(cell.adjusted(1, 1, -1, -1));  // the stroke lies inside the cell, not over its neighbours
}

void HeatmapItem::hoverEnterEvent(QHoverEvent* event) {
  hover_pos_ = event->position();
  refreshHover();
}

void HeatmapItem::hoverMoveEvent(QHoverEvent* event) {
  hover_pos_ = event->position();
  refreshHover();
}

void HeatmapItem::hoverLeaveEvent(QHoverEvent*) {
  hover_pos_.reset();
  refreshHover();
}

void HeatmapItem::mousePressEvent(QMouseEvent* event) {
  const int row = rowAt(event->position().y()), column = columnAt(event->position().x());
  if (event->button() != Qt::LeftButton || row < 0 || column < 0) {
    event->ignore();  // not on a cell: let whatever lies below have it
    return;
  }
  pressed_cell_ = std::pair(row, column);
  event->accept();
}

void HeatmapItem::mouseReleaseEvent(QMouseEvent* event) {
  const auto pressed = pressed_cell_;
  pressed_cell_.reset();
  if (event->button() != Qt::LeftButton || !pressed) return;
  const std::pair release(rowAt(event->position().y()), columnAt(event->position().x()));
  if (release == *pressed) emit clicked(release.first, release.second);
}

void HeatmapItem::mouseUngrabEvent() {
  pressed_cell_.reset();
}

void HeatmapItem::geometryChange(const QRectF& new_geometry, const QRectF& old_geometry) {
  QQuickPaintedItem::geometryChange(new_geometry, old_geometry);
  refreshHover();  // the image follows the new size in paint(), which compares pixel sizes
}

void HeatmapItem::onMatrixChanged() {
  // Another matrix of the same width (another head's map) keeps the zoom; another width shows all.
  const int columns = matrix_ ? matrix_->columns() : 0;
  if (columns != view_columns_) {
    view_columns_ = columns;
    view_begin_ = 0;
    view_end_ = columns;
    emit viewChanged();
  }
  invalidateImage();
  refreshHover();
}

void HeatmapItem::refreshHover() {
  if (hover_pos_) {
    setHoveredCell(rowAt(hover_pos_->y()), columnAt(hover_pos_->x()));
  } else {
    setHoveredCell(-1, -1);
  }
}

void HeatmapItem::setHoveredCell(int row, int column) {
  if (row < 0 || column < 0) row = column = -1;
  const double value =
      matrix_ && row >= 0 ? matrix_->value(row, column) : std::numeric_limits<double>::quiet_NaN();
  if (row == hovered_row_ && column == hovered_column_ && same_value(value, hovered_value_)) return;
  hovered_row_ = row;
  hovered_column_ = column;
  hovered_value_ = value;
  emit hoverChanged();
}

void HeatmapItem::invalidateImage() {
  image_dirty_ = true;
  update();
}

}  // namespace glasswing::ui
