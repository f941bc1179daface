#include "ui/app/attention_inspector.h"

#include <QPointer>
#include <QThreadPool>
#include <QVariantMap>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "inference/model/attention_export.h"

namespace glasswing::ui {

// The matrices are children too, so that QML never takes ownership of them.
AttentionInspector::AttentionInspector(QObject* parent) : QObject(parent), overview_(this), map_(this) {}

int64_t AttentionInspector::begin(const QString& role) {
  ++request_;
  role_ = role;
  context_ = {};
  tokens_.clear();
  map_data_ = {};
  rows_from_ = 0;
  overview_.clear();
  map_.clear();
  layer_ = head_ = -1;
  if (!active_) {
    active_ = true;
    emit activeChanged();
  }
  setBusy(true, false, {});
  emit contextChanged();
  emit selectionChanged();
  emit mapChanged();
  return request_;
}

void AttentionInspector::close() {
  ++request_;  // answers still on their way are for a view that is gone
  if (active_) {
    active_ = false;
    emit activeChanged();
  }
  setBusy(false, false, {});
}

void AttentionInspector::setBusy(bool busy, bool map_busy, const QString& error) {
  if (busy == busy_ && map_busy == map_busy_ && error == error_) return;
  busy_ = busy;
  map_busy_ = map_busy;
  error_ = error;
  emit stateChanged();
}

void AttentionInspector::onInspected(qint64 request_id, const AttentionContext& context) {
  if (request_id != request_) return;
  context_ = context;
  tokens_.clear();
  // Bytes of a character split over several tokens show as <0xNN>, as in the CLI's files.
  for (const auto& t : context_.tokens)
    tokens_ << QString::fromStdString(model::attention_export::display_token(t));
  setBusy(false, false, {});
  emit contextChanged();
  rebuildOverview();
  // Open on the most focused head that is not just resting on the first token (an "attention sink"): the
  // one most likely to show the message reading something in particular.
  // (LFM2's short-convolution and Qwen3.5's delta-net layers have no heads to open: their summaries are NaN)
  int best = -1;
  for (int i = 0; i < static_cast<int>(context_.overview.size()); ++i) {
    const HeadOverview& c = context_.overview[static_cast<size_t>(i)];
    if (std::isnan(c.entropy)) continue;
    if (best < 0) {
      best = i;
      continue;
    }
    const HeadOverview& b = context_.overview[static_cast<size_t>(best)];
    const bool c_sink = c.first_token > 0.5f, b_sink = b.first_token > 0.5f;
    if (c_sink != b_sink ? !c_sink : c.entropy < b.entropy) best = i;
  }
  if (context_.heads > 0 && best >= 0) selectHead(best / context_.heads, best % context_.heads);
}

void AttentionInspector::onMap(qint64 request_id, const AttentionMap& map) {
  // Another head or page since: its own answer follows.
  if (request_id != request_ || map.layer != layer_ || map.head != head_ ||
      map.query_begin != context_.message_begin + rows_from_)
    return;
  map_data_ = map;
  showMap();
  setBusy(false, false, {});
  emit mapChanged();
}

// The map's colours run from 0 to its largest probability, or to the largest away from position 0 when the
// first token is left out of the scale: many heads of real models park most of their attention there (an
// "attention sink"), which would leave everything else dark.
void AttentionInspector::showMap() {
  const int keys = map_data_.key_end - map_data_.key_begin;
  if (keys <= 0) return map_.clear();
  float high = 0;
  for (size_t i = 0; i < map_data_.probs.size(); ++i) {
    const float p = map_data_.probs[i];
    const bool sink = map_data_.key_begin + static_cast<int>(i % static_cast<size_t>(keys)) == 0;
    if (!std::isnan(p) && !(sink && scale_without_first_ && keys > 1)) high = std::max(high, p);
  }
  map_.set(map_data_.query_end - map_data_.query_begin, keys, map_data_.probs, 0.0f, high);
}

void AttentionInspector::setScaleWithoutFirstToken(bool on) {
  if (on == scale_without_first_) return;
  scale_without_first_ = on;
  emit scaleChanged();
  if (!map_data_.probs.empty()) showMap();
}

void AttentionInspector::onFailed(qint64 request_id, const QString& message) {
  if (request_id != request_) return;
  setBusy(false, false, message);
}

void AttentionInspector::setMetric(int metric) {
  metric = std::clamp(metric, 0, 2);
  if (metric == metric_) return;
  metric_ = metric;
  emit metricChanged();
  rebuildOverview();
}

void AttentionInspector::rebuildOverview() {
  if (context_.overview.empty()) return overview_.clear();
  std::vector<float> values;
  values.reserve(context_.overview.size());
  for (const HeadOverview& c : context_.overview)
    values.push_back(metric_ == Entropy ? c.entropy : metric_ == MaxProbability ? c.max_prob : c.first_token);
  // (NaN: a layer without attention, shown empty and left out of the scale)
  float lo = INFINITY, hi = -INFINITY;
  for (const float v : values)
    if (!std::isnan(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  if (lo > hi) lo = hi = 0.0f;
  // Probabilities are coloured on their own scale from 0; entropy from its smallest to its largest.
  overview_.set(context_.layers, context_.heads, values, metric_ == Entropy ? lo : 0.0f, hi);
}

void AttentionInspector::selectHead(int layer, int head) {
  if (layer < 0 || layer >= context_.layers || head < 0 || head >= context_.heads) return;
  if (layer == layer_ && head == head_) return;
  if (std::isnan(context_.overview[static_cast<size_t>(layer * context_.heads + head)].entropy)) {
    setBusy(false, false,
            tr("Layer %1 has no attention map: it mixes tokens by a convolution or a recurrent state.")
                .arg(layer));
    return;
  }
  layer_ = layer;
  head_ = head;
  emit selectionChanged();
  requestMap();
}

void AttentionInspector::showRows(int first) {
  const int length = context_.message_end - context_.message_begin;
  first = std::clamp(first, 0, std::max(0, length - 1));
  first -= first % kMaxMapQueries;  // pages of kMaxMapQueries rows
  if (first == rows_from_ || layer_ < 0) return;
  rows_from_ = first;
  requestMap();
}

// The selected head's map over the current page of the message's tokens.
void AttentionInspector::requestMap() {
  setBusy(false, true, {});
  AttentionMapRequest r;
  r.request_id = request_;
  r.layer = layer_;
  r.head = head_;
  r.query_begin = context_.message_begin + rows_from_;
  r.query_end = std::min(context_.message_end, r.query_begin + kMaxMapQueries);
  r.key_begin = 0;
  r.key_end = r.query_end;  // a query sees only the keys up to itself
  emit mapRequested(r);
}

QString AttentionInspector::tokenText(int position) const {
  if (position < 0 || position >= tokens_.size()) return {};
  QString t = tokens_[position];
  if (t.isEmpty()) return QStringLiteral("\u2205");
  t.replace(QLatin1Char('\n'), QChar(0x21B5)).replace(QLatin1Char('\t'), QChar(0x2192));
  return t;
}

QString AttentionInspector::headDescription(int layer, int head) const {
  if (layer < 0 || layer >= context_.layers || head < 0 || head >= context_.heads) return {};
  const HeadOverview& c = context_.overview[static_cast<size_t>(layer * context_.heads + head)];
  if (std::isnan(c.entropy))
    return tr("layer %1: no attention (a convolution, recurrent, FFN-only or linear layer)").arg(layer);
  // (Gemma 4 and deci: each layer's own KV heads)
  const int kv_heads = context_.layer_kv_heads.empty() ? context_.kv_heads
                                                       : context_.layer_kv_heads[static_cast<size_t>(layer)];
  const int group = kv_heads > 0 ? context_.heads / kv_heads : 1;
  return tr("layer %1, head %2 (KV head %3): entropy %4 nats, largest probability %5, to the first token %6")
      .arg(layer)
      .arg(head)
      .arg(head / std::max(group, 1))
      .arg(static_cast<double>(c.entropy), 0, 'f', 2)
      .arg(static_cast<double>(c.max_prob), 0, 'f', 2)
      .arg(static_cast<double>(c.first_token), 0, 'f', 2);
}

// The probabilities of the map's row `row` (key_end - key_begin of them), or null outside the map.
const float* AttentionInspector::mapRow(int row) const {
  const int rows = map_data_.query_end - map_data_.query_begin;
  const int keys = map_data_.key_end - map_data_.key_begin;
  if (row < 0 || row >= rows || keys <= 0) return nullptr;
  return map_data_.probs.data() + static_cast<size_t>(row) * static_cast<size_t>(keys);
}

QVariantList AttentionInspector::topKeys(int row, int count) const {
  const float* p = mapRow(row);
  if (!p || count <= 0) return {};
  const int keys = map_data_.key_end - map_data_.key_begin;
  std::vector<int> order;
  for (int k = 0; k < keys; ++k)
    if (!std::isnan(p[k])) order.push_back(k);
  const auto n = std::min<size_t>(order.size(), static_cast<size_t>(count));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                    [p](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
  QVariantList out;
  for (size_t i = 0; i < n; ++i) {
    const int position = map_data_.key_begin + order[i];
    out << QVariantMap{{QStringLiteral("position"), position},
                       {QStringLiteral("token"), tokenText(position)},
                       {QStringLiteral("probability"), static_cast<double>(p[order[i]])}};
  }
  return out;
}

QString AttentionInspector::attendedText(int row, const QColor& color, const QColor& background) const {
  const float* p = mapRow(row);
  if (!p) return {};
  const int keys = map_data_.key_end - map_data_.key_begin;
  float top = 0;
  for (int k = 0; k < keys; ++k)
    if (!std::isnan(p[k])) top = std::max(top, p[k]);
  const int query = map_data_.query_begin + row;
  QString html = QStringLiteral("<div style=\"white-space: pre-wrap\">");
  for (int position = 0; position < tokens_.size(); ++position) {
    QString piece = tokens_[position].toHtmlEscaped();
    if (piece.isEmpty()) piece = QStringLiteral("\u2205");
    piece.replace(QLatin1Char('\n'), QStringLiteral("\u21B5<br>"));
    const int k = position - map_data_.key_begin;
    const float prob = k >= 0 && k < keys ? p[k] : NAN;
    if (position == query) {
      html += QStringLiteral("<span style=\"border: 1px solid %1; font-weight: 600\">%2</span>")
                  .arg(color.name(QColor::HexRgb), piece);
    } else if (!std::isnan(prob) && top > 0 && prob > 0) {
      const float a = std::sqrt(prob / top);
      const auto mix = [a](float from, float to) { return from + a * (to - from); };
      const QColor shade =
          QColor::fromRgbF(mix(background.redF(), color.redF()), mix(background.greenF(), color.greenF()),
                           mix(background.blueF(), color.blueF()));
      html += QStringLiteral("<span style=\"background-color: %1\">%2</span>").arg(shade.name(), piece);
    } else {
      html += piece;
    }
  }
  return html + QStringLiteral("</div>");
}

int AttentionInspector::attendedTextOffset(int row) const {
  const int query = map_data_.query_begin + row;
  if (row < 0 || query >= map_data_.query_end) return -1;
  int offset = 0;
  for (int position = 0; position < query && position < tokens_.size(); ++position) {
    const QString& t = tokens_[position];
    // As attendedText writes it: "∅" for an empty piece, and each newline as "↵" and a line break.
    offset += t.isEmpty() ? 1 : static_cast<int>(t.size() + t.count(QLatin1Char('\n')));
  }
  return offset;
}

void AttentionInspector::saveMap(const QUrl& file) {
  const QString path = file.isLocalFile() ? file.toLocalFile() : file.toString();
  if (map_data_.probs.empty()) return emit mapSaveFailed(tr("there is no map to save yet"));
  // The writer's own types: masked cells (NaN here) are 0 there, as the CLI writes them.
  model::AttentionMatrix m{{map_data_.query_begin, map_data_.query_end},
                           {map_data_.key_begin, map_data_.key_end},
                           map_data_.probs};
  for (float& p : m.probs)
    if (std::isnan(p)) p = 0;
  model::attention_export::MatrixInfo info;
  for (const auto& t : context_.tokens) info.tokens.push_back(model::attention_export::display_token(t));
  QPointer<AttentionInspector> self(this);
  QThreadPool::globalInstance()->start([self, path, m = std::move(m), info = std::move(info)] {
    QString error;
    // From UTF-16, so that a non-ASCII path also works where the narrow encoding is not UTF-8 (Windows).
    const std::filesystem::path target(path.toStdU16String());
    std::filesystem::path part = target;
    part += ".part";
    try {
      {
        std::ofstream out(part, std::ios::binary);
        if (!out) throw std::runtime_error("cannot write " + part.string());
        model::attention_export::write_matrix_csv(out, m, info);
        out.flush();
        if (!out) throw std::runtime_error("writing " + part.string() + " failed (disk full?)");
      }
      std::filesystem::rename(part, target);
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
      std::error_code ignored;
      std::filesystem::remove(part, ignored);  // no half-written file left behind
    }
    QMetaObject::invokeMethod(
        self.data(),
        [self, path, error] {
          if (!self) return;
          if (error.isEmpty())
            emit self->mapSaved(path);
          else
            emit self->mapSaveFailed(error);
        },
        Qt::QueuedConnection);
  });
}

}  // namespace glasswing::ui
