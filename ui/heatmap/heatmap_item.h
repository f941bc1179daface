#pragma once
// Draws a HeatmapMatrix (e.g. attention: query rows x key columns) stretched over the item, reports the cell
// under the mouse and clicks on cells, and outlines a selected cell or row. The matrix may have far more
// cells than the item has pixels; the image is max-pooled (see heatmap_render.h) and cached until something
// it depends on changes.
#include <QtQml/qqmlregistration.h>

#include <QColor>
#include <QImage>
#include <QPointer>
#include <QQuickPaintedItem>
#include <limits>
#include <optional>
#include <utility>

#include "ui/heatmap/heatmap_matrix.h"

namespace glasswing::ui {

class HeatmapItem : public QQuickPaintedItem {
  Q_OBJECT
  QML_ELEMENT
  // Not owned; may be destroyed before the item (the item then shows nothing).
  Q_PROPERTY(glasswing::ui::HeatmapMatrix* matrix READ matrix WRITE setMatrix NOTIFY matrixChanged)
  // Colour position t = clamp((v - low) / (high - low), 0, 1)^gamma; attention views use 0.5 so small
  // probabilities stay visible. Values <= 0 are ignored.
  Q_PROPERTY(double gamma READ gamma WRITE setGamma NOTIFY gammaChanged)
  // Colour of cells without a value (NaN); transparent by default so the background shows through.
  Q_PROPERTY(QColor emptyColor READ emptyColor WRITE setEmptyColor NOTIFY emptyColorChanged)
  // Outline colour of the selected cell or row.
  Q_PROPERTY(QColor selectionColor READ selectionColor WRITE setSelectionColor NOTIFY selectionColorChanged)
  // Both >= 0: a 2 px outline around that cell; only selectedRow >= 0: a thin outline around the row.
  Q_PROPERTY(int selectedRow READ selectedRow WRITE setSelectedRow NOTIFY selectedRowChanged)
  Q_PROPERTY(int selectedColumn READ selectedColumn WRITE setSelectedColumn NOTIFY selectedColumnChanged)
  // The cell under the mouse: -1, -1 and NaN when there is none.
  Q_PROPERTY(int hoveredRow READ hoveredRow NOTIFY hoverChanged)
  Q_PROPERTY(int hoveredColumn READ hoveredColumn NOTIFY hoverChanged)
  Q_PROPERTY(double hoveredValue READ hoveredValue NOTIFY hoverChanged)
  // Zoomable: the wheel narrows or widens the shown columns around the mouse, Shift+wheel (or a horizontal
  // wheel) pans, a double click shows all again. Cells keep their matrix indices whatever is shown.
  Q_PROPERTY(bool zoomable READ zoomable WRITE setZoomable NOTIFY zoomableChanged)
  // The columns shown: [viewColumnBegin, viewColumnEnd); all of them until zoomed.
  Q_PROPERTY(int viewColumnBegin READ viewColumnBegin NOTIFY viewChanged)
  Q_PROPERTY(int viewColumnEnd READ viewColumnEnd NOTIFY viewChanged)

 public:
  explicit HeatmapItem(QQuickItem* parent = nullptr);

  [[nodiscard]] HeatmapMatrix* matrix() const { return matrix_; }
  void setMatrix(HeatmapMatrix* matrix);
  [[nodiscard]] double gamma() const { return gamma_; }
  void setGamma(double gamma);
  [[nodiscard]] QColor emptyColor() const { return empty_color_; }
  void setEmptyColor(const QColor& color);
  [[nodiscard]] QColor selectionColor() const { return selection_color_; }
  void setSelectionColor(const QColor& color);
  [[nodiscard]] int selectedRow() const { return selected_row_; }
  void setSelectedRow(int row);
  [[nodiscard]] int selectedColumn() const { return selected_column_; }
  void setSelectedColumn(int column);
  [[nodiscard]] int hoveredRow() const { return hovered_row_; }
  [[nodiscard]] int hoveredColumn() const { return hovered_column_; }
  [[nodiscard]] double hoveredValue() const { return hovered_value_; }
  [[nodiscard]] bool zoomable() const { return zoomable_; }
  void setZoomable(bool zoomable);
  [[nodiscard]] int viewColumnBegin() const { return view_begin_; }
  [[nodiscard]] int viewColumnEnd() const { return view_end_; }

  // Shows `factor` times as many columns (< 1 zooms in), keeping the column under item x where it is; at
  // least 8 columns (or all when there are fewer), at most all.
  Q_INVOKABLE void zoomColumns(double factor, double x);
  // Moves the shown columns by `fraction` of their count (negative: left), within the matrix.
  Q_INVOKABLE void panColumns(double fraction);
  Q_INVOKABLE void resetZoom();

  // Item coordinates to cell index (the shown cells spread evenly over the item); -1 outside or when the
  // matrix is empty.
  [[nodiscard]] Q_INVOKABLE int rowAt(double y) const;
  [[nodiscard]] Q_INVOKABLE int columnAt(double x) const;

  void paint(QPainter* painter) override;

 signals:
  void matrixChanged();
  void gammaChanged();
  void emptyColorChanged();
  void selectionColorChanged();
  void selectedRowChanged();
  void selectedColumnChanged();
  void hoverChanged();
  void clicked(int row, int column);
  void zoomableChanged();
  void viewChanged();

 protected:
  void hoverEnterEvent(QHoverEvent* event) override;
  void hoverMoveEvent(QHoverEvent* event) override;
  void hoverLeaveEvent(QHoverEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseUngrabEvent() override;
  void geometryChange(const QRectF& new_geometry, const QRectF& old_geometry) override;
  void wheelEvent(QWheelEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;

 private:
  void onMatrixChanged();
  // Re-reads the cell under the last hover position (the matrix or the geometry may have changed under it).
  void refreshHover();
  void setHoveredCell(int row, int column);
  void invalidateImage();
  void paintSelection(QPainter* painter) const;
  void setView(int begin, int end);

  QPointer<HeatmapMatrix> matrix_;
  double gamma_ = 1.0;
  QColor empty_color_ = Qt::transparent;
  QColor selection_color_ = Qt::white;
  int selected_row_ = -1;
  int selected_column_ = -1;
  bool zoomable_ = false;
  int view_begin_ = 0, view_end_ = 0;  // shown columns; the whole matrix until zoomed
  int view_columns_ = 0;               // the matrix's column count the view was set for

  std::optional<QPointF> hover_pos_;  // unset while the mouse is outside the item
  int hovered_row_ = -1;
  int hovered_column_ = -1;
  double hovered_value_ = std::numeric_limits<double>::quiet_NaN();
  std::optional<std::pair<int, int>> pressed_cell_;  // a click needs press and release on the same cell

  QImage image_;        // the max-pooled matrix, at most one pixel per cell and per device pixel
  QSize image_target_;  // the device-pixel size image_ was built for
  bool image_dirty_ = true;
};

}  // namespace glasswing::ui
