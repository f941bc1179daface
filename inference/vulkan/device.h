#pragma once
// Physical device discovery (capabilities, selection by index or name) and the logical device with its one
// compute queue. Every device allocation is counted so tests can prove that failures leak nothing.
#include <vulkan/vulkan.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace glasswing::vulkan {

class Instance;

struct MemoryHeap {
  uint64_t size = 0;
  bool device_local = false;
};

// What `glasswing-cli devices` prints and the backend needs to know about a GPU.
struct DeviceInfo {
  uint32_t index = 0;  // position in vkEnumeratePhysicalDevices
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  std::string name;
  std::string type;    // "discrete", "integrated", "virtual", "cpu", "other"
  std::string driver;  // driver name and info
  uint32_t api_version = 0;
  bool discrete = false;
  bool fp16 = false;      // shaderFloat16
  bool fp64 = false;      // shaderFloat64 (enabled on the device when present: the llama.cpp-compatible mode)
  bool int8_dot = false;  // VK_KHR_shader_integer_dot_product
  // A tensor-core GEMM this build can run (enabled on the device when GLASSWING_VULKAN_COOPMAT asks):
  // VK_KHR_cooperative_matrix (coopmat_khr) or VK_NV_cooperative_matrix, f16 x f16 -> f32 fragments of
  // coopmat_side x coopmat_side x coopmat_side (16; lavapipe's KHR ones are 8), 0 for none.
  bool coopmat_khr = false;
  uint32_t coopmat_side = 0;
  bool coopmat() const { return coopmat_side != 0; }
  uint32_t subgroup_size = 0;
  bool subgroup_arithmetic = false;  // required: reductions in the kernels
  uint32_t shared_memory = 0;        // maxComputeSharedMemorySize
  uint64_t max_storage_buffer_range = 0;
  uint64_t min_storage_offset_alignment = 0;
  uint64_t max_texel_buffer_elements = 0;
  uint64_t min_texel_offset_alignment = 0;
  std::vector<MemoryHeap> heaps;
  std::string unusable_reason;  // empty when Glasswing can run on it

  // One line: name, type, driver, fp16, int8 dot, subgroup, shared memory, max storage range, heaps.
  std::string capability_line() const;
};

// Every physical device with its capabilities (also the unusable ones, with the reason).
std::vector<DeviceInfo> list_devices(const Instance& instance);

class Device {
 public:
  // selector: "" = $GLASSWING_VULKAN_DEVICE, or when unset the best usable device (discrete first);
  // digits = index in list_devices(); anything else = case-insensitive name substring.
  // Throws VulkanError naming the devices present when none matches.
  static std::unique_ptr<Device> Create(const Instance& instance, std::string_view selector = {});

  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  ~Device();

  VkDevice handle() const { return device_; }
  VkQueue queue() const { return queue_; }
  uint32_t queue_family() const { return queue_family_; }
  const DeviceInfo& info() const { return info_; }

  // A memory type allowed by type_bits with every `required` flag; among those, one with `preferred`
  // flags first. Throws VulkanError when none has the required flags.
  uint32_t memory_type(uint32_t type_bits, VkMemoryPropertyFlags required,
                       VkMemoryPropertyFlags preferred) const;
  VkMemoryPropertyFlags memory_flags(uint32_t type_index) const;

  // Live vkAllocateMemory allocations made through DeviceMemory: on this device, and on every device of the
  // process (which outlives a device, so a test can prove that destroying one freed all of its memory).
  int64_t live_allocations() const { return live_allocations_.load(); }
  static int64_t live_allocations_in_process();
  void note_allocation(int delta);

  // After VK_ERROR_DEVICE_LOST nothing may run on the device again (the spec: it must be re-created), and a
  // driver may hang or crash if asked to. The first loss is remembered (its VulkanError message); every later
  // submission throws that same error instead of touching the device.
  void note_lost(const std::string& message);
  void throw_if_lost() const;

 private:
  Device() = default;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  DeviceInfo info_;
  VkPhysicalDeviceMemoryProperties memory_{};
  std::atomic<int64_t> live_allocations_{0};
  std::atomic<bool> lost_{false};
  mutable std::mutex lost_mutex_;
  std::string lost_message_;
};

}  // namespace glasswing::vulkan
