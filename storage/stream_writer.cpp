#include "storage/stream_writer.h"

#include <utility>

namespace glasswing::storage {

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StreamWriter::StreamWriter(Database& db, int64_t conversation_id, int64_t message_id, StreamPolicy policy)
    : db_(&db), conversation_id_(conversation_id), message_id_(message_id), policy_(std::move(policy)) {
  last_commit_ = now();
}

StreamWriter::StreamWriter(StreamWriter&& other) noexcept
    : db_(other.db_),
      conversation_id_(other.conversation_id_),
      message_id_(other.message_id_),
      policy_(std::move(other.policy_)),
      pending_text_(std::move(other.pending_text_)),
      pending_tokens_(other.pending_tokens_),
      last_commit_(other.last_commit_),
      commits_(other.commits_),
      committed_bytes_(other.committed_bytes_),
      committed_tokens_(other.committed_tokens_),
      finished_(other.finished_) {
  other.finished_ = true;  // the moved-from writer owns nothing
}

StreamWriter::~StreamWriter() {
  if (finished_) return;
  try {
    interrupt("the message was abandoned before it finished");
  } catch (...) {
    // Destructors must not throw. The row stays 'streaming' and the next open marks it interrupted.
  }
}

std::chrono::steady_clock::time_point StreamWriter::now() const {
  return policy_.clock ? policy_.clock() : std::chrono::steady_clock::now();
}

bool StreamWriter::append(std::string_view delta, int64_t n_tokens) {
  if (finished_) throw StorageError("message " + std::to_string(message_id_) + " is already finished");
  pending_text_.append(delta);
  pending_tokens_ += n_tokens;
  if (pending_tokens_ >= policy_.max_pending_tokens || now() - last_commit_ >= policy_.max_delay) {
    flush();
    return true;
  }
  return false;
}

void StreamWriter::append_pending() {
  auto stmt = db_->cached(
      "UPDATE messages SET content = content || ?1, token_count = token_count + ?2 "
      "WHERE id = ?3 AND status = 'streaming'");
  stmt->bind_all(pending_text_, pending_tokens_, message_id_).run();
  if (db_->changes() != 1)
    throw StorageError("message " + std::to_string(message_id_) + " was deleted or finished elsewhere");
}

void StreamWriter::flush() {
  if (finished_) return;
  if (pending_text_.empty() && pending_tokens_ == 0) {
    last_commit_ = now();
    return;
  }
  Transaction tx(*db_);
  append_pending();
  tx.commit();
  ++commits_;
  committed_bytes_ += pending_text_.size();
  committed_tokens_ += pending_tokens_;
  pending_text_.clear();
  pending_tokens_ = 0;
  last_commit_ = now();
}

void StreamWriter::end(MessageStatus status, std::string_view reason, const Completion& completion) {
  if (finished_) throw StorageError("message " + std::to_string(message_id_) + " is already finished");
  Transaction tx(*db_);
  if (!pending_text_.empty() || pending_tokens_ != 0) append_pending();
  auto stmt = db_->cached(
      "UPDATE messages SET status = ?1, status_reason = ?2, token_count = coalesce(?3, token_count), "
      "ttft_ms = ?4, prompt_tps = ?5, generation_tps = ?6, device = ?7, backend = ?8, stream_pid = NULL "
      "WHERE id = ?9 AND status = 'streaming'");
  stmt->bind_all(to_string(status), reason, completion.token_count, completion.timings.time_to_first_token_ms,
                 completion.timings.prompt_tokens_per_s, completion.timings.generation_tokens_per_s,
                 completion.device, completion.backend, message_id_)
      .run();
  if (db_->changes() != 1)
    throw StorageError("message " + std::to_string(message_id_) + " was deleted or finished elsewhere");
  auto touch = db_->cached("UPDATE conversations SET updated_ms = ?1 WHERE id = ?2");
  touch->bind_all(now_unix_ms(), conversation_id_).run();
  tx.commit();
  finished_ = true;
  ++commits_;
  committed_bytes_ += pending_text_.size();
  committed_tokens_ += pending_tokens_;
  pending_text_.clear();
  pending_tokens_ = 0;
}

void StreamWriter::finish(const Completion& completion) {
  end(MessageStatus::complete, "", completion);
}

void StreamWriter::fail(std::string_view reason, const Completion& completion) {
  end(MessageStatus::error, reason, completion);
}

void StreamWriter::interrupt(std::string_view reason, const Completion& completion) {
  end(MessageStatus::interrupted, reason, completion);
}

}  // namespace glasswing::storage
