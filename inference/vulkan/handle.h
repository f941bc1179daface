#pragma once
// Move-only owner of one device-level Vulkan handle: destroys it with its VkDevice when it goes away.
// Wrap a handle on the line that creates it, so an exception after that line cannot leak it.
#include <vulkan/vulkan.h>

#include <utility>

namespace glasswing::vulkan {

template <typename T, void (*Destroy)(VkDevice, T, const VkAllocationCallbacks*)>
class DeviceHandle {
 public:
  DeviceHandle() = default;
  // device: the owner; handle: a handle just created on it (VK_NULL_HANDLE allowed).
  DeviceHandle(VkDevice device, T handle) : device_(device), handle_(handle) {}
  DeviceHandle(const DeviceHandle&) = delete;
  DeviceHandle& operator=(const DeviceHandle&) = delete;
  DeviceHandle(DeviceHandle&& o) noexcept
      : device_(o.device_), handle_(std::exchange(o.handle_, static_cast<T>(VK_NULL_HANDLE))) {}
  DeviceHandle& operator=(DeviceHandle&& o) noexcept {
    if (this != &o) {
      reset();
      device_ = o.device_;
      handle_ = std::exchange(o.handle_, static_cast<T>(VK_NULL_HANDLE));
    }
    return *this;
  }
  ~DeviceHandle() { reset(); }

  T get() const { return handle_; }
  VkDevice device() const { return device_; }
  void reset() {
    if (handle_ != static_cast<T>(VK_NULL_HANDLE)) Destroy(device_, handle_, nullptr);
    handle_ = static_cast<T>(VK_NULL_HANDLE);
  }

 private:
  VkDevice device_ = VK_NULL_HANDLE;
  T handle_ = static_cast<T>(VK_NULL_HANDLE);
};

}  // namespace glasswing::vulkan
