// The child process of the crash test (test_crash.cpp): streams conversations into a database until it is
// killed. After each commit it appends a line to the report file saying what is now safely stored:
//   U <message id> <turn>      a user message with crash_user_text(turn)
//   S <message id>             an assistant message started (status 'streaming')
//   A <message id> <tokens>    that message's first <tokens> tokens are committed
//   F <message id> <tokens>    that message is complete with <tokens> tokens
// The report is written after the commit returns, so the database may hold more than reported, never less.
//
//   crash_writer DB REPORT SEED
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include "storage/store.h"
#include "tests/storage/crash_text.h"

namespace {

void report(int fd, const std::string& line) {
  const std::string text = line + "\n";
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    std::perror("crash_writer: write report");
    std::_Exit(3);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace glasswing::storage;
  if (argc != 4) {
    std::fprintf(stderr, "usage: crash_writer DB REPORT SEED\n");
    return 2;
  }
  const int fd = ::open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) {
    std::perror("crash_writer: open report");
    return 2;
  }
  std::mt19937_64 rng(std::stoull(argv[3]));
  try {
    Store store(argv[1]);
    for (int64_t turn = 0;; ++turn) {
      const int64_t conv = store.create_conversation("crash " + std::to_string(turn));
      for (int exchange = 0; exchange < 3; ++exchange) {
        const int64_t user = store.add_user_message(conv, test::crash_user_text(turn));
        report(fd, "U " + std::to_string(user) + " " + std::to_string(turn));
        auto writer = store.start_assistant_message(conv);
        report(fd, "S " + std::to_string(writer.message_id()));
        const int64_t n_tokens = std::uniform_int_distribution<int64_t>(10, 150)(rng);
        for (int64_t i = 0; i < n_tokens; ++i) {
          if (writer.append(test::crash_token(i)))
            report(fd, "A " + std::to_string(writer.message_id()) + " " +
                           std::to_string(writer.committed_tokens()));
          // A token takes a fraction of a millisecond here; real generation is slower, which only helps.
          std::this_thread::sleep_for(
              std::chrono::microseconds(std::uniform_int_distribution<int>(0, 400)(rng)));
        }
        writer.finish({});
        report(fd, "F " + std::to_string(writer.message_id()) + " " + std::to_string(n_tokens));
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crash_writer: %s\n", e.what());
    return 1;
  }
}
