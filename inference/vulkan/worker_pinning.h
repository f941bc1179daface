#pragma once
// lavapipe runs a dispatch's workgroups on compute threads it starts in vkCreateDevice (one per CPU, or
// LP_NUM_THREADS), and hands each thread an equal share of the workgroups up front. Linux wakes those threads
// on whichever CPU looks idle at that instant; woken together by one broadcast, two of them often land on the
// same CPU while another stays idle, and a dispatch then takes as long as that CPU needs for both shares. On
// the 2-vCPU CI VM that happened for most of a decode's ~150 dispatches per token: pinning the threads one
// per CPU took smollm2 Q8_0 decode from ~19 to ~35 tokens/s (docs/benchmarks.md, session 4). So when
// Glasswing opens a lavapipe device it pins the compute threads that vkCreateDevice started, one per CPU of
// the process's affinity mask (GLASSWING_VULKAN_PIN_THREADS=0 leaves them alone). Linux only; elsewhere
// nothing is pinned.
#include <string>
#include <vector>

namespace glasswing::vulkan {

struct ThreadInfo {
  int tid = 0;
  std::string name;              // /proc/self/task/<tid>/comm
  unsigned long long start = 0;  // start time (clock ticks since boot)
};

// This process's threads, oldest first (empty where /proc/self/task does not exist).
std::vector<ThreadInfo> process_threads();
// The calling thread's name (comm), as the threads it starts inherit it.
std::string current_thread_name();

// Which of the threads in `after` (but not in `before`, both oldest first) are the compute threads of a
// lavapipe screen created in between: lavapipe starts its rasterizer threads ("llvmpipe-N") and then its
// compute pool, whose threads keep the name of the thread that created the device (`creator`); the first
// `workers` of those after the first rasterizer thread. None when no rasterizer thread is new: the screen,
// and its threads, existed already (a second device of the same physical device). Pure function, for tests.
std::vector<int> new_worker_threads(const std::vector<ThreadInfo>& before,
                                    const std::vector<ThreadInfo>& after, const std::string& creator,
                                    int workers);
// new_worker_threads of lavapipe's threads once they have named themselves: a thread sets its own name when
// it starts running, so the list is read again every 2 ms until it stays the same (at most ~20 ms).
std::vector<int> settled_worker_threads(const std::vector<ThreadInfo>& before);
// The CPUs thread `tid` (0: the calling thread, whose mask new threads inherit) may run on
// (sched_getaffinity), ascending; empty where unknown.
std::vector<int> allowed_cpus(int tid = 0);
// Pins thread i of `tids` to cpus[i % cpus.size()]; returns how many were pinned.
int pin_threads(const std::vector<int>& tids, const std::vector<int>& cpus);
// The compute threads lavapipe starts: LP_NUM_THREADS when set, else one per online CPU.
int lavapipe_worker_count();
// False when GLASSWING_VULKAN_PIN_THREADS=0 (any other value but 1 or empty is a VulkanError).
bool pinning_enabled();

}  // namespace glasswing::vulkan
