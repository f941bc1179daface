#pragma once
// A small fork-join pool: parallel_for splits [0, n) into one contiguous chunk per thread and returns when
// all are done. The calling thread takes a chunk too. Workers sleep between calls; nothing is allocated
// per call, so it can run inside every matmul of a decode step.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace glasswing::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads = 0);  // 0: every hardware thread
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end, thread_index) on disjoint chunks covering [0, n). Not reentrant.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn);

 private:
  void worker_loop(int index);
  void run_chunk(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t, int)>* job_ = nullptr;
  int64_t job_n_ = 0;
  uint64_t generation_ = 0;  // bumped per parallel_for so each worker runs each job once
  int pending_ = 0;          // workers still running the current job
  bool stopping_ = false;
};

}  // namespace glasswing::cpu
