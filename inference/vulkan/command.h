#pragma once
// Command recording as named verbs, fences, and submission. A CommandBuffer recorded once can be submitted
// many times (the pre-recorded decode step).
#include <vulkan/vulkan.h>

#include <cstdint>
#include <span>

#include "inference/vulkan/buffer.h"
#include "inference/vulkan/fault_injection.h"
#include "inference/vulkan/handle.h"

namespace glasswing::vulkan {

class Device;
class Pipeline;

class Fence {
 public:
  static Fence Create(Device& device);
  VkFence handle() const { return fence_.get(); }
  // Waits until signalled (device lost is a VulkanError), then resets it.
  void wait_and_reset();

 private:
  explicit Fence(DeviceHandle<VkFence, vkDestroyFence> f) : fence_(std::move(f)) {}
  DeviceHandle<VkFence, vkDestroyFence> fence_;
};

class CommandPool {
 public:
  static CommandPool Create(Device& device);
  VkCommandPool handle() const { return pool_.get(); }

 private:
  explicit CommandPool(DeviceHandle<VkCommandPool, vkDestroyCommandPool> p) : pool_(std::move(p)) {}
  DeviceHandle<VkCommandPool, vkDestroyCommandPool> pool_;
};

class CommandBuffer {
 public:
  // pool: must outlive the buffer.
  static CommandBuffer Create(Device& device, const CommandPool& pool);
  CommandBuffer(const CommandBuffer&) = delete;
  CommandBuffer& operator=(const CommandBuffer&) = delete;
  CommandBuffer(CommandBuffer&& o) noexcept;
  CommandBuffer& operator=(CommandBuffer&&) = delete;
  ~CommandBuffer();

  VkCommandBuffer handle() const { return cmd_; }
  // Starts recording (resets what was recorded before); reusable: may be submitted many times.
  void begin();
  void end();
  // pipeline + its descriptor set
  void bind_pipeline_and_descriptor_set(const Pipeline& pipeline, VkDescriptorSet set);
  // bytes: exactly pipeline.push_bytes()
  void push_constants(const Pipeline& pipeline, std::span<const std::byte> bytes);
  // workgroup counts
  void dispatch(uint32_t x, uint32_t y, uint32_t z);
  // compute writes -> later compute reads and writes
  void dispatch_barrier();
  // copies size bytes between ranges (offsets relative to each range)
  void copy_buffer(const BufferRange& src, const BufferRange& dst, uint64_t size);
  // rows runs of row_bytes, the i-th from src.offset + i * src_stride to dst.offset + i * dst_stride
  void copy_buffer_rows(const BufferRange& src, const BufferRange& dst, uint64_t row_bytes, uint32_t rows,
                        uint64_t src_stride, uint64_t dst_stride);
  // transfer writes -> compute reads, and compute writes -> transfer reads
  void transfer_barrier();
  // compute and transfer writes -> host reads after the fence
  void host_read_barrier();
  // Submits, waits on fence, resets it. A device lost here or earlier is a VulkanError, and the device stays
  // lost (Device::note_lost). site: what the work is, for the fault-injection seam (fault_injection.h).
  void submit_and_wait(Device& device, Fence& fence, fault::Site site);
  // The two halves: submit signalling fence, and wait for it (then reset it). Between them the buffer and
  // what it reads must stay as they are.
  void submit(Device& device, Fence& fence, fault::Site site);
  static void wait(Device& device, Fence& fence);

 private:
  CommandBuffer(VkDevice device, VkCommandPool pool, VkCommandBuffer cmd)
      : device_(device), pool_(pool), cmd_(cmd) {}
  VkDevice device_;
  VkCommandPool pool_;
  VkCommandBuffer cmd_;
};

}  // namespace glasswing::vulkan
