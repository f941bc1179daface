#pragma once
// A compute pipeline built once from an embedded shader: its descriptor set layout (N storage buffers at
// bindings 0..N-1, then T storage texel buffers at bindings N..N+T-1), push-constant range and
// specialization constants (constant_id i = spec[i]).
#include <vulkan/vulkan.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/vulkan/buffer.h"
#include "inference/vulkan/handle.h"

namespace glasswing::vulkan {

class Device;

class Pipeline {
 public:
  // shader: name of shaders/<name>.comp; n_buffers: storage-buffer bindings; push_bytes: push-constant block
  // size (multiple of 4, may be 0); spec: 32-bit specialization constants by constant_id; n_texels: storage
  // texel-buffer bindings (read as rgba32ui images) after the storage buffers.
  static Pipeline Create(Device& device, std::string_view shader, uint32_t n_buffers, uint32_t push_bytes,
                         std::span<const uint32_t> spec = {}, uint32_t n_texels = 0);

  VkPipeline handle() const { return pipeline_.get(); }
  VkPipelineLayout layout() const { return layout_.get(); }
  VkDescriptorSetLayout set_layout() const { return set_layout_.get(); }
  uint32_t n_buffers() const { return n_buffers_; }
  uint32_t n_texels() const { return n_texels_; }
  uint32_t push_bytes() const { return push_bytes_; }
  const std::string& name() const { return name_; }

 private:
  Pipeline() = default;
  DeviceHandle<VkDescriptorSetLayout, vkDestroyDescriptorSetLayout> set_layout_;
  DeviceHandle<VkPipelineLayout, vkDestroyPipelineLayout> layout_;
  DeviceHandle<VkPipeline, vkDestroyPipeline> pipeline_;
  uint32_t n_buffers_ = 0;
  uint32_t n_texels_ = 0;
  uint32_t push_bytes_ = 0;
  std::string name_;
};

// Descriptor sets for recorded work. Sets live until the pool dies; a full pool chains a new one.
class DescriptorPool {
 public:
  // sets_per_block: sets per underlying VkDescriptorPool (each set may hold up to 8 buffers and 3 texel
  // buffers).
  explicit DescriptorPool(Device& device, uint32_t sets_per_block = 256);
  // A set for `pipeline` with buffers[i] at binding i (ranges are bound as given) and texels[j] at binding
  // buffers.size() + j.
  VkDescriptorSet allocate(const Pipeline& pipeline, std::span<const BufferRange> buffers,
                           std::span<const VkBufferView> texels = {});

 private:
  void add_block();
  Device* device_;
  uint32_t sets_per_block_;
  std::vector<DeviceHandle<VkDescriptorPool, vkDestroyDescriptorPool>> blocks_;
  uint32_t used_in_block_ = 0;
};

}  // namespace glasswing::vulkan
