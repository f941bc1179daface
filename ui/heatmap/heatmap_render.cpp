#include "ui/heatmap/heatmap_render.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace glasswing::ui {

namespace {

// Six samples of matplotlib's viridis at t = 0, 0.2, ..., 1. Viridis is perceptually uniform and its
// lightness rises monotonically, which is what makes "brighter = more attention" readable; linear
// interpolation between these stops keeps the luma monotonic because luma is linear in R, G and B.
constexpr std::array<QRgb, 6> kStops = {0xff440154, 0xff414487, 0xff2a788e,
                                        0xff22a884, 0xff7ad151, 0xfffde725};

// The first cell of each output pixel's bin when n cells are spread evenly over `pixels` pixels (pixels <=
// n): cell c goes to pixel floor(c * pixels / n), the pixel its start lies in, mirroring HeatmapItem's
// floor(x / width * columns) from positions to cells. Every bin holds at least one cell; bounds[pixels] == n.
std::vector<int> bin_bounds(int n, int pixels) {
  std::vector<int> bounds(static_cast<size_t>(pixels) + 1);
  for (int p = 0; p <= pixels; ++p) {
    bounds[p] =
        static_cast<int>((static_cast<int64_t>(p) * n + pixels - 1) / pixels);  // ceil(p * n / pixels)
  }
  return bounds;
}

}  // namespace

QRgb heatmap_color(double t) {
  if (!(t > 0)) return kStops.front();  // also NaN
  if (t >= 1) return kStops.back();
  const double pos = t * (kStops.size() - 1);
  const auto i = static_cast<size_t>(pos);
  const double f = pos - static_cast<double>(i);
  const QRgb a = kStops[i], b = kStops[i + 1];
  auto mix = [f](int x, int y) { return static_cast<int>(std::lround(x + (y - x) * f)); };
  return qRgb(mix(qRed(a), qRed(b)), mix(qGreen(a), qGreen(b)), mix(qBlue(a), qBlue(b)));
}

QImage render_heatmap(int rows, int columns, const std::vector<float>& values, float low, float high,
                      double gamma, QSize target, QRgb empty, int column_begin, int column_end) {
  if (rows <= 0 || columns <= 0 || target.isEmpty()) return {};
  if (values.size() != static_cast<size_t>(rows) * static_cast<size_t>(columns)) return {};
  if (column_end < 0) column_end = columns;
  if (column_begin < 0 || column_end > columns || column_begin >= column_end) return {};
  const int shown = column_end - column_begin;
  const int width = std::min(target.width(), shown);
  const int height = std::min(target.height(), rows);
  if (!(gamma > 0)) gamma = 1.0;
  const double span = static_cast<double>(high) - static_cast<double>(low);

  QImage image(width, height, QImage::Format_ARGB32_Premultiplied);
  const QRgb empty_pixel = qPremultiply(empty);
  std::vector<int> col_bounds = bin_bounds(shown, width);
  for (int& b : col_bounds) b += column_begin;
  const std::vector<int> row_bounds = bin_bounds(rows, height);
  // Max-pooling: the colour map is non-decreasing in v, so the colour of the largest value is the brightest
  // colour in the bin, and a single strong attention peak survives any amount of shrinking. NaN in bin_max
  // means "no value yet"; NaN cells never win the comparison, so they are skipped.
  constexpr float kNone = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> bin_max(static_cast<size_t>(width));
  for (int y = 0; y < height; ++y) {
    std::fill(bin_max.begin(), bin_max.end(), kNone);
    for (int r = row_bounds[y]; r < row_bounds[y + 1]; ++r) {
      const float* row = values.data() + static_cast<size_t>(r) * static_cast<size_t>(columns);
      for (int x = 0; x < width; ++x) {
        float m = bin_max[x];
        for (int c = col_bounds[x]; c < col_bounds[x + 1]; ++c) {
          const float v = row[c];
          if (v > m || (std::isnan(m) && !std::isnan(v))) m = v;
        }
        bin_max[x] = m;
      }
    }
    auto* line = reinterpret_cast<QRgb*>(image.scanLine(y));
    for (int x = 0; x < width; ++x) {
      if (std::isnan(bin_max[x])) {
        line[x] = empty_pixel;
        continue;
      }
      double t = 0;
      if (span > 0) t = std::pow(std::clamp((bin_max[x] - static_cast<double>(low)) / span, 0.0, 1.0), gamma);
      line[x] = heatmap_color(t);
    }
  }
  return image;
}

}  // namespace glasswing::ui
