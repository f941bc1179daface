#pragma once
// A QGuiApplication for C++ tests (offscreen unless told otherwise), and a way to wait for queued signals.
#include <functional>

namespace glasswing::test {

// Creates the application on first use.
void ensure_qt_app();
// Runs the event loop until `done` is true or `timeout_ms` passes; returns done().
bool wait_until(const std::function<bool()>& done, int timeout_ms = 5000);

}  // namespace glasswing::test
