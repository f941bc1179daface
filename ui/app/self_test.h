#pragma once
// The end-to-end test hook (`glasswing --self-test MODE --self-test-out DIR`): drives the running app through
// the same invokables QML calls, watches that the GUI thread never stalls while tokens stream, saves a
// screenshot, and exits with 0 (pass) or 1 (fail, with the reason on stderr).
//   chat         send a prompt, wait for the streamed reply, check it is in the database, regenerate, switch
//                back to the first branch; while a reply streams, 99 % of the heartbeat's gaps must stay
//                under 50 ms and none may reach 250 ms (self_test.cpp says why)
//   attention    send a prompt, open the attention view on the reply, wait for its overview and a head's map,
//                pick another head, and screenshot the view
//   compare      open the compare view, compare a prompt with itself (same seed: identical replies), then
//                with another temperature for B (the replies must part), and screenshot the view
//   crash-begin  send a prompt and print "STREAMING" once text has been committed (the test then SIGKILLs)
//   crash-check  open the newest conversation and check its last reply shows as interrupted with its text
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <functional>
#include <vector>

#include "ui/app/chat_controller.h"

class QQuickWindow;

namespace glasswing::ui {

class SelfTest : public QObject {
  Q_OBJECT

 public:
  SelfTest(ChatController& controller, QQuickWindow& window, StoreFactory verify_store, QString mode,
           QString out_dir, QObject* parent = nullptr);
  void start();

 private:
  // One step waits for a condition (polled on the GUI thread, never blocking it), then acts. The default
  // limit is generous: on the shared 2-vCPU CI VM, loading stories260K once took over 60 s at the end of a
  // full test run (it takes milliseconds); a real hang still fails well inside ctest's 300 s.
  static constexpr int kStepTimeoutMs = 150000;
  struct Step {
    QString what;
    std::function<bool()> ready;
    std::function<void()> act;
    int timeout_ms = kStepTimeoutMs;
  };
  void then(QString what, std::function<bool()> ready, std::function<void()> act,
            int timeout_ms = kStepTimeoutMs);
  void poll();
  void fail(const QString& why);
  void pass();
  void screenshot();
  void verifyStored(qint64 conversation_id, qint64 message_id, const QString& expected_text);
  void heartbeat();

  ChatController& controller_;
  QQuickWindow& window_;
  StoreFactory verify_store_;
  QString mode_;
  QString out_dir_;
  QList<Step> steps_;
  QElapsedTimer step_clock_;
  QTimer poller_;
  QTimer heartbeat_;
  QElapsedTimer since_beat_;
  std::vector<qint64> streamed_gaps_ms_;  // heartbeat gaps that began and ended while a reply streamed
  bool was_streaming_ = false;
  int deltas_seen_ = 0;
  qint64 first_reply_ = 0;
  QString first_text_;
  bool stored_ok_ = false;
  bool verifying_ = false;
};

}  // namespace glasswing::ui
