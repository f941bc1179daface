#pragma once
// The state behind the attention view (GUI thread): which message is inspected, its tokens, the layer × head
// overview and the selected head's map, as HeatmapMatrix objects the HeatmapItems draw. It computes nothing
// itself: ChatController forwards its requests to the InferenceWorker and hands the answers back here. Each
// inspection gets a new request number, so an answer to an earlier one (the user moved on) is dropped.
#include <QtQml/qqmlregistration.h>

#include <QColor>
#include <QObject>
#include <QStringList>
#include <QUrl>
#include <QVariantList>

#include "ui/app/metatypes.h"
#include "ui/heatmap/heatmap_matrix.h"

namespace glasswing::ui {

class AttentionInspector : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("Owned by ChatController")

  Q_PROPERTY(bool active READ active NOTIFY activeChanged)
  Q_PROPERTY(bool busy READ busy NOTIFY stateChanged)
  Q_PROPERTY(bool mapBusy READ mapBusy NOTIFY stateChanged)
  Q_PROPERTY(QString error READ error NOTIFY stateChanged)
  Q_PROPERTY(QString messageRole READ messageRole NOTIFY contextChanged)
  Q_PROPERTY(QStringList tokens READ tokens NOTIFY contextChanged)
  Q_PROPERTY(int messageBegin READ messageBegin NOTIFY contextChanged)
  Q_PROPERTY(int messageEnd READ messageEnd NOTIFY contextChanged)
  Q_PROPERTY(int overviewEnd READ overviewEnd NOTIFY contextChanged)
  Q_PROPERTY(int layers READ layers NOTIFY contextChanged)
  Q_PROPERTY(int heads READ heads NOTIFY contextChanged)
  Q_PROPERTY(int kvHeads READ kvHeads NOTIFY contextChanged)
  Q_PROPERTY(int turnsLeftOut READ turnsLeftOut NOTIFY contextChanged)
  Q_PROPERTY(int metric READ metric WRITE setMetric NOTIFY metricChanged)
  Q_PROPERTY(int selectedLayer READ selectedLayer NOTIFY selectionChanged)
  Q_PROPERTY(int selectedHead READ selectedHead NOTIFY selectionChanged)
  Q_PROPERTY(int mapQueryBegin READ mapQueryBegin NOTIFY mapChanged)
  Q_PROPERTY(int mapQueryEnd READ mapQueryEnd NOTIFY mapChanged)
  Q_PROPERTY(int mapKeyBegin READ mapKeyBegin NOTIFY mapChanged)
  Q_PROPERTY(int mapKeyEnd READ mapKeyEnd NOTIFY mapChanged)
  // Colour the map up to the largest probability away from the first token (which attention sinks saturate).
  Q_PROPERTY(bool scaleWithoutFirstToken READ scaleWithoutFirstToken WRITE setScaleWithoutFirstToken NOTIFY
                 scaleChanged)
  Q_PROPERTY(glasswing::ui::HeatmapMatrix* overview READ overview CONSTANT)
  Q_PROPERTY(glasswing::ui::HeatmapMatrix* map READ map CONSTANT)

 public:
  // What the overview colours: the heads' mean entropy, their mean largest probability, or their mean
  // attention to the first token.
  enum Metric { Entropy = 0, MaxProbability = 1, FirstToken = 2 };
  Q_ENUM(Metric)

  // A map shows at most this many of the message's tokens as rows (its start when it is longer): 512 rows
  // by a 4096-token context is 8 MiB of floats.
  static constexpr int kMaxMapQueries = 512;

  explicit AttentionInspector(QObject* parent = nullptr);

  [[nodiscard]] bool active() const { return active_; }
  [[nodiscard]] bool busy() const { return busy_; }
  [[nodiscard]] bool mapBusy() const { return map_busy_; }
  [[nodiscard]] QString error() const { return error_; }
  [[nodiscard]] QString messageRole() const { return role_; }
  [[nodiscard]] QStringList tokens() const { return tokens_; }
  [[nodiscard]] int messageBegin() const { return context_.message_begin; }
  [[nodiscard]] int messageEnd() const { return context_.message_end; }
  [[nodiscard]] int overviewEnd() const { return context_.overview_end; }
  [[nodiscard]] int layers() const { return context_.layers; }
  [[nodiscard]] int heads() const { return context_.heads; }
  [[nodiscard]] int kvHeads() const { return context_.kv_heads; }
  [[nodiscard]] int turnsLeftOut() const { return context_.turns_left_out; }
  [[nodiscard]] int metric() const { return metric_; }
  void setMetric(int metric);
  [[nodiscard]] int selectedLayer() const { return layer_; }
  [[nodiscard]] int selectedHead() const { return head_; }
  [[nodiscard]] int mapQueryBegin() const { return map_data_.query_begin; }
  [[nodiscard]] int mapQueryEnd() const { return map_data_.query_end; }
  [[nodiscard]] int mapKeyBegin() const { return map_data_.key_begin; }
  [[nodiscard]] int mapKeyEnd() const { return map_data_.key_end; }
  [[nodiscard]] bool scaleWithoutFirstToken() const { return scale_without_first_; }
  void setScaleWithoutFirstToken(bool on);
  [[nodiscard]] HeatmapMatrix* overview() { return &overview_; }
  [[nodiscard]] HeatmapMatrix* map() { return &map_; }

  // Shows the map of one head (a click in the overview).
  Q_INVOKABLE void selectHead(int layer, int head);
  // Shows the page of the message's tokens holding token `first` (counted from the message's start) as the
  // map's rows; a message longer than kMaxMapQueries has several.
  Q_INVOKABLE void showRows(int first);
  Q_INVOKABLE void close();
  // Token `position` for display: newlines and tabs made visible, an empty piece as "∅".
  Q_INVOKABLE QString tokenText(int position) const;
  // One overview cell in words, e.g. "layer 3, head 5 (KV head 1): entropy 1.23 nats, …".
  Q_INVOKABLE QString headDescription(int layer, int head) const;
  // The `count` keys the map's row `row` attends to most, strongest first: [{position, token, probability}].
  Q_INVOKABLE QVariantList topKeys(int row, int count) const;

  // The conversation as rich text, each token's background blended from `background` to `color` as far as
  // the map's row `row` attends to it (relative to the row's largest probability; square root, as the map),
  // the row's own token framed. Tokens the row cannot see are left plain. Newlines break the line.
  Q_INVOKABLE QString attendedText(int row, const QColor& color, const QColor& background) const;
  // Where the row's own token starts in that text's plain characters (a view scrolls it into sight).
  Q_INVOKABLE int attendedTextOffset(int row) const;

  // Writes the map as CSV, the format of `glasswing-cli attention` (a header row of key tokens, then one row
  // per query token; 0 where a key comes after the query), on a pool thread: mapSaved or mapSaveFailed
  // follows. The file appears whole or not at all.
  Q_INVOKABLE void saveMap(const QUrl& file);

  // ChatController's side: a new inspection of a message with `role` starts (returns its request number),
  // and the worker's answers arrive.
  int64_t begin(const QString& role);
  void onInspected(qint64 request_id, const AttentionContext& context);
  void onMap(qint64 request_id, const AttentionMap& map);
  void onFailed(qint64 request_id, const QString& message);

 signals:
  void activeChanged();
  void stateChanged();
  void contextChanged();
  void metricChanged();
  void selectionChanged();
  void mapChanged();
  void scaleChanged();
  void mapSaved(const QString& path);
  void mapSaveFailed(const QString& message);
  // To the worker, through ChatController (queued).
  void mapRequested(const glasswing::ui::AttentionMapRequest& request);

 private:
  void rebuildOverview();
  void requestMap();
  void showMap();
  const float* mapRow(int row) const;
  void setBusy(bool busy, bool map_busy, const QString& error);

  bool active_ = false;
  bool busy_ = false;
  bool map_busy_ = false;
  QString error_;
  QString role_;
  int64_t request_ = 0;  // the current inspection's number
  AttentionContext context_;
  QStringList tokens_;
  int metric_ = Entropy;
  int layer_ = -1, head_ = -1;
  int rows_from_ = 0;  // the map's first row, counted from the message's first token
  bool scale_without_first_ = false;
  AttentionMap map_data_;
  HeatmapMatrix overview_;
  HeatmapMatrix map_;
};

}  // namespace glasswing::ui
