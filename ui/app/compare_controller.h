#pragma once
// The compare view's state (GUI thread): two prompts, or one prompt with two settings, answered by the loaded
// model with the same seed, a token of each in turn, and the first token where the replies part. The worker
// streams both (InferenceWorker::compare); this object collects their tokens, coalesces repaints to one per
// frame, and finds the divergence from the token ids (equal text can hide different tokens, and the other way
// round, so text is not compared).
#include <QtQml/qqmlregistration.h>

#include <QColor>
#include <QObject>
#include <QTimer>
#include <array>
#include <functional>
#include <utility>

#include "ui/app/metatypes.h"

namespace glasswing::ui {

class CompareController : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("Owned by ChatController")

  Q_PROPERTY(bool running READ running NOTIFY runningChanged)
  Q_PROPERTY(QString error READ error NOTIFY runningChanged)
  Q_PROPERTY(QString textA READ textA NOTIFY textChanged)
  Q_PROPERTY(QString textB READ textB NOTIFY textChanged)
  Q_PROPERTY(int tokensA READ tokensA NOTIFY textChanged)
  Q_PROPERTY(int tokensB READ tokensB NOTIFY textChanged)
  // The first token index where the replies differ; -1 while they agree (so far, or to the end).
  Q_PROPERTY(int divergence READ divergence NOTIFY textChanged)
  Q_PROPERTY(QString summary READ summary NOTIFY textChanged)
  // Where the replies part: each side's token and the model's most likely candidates at that step, e.g.
  // "A: “ lo” of “ lo” 41% · “ li” 22% · …" (one line per side; "" while they agree).
  Q_PROPERTY(QString divergenceDetail READ divergenceDetail NOTIFY textChanged)
  Q_PROPERTY(QString statusA READ statusA NOTIFY runningChanged)
  Q_PROPERTY(QString statusB READ statusB NOTIFY runningChanged)

 public:
  // Fills `base` with the conversation's sampling settings and says why a comparison cannot start now (""
  // when it can): no model, a chat reply still being written.
  using Gate = std::function<QString(GenerationSettings& base)>;
  explicit CompareController(Gate can_run, QObject* parent = nullptr);

  [[nodiscard]] bool running() const { return running_; }
  [[nodiscard]] QString error() const { return error_; }
  [[nodiscard]] QString textA() const { return sides_[0].text; }
  [[nodiscard]] QString textB() const { return sides_[1].text; }
  [[nodiscard]] int tokensA() const { return static_cast<int>(sides_[0].tokens.size()); }
  [[nodiscard]] int tokensB() const { return static_cast<int>(sides_[1].tokens.size()); }
  [[nodiscard]] int divergence() const { return divergence_; }
  [[nodiscard]] QString summary() const;
  [[nodiscard]] QString divergenceDetail() const;
  // Side 0 or 1's candidates at its token `index`, most likely first: "“ lo” 41% · “ li” 22%".
  Q_INVOKABLE QString candidatesAt(int side, int index) const;
  [[nodiscard]] QString statusA() const { return sides_[0].status; }
  [[nodiscard]] QString statusB() const { return sides_[1].status; }

  // Starts a comparison: each side's prompt (and system prompt) and temperature; everything else (top-k,
  // top-p, min-p, repetition penalty) from the conversation's settings. seed 0: one fresh seed for
  // both. Returns false (and sets error) when it cannot start.
  Q_INVOKABLE bool run(const QString& prompt_a, const QString& prompt_b, const QString& system_a,
                       const QString& system_b, double temperature_a, double temperature_b, int seed,
                       int max_tokens);
  Q_INVOKABLE void stop();
  // Side 0 (A) or 1 (B) as rich text: the part both replies share in `shared_color`, the first token that
  // differs on a `mark` background, the rest plain.
  Q_INVOKABLE QString richText(int side, const QColor& shared_color, const QColor& mark) const;

  void onToken(qint64 run_id, const CompareToken& token);
  void onFinished(qint64 run_id, StopReason reason_a, StopReason reason_b, const GenerationStats& stats_a,
                  const GenerationStats& stats_b, const QString& error);

 signals:
  void runningChanged();
  void textChanged();
  // To the worker, through ChatController.
  void runRequested(const glasswing::ui::CompareRequest& request);
  void stopRequested();

 private:
  struct Side {
    QString text;
    std::vector<int> tokens;
    std::vector<int> ends;                                // text length after each token
    std::vector<std::vector<TokenCandidate>> candidates;  // the model's top tokens at each step
    QString status;
  };
  void updateDivergence();
  std::pair<int, int> tokenSpan(int side, int index) const;
  QString tokenText(int side, int index) const;

  Gate can_run_;
  bool running_ = false;
  bool finished_ = false;
  QString error_;
  int64_t run_ = 0;
  std::array<Side, 2> sides_;
  int divergence_ = -1;
  size_t agreed_ = 0;  // leading positions both sides have and agree on
  QTimer repaint_;     // one textChanged per frame while tokens stream
};

}  // namespace glasswing::ui
