// lavapipe's compute threads pinned one per CPU when Glasswing opens the device (worker_pinning.h).
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>

#include "inference/vulkan/vk_error.h"
#include "inference/vulkan/worker_pinning.h"
#include "tests/vulkan/vk_test_support.h"

using namespace glasswing::vulkan;
using namespace glasswing::vulkan::test;

TEST_CASE("the compute threads are those named as their creator after the rasterizer threads", "[pinning]") {
  const std::vector<ThreadInfo> before{{10, "main", 1}, {11, "gui", 2}};
  const std::vector<ThreadInfo> after{
      {10, "main", 1}, {11, "gui", 2}, {12, "main", 5}, {13, "llvmpipe-0", 5},  {14, "llvmpipe-1", 5},
      {15, "main", 6}, {16, "gui", 6}, {17, "main", 6}, {18, "main:disk$0", 7}, {19, "main", 8}};
  CHECK(new_worker_threads(before, after, "main", 2) == std::vector<int>{15, 17});
  CHECK(new_worker_threads(before, after, "main", 8) == std::vector<int>{15, 17, 19});  // at most 8
  CHECK(new_worker_threads(before, after, "main", 0).empty());
  CHECK(new_worker_threads(before, after, "other", 2).empty());
  // a second device: only its queue thread is new, the screen's threads exist already
  const std::vector<ThreadInfo> second{
      {10, "main", 1}, {13, "llvmpipe-0", 5}, {15, "main", 6}, {20, "main", 9}};
  CHECK(new_worker_threads(after, second, "main", 2).empty());
}

TEST_CASE("process_threads lists this thread and allowed_cpus what it may run on", "[pinning]") {
  const auto threads = process_threads();
  REQUIRE(!threads.empty());
  CHECK(std::any_of(threads.begin(), threads.end(), [](const ThreadInfo& t) { return t.tid == getpid(); }));
  CHECK(!current_thread_name().empty());
  const auto cpus = allowed_cpus();
  REQUIRE(!cpus.empty());
  CHECK(std::is_sorted(cpus.begin(), cpus.end()));
}

// ctest runs this once as is and once with GLASSWING_VULKAN_PIN_THREADS=0 (vulkan_tests_nopin:), each in a
// fresh process whose first device creates lavapipe's threads.
TEST_CASE("lavapipe's compute threads are pinned one per CPU unless GLASSWING_VULKAN_PIN_THREADS=0",
          "[pinning]") {
  const char* env = std::getenv("GLASSWING_VULKAN_PIN_THREADS");
  const bool pinned = !(env && std::string(env) == "0");
  auto& ctx = context();  // the first device of this process
  if (ctx.device().info().name.find("llvmpipe") == std::string::npos) {
    WARN("SKIP: the device is not lavapipe");
    return;
  }
  const auto cpus = allowed_cpus();
  // Threads name themselves once they run: unpinned, nothing waited for that when the device was made, so a
  // rasterizer thread may still carry its creator's name for a moment (seen once in CI: no worker found).
  auto workers = new_worker_threads({}, process_threads(), current_thread_name(), lavapipe_worker_count());
  for (int i = 0; i < 500 && workers.size() < static_cast<size_t>(lavapipe_worker_count()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(4));
    workers = new_worker_threads({}, process_threads(), current_thread_name(), lavapipe_worker_count());
  }
  REQUIRE(workers.size() == static_cast<size_t>(lavapipe_worker_count()));
  std::set<int> used;
  for (size_t i = 0; i < workers.size(); ++i) {
    const auto affinity = allowed_cpus(workers[i]);
    if (!pinned) {
      CHECK(affinity == cpus);
      continue;
    }
    REQUIRE(affinity.size() == 1);
    CHECK(affinity[0] == cpus[i % cpus.size()]);
    used.insert(affinity[0]);
  }
  if (pinned) CHECK(used.size() == std::min(workers.size(), cpus.size()));
  setenv("GLASSWING_VULKAN_PIN_THREADS", "2", 1);
  CHECK_THROWS_AS(pinning_enabled(), VulkanError);
  if (env)
    setenv("GLASSWING_VULKAN_PIN_THREADS", env, 1);
  else
    unsetenv("GLASSWING_VULKAN_PIN_THREADS");
  require_no_validation_messages();
}
