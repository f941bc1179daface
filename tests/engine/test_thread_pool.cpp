// cpu::ThreadPool: every index of every job runs exactly once, whether the workers are spinning for the next
// job or asleep, and the pool shuts down from either state. A lost wake-up shows as a hang (ctest's timeout).
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#ifdef __linux__
#include <sched.h>
#endif

#include "inference/cpu/thread_pool.h"

using glasswing::cpu::ThreadPool;

namespace {

// Runs jobs of sizes 1..max_n, checking that each covers [0, n) exactly once and that each thread index
// is used at most once per job.
void check_jobs(ThreadPool& pool, int64_t max_n, int rounds, std::chrono::microseconds pause = {}) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(max_n));
  for (int r = 0; r < rounds; ++r) {
    const int64_t n = 1 + r % max_n;
    for (auto& h : hits) h = 0;
    std::vector<std::atomic<int>> per_thread(static_cast<size_t>(pool.size()));
    std::atomic<int> bad_index{0};
    // (no Catch assertions inside the job: Catch is not thread-safe)
    pool.parallel_for(n, [&](int64_t begin, int64_t end, int thread) {
      if (thread < 0 || thread >= pool.size()) {
        bad_index++;
        return;
      }
      per_thread[static_cast<size_t>(thread)]++;
      for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)]++;
    });
    REQUIRE(bad_index == 0);
    for (int64_t i = 0; i < n; ++i) REQUIRE(hits[static_cast<size_t>(i)] == 1);
    for (int64_t i = n; i < max_n; ++i) REQUIRE(hits[static_cast<size_t>(i)] == 0);
    for (auto& t : per_thread) REQUIRE(t <= 1);
    if (pause.count()) std::this_thread::sleep_for(pause);
  }
}

struct SpinEnv {  // sets $GLASSWING_CPU_SPIN_US for pools constructed while it lives
  explicit SpinEnv(const char* us) { setenv("GLASSWING_CPU_SPIN_US", us, 1); }
  ~SpinEnv() { unsetenv("GLASSWING_CPU_SPIN_US"); }
};

}  // namespace

TEST_CASE("Thread pool runs every index once in back-to-back jobs", "[thread_pool]") {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    REQUIRE(pool.size() == threads);
    check_jobs(pool, 37, 5000);  // calls microseconds apart: the workers never sleep
  }
}

TEST_CASE("Thread pool wakes workers that went to sleep between jobs", "[thread_pool]") {
  ThreadPool pool(3);
  // pauses longer than the spin: every job finds the workers asleep
  const auto pause = ThreadPool::kSpin * 3 + std::chrono::microseconds(500);
  check_jobs(pool, 20, 40, std::chrono::duration_cast<std::chrono::microseconds>(pause));
}

TEST_CASE("Thread pool with GLASSWING_CPU_SPIN_US=0 sleeps at once and still runs every job",
          "[thread_pool]") {
  SpinEnv env("0");
  ThreadPool pool(4);
  check_jobs(pool, 50, 2000);
  check_jobs(pool, 50, 20, std::chrono::microseconds(300));
}

TEST_CASE("Thread pool shuts down with its workers spinning or asleep", "[thread_pool]") {
  for (int i = 0; i < 50; ++i) {
    ThreadPool pool(4);
    check_jobs(pool, 8, 3);  // destroyed right after a job: workers still spinning
  }
  for (int i = 0; i < 5; ++i) {
    ThreadPool pool(4);
    check_jobs(pool, 8, 1);
    std::this_thread::sleep_for(ThreadPool::kSpin * 4);  // workers asleep
  }
  ThreadPool idle(4);  // never used
}

TEST_CASE("Thread pool jobs see the caller's writes and the caller sees theirs", "[thread_pool]") {
  ThreadPool pool(2);
  std::vector<int64_t> data(1000);
  for (int round = 0; round < 500; ++round) {
    for (auto& d : data) d = round;  // plain writes before the job
    pool.parallel_for(static_cast<int64_t>(data.size()), [&](int64_t b, int64_t e, int) {
      for (int64_t i = b; i < e; ++i) data[static_cast<size_t>(i)] = data[static_cast<size_t>(i)] * 2 + i;
    });
    for (size_t i = 0; i < data.size(); ++i) REQUIRE(data[i] == int64_t(round) * 2 + int64_t(i));
  }
}

TEST_CASE("The default thread count is one per allowed physical core", "[thread_pool]") {
  const int n = glasswing::cpu::default_thread_count();
  CHECK(n >= 1);
  CHECK(n <= static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  CHECK(ThreadPool().size() == n);
#ifdef __linux__
  cpu_set_t all;
  CPU_ZERO(&all);
  REQUIRE(sched_getaffinity(0, sizeof all, &all) == 0);
  CHECK(n <= CPU_COUNT(&all));
  int first = 0;
  while (!CPU_ISSET(first, &all)) ++first;
  int in_thread = 0;
  std::thread t([&] {  // a thread allowed on one CPU gets one
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    if (sched_setaffinity(0, sizeof one, &one) == 0) in_thread = glasswing::cpu::default_thread_count();
  });
  t.join();
  CHECK(in_thread == 1);
#endif
}

TEST_CASE("A pool with more threads than CPUs to run on still runs every job", "[thread_pool]") {
#ifdef __linux__
  // Every thread started from a thread confined to one CPU inherits that: four threads share it, so each
  // spin ends without its partner having run (the spin budget shrinks) and the jobs must still complete.
  cpu_set_t all;
  CPU_ZERO(&all);
  REQUIRE(sched_getaffinity(0, sizeof all, &all) == 0);
  int first = 0;
  while (!CPU_ISSET(first, &all)) ++first;
  bool confined = false;
  std::thread t([&] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    confined = sched_setaffinity(0, sizeof one, &one) == 0;
    if (!confined) return;
    ThreadPool pool(4);
    check_jobs(pool, 13, 3000);
    check_jobs(pool, 13, 10, std::chrono::microseconds(300));
  });
  t.join();
  if (!confined) WARN("could not confine a thread to one CPU");
#else
  WARN("needs Linux thread affinity");
#endif
}
