#include "ui/app/compare_controller.h"

#include <QStringList>
#include <algorithm>

namespace glasswing::ui {

namespace {

QString reason_text(StopReason reason) {
  switch (reason) {
    case StopReason::EndOfText:
      return CompareController::tr("ended");
    case StopReason::MaxTokens:
      return CompareController::tr("token limit");
    case StopReason::ContextFull:
      return CompareController::tr("context full");
    case StopReason::Stopped:
      return CompareController::tr("stopped");
  }
  return {};
}

QString side_status(StopReason reason, const GenerationStats& stats) {
  return CompareController::tr("%1 tokens, %2 \u00b7 %3 tok/s")
      .arg(stats.generated_tokens)
      .arg(reason_text(reason))
      .arg(stats.generation_tokens_per_s, 0, 'f', 1);
}

QString tokens(int n) {
  return n == 1 ? CompareController::tr("1 token") : CompareController::tr("%1 tokens").arg(n);
}

}  // namespace

CompareController::CompareController(Gate can_run, QObject* parent)
    : QObject(parent), can_run_(std::move(can_run)) {
  repaint_.setInterval(16);
  repaint_.setSingleShot(true);
  connect(&repaint_, &QTimer::timeout, this, &CompareController::textChanged);
}

bool CompareController::run(const QString& prompt_a, const QString& prompt_b, const QString& system_a,
                            const QString& system_b, double temperature_a, double temperature_b, int seed,
                            int max_tokens) {
  GenerationSettings base;
  QString why = running_ ? tr("a comparison is already running") : can_run_ ? can_run_(base) : QString();
  if (why.isEmpty() && (prompt_a.trimmed().isEmpty() || prompt_b.trimmed().isEmpty()))
    why = tr("both sides need a prompt");
  if (!why.isEmpty()) {
    error_ = why;
    emit runningChanged();
    return false;
  }
  CompareRequest request;
  request.id = ++run_;
  const std::array<QString, 2> prompts{prompt_a.trimmed(), prompt_b.trimmed()};
  const std::array<QString, 2> systems{system_a.trimmed(), system_b.trimmed()};
  const std::array<double, 2> temperatures{temperature_a, temperature_b};
  for (size_t i = 0; i < 2; ++i) {
    CompareSide& side = request.sides[i];
    side.settings = base;
    side.settings.system_prompt = systems[i].toStdString();
    side.settings.temperature = std::max(0.0, temperatures[i]);
    side.settings.seed = static_cast<uint64_t>(std::max(0, seed));
    side.settings.max_tokens = std::clamp(max_tokens, 1, 8192);
    side.settings.context_length = 0;  // sized for the comparison by the engine
    if (!systems[i].isEmpty()) side.turns.push_back({"system", side.settings.system_prompt});
    side.turns.push_back({"user", prompts[i].toStdString()});
    sides_[i] = {};
  }
  divergence_ = -1;
  agreed_ = 0;
  error_.clear();
  running_ = true;
  finished_ = false;
  emit runningChanged();
  emit textChanged();
  emit runRequested(request);
  return true;
}

void CompareController::stop() {
  if (running_) emit stopRequested();
}

void CompareController::onToken(qint64 run_id, const CompareToken& token) {
  if (run_id != run_ || token.side < 0 || token.side > 1) return;
  Side& s = sides_[static_cast<size_t>(token.side)];
  s.text += QString::fromStdString(token.text);
  if (token.token >= 0) {
    s.tokens.push_back(token.token);
    s.ends.push_back(static_cast<int>(s.text.size()));
    s.candidates.push_back(token.candidates);
  } else if (!s.ends.empty()) {
    s.ends.back() = static_cast<int>(s.text.size());  // text held back belongs to the last token
  }
  updateDivergence();
  if (!repaint_.isActive()) repaint_.start();
}

void CompareController::onFinished(qint64 run_id, StopReason reason_a, StopReason reason_b,
                                   const GenerationStats& stats_a, const GenerationStats& stats_b,
                                   const QString& error) {
  if (run_id != run_) return;
  running_ = false;
  finished_ = true;
  error_ = error;
  sides_[0].status = side_status(reason_a, stats_a);
  sides_[1].status = side_status(reason_b, stats_b);
  updateDivergence();
  repaint_.stop();
  emit runningChanged();
  emit textChanged();
}

void CompareController::updateDivergence() {
  if (divergence_ >= 0) return;  // the first difference stays the first
  const auto& a = sides_[0].tokens;
  const auto& b = sides_[1].tokens;
  const size_t n = std::min(a.size(), b.size());
  // Only the positions both sides reached since the last call are new.
  for (; agreed_ < n; ++agreed_)
    if (a[agreed_] != b[agreed_]) {
      divergence_ = static_cast<int>(agreed_);
      return;
    }
  if (finished_ && a.size() != b.size()) divergence_ = static_cast<int>(n);  // one ended, the other went on
}

QString CompareController::summary() const {
  const int n = static_cast<int>(std::min(sides_[0].tokens.size(), sides_[1].tokens.size()));
  if (divergence_ < 0) {
    if (n == 0) return running_ ? tr("Reading the prompts\u2026") : QString();
    return running_ || !finished_ ? tr("Identical so far: %1.").arg(tokens(n))
                                  : tr("Identical: both replies are the same %1.").arg(tokens(n));
  }
  auto token_text = [this](int side) {
    const QString t = tokenText(side, divergence_);
    return t.isNull() ? tr("(nothing more)") : QStringLiteral("\u201c%1\u201d").arg(t);
  };
  if (divergence_ == 0)
    return tr("Different from the first token: A %1, B %2.").arg(token_text(0), token_text(1));
  return tr("The same for %1, then A %2 and B %3.").arg(tokens(divergence_), token_text(0), token_text(1));
}

// Where side's token `index` (0 <= index <= its token count) lies in its text: [begin, end); empty just
// after the last token when index is the count.
std::pair<int, int> CompareController::tokenSpan(int side, int index) const {
  const Side& s = sides_[static_cast<size_t>(side)];
  const int begin = index > 0 ? s.ends[static_cast<size_t>(index - 1)] : 0;
  return {begin, index < static_cast<int>(s.tokens.size()) ? s.ends[static_cast<size_t>(index)] : begin};
}

// The text of side's token `index` (null when the side has no such token).
QString CompareController::tokenText(int side, int index) const {
  const Side& s = sides_[static_cast<size_t>(side)];
  if (index < 0 || index >= static_cast<int>(s.tokens.size())) return {};
  const auto [begin, end] = tokenSpan(side, index);
  return s.text.mid(begin, end - begin);
}

QString CompareController::candidatesAt(int side, int index) const {
  if (side < 0 || side > 1) return {};
  const Side& s = sides_[static_cast<size_t>(side)];
  if (index < 0 || index >= static_cast<int>(s.candidates.size())) return {};
  QStringList parts;
  for (const TokenCandidate& c : s.candidates[static_cast<size_t>(index)])
    parts << QStringLiteral("\u201c%1\u201d %2%")
                 .arg(QString::fromStdString(c.text))
                 .arg(100.0 * static_cast<double>(c.probability), 0, 'f', c.probability < 0.1f ? 1 : 0);
  return parts.join(QStringLiteral(" \u00b7 "));
}

QString CompareController::divergenceDetail() const {
  if (divergence_ < 0) return {};
  QStringList lines;
  for (int side = 0; side < 2; ++side) {
    const QString name = side == 0 ? QStringLiteral("A") : QStringLiteral("B");
    const QString token = tokenText(side, divergence_);
    if (token.isNull()) {
      lines << tr("%1 ended before token %2").arg(name).arg(divergence_);
      continue;
    }
    lines << tr("%1 took \u201c%2\u201d where the model rated %3")
                 .arg(name, token, candidatesAt(side, divergence_));
  }
  return lines.join(QLatin1Char('\n'));
}

QString CompareController::richText(int side, const QColor& shared_color, const QColor& mark) const {
  if (side < 0 || side > 1) return {};
  const Side& s = sides_[static_cast<size_t>(side)];
  auto html = [](const QString& t) {
    return t.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"));
  };
  const int tokens = static_cast<int>(s.tokens.size());
  if (divergence_ < 0) {
    // Agreeing so far: what both have is shared; a longer side's extra tokens are not different yet.
    const int other = static_cast<int>(sides_[static_cast<size_t>(1 - side)].tokens.size());
    const int cut = tokenSpan(side, std::min(tokens, other)).first;
    return QStringLiteral("<span style=\"color: %1\">%2</span>%3")
        .arg(shared_color.name(), html(s.text.left(cut)), html(s.text.mid(cut)));
  }
  const auto [begin, end] = tokenSpan(side, divergence_);
  return QStringLiteral("<span style=\"color: %1\">%2</span><span style=\"background-color: %3\">%4</span>%5")
      .arg(shared_color.name(), html(s.text.left(begin)), mark.name(), html(s.text.mid(begin, end - begin)),
           html(s.text.mid(end)));
}

}  // namespace glasswing::ui
