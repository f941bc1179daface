#pragma once
// GLASSWING_VULKAN_PROFILE=1: every recorded dispatch is followed by a timestamp, and when the process exits
// the time per shader (calls, total, share, mean) is printed to stderr: where a decode or prefill step's time
// goes, on any device (`glasswing-cli bench` with it set). Unset, nothing is recorded: no query pool, no
// timestamps. On CPU implementations (lavapipe runs dispatches one after another) a dispatch's time includes
// waking the worker threads; on GPUs overlapping dispatches share their time by completion order.
#include <vulkan/vulkan.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inference/vulkan/device.h"
#include "inference/vulkan/handle.h"

namespace glasswing::vulkan {

// True when GLASSWING_VULKAN_PROFILE is set to 1 (read once). Any other value but 0 is a VulkanError.
bool profiling_enabled();

struct ProfileRow {
  std::string shader;
  uint64_t calls = 0;
  double ns = 0;  // summed over the calls
};
// True when the device's compute queue writes timestamps (else profiling counts its dispatches as untimed).
bool has_timestamps(const Device& device);
// What has been timed so far in this process, most time first (empty while profiling is off).
std::vector<ProfileRow> dispatch_profile();

// The timestamps of one recorded command buffer (one per Recorder when profiling).
class DispatchTimer {
 public:
  // device: must outlive the timer. Without timestamp support on the queue it records nothing.
  explicit DispatchTimer(Device& device);
  // At the start of a recording: resets the queries and writes the first timestamp.
  void begin(VkCommandBuffer cmd);
  // After each dispatch: a timestamp that closes this dispatch's interval.
  void after_dispatch(VkCommandBuffer cmd, std::string_view shader);
  // After the submission's fence: adds each dispatch's interval to the process-wide table.
  void collect();

 private:
  Device* device_;
  DeviceHandle<VkQueryPool, vkDestroyQueryPool> pool_;
  double ns_per_tick_ = 0;
  uint64_t valid_mask_ = 0;
  std::vector<std::string> names_;  // dispatch i ends at query i + 1
};

}  // namespace glasswing::vulkan
