#pragma once
// The generation settings of the open conversation, bound to the settings panel. Saved with the
// conversation as JSON; missing or malformed keys fall back to the defaults.
#include <QtQml/qqmlregistration.h>

#include <QObject>

#include "ui/backend/chat_engine.h"

namespace glasswing::ui {

class ConversationSettings : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("Provided by ChatController")
  Q_PROPERTY(QString systemPrompt READ systemPrompt WRITE setSystemPrompt NOTIFY changed)
  Q_PROPERTY(double temperature READ temperature WRITE setTemperature NOTIFY changed)
  Q_PROPERTY(int topK READ topK WRITE setTopK NOTIFY changed)
  Q_PROPERTY(double topP READ topP WRITE setTopP NOTIFY changed)
  Q_PROPERTY(double minP READ minP WRITE setMinP NOTIFY changed)
  Q_PROPERTY(double repetitionPenalty READ repetitionPenalty WRITE setRepetitionPenalty NOTIFY changed)
  Q_PROPERTY(qint64 seed READ seed WRITE setSeed NOTIFY changed)
  Q_PROPERTY(int maxTokens READ maxTokens WRITE setMaxTokens NOTIFY changed)
  Q_PROPERTY(int contextLength READ contextLength WRITE setContextLength NOTIFY changed)
  Q_PROPERTY(QString device READ device WRITE setDevice NOTIFY changed)
  Q_PROPERTY(bool thinking READ thinking WRITE setThinking NOTIFY changed)
  Q_PROPERTY(QString reasoningEffort READ reasoningEffort WRITE setReasoningEffort NOTIFY changed)

 public:
  using QObject::QObject;

  [[nodiscard]] QString systemPrompt() const { return QString::fromStdString(s_.system_prompt); }
  [[nodiscard]] double temperature() const { return s_.temperature; }
  [[nodiscard]] int topK() const { return s_.top_k; }
  [[nodiscard]] double topP() const { return s_.top_p; }
  [[nodiscard]] double minP() const { return s_.min_p; }
  [[nodiscard]] double repetitionPenalty() const { return s_.repetition_penalty; }
  [[nodiscard]] qint64 seed() const { return static_cast<qint64>(s_.seed); }
  [[nodiscard]] int maxTokens() const { return s_.max_tokens; }
  [[nodiscard]] int contextLength() const { return s_.context_length; }
  [[nodiscard]] QString device() const { return QString::fromStdString(s_.device); }
  [[nodiscard]] bool thinking() const { return s_.thinking; }
  [[nodiscard]] QString reasoningEffort() const { return QString::fromStdString(s_.reasoning_effort); }

  void setSystemPrompt(const QString& v);
  void setTemperature(double v);
  void setTopK(int v);
  void setTopP(double v);
  void setMinP(double v);
  void setRepetitionPenalty(double v);
  void setSeed(qint64 v);
  void setMaxTokens(int v);
  void setContextLength(int v);
  void setDevice(const QString& v);
  void setThinking(bool v);
  void setReasoningEffort(const QString& v);  // "low", "medium" or "high"; anything else is ignored

  [[nodiscard]] const GenerationSettings& values() const { return s_; }
  // Replaces every value without emitting `edited` (loading a conversation is not an edit).
  void load(const GenerationSettings& values);

  static std::string toJson(const GenerationSettings& values);
  static GenerationSettings fromJson(const std::string& json);

 signals:
  void changed();
  void edited();  // the user changed a value: save it

 private:
  template <typename T>
  void assign(T& field, T value);
  GenerationSettings s_;
};

}  // namespace glasswing::ui
