#include "inference/vulkan/dispatch_profile.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>

#include "inference/vulkan/env_choice.h"
#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

namespace {

constexpr uint32_t kMaxQueries = 8192;  // a 7B model's step records ~300 dispatches

// The process-wide table, printed when the process exits.
class Table {
 public:
  void add(const std::string& shader, double ns) {
    std::lock_guard lock(mutex_);
    auto& e = rows_[shader];
    e.calls += 1;
    e.ns += ns;
  }
  void note_untimed(uint64_t n) {
    std::lock_guard lock(mutex_);
    untimed_ += n;
  }
  std::vector<ProfileRow> rows() {
    std::lock_guard lock(mutex_);
    std::vector<ProfileRow> out;
    for (const auto& [name, r] : rows_) out.push_back({name, r.calls, r.ns});
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.ns > b.ns; });
    return out;
  }
  ~Table() {
    const auto all = rows();
    if (all.empty() && untimed_ == 0) return;
    double total = 0;
    for (const auto& r : all) total += r.ns;
    std::fprintf(stderr, "\nGLASSWING_VULKAN_PROFILE: time per shader (all submissions)\n");
    std::fprintf(stderr, "%-34s %10s %12s %7s %10s\n", "shader", "calls", "total ms", "share", "mean us");
    for (const auto& r : all)
      std::fprintf(stderr, "%-34s %10llu %12.2f %6.1f%% %10.2f\n", r.shader.c_str(),
                   static_cast<unsigned long long>(r.calls), r.ns / 1e6,
                   total > 0 ? 100.0 * r.ns / total : 0.0, r.ns / 1e3 / static_cast<double>(r.calls));
    std::fprintf(stderr, "%-34s %10s %12.2f\n", "all dispatches", "", total / 1e6);
    if (untimed_)
      std::fprintf(stderr, "(%llu dispatches untimed: more than %u in one recording, or no timestamps)\n",
                   static_cast<unsigned long long>(untimed_), kMaxQueries - 1);
  }

 private:
  struct Row {
    uint64_t calls = 0;
    double ns = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Row> rows_;
  uint64_t untimed_ = 0;
};

Table& table() {
  static Table t;
  return t;
}

}  // namespace

std::vector<ProfileRow> dispatch_profile() {
  return profiling_enabled() ? table().rows() : std::vector<ProfileRow>{};
}

bool profiling_enabled() {
  static const bool enabled = [] {
    if (env_choice("GLASSWING_VULKAN_PROFILE", {"0", "1"}, 0) == 0) return false;
    table();  // constructed before any user, so it is destroyed (and printed) after them
    return true;
  }();
  return enabled;
}

namespace {
uint32_t timestamp_bits(const Device& device) {
  uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device.info().physical, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(device.info().physical, &count, families.data());
  return device.queue_family() < count ? families[device.queue_family()].timestampValidBits : 0;
}
}  // namespace

bool has_timestamps(const Device& device) {
  return timestamp_bits(device) != 0;
}

DispatchTimer::DispatchTimer(Device& device) : device_(&device) {
  const uint32_t bits = timestamp_bits(device);
  if (bits == 0) return;  // no timestamps on this queue: every dispatch counts as untimed
  valid_mask_ = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  VkPhysicalDeviceProperties props;
  vkGetPhysicalDeviceProperties(device.info().physical, &props);
  ns_per_tick_ = props.limits.timestampPeriod;
  VkQueryPoolCreateInfo qi{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
  qi.queryType = VK_QUERY_TYPE_TIMESTAMP;
  qi.queryCount = kMaxQueries;
  VkQueryPool raw = VK_NULL_HANDLE;
  check(vkCreateQueryPool(device.handle(), &qi, nullptr, &raw), "vkCreateQueryPool");
  pool_ = {device.handle(), raw};
}

void DispatchTimer::begin(VkCommandBuffer cmd) {
  names_.clear();
  if (pool_.get() == VK_NULL_HANDLE) return;
  vkCmdResetQueryPool(cmd, pool_.get(), 0, kMaxQueries);
  vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, pool_.get(), 0);
}

void DispatchTimer::after_dispatch(VkCommandBuffer cmd, std::string_view shader) {
  names_.emplace_back(shader);
  if (pool_.get() == VK_NULL_HANDLE || names_.size() >= kMaxQueries) return;
  vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, pool_.get(),
                      static_cast<uint32_t>(names_.size()));
}

void DispatchTimer::collect() {
  const size_t timed = pool_.get() == VK_NULL_HANDLE ? 0 : std::min<size_t>(names_.size(), kMaxQueries - 1);
  if (timed < names_.size()) table().note_untimed(names_.size() - timed);
  if (timed == 0) return;
  std::vector<uint64_t> ticks(timed + 1);
  check(vkGetQueryPoolResults(device_->handle(), pool_.get(), 0, static_cast<uint32_t>(timed + 1),
                              ticks.size() * sizeof(uint64_t), ticks.data(), sizeof(uint64_t),
                              VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
        "vkGetQueryPoolResults");
  for (size_t i = 0; i < timed; ++i)
    table().add(names_[i], static_cast<double>((ticks[i + 1] - ticks[i]) & valid_mask_) * ns_per_tick_);
}

}  // namespace glasswing::vulkan
