#include <QQuickWindow>
#include <QSignalSpy>
#include <QTest>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

#include "tests/ui/qt_test_app.h"
#include "ui/heatmap/heatmap_item.h"
#include "ui/heatmap/heatmap_matrix.h"
#include "ui/heatmap/heatmap_render.h"

using namespace glasswing::ui;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

double luma(QRgb c) {
  return 0.299 * qRed(c) + 0.587 * qGreen(c) + 0.114 * qBlue(c);
}

// A rows x columns matrix of zeros with `value` at (row, column).
std::vector<float> with_peak(int rows, int columns, int row, int column, float value = 1.0f) {
  std::vector<float> v(static_cast<size_t>(rows) * columns, 0.0f);
  v[static_cast<size_t>(row) * columns + column] = value;
  return v;
}

}  // namespace

TEST_CASE("The heatmap ramp goes from dark to bright with strictly increasing luma", "[ui][heatmap]") {
  CHECK(luma(heatmap_color(0)) < 40);
  CHECK(luma(heatmap_color(1)) > 200);
  CHECK(heatmap_color(-3) == heatmap_color(0));  // clamped
  CHECK(heatmap_color(7) == heatmap_color(1));
  CHECK(heatmap_color(std::nan("")) == heatmap_color(0));
  double previous = -1;
  for (int i = 0; i < 64; ++i) {
    const QRgb c = heatmap_color(i / 63.0);
    INFO("sample " << i);
    CHECK(qAlpha(c) == 255);
    CHECK(luma(c) > previous);
    previous = luma(c);
  }
}

TEST_CASE("Max-pooling keeps a single peak among 1000 cells rendered into 100 pixels", "[ui][heatmap]") {
  const QImage row = render_heatmap(1, 1000, with_peak(1, 1000, 0, 537), 0, 1, 1.0, QSize(100, 40), 0);
  REQUIRE(row.size() == QSize(100, 1));  // no more pixels than cells
  for (int x = 0; x < 100; ++x) {
    INFO("pixel " << x);
    CHECK(row.pixel(x, 0) == (x == 53 ? heatmap_color(1) : heatmap_color(0)));
  }
  // The same along rows, and both axes at once.
  const QImage column = render_heatmap(1000, 3, with_peak(1000, 3, 701, 2), 0, 1, 1.0, QSize(3, 100), 0);
  REQUIRE(column.size() == QSize(3, 100));
  CHECK(column.pixel(2, 70) == heatmap_color(1));
  CHECK(column.pixel(2, 71) == heatmap_color(0));
  CHECK(column.pixel(1, 70) == heatmap_color(0));
  const QImage both =
      render_heatmap(1024, 4096, with_peak(1024, 4096, 1000, 4000), 0, 1, 1.0, QSize(600, 300), 0);
  REQUIRE(both.size() == QSize(600, 300));
  CHECK(both.pixel(4000 * 600 / 4096, 1000 * 300 / 1024) ==
        heatmap_color(1));  // floor(cell * pixels / cells)
  CHECK(both.pixel(4000 * 600 / 4096 + 1, 1000 * 300 / 1024) == heatmap_color(0));
  CHECK(both.pixel(0, 0) == heatmap_color(0));
}

TEST_CASE("Cells without a value get the empty colour unless their bin holds a value", "[ui][heatmap]") {
  const QRgb empty = qRgba(0x12, 0x34, 0x56, 0xff);
  // Row 0 has no values at all; row 1 has one, 0.5, at column 1.
  const std::vector<float> v = {kNaN, kNaN, kNaN, kNaN, kNaN, 0.5f, kNaN, kNaN};
  const QImage full = render_heatmap(2, 4, v, 0, 1, 1.0, QSize(4, 2), empty);
  REQUIRE(full.size() == QSize(4, 2));
  CHECK(full.pixel(0, 0) == empty);
  CHECK(full.pixel(0, 1) == empty);
  CHECK(full.pixel(1, 1) == heatmap_color(0.5));
  // 2 x 1 pixels: the left bin mixes NaN and 0.5 and shows 0.5; the right bin is all NaN.
  const QImage pooled = render_heatmap(2, 4, v, 0, 1, 1.0, QSize(2, 1), empty);
  REQUIRE(pooled.size() == QSize(2, 1));
  CHECK(pooled.pixel(0, 0) == heatmap_color(0.5));
  CHECK(pooled.pixel(1, 0) == empty);
  // The default empty colour is transparent: the background shows through.
  CHECK(qAlpha(render_heatmap(1, 1, {kNaN}, 0, 1, 1.0, QSize(1, 1), qRgba(0, 0, 0, 0)).pixel(0, 0)) == 0);
}

TEST_CASE("A target larger than the matrix is clamped to one pixel per cell", "[ui][heatmap]") {
  const std::vector<float> v = {0, 1, 0.5f, 0, 0, 0};
  const QImage image = render_heatmap(3, 2, v, 0, 1, 1.0, QSize(600, 300), 0);
  REQUIRE(image.size() == QSize(2, 3));
  CHECK(image.pixel(1, 0) == heatmap_color(1));
  CHECK(image.pixel(0, 1) == heatmap_color(0.5));
  CHECK(image.pixel(0, 0) == heatmap_color(0));
  CHECK(render_heatmap(3, 2, v, 0, 1, 1.0, QSize(1, 300), 0).size() == QSize(1, 3));
}

TEST_CASE("Gamma and the value range place a value on the ramp", "[ui][heatmap]") {
  auto one = [](float value, float low, float high, double gamma) {
    return render_heatmap(1, 1, {value}, low, high, gamma, QSize(1, 1), 0).pixel(0, 0);
  };
  CHECK(one(0.25f, 0, 1, 0.5) == heatmap_color(0.5));
  CHECK(one(0.25f, 0, 1, 1.0) == heatmap_color(0.25));
  CHECK(one(3.0f, 2, 4, 1.0) == heatmap_color(0.5));
  CHECK(one(9.0f, 0, 1, 1.0) == heatmap_color(1));  // outside the range: clamped
  CHECK(one(-9.0f, 0, 1, 1.0) == heatmap_color(0));
  // An empty or inverted range has no scale: every value is at t = 0.
  CHECK(one(5.0f, 1, 1, 1.0) == heatmap_color(0));
  CHECK(one(5.0f, 2, 1, 1.0) == heatmap_color(0));
  CHECK(one(0.5f, 1, 0, 0.5) == heatmap_color(0));
}

TEST_CASE("An empty matrix or a mismatched size renders nothing", "[ui][heatmap]") {
  CHECK(render_heatmap(0, 0, {}, 0, 1, 1.0, QSize(10, 10), 0).isNull());
  CHECK(render_heatmap(0, 5, {}, 0, 1, 1.0, QSize(10, 10), 0).isNull());
  CHECK(render_heatmap(2, 2, {1, 2, 3}, 0, 1, 1.0, QSize(10, 10), 0).isNull());
  CHECK(render_heatmap(1, 1, {1}, 0, 1, 1.0, QSize(0, 10), 0).isNull());
}

TEST_CASE("HeatmapMatrix checks its size and returns NaN outside", "[ui][heatmap]") {
  glasswing::test::ensure_qt_app();
  HeatmapMatrix m;
  QSignalSpy changed(&m, &HeatmapMatrix::changed);
  CHECK(m.rows() == 0);
  CHECK(m.columns() == 0);
  CHECK(std::isnan(m.value(0, 0)));
  CHECK_THROWS_AS(m.set(2, 3, std::vector<float>(5), 0, 1), std::invalid_argument);
  CHECK_THROWS_AS(m.set(-1, -2, std::vector<float>(2), 0, 1), std::invalid_argument);
  CHECK(changed.count() == 0);

  m.set(2, 3, {0, 1, 2, 3, kNaN, 5}, 0, 5);
  CHECK(changed.count() == 1);
  CHECK(m.rows() == 2);
  CHECK(m.columns() == 3);
  CHECK(m.low() == 0);
  CHECK(m.high() == 5);
  CHECK(m.value(1, 2) == 5);
  CHECK(m.value(0, 1) == 1);
  CHECK(std::isnan(m.value(1, 1)));  // a cell without a value
  CHECK(std::isnan(m.value(2, 0)));
  CHECK(std::isnan(m.value(0, 3)));
  CHECK(std::isnan(m.value(-1, 0)));
  CHECK(std::isnan(m.value(0, -1)));

  // The QML entry point logs a mismatch and keeps the matrix.
  static QStringList warnings;
  warnings.clear();
  const QtMessageHandler previous =
      qInstallMessageHandler([](QtMsgType type, const QMessageLogContext&, const QString& text) {
        if (type == QtWarningMsg) warnings << text;
      });
  m.setValues(2, 2, {1, 2, 3}, 0, 1);
  qInstallMessageHandler(previous);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].contains("3 values for 2 x 2"));
  CHECK(changed.count() == 1);
  CHECK(m.rows() == 2);
  CHECK(m.values().size() == 6);
  m.setValues(1, 2, {7, 8}, -1, 9);
  CHECK(changed.count() == 2);
  CHECK(m.value(0, 1) == 8);
  CHECK(m.low() == -1);

  m.clear();
  CHECK(changed.count() == 3);
  CHECK(m.rows() == 0);
  CHECK(m.columns() == 0);
  CHECK(m.values().empty());
}

TEST_CASE("HeatmapItem maps item coordinates to cells", "[ui][heatmap]") {
  glasswing::test::ensure_qt_app();
  HeatmapItem item;
  item.setWidth(160);
  item.setHeight(80);
  CHECK(item.rowAt(10) == -1);  // no matrix
  HeatmapMatrix m;
  item.setMatrix(&m);
  CHECK(item.columnAt(10) == -1);  // empty matrix
  m.set(4, 8, std::vector<float>(32, 0.0f), 0, 1);
  CHECK(item.columnAt(0) == 0);
  CHECK(item.columnAt(19.9) == 0);
  CHECK(item.columnAt(20) == 1);
  CHECK(item.columnAt(105) == 5);
  CHECK(item.columnAt(159.99) == 7);
  CHECK(item.columnAt(160) == -1);
  CHECK(item.columnAt(-0.01) == -1);
  CHECK(item.columnAt(std::nan("")) == -1);
  CHECK(item.rowAt(0) == 0);
  CHECK(item.rowAt(45) == 2);
  CHECK(item.rowAt(79.99) == 3);
  CHECK(item.rowAt(80) == -1);
  CHECK(item.rowAt(-1) == -1);
  item.setWidth(0);
  CHECK(item.columnAt(0) == -1);
}

TEST_CASE("A column window renders only its columns with the peak kept", "[ui][heatmap]") {
  // 1 x 100 zeros, 1 at column 60: columns 50..70 into 10 px put it at pixel 5; 0..50 show no peak.
  std::vector<float> v(100, 0.0f);
  v[60] = 1.0f;
  const QRgb dark = heatmap_color(0), bright = heatmap_color(1);
  const QImage in = render_heatmap(1, 100, v, 0, 1, 1, QSize(10, 1), 0, 50, 70);
  REQUIRE(in.width() == 10);
  for (int x = 0; x < 10; ++x) CHECK(in.pixel(x, 0) == (x == 5 ? bright : dark));
  const QImage out = render_heatmap(1, 100, v, 0, 1, 1, QSize(10, 1), 0, 0, 50);
  for (int x = 0; x < 10; ++x) CHECK(out.pixel(x, 0) == dark);
  CHECK(render_heatmap(1, 100, v, 0, 1, 1, QSize(40, 1), 0, 50, 70).width() == 20);  // clamped to the window
  CHECK(render_heatmap(1, 100, v, 0, 1, 1, QSize(10, 1), 0, 70, 50).isNull());
  CHECK(render_heatmap(1, 100, v, 0, 1, 1, QSize(10, 1), 0, 90, 101).isNull());
}

TEST_CASE("A zoomable HeatmapItem zooms around the mouse and pans within the matrix", "[ui][heatmap]") {
  glasswing::test::ensure_qt_app();
  HeatmapItem item;
  item.setWidth(100);
  item.setHeight(10);
  HeatmapMatrix m;
  item.setMatrix(&m);
  m.set(1, 1000, std::vector<float>(1000, 0.0f), 0, 1);
  CHECK(item.viewColumnBegin() == 0);
  CHECK(item.viewColumnEnd() == 1000);
  CHECK(item.columnAt(75) == 750);

  item.zoomColumns(0.1, 75);  // 100 columns, column 750 still under x = 75
  CHECK(item.viewColumnEnd() - item.viewColumnBegin() == 100);
  CHECK(item.columnAt(75) == 750);
  CHECK(item.columnAt(0) == item.viewColumnBegin());
  item.zoomColumns(0.001, 10);  // never fewer than 8
  CHECK(item.viewColumnEnd() - item.viewColumnBegin() == 8);
  item.zoomColumns(1000, 50);  // never more than all
  CHECK(item.viewColumnBegin() == 0);
  CHECK(item.viewColumnEnd() == 1000);

  item.zoomColumns(0.1, 0);  // at the left edge
  CHECK(item.viewColumnBegin() == 0);
  CHECK(item.viewColumnEnd() == 100);
  item.panColumns(-0.5);  // already at the start
  CHECK(item.viewColumnBegin() == 0);
  item.panColumns(0.5);
  CHECK(item.viewColumnBegin() == 50);
  item.panColumns(100);  // stops at the end
  CHECK(item.viewColumnEnd() == 1000);
  CHECK(item.viewColumnBegin() == 900);

  // Another matrix of the same width (another head) keeps the zoom; another width shows all.
  m.set(1, 1000, std::vector<float>(1000, 0.5f), 0, 1);
  CHECK(item.viewColumnBegin() == 900);
  m.set(2, 500, std::vector<float>(1000, 0.5f), 0, 1);
  CHECK(item.viewColumnBegin() == 0);
  CHECK(item.viewColumnEnd() == 500);
  item.zoomColumns(0.5, 50);
  item.resetZoom();
  CHECK(item.viewColumnEnd() == 500);
}

TEST_CASE("HeatmapItem forgets a destroyed matrix", "[ui][heatmap]") {
  glasswing::test::ensure_qt_app();
  HeatmapItem item;
  item.setWidth(100);
  item.setHeight(100);
  auto m = std::make_unique<HeatmapMatrix>();
  m->set(2, 2, {0, 1, 2, 3}, 0, 3);
  item.setMatrix(m.get());
  QSignalSpy matrix_changed(&item, &HeatmapItem::matrixChanged);
  m.reset();
  CHECK(item.matrix() == nullptr);
  CHECK(matrix_changed.count() == 1);
  CHECK(item.rowAt(10) == -1);
}

TEST_CASE("HeatmapItem reports the hovered cell and clicks in a window", "[ui][heatmap]") {
  glasswing::test::ensure_qt_app();
  QQuickWindow window;
  window.resize(300, 200);
  HeatmapMatrix m;
  std::vector<float> v = with_peak(4, 8, 2, 5, 0.75f);
  v[3 * 8 + 0] = kNaN;
  m.set(4, 8, std::move(v), 0, 1);
  HeatmapItem item(window.contentItem());
  item.setPosition(QPointF(10, 10));
  item.setSize(QSizeF(160, 80));
  item.setMatrix(&m);
  window.show();
  REQUIRE(QTest::qWaitForWindowExposed(&window));

  QSignalSpy hover(&item, &HeatmapItem::hoverChanged);
  QSignalSpy clicked(&item, &HeatmapItem::clicked);
  const QPoint cell_2_5(10 + 5 * 20 + 10, 10 + 2 * 20 + 10);  // the centre of (row 2, column 5)
  QTest::mouseMove(&window, cell_2_5);
  REQUIRE(glasswing::test::wait_until([&] { return item.hoveredRow() == 2; }));
  CHECK(item.hoveredColumn() == 5);
  CHECK(item.hoveredValue() == 0.75);
  CHECK(hover.count() >= 1);

  // A change of the matrix under a resting mouse updates the hovered value.
  m.set(4, 8, std::vector<float>(32, 0.25f), 0, 1);
  CHECK(item.hoveredValue() == 0.25);

  QTest::mouseClick(&window, Qt::LeftButton, {}, cell_2_5);
  REQUIRE(clicked.count() == 1);
  CHECK(clicked.at(0).at(0).toInt() == 2);
  CHECK(clicked.at(0).at(1).toInt() == 5);
  // Press on one cell and release on another is not a click.
  QTest::mousePress(&window, Qt::LeftButton, {}, QPoint(15, 15));
  QTest::mouseRelease(&window, Qt::LeftButton, {}, QPoint(60, 15));
  CHECK(clicked.count() == 1);

  QTest::mouseMove(&window, QPoint(250, 150));  // outside the item
  REQUIRE(glasswing::test::wait_until([&] { return item.hoveredRow() == -1; }));
  CHECK(item.hoveredColumn() == -1);
  CHECK(std::isnan(item.hoveredValue()));
}
