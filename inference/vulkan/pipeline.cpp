#include "inference/vulkan/pipeline.h"

#include "inference/vulkan/device.h"
#include "inference/vulkan/shader_registry.h"
#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

namespace {
// Storage buffers per descriptor set: the decode attention with RoPE and split-K binds 9. Desktop drivers
// allow far more per stage (MoltenVK: 31, Metal's buffer table).
constexpr uint32_t kMaxBuffersPerSet = 10;
constexpr uint32_t kMaxTexelsPerSet = 3;
}  // namespace

Pipeline Pipeline::Create(Device& device, std::string_view shader, uint32_t n_buffers, uint32_t push_bytes,
                          std::span<const uint32_t> spec, uint32_t n_texels) {
  const auto words = find_shader(shader);
  if (!words) throw VulkanError("no embedded shader named '" + std::string(shader) + "'");
  if (n_buffers > kMaxBuffersPerSet || n_texels > kMaxTexelsPerSet)
    throw VulkanError("too many buffers for shader " + std::string(shader));
  const VkDevice dev = device.handle();
  Pipeline p;
  p.name_ = shader;
  p.n_buffers_ = n_buffers;
  p.n_texels_ = n_texels;
  p.push_bytes_ = push_bytes;

  std::vector<VkDescriptorSetLayoutBinding> bindings(n_buffers + n_texels);
  for (uint32_t i = 0; i < n_buffers + n_texels; ++i)
    bindings[i] = {
        i, i < n_buffers ? VK_DESCRIPTOR_TYPE_STORAGE_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER, 1,
        VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set_info.bindingCount = n_buffers + n_texels;
  set_info.pBindings = bindings.data();
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  check(vkCreateDescriptorSetLayout(dev, &set_info, nullptr, &set_layout), "vkCreateDescriptorSetLayout",
        p.name_);
  p.set_layout_ = {dev, set_layout};

  VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes};
  VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &set_layout;
  layout_info.pushConstantRangeCount = push_bytes ? 1 : 0;
  layout_info.pPushConstantRanges = &push;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  check(vkCreatePipelineLayout(dev, &layout_info, nullptr, &layout), "vkCreatePipelineLayout", p.name_);
  p.layout_ = {dev, layout};

  VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  module_info.codeSize = words->size() * sizeof(uint32_t);
  module_info.pCode = words->data();
  VkShaderModule raw_module = VK_NULL_HANDLE;
  check(vkCreateShaderModule(dev, &module_info, nullptr, &raw_module), "vkCreateShaderModule", p.name_);
  DeviceHandle<VkShaderModule, vkDestroyShaderModule> module(
      dev, raw_module);  // only needed until the pipeline exists

  std::vector<VkSpecializationMapEntry> entries(spec.size());
  for (uint32_t i = 0; i < spec.size(); ++i) entries[i] = {i, i * 4u, 4u};
  VkSpecializationInfo spec_info{static_cast<uint32_t>(entries.size()), entries.data(), spec.size_bytes(),
                                 spec.data()};

  VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = raw_module;
  info.stage.pName = "main";
  info.stage.pSpecializationInfo = spec.empty() ? nullptr : &spec_info;
  info.layout = layout;
  VkPipeline pipeline = VK_NULL_HANDLE;
  check(vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &info, nullptr, &pipeline),
        "vkCreateComputePipelines", p.name_);
  p.pipeline_ = {dev, pipeline};
  return p;
}

DescriptorPool::DescriptorPool(Device& device, uint32_t sets_per_block)
    : device_(&device), sets_per_block_(sets_per_block) {}

void DescriptorPool::add_block() {
  const VkDescriptorPoolSize sizes[] = {
      {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, sets_per_block_ * kMaxBuffersPerSet},
      {VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER, sets_per_block_ * kMaxTexelsPerSet}};
  VkDescriptorPoolCreateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  info.maxSets = sets_per_block_;
  info.poolSizeCount = 2;
  info.pPoolSizes = sizes;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  check(vkCreateDescriptorPool(device_->handle(), &info, nullptr, &pool), "vkCreateDescriptorPool");
  blocks_.emplace_back(device_->handle(), pool);
  used_in_block_ = 0;
}

VkDescriptorSet DescriptorPool::allocate(const Pipeline& pipeline, std::span<const BufferRange> buffers,
                                         std::span<const VkBufferView> texels) {
  if (buffers.size() != pipeline.n_buffers() || texels.size() != pipeline.n_texels())
    throw VulkanError("shader " + pipeline.name() + " takes " + std::to_string(pipeline.n_buffers()) +
                      " buffers and " + std::to_string(pipeline.n_texels()) + " texel buffers, got " +
                      std::to_string(buffers.size()) + " and " + std::to_string(texels.size()));
  if (blocks_.empty() || used_in_block_ == sets_per_block_) add_block();
  VkDescriptorSetLayout layout = pipeline.set_layout();
  VkDescriptorSetAllocateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  info.descriptorPool = blocks_.back().get();
  info.descriptorSetCount = 1;
  info.pSetLayouts = &layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  check(vkAllocateDescriptorSets(device_->handle(), &info, &set), "vkAllocateDescriptorSets",
        pipeline.name());
  ++used_in_block_;

  std::vector<VkDescriptorBufferInfo> infos(buffers.size());
  std::vector<VkWriteDescriptorSet> writes(buffers.size() + texels.size());
  for (uint32_t i = 0; i < buffers.size(); ++i) {
    infos[i] = {buffers[i].buffer, buffers[i].offset, buffers[i].size};
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  for (uint32_t j = 0; j < texels.size(); ++j) {
    VkWriteDescriptorSet& write = writes[buffers.size() + j];
    write = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    write.dstSet = set;
    write.dstBinding = static_cast<uint32_t>(buffers.size()) + j;
    write.descriptorCount = 1;
    write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER;
    write.pTexelBufferView = &texels[j];
  }
  vkUpdateDescriptorSets(device_->handle(), static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);
  return set;
}

}  // namespace glasswing::vulkan
