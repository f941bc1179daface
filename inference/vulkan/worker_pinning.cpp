#include "inference/vulkan/worker_pinning.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#ifdef __linux__
#include <dirent.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "inference/vulkan/env_choice.h"
#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

namespace {

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

}  // namespace

std::vector<ThreadInfo> process_threads() {
  std::vector<ThreadInfo> threads;
#ifdef __linux__
  DIR* dir = opendir("/proc/self/task");
  if (!dir) return threads;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    ThreadInfo t;
    t.tid = std::atoi(e->d_name);
    const std::string base = std::string("/proc/self/task/") + e->d_name;
    t.name = read_line(base + "/comm");
    // stat is "tid (comm) state ...": the name may hold spaces and parentheses, so fields count from the last
    // ')'
    const std::string stat = read_line(base + "/stat");
    const size_t close = stat.rfind(')');
    if (close != std::string::npos && close + 2 <= stat.size()) {
      std::istringstream fields(stat.substr(close + 2));
      std::string field;
      for (int i = 3; i <= 22 && fields >> field; ++i)
        if (i == 22) t.start = std::strtoull(field.c_str(), nullptr, 10);  // starttime
    }
    threads.push_back(t);
  }
  closedir(dir);
  std::sort(threads.begin(), threads.end(), [](const ThreadInfo& a, const ThreadInfo& b) {
    return a.start != b.start ? a.start < b.start : a.tid < b.tid;
  });
#endif
  return threads;
}

std::string current_thread_name() {
#ifdef __linux__
  return read_line("/proc/self/task/" + std::to_string(syscall(SYS_gettid)) + "/comm");
#else
  return {};
#endif
}

std::vector<int> new_worker_threads(const std::vector<ThreadInfo>& before,
                                    const std::vector<ThreadInfo>& after, const std::string& creator,
                                    int workers) {
  std::set<int> old;
  for (const auto& t : before) old.insert(t.tid);
  std::vector<int> found;
  bool rasterizer_seen = false;  // the screen's threads start with its rasterizer pool
  for (const auto& t : after) {
    if (old.count(t.tid)) continue;
    if (t.name.rfind("llvmpipe-", 0) == 0)
      rasterizer_seen = true;
    else if (rasterizer_seen && t.name == creator && found.size() < static_cast<size_t>(std::max(workers, 0)))
      found.push_back(t.tid);
  }
  return found;
}

std::vector<int> settled_worker_threads(const std::vector<ThreadInfo>& before) {
  const std::string creator = current_thread_name();
  const int workers = lavapipe_worker_count();
  std::vector<int> last = new_worker_threads(before, process_threads(), creator, workers);
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::vector<int> now = new_worker_threads(before, process_threads(), creator, workers);
    if (now == last) break;
    last = std::move(now);
  }
  return last;
}

std::vector<int> allowed_cpus(int tid) {
  std::vector<int> cpus;
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(tid, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
#else
  (void)tid;
#endif
  return cpus;
}

int pin_threads(const std::vector<int>& tids, const std::vector<int>& cpus) {
  int pinned = 0;
#ifdef __linux__
  if (cpus.empty()) return 0;
  for (size_t i = 0; i < tids.size(); ++i) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpus[i % cpus.size()], &set);
    if (sched_setaffinity(tids[i], sizeof set, &set) == 0) ++pinned;  // a thread that has exited: skipped
  }
#else
  (void)tids;
  (void)cpus;
#endif
  return pinned;
}

int lavapipe_worker_count() {
  if (const char* env = std::getenv("LP_NUM_THREADS"); env && *env) return std::atoi(env);
#ifdef __linux__
  return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
#else
  return 0;
#endif
}

bool pinning_enabled() {
  return env_choice("GLASSWING_VULKAN_PIN_THREADS", {"0", "1"}, 1) == 1;
}

}  // namespace glasswing::vulkan
