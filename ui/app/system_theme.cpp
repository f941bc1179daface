#include "ui/app/system_theme.h"

#include <QEvent>
#include <QGuiApplication>
#include <QPalette>

namespace glasswing::ui {

SystemTheme::SystemTheme(QObject* parent) : QObject(parent) {
  if (qApp) qApp->installEventFilter(this);
  update();
}

bool SystemTheme::eventFilter(QObject* watched, QEvent* event) {
  if (watched == qApp && event->type() == QEvent::ApplicationPaletteChange) update();
  return QObject::eventFilter(watched, event);
}

void SystemTheme::update() {
  const QByteArray forced = qgetenv("GLASSWING_THEME");
  bool dark = false;
  if (forced == "dark" || forced == "light")
    dark = forced == "dark";
  else
    dark = QGuiApplication::palette().color(QPalette::Window).lightnessF() < 0.5;
  if (dark == dark_) return;
  dark_ = dark;
  emit darkChanged();
}

}  // namespace glasswing::ui
