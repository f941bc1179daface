#pragma once
// Whether the system asks for a dark theme. Qt 6.4 has no QStyleHints::colorScheme (6.5+), so this reads
// the lightness of the application palette's window colour, and follows palette changes. GLASSWING_THEME
// (light|dark) overrides it, for screenshots and tests.
#include <QtQml/qqmlregistration.h>

#include <QObject>

namespace glasswing::ui {

class SystemTheme : public QObject {
  Q_OBJECT
  QML_ELEMENT
  Q_PROPERTY(bool dark READ dark NOTIFY darkChanged)

 public:
  explicit SystemTheme(QObject* parent = nullptr);
  [[nodiscard]] bool dark() const { return dark_; }

 signals:
  void darkChanged();

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void update();
  bool dark_ = false;
};

}  // namespace glasswing::ui
