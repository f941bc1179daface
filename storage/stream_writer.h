#pragma once
// Writes an assistant message while it is being generated. Deltas are buffered and committed in short
// transactions whenever 32 tokens are pending or 250 ms have passed since the last commit (both
// configurable), so a crash loses at most that much text. The message is 'streaming' until finish(), fail()
// or interrupt(); a StreamWriter destroyed before that commits what it holds and marks the message
// interrupted. A process killed outright leaves it 'streaming', and the next Store opened on the file marks
// it interrupted.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "storage/records.h"
#include "storage/sqlite.h"

namespace glasswing::storage {

struct StreamPolicy {
  std::chrono::milliseconds max_delay{250};  // commit when the oldest uncommitted delta is this old
  int64_t max_pending_tokens = 32;           // commit when this many tokens are uncommitted
  // The time source; empty means std::chrono::steady_clock::now. Tests inject a fake.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

// What the generator knows when the message ends.
struct Completion {
  Timings timings;
  std::optional<int64_t> token_count;  // nullopt: the sum of the n_tokens passed to append()
  std::string device;                  // e.g. "AMD Radeon RX 7600" or "CPU"
  std::string backend;                 // e.g. "vulkan" or "cpu"
};

// A StreamWriter uses its Store's connection: it must not outlive the Store, and the Store must not be moved
// while it exists. Use it from the thread that owns that Store.
class StreamWriter {
 public:
  // Used by Store::start_assistant_message; the message row already exists with status 'streaming'.
  StreamWriter(Database& db, int64_t conversation_id, int64_t message_id, StreamPolicy policy);
  StreamWriter(StreamWriter&& other) noexcept;
  StreamWriter& operator=(StreamWriter&&) = delete;
  StreamWriter(const StreamWriter&) = delete;
  ~StreamWriter();

  // Appends generated text (n_tokens tokens). Returns true if this call committed.
  bool append(std::string_view delta, int64_t n_tokens = 1);
  // Commits whatever is pending now (no-op if nothing is).
  void flush();
  // Ends the message: 'complete', 'error' with a reason, or 'interrupted' (e.g. the user pressed stop).
  // Pending text is committed in the same transaction.
  void finish(const Completion& completion);
  void fail(std::string_view reason, const Completion& completion = {});
  void interrupt(std::string_view reason, const Completion& completion = {});

  int64_t message_id() const { return message_id_; }
  int64_t conversation_id() const { return conversation_id_; }
  bool finished() const { return finished_; }
  int64_t commits() const { return commits_; }                   // transactions committed so far
  uint64_t committed_bytes() const { return committed_bytes_; }  // of content now safely in the file
  int64_t committed_tokens() const { return committed_tokens_; }
  uint64_t pending_bytes() const { return pending_text_.size(); }

 private:
  std::chrono::steady_clock::time_point now() const;
  void append_pending();  // inside a transaction
  void end(MessageStatus status, std::string_view reason, const Completion& completion);

  Database* db_;
  int64_t conversation_id_;
  int64_t message_id_;
  StreamPolicy policy_;
  std::string pending_text_;
  int64_t pending_tokens_ = 0;
  std::chrono::steady_clock::time_point last_commit_;
  int64_t commits_ = 0;
  uint64_t committed_bytes_ = 0;
  int64_t committed_tokens_ = 0;
  bool finished_ = false;
};

int64_t now_unix_ms();

}  // namespace glasswing::storage
