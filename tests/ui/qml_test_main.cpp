// Runs tests/ui/qml/tst_*.qml against the Glasswing QML module linked into this executable.
#include <QtQml/qqmlextensionplugin.h>

#include <QQmlEngine>
#include <QtQuickTest>

Q_IMPORT_QML_PLUGIN(GlasswingPlugin)

class Setup : public QObject {
  Q_OBJECT
 public slots:
  void qmlEngineAvailable(QQmlEngine* engine) { engine->addImportPath(QStringLiteral("qrc:/")); }
};

QUICK_TEST_MAIN_WITH_SETUP(glasswing_qml, Setup)

#include "qml_test_main.moc"
