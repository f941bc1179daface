#include "inference/cpu/thread_pool.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <utility>

#include "inference/cpu/env_int.h"

#ifdef __linux__
#include <sched.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace glasswing::cpu {

namespace {
void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
}  // namespace

int default_thread_count() {
  const int logical = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
#ifdef __linux__
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
    std::set<std::pair<long, long>> cores;  // (package, core) of every CPU this thread may run on
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (!CPU_ISSET(cpu, &allowed)) continue;
      const std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
      long package = -1, core = -1;
      std::ifstream(dir + "physical_package_id") >> package;
      std::ifstream(dir + "core_id") >> core;
      // unreadable topology: count the CPU as a core of its own
      cores.emplace(core < 0 ? -2 - cpu : package, core < 0 ? cpu : core);
    }
    if (!cores.empty()) return std::min(logical, static_cast<int>(cores.size()));
  }
#endif
  return logical;
}

ThreadPool::ThreadPool(int n_threads) {
  spin_ = std::chrono::microseconds(env_int("GLASSWING_CPU_SPIN_US", spin_.count()));
  caller_budget_ = spin_;
  if (n_threads <= 0) n_threads = default_thread_count();
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

template <typename Done>
bool ThreadPool::spin_until(Done done, std::chrono::nanoseconds& budget) const {
  if (spin_.count() == 0) return done();
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    for (int i = 0; i < 64; ++i) {  // the clock is read once per 64 checks
      if (done()) {
        budget = std::min<std::chrono::nanoseconds>(spin_, budget * 2);
        return true;
      }
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      budget = std::max<std::chrono::nanoseconds>(std::chrono::microseconds(1), budget / 2);
      return done();
    }
  }
}

void ThreadPool::run_chunk(int index) {
  const int64_t per = (job_n_ + size() - 1) / size();
  const int64_t begin = std::min<int64_t>(job_n_, per * index);
  const int64_t end = std::min<int64_t>(job_n_, begin + per);
  if (begin < end) (*job_)(begin, end, index);
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  std::chrono::nanoseconds budget = spin_;
  for (;;) {
    const auto next = [&] { return stopping_.load() || generation_.load() != seen; };
    if (!spin_until(next, budget)) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, next);
    }
    if (stopping_) return;
    seen = generation_.load();
    run_chunk(index);
    if (pending_.fetch_sub(1) == 1) {
      // Under the mutex, so that a caller about to sleep either sees pending_ == 0 or gets this notify.
      std::lock_guard lock(mutex_);
      done_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    fn(0, n, 0);
    return;
  }
  job_ = &fn;
  job_n_ = n;
  pending_ = static_cast<int>(workers_.size());
  {
    // Under the mutex, so that a worker about to sleep either sees the new generation or gets the notify.
    std::lock_guard lock(mutex_);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  run_chunk(0);
  const auto all_done = [&] { return pending_.load() == 0; };
  if (!spin_until(all_done, caller_budget_)) {
    std::unique_lock lock(mutex_);
    done_.wait(lock, all_done);
  }
  job_ = nullptr;
}

}  // namespace glasswing::cpu
