// glasswing [--model FILE.gguf] [--device NAME] [--db FILE.sqlite]: the desktop app.
#include <QtQml/qqmlextensionplugin.h>

#include <QCommandLineParser>
#include <QDir>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QStandardPaths>
#include <cstdio>

#include "ui/app/chat_controller.h"
#include "ui/app/self_test.h"
#include "ui/backend/engine_adapter.h"
#include "ui/backend/model_description.h"
#include "ui/backend/sqlite_store.h"
#include "ui/core/device_match.h"

Q_IMPORT_QML_PLUGIN(GlasswingPlugin)

int main(int argc, char** argv) {
  using namespace glasswing::ui;
  QGuiApplication app(argc, argv);
  QGuiApplication::setOrganizationName(QStringLiteral("Glasswing"));
  QGuiApplication::setApplicationName(QStringLiteral("Glasswing"));
  QGuiApplication::setApplicationVersion(QStringLiteral("0.1.0"));

  QCommandLineParser cli;
  cli.setApplicationDescription(QStringLiteral("Run GGUF language models locally and look inside them."));
  cli.addHelpOption();
  cli.addVersionOption();
  const QCommandLineOption model_opt(QStringLiteral("model"), QStringLiteral("Open this GGUF model."),
                                     QStringLiteral("FILE.gguf"));
  const QCommandLineOption device_opt(
      QStringLiteral("device"),
      QStringLiteral("Run the --model on this device: Auto (default), CPU or \"Vulkan: <GPU name>\" as the "
                     "device list shows them; case and an unambiguous prefix are enough."),
      QStringLiteral("NAME"));
  const QCommandLineOption db_opt(QStringLiteral("db"),
                                  QStringLiteral("Conversation database (default: in the app data folder)."),
                                  QStringLiteral("FILE.sqlite"));
  const QCommandLineOption self_test_opt(
      QStringLiteral("self-test"),
      QStringLiteral("Test hook: run a scripted session (chat, crash-begin, crash-check) and exit."),
      QStringLiteral("MODE"));
  const QCommandLineOption out_opt(QStringLiteral("self-test-out"),
                                   QStringLiteral("Where the self-test writes its screenshot."),
                                   QStringLiteral("DIR"), QStringLiteral("."));
  cli.addOptions({model_opt, device_opt, db_opt, self_test_opt, out_opt});
  cli.process(app);

  QString db_path = cli.value(db_opt);
  if (db_path.isEmpty()) {
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(dir);
    db_path = QDir(dir).filePath(QStringLiteral("glasswing.sqlite"));
  }
  const std::filesystem::path db_file = db_path.toStdString();
  const QString model_path = cli.value(model_opt);
  if (!model_path.isEmpty() && !QFileInfo::exists(model_path)) {
    std::fprintf(stderr, "glasswing: model file not found: %s\n", qPrintable(model_path));
    return 2;
  }
  QString device;
  if (cli.isSet(device_opt)) {
    const std::string wanted = cli.value(device_opt).toStdString();
    // Auto and CPU are always there; only a GPU name needs the Vulkan devices listed (which takes a moment).
    DeviceMatch match = match_device({"Auto", "CPU"}, wanted);
    if (match.device.empty()) match = match_device(create_engine()->devices(), wanted);
    if (match.device.empty()) {
      std::fprintf(stderr, "glasswing: --device: %s\n", match.error.c_str());
      return 2;
    }
    device = QString::fromStdString(match.device);
  }

  Backends backends;
  backends.store = [db_file] { return open_sqlite_store(db_file); };
  backends.engine = [] { return create_engine(); };
  backends.describe_model = [](const std::string& path) { return describe_model_file(path); };
  backends.capabilities = [] { return engine_capabilities(); };
  backends.model_folders = default_model_folders(QDir::homePath().toStdString());

  ChatController controller(backends);
  QQuickStyle::setStyle(QStringLiteral("Basic"));
  QQmlApplicationEngine engine;
  engine.addImportPath(QStringLiteral("qrc:/"));  // the Glasswing module is compiled in
  engine.setInitialProperties({{QStringLiteral("controller"), QVariant::fromValue(&controller)}});
  engine.load(QUrl(QStringLiteral("qrc:/Glasswing/Main.qml")));
  if (engine.rootObjects().isEmpty()) return 1;
  auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().first());
  controller.start(model_path, device);

  std::unique_ptr<SelfTest> self_test;
  if (cli.isSet(self_test_opt)) {
    self_test = std::make_unique<SelfTest>(controller, *window, backends.store, cli.value(self_test_opt),
                                           cli.value(out_opt));
    self_test->start();
  }
  return app.exec();
}
