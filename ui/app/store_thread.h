#pragma once
// The GUI's storage connection, on a thread of its own so that listing, loading, renaming and searching
// never block the GUI thread. A job runs on the store thread; its result is handed to a callback on the
// thread of `context` (the GUI thread), and dropped when `context` is gone.
#include <QObject>
#include <QPointer>
#include <QThread>
#include <functional>
#include <memory>
#include <type_traits>

#include "ui/backend/conversation_store.h"

namespace glasswing::ui {

class StoreThread : public QObject {
  Q_OBJECT

 public:
  explicit StoreThread(StoreFactory factory, QObject* parent = nullptr);
  ~StoreThread() override;

  // Runs job(store) on the store thread, then done(result) on context's thread. A job that throws reports
  // through error() instead.
  template <typename Job, typename Done>
  void run(Job job, QObject* context, Done done) {
    QPointer<QObject> guard(context);
    QMetaObject::invokeMethod(
        host_,
        [this, job = std::move(job), done = std::move(done), guard]() mutable {
          if (!ensureOpen()) return;
          try {
            if constexpr (std::is_void_v<decltype(job(*store_))>) {
              job(*store_);
              QMetaObject::invokeMethod(
                  guard.data(),
                  [done = std::move(done), guard]() mutable {
                    if (guard) done();
                  },
                  Qt::QueuedConnection);
            } else {
              auto result = job(*store_);
              QMetaObject::invokeMethod(
                  guard.data(),
                  [done = std::move(done), guard, result = std::move(result)]() mutable {
                    if (guard) done(std::move(result));
                  },
                  Qt::QueuedConnection);
            }
          } catch (const std::exception& e) {
            emit error(QString::fromStdString(e.what()));
          }
        },
        Qt::QueuedConnection);
  }

 signals:
  void error(const QString& message);

 private:
  bool ensureOpen();  // on the store thread

  StoreFactory factory_;
  QThread thread_;
  QObject* host_ = nullptr;  // lives on thread_; jobs are queued to it
  std::unique_ptr<ConversationStore> store_;
  bool open_failed_ = false;
};

}  // namespace glasswing::ui
