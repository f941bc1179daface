#include "ui/app/conversation_settings.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>

namespace glasswing::ui {

template <typename T>
void ConversationSettings::assign(T& field, T value) {
  if (field == value) return;
  field = std::move(value);
  emit changed();
  emit edited();
}

void ConversationSettings::setSystemPrompt(const QString& v) {
  assign(s_.system_prompt, v.toStdString());
}
void ConversationSettings::setTemperature(double v) {
  assign(s_.temperature, std::clamp(v, 0.0, 5.0));
}
void ConversationSettings::setTopK(int v) {
  assign(s_.top_k, std::max(0, v));
}
void ConversationSettings::setTopP(double v) {
  assign(s_.top_p, std::clamp(v, 0.0, 1.0));
}
void ConversationSettings::setMinP(double v) {
  assign(s_.min_p, std::clamp(v, 0.0, 1.0));
}
void ConversationSettings::setRepetitionPenalty(double v) {
  assign(s_.repetition_penalty, std::clamp(v, 0.5, 3.0));
}
void ConversationSettings::setSeed(qint64 v) {
  assign(s_.seed, static_cast<uint64_t>(std::max<qint64>(0, v)));
}
void ConversationSettings::setMaxTokens(int v) {
  assign(s_.max_tokens, std::max(1, v));
}
void ConversationSettings::setContextLength(int v) {
  assign(s_.context_length, std::max(0, v));
}
void ConversationSettings::setDevice(const QString& v) {
  assign(s_.device, v.toStdString());
}

void ConversationSettings::setThinking(bool v) {
  assign(s_.thinking, v);
}

namespace {
bool is_effort(const QString& v) {
  return v == "low" || v == "medium" || v == "high";
}
}  // namespace

void ConversationSettings::setReasoningEffort(const QString& v) {
  if (is_effort(v)) assign(s_.reasoning_effort, v.toStdString());
}

void ConversationSettings::load(const GenerationSettings& values) {
  s_ = values;
  emit changed();
}

std::string ConversationSettings::toJson(const GenerationSettings& v) {
  QJsonObject o{{"system_prompt", QString::fromStdString(v.system_prompt)},
                {"temperature", v.temperature},
                {"top_k", v.top_k},
                {"top_p", v.top_p},
                {"min_p", v.min_p},
                {"repetition_penalty", v.repetition_penalty},
                {"seed", QString::number(v.seed)},  // as text: JSON numbers lose 64-bit precision
                {"max_tokens", v.max_tokens},
                {"context_length", v.context_length},
                {"device", QString::fromStdString(v.device)},
                {"thinking", v.thinking},
                {"reasoning_effort", QString::fromStdString(v.reasoning_effort)}};
  return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

GenerationSettings ConversationSettings::fromJson(const std::string& json) {
  GenerationSettings v;
  const QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(json)).object();
  v.system_prompt = o.value("system_prompt").toString(QString::fromStdString(v.system_prompt)).toStdString();
  v.temperature = o.value("temperature").toDouble(v.temperature);
  v.top_k = o.value("top_k").toInt(v.top_k);
  v.top_p = o.value("top_p").toDouble(v.top_p);
  v.min_p = o.value("min_p").toDouble(v.min_p);
  v.repetition_penalty = o.value("repetition_penalty").toDouble(v.repetition_penalty);
  v.seed = o.value("seed").toString().toULongLong();
  v.max_tokens = o.value("max_tokens").toInt(v.max_tokens);
  v.context_length = o.value("context_length").toInt(v.context_length);
  v.device = o.value("device").toString().toStdString();
  v.thinking = o.value("thinking").toBool(v.thinking);  // absent before session 8: on
  if (const QString effort = o.value("reasoning_effort").toString(); is_effort(effort))  // (session 9)
    v.reasoning_effort = effort.toStdString();
  return v;
}

}  // namespace glasswing::ui
