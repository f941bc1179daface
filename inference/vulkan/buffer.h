#pragma once
// Device memory and buffers. A Buffer owns one VkBuffer bound to its own VkDeviceMemory; an Arena hands out
// aligned ranges of a few large buffers so hundreds of tensors cost a handful of allocations (the spec only
// guarantees 4096).
#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inference/vulkan/handle.h"

namespace glasswing::vulkan {

class Device;

enum class MemoryUse {
  DeviceLocal,  // weights, activations, caches: fastest for the GPU
  Upload,       // host-visible, coherent: staging for uploads, small per-step state
  Readback,     // host-visible, cached when possible: results the host reads
};

// One vkAllocateMemory, counted in Device::live_allocations.
class DeviceMemory {
 public:
  // device: owner; requirements: from vkGet*MemoryRequirements; use: picks the memory type; what: for errors.
  static DeviceMemory Allocate(Device& device, const VkMemoryRequirements& requirements, MemoryUse use,
                               const std::string& what);
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;
  DeviceMemory(DeviceMemory&& o) noexcept;
  DeviceMemory& operator=(DeviceMemory&& o) noexcept;
  ~DeviceMemory();

  VkDeviceMemory handle() const { return memory_; }
  void* mapped() const { return mapped_; }  // null unless host-visible

 private:
  DeviceMemory() = default;
  void release();
  Device* device_ = nullptr;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  void* mapped_ = nullptr;
};

// A storage buffer (also a storage texel buffer, a transfer source and destination) with its own memory.
class Buffer {
 public:
  // size: bytes (> 0); use: memory kind; what: names the buffer in error messages.
  static Buffer Create(Device& device, uint64_t size, MemoryUse use, const std::string& what);

  VkBuffer handle() const { return buffer_.get(); }
  uint64_t size() const { return size_; }
  void* mapped() const { return memory_.mapped(); }  // null unless Upload/Readback

 private:
  Buffer(DeviceHandle<VkBuffer, vkDestroyBuffer> buffer, DeviceMemory memory, uint64_t size)
      : buffer_(std::move(buffer)), memory_(std::move(memory)), size_(size) {}
  DeviceHandle<VkBuffer, vkDestroyBuffer> buffer_;
  DeviceMemory memory_;  // destroyed after the buffer (members die in reverse order)
  uint64_t size_ = 0;
};

// A view into a buffer: what a descriptor binds.
struct BufferRange {
  VkBuffer buffer = VK_NULL_HANDLE;
  uint64_t offset = 0;
  uint64_t size = 0;

  // Bytes [offset, offset + size) of this range.
  BufferRange sub(uint64_t offset_in_range, uint64_t bytes) const {
    return {buffer, offset + offset_in_range, bytes};
  }
};

inline BufferRange whole(const Buffer& b) {
  return {b.handle(), 0, b.size()};
}

// Bump allocator over large buffers of one memory kind. Ranges live as long as the arena.
class Arena {
 public:
  // block_size: bytes per underlying buffer (a larger request gets a buffer of its own).
  Arena(Device& device, MemoryUse use, uint64_t block_size, std::string what);
  // A range of `bytes`, aligned for storage-buffer binding.
  BufferRange allocate(uint64_t bytes);
  uint64_t bytes_used() const { return used_; }
  const std::vector<Buffer>& blocks() const { return blocks_; }

 private:
  Device* device_;
  MemoryUse use_;
  uint64_t block_size_;
  std::string what_;
  std::vector<Buffer> blocks_;
  uint64_t block_used_ = 0;  // in blocks_.back()
  uint64_t used_ = 0;
};

}  // namespace glasswing::vulkan
