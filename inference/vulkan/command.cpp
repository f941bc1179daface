#include "inference/vulkan/command.h"

#include <utility>
#include <vector>

#include "inference/vulkan/device.h"
#include "inference/vulkan/pipeline.h"
#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

Fence Fence::Create(Device& device) {
  VkFenceCreateInfo info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence f = VK_NULL_HANDLE;
  check(vkCreateFence(device.handle(), &info, nullptr, &f), "vkCreateFence");
  return Fence({device.handle(), f});
}

void Fence::wait_and_reset() {
  VkFence f = fence_.get();
  check(vkWaitForFences(fence_.device(), 1, &f, VK_TRUE, UINT64_MAX), "vkWaitForFences",
        "waiting for the GPU");
  check(vkResetFences(fence_.device(), 1, &f), "vkResetFences");
}

CommandPool CommandPool::Create(Device& device) {
  VkCommandPoolCreateInfo info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  info.queueFamilyIndex = device.queue_family();
  VkCommandPool p = VK_NULL_HANDLE;
  check(vkCreateCommandPool(device.handle(), &info, nullptr, &p), "vkCreateCommandPool");
  return CommandPool({device.handle(), p});
}

CommandBuffer CommandBuffer::Create(Device& device, const CommandPool& pool) {
  VkCommandBufferAllocateInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  info.commandPool = pool.handle();
  info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  info.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  check(vkAllocateCommandBuffers(device.handle(), &info, &cmd), "vkAllocateCommandBuffers");
  return CommandBuffer(device.handle(), pool.handle(), cmd);
}

CommandBuffer::CommandBuffer(CommandBuffer&& o) noexcept
    : device_(o.device_), pool_(o.pool_), cmd_(std::exchange(o.cmd_, VK_NULL_HANDLE)) {}

CommandBuffer::~CommandBuffer() {
  if (cmd_ != VK_NULL_HANDLE) vkFreeCommandBuffers(device_, pool_, 1, &cmd_);
}

void CommandBuffer::begin() {
  check(vkResetCommandBuffer(cmd_, 0), "vkResetCommandBuffer");
  VkCommandBufferBeginInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  check(vkBeginCommandBuffer(cmd_, &info), "vkBeginCommandBuffer");
}

void CommandBuffer::end() {
  check(vkEndCommandBuffer(cmd_), "vkEndCommandBuffer");
}

void CommandBuffer::bind_pipeline_and_descriptor_set(const Pipeline& pipeline, VkDescriptorSet set) {
  vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.handle());
  vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout(), 0, 1, &set, 0, nullptr);
}

void CommandBuffer::push_constants(const Pipeline& pipeline, std::span<const std::byte> bytes) {
  if (bytes.size() != pipeline.push_bytes())
    throw VulkanError("push constants for " + pipeline.name() + " must be " +
                      std::to_string(pipeline.push_bytes()) + " bytes, got " + std::to_string(bytes.size()));
  if (!bytes.empty())
    vkCmdPushConstants(cmd_, pipeline.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0,
                       static_cast<uint32_t>(bytes.size()), bytes.data());
}

void CommandBuffer::dispatch(uint32_t x, uint32_t y, uint32_t z) {
  vkCmdDispatch(cmd_, x, y, z);
}

void CommandBuffer::dispatch_barrier() {
  VkMemoryBarrier b{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  b.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  b.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                       &b, 0, nullptr, 0, nullptr);
}

void CommandBuffer::copy_buffer(const BufferRange& src, const BufferRange& dst, uint64_t size) {
  VkBufferCopy region{src.offset, dst.offset, size};
  vkCmdCopyBuffer(cmd_, src.buffer, dst.buffer, 1, &region);
}

void CommandBuffer::copy_buffer_rows(const BufferRange& src, const BufferRange& dst, uint64_t row_bytes,
                                     uint32_t rows, uint64_t src_stride, uint64_t dst_stride) {
  std::vector<VkBufferCopy> regions(rows);
  for (uint32_t i = 0; i < rows; ++i)
    regions[i] = {src.offset + i * src_stride, dst.offset + i * dst_stride, row_bytes};
  if (rows) vkCmdCopyBuffer(cmd_, src.buffer, dst.buffer, rows, regions.data());
}

void CommandBuffer::transfer_barrier() {
  VkMemoryBarrier b{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  b.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  b.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                    VK_ACCESS_TRANSFER_WRITE_BIT;
  const VkPipelineStageFlags stages = VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
  vkCmdPipelineBarrier(cmd_, stages, stages, 0, 1, &b, 0, nullptr, 0, nullptr);
}

void CommandBuffer::host_read_barrier() {
  VkMemoryBarrier b{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  b.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  b.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &b, 0, nullptr, 0, nullptr);
}

void CommandBuffer::submit_and_wait(Device& device, Fence& fence, fault::Site site) {
  submit(device, fence, site);
  wait(device, fence);
}

void CommandBuffer::submit(Device& device, Fence& fence, fault::Site site) {
  device.throw_if_lost();
  VkSubmitInfo info{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  info.commandBufferCount = 1;
  info.pCommandBuffers = &cmd_;
  try {
    // The seam reports an injected loss in place of the submission, so no work is left pending.
    VkResult result = fault::inject(site);
    if (result == VK_SUCCESS) result = vkQueueSubmit(device.queue(), 1, &info, fence.handle());
    check(result, "vkQueueSubmit", "submitting work to the GPU");
  } catch (const VulkanError& e) {
    if (e.result() == VK_ERROR_DEVICE_LOST) device.note_lost(e.what());
    throw;
  }
}

void CommandBuffer::wait(Device& device, Fence& fence) {
  try {
    fence.wait_and_reset();
  } catch (const VulkanError& e) {
    if (e.result() == VK_ERROR_DEVICE_LOST) device.note_lost(e.what());
    throw;
  }
}

}  // namespace glasswing::vulkan
