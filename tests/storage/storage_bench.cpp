// Storage benchmark (not a test; run scripts/bench-storage.sh): inserting 100k messages, opening a
// conversation of 10k messages, and an FTS query over 100k messages.
//
//   storage_bench [DIR]   (default: a fresh directory under /tmp)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "storage/store.h"

namespace {

using namespace glasswing::storage;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// CPU time of this process (user + system). On a shared, loaded machine wall time includes waiting for a
// core; CPU time is what the work itself costs. Both are reported.
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Words with a Zipf-like frequency, so queries hit a realistic mix of common and rare terms.
std::string random_text(std::mt19937_64& rng, const std::vector<std::string>& vocabulary, int n_words) {
  std::string text;
  for (int i = 0; i < n_words; ++i) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const size_t index = static_cast<size_t>(std::pow(vocabulary.size(), u)) - 1;
    text += vocabulary[std::min(index, vocabulary.size() - 1)];
    text += ' ';
  }
  return text;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "glasswing-storage-bench";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path path = dir / "bench.sqlite";
  try {
    std::mt19937_64 rng(42);
    std::vector<std::string> vocabulary;
    const char* syllables[] = {"ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pe", "dra"};
    for (int i = 0; i < 20000; ++i) {
      std::string word;
      for (int n = i; word.size() < 4 || n > 0; n /= 10) word += syllables[n % 10];
      vocabulary.push_back(word);
    }

    Store store(path);
    // 1. Insert 100k messages: 90 conversations of 1000 turns and one of 10k, as the app writes them (one
    //    transaction per message through the public API).
    const auto insert_start = Clock::now();
    const double insert_cpu_start = cpu_ms();
    int64_t big_conversation = 0;
    int64_t n_messages = 0;
    for (int c = 0; c < 91; ++c) {
      const bool big = c == 45;
      const int64_t conv = store.create_conversation("conversation " + std::to_string(c));
      if (big) big_conversation = conv;
      std::optional<int64_t> leaf;
      for (int i = 0; i < (big ? 10000 : 1000); ++i) {
        const Role role = i % 2 ? Role::assistant : Role::user;
        leaf =
            store.add_message(conv, leaf, role, random_text(rng, vocabulary, role == Role::user ? 15 : 60));
        ++n_messages;
      }
    }
    const double insert_ms = ms_since(insert_start);
    const double insert_cpu = cpu_ms() - insert_cpu_start;
    std::printf("insert %lld messages (one transaction each): %.0f ms wall (%.1f us/message), %.0f ms CPU\n",
                static_cast<long long>(n_messages), insert_ms, 1000.0 * insert_ms / n_messages, insert_cpu);

    // 2. Open a conversation of 10k messages from a fresh connection: the whole tree and its active path.
    store.database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    std::vector<double> open_ms, open_cpu, open_file_ms, open_file_cpu;
    for (int run = 0; run < 10; ++run) {
      const auto file_start = Clock::now();
      const double file_cpu_start = cpu_ms();
      Store reader(path);
      open_file_ms.push_back(ms_since(file_start));
      open_file_cpu.push_back(cpu_ms() - file_cpu_start);
      const auto start = Clock::now();
      const double cpu_start = cpu_ms();
      const ConversationTree tree = reader.load_conversation(big_conversation);
      open_ms.push_back(ms_since(start));
      open_cpu.push_back(cpu_ms() - cpu_start);
      if (tree.messages.size() != 10000 || tree.active_path.size() != 10000) {
        std::fprintf(stderr, "unexpected tree: %zu messages\n", tree.messages.size());
        return 1;
      }
    }
    std::printf("open the database file (checks, quick_check, pragmas): median %.1f ms wall, %.1f ms CPU\n",
                median(open_file_ms), median(open_file_cpu));
    std::printf(
        "open a conversation of 10000 messages (tree + active path): median %.1f ms wall, %.1f ms CPU "
        "(target < 50)\n",
        median(open_ms), median(open_cpu));

    // 3. FTS: ranked queries with snippets, top 50, over all 100k messages. Mid-frequency words and a
    // two-word
    //    query.
    const std::vector<std::string> queries = {vocabulary[50], vocabulary[500], vocabulary[5000],
                                              vocabulary[20] + " " + vocabulary[300]};
    for (const std::string& q : queries) {
      std::vector<double> times, cpu_times;
      size_t n_hits = 0;
      for (int run = 0; run < 20; ++run) {
        const auto start = Clock::now();
        const double cpu_start = cpu_ms();
        n_hits = store.search(q).size();
        times.push_back(ms_since(start));
        cpu_times.push_back(cpu_ms() - cpu_start);
      }
      const int64_t n_matching = store.database().query_int64(
          "SELECT count(*) FROM message_search WHERE message_search MATCH '" + q + "'");
      std::printf(
          "search \"%s\" (%lld matching messages, top %zu with snippets): median %.2f ms wall, %.2f ms CPU "
          "(target < 20)\n",
          q.c_str(), static_cast<long long>(n_matching), n_hits, median(times), median(cpu_times));
    }
    std::printf("database size: %.1f MiB\n", fs::file_size(path) / 1048576.0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "storage_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
