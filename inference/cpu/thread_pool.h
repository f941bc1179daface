#pragma once
// A small fork-join pool: parallel_for splits [0, n) into one contiguous chunk per thread and returns when
// all are done. The calling thread takes a chunk too. Nothing is allocated per call, so it can run inside
// every matmul of a decode step (about 7 calls per layer).
//
// Between calls a worker first spins for a short while (kSpin) watching for the next job, and only then
// sleeps on a condition variable; the caller likewise spins before it sleeps waiting for the workers. A
// decode step issues its calls a few microseconds apart, and waking a sleeping thread costs ~10-20 us on a
// virtual machine (a futex wake, an inter-processor interrupt, the other CPU leaving its idle halt) — with
// ~200 calls per token that was a sixth of a small model's decode time. An idle pool sleeps, and a thread
// whose spins keep ending in sleep (its partner not running: more threads than free CPUs) spins less.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace glasswing::cpu {

// Threads for a pool created with n_threads = 0: one per physical core this thread may run on (Linux: its
// affinity mask and sysfs' core ids). SMT siblings share a core's load and FMA units and a decode step is
// bound by memory bandwidth, so a second thread per core brings contention, and with the spinning wait it
// takes cycles from its sibling. Elsewhere, or when the topology cannot be read: hardware_concurrency().
int default_thread_count();

class ThreadPool {
 public:
  // How long a thread spins for the next event before it sleeps ($GLASSWING_CPU_SPIN_US overrides it; 0
  // sleeps at once, as a plain condition-variable pool).
  static constexpr std::chrono::microseconds kSpin{100};

  explicit ThreadPool(int n_threads = 0);  // 0: default_thread_count()
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end, thread_index) on disjoint chunks covering [0, n). Not reentrant.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn);

 private:
  void worker_loop(int index);
  void run_chunk(int index);
  // Spins until done() holds or `budget` has passed; true if it holds. The budget adapts: it doubles (up to
  // spin_) when the wait ended while spinning and halves when it did not, so that a thread whose partner
  // cannot run meanwhile (more threads than free CPUs: other processes, a CPU quota) stops burning the CPU.
  template <typename Done>
  bool spin_until(Done done, std::chrono::nanoseconds& budget) const;

  std::vector<std::thread> workers_;
  std::chrono::microseconds spin_ = kSpin;
  std::chrono::nanoseconds caller_budget_ = kSpin;  // the caller's spin budget (workers keep their own)
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  // The job: written by parallel_for before it bumps generation_, read by workers after they see the bump.
  const std::function<void(int64_t, int64_t, int)>* job_ = nullptr;
  int64_t job_n_ = 0;
  std::atomic<uint64_t> generation_{
      0};                        // bumped (under mutex_) per parallel_for: each worker runs each job once
  std::atomic<int> pending_{0};  // workers still running the current job
  std::atomic<bool> stopping_{false};
};

}  // namespace glasswing::cpu
