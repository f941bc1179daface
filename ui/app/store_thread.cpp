#include "ui/app/store_thread.h"

namespace glasswing::ui {

StoreThread::StoreThread(StoreFactory factory, QObject* parent)
    : QObject(parent), factory_(std::move(factory)) {
  thread_.setObjectName(QStringLiteral("glasswing-store"));
  host_ = new QObject;
  host_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, host_, &QObject::deleteLater);
  thread_.start();
}

StoreThread::~StoreThread() {
  // The connection is closed on the thread that used it.
  QMetaObject::invokeMethod(
      host_, [this] { store_.reset(); }, Qt::BlockingQueuedConnection);
  thread_.quit();
  thread_.wait();
}

bool StoreThread::ensureOpen() {
  if (store_) return true;
  if (open_failed_) return false;
  try {
    store_ = factory_();
    return true;
  } catch (const std::exception& e) {
    open_failed_ = true;
    emit error(QString::fromStdString(e.what()));
    return false;
  }
}

}  // namespace glasswing::ui
