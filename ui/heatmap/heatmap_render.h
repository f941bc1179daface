#pragma once
// The pixels of the attention heatmap, free of any window so they can be unit-tested: a dark-to-bright colour
// ramp and a max-pooled rendering of a (possibly much larger than the screen) matrix into an image.
#include <QImage>
#include <QRgb>
#include <QSize>
#include <vector>

namespace glasswing::ui {

// The colour at t in [0, 1] (clamped) of a viridis-like ramp: t = 0 dark purple, t = 1 bright yellow. Its
// luma (0.299 R + 0.587 G + 0.114 B) strictly increases with t, so brighter always means larger, in colour
// and in grey.
QRgb heatmap_color(double t);

// The matrix (row-major, rows x columns values; NaN = no value) as an image of target's size clamped to at
// most columns x rows pixels. Each pixel shows the maximum of the cells in its bin, ignoring NaN, coloured at
// t = clamp((v - low) / (high - low), 0, 1)^gamma (t = 0 when high <= low; gamma <= 0 counts as 1); a bin
// with no value gets `empty` (unpremultiplied ARGB). Format_ARGB32_Premultiplied; null for an empty matrix,
// an empty target or a values vector of the wrong size. Only columns [column_begin, column_end) are drawn
// (a zoomed view; column_end < 0: to the last column); the clamp is then to their count.
QImage render_heatmap(int rows, int columns, const std::vector<float>& values, float low, float high,
                      double gamma, QSize target, QRgb empty, int column_begin = 0, int column_end = -1);

}  // namespace glasswing::ui
