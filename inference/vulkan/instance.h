#pragma once
// The Vulkan instance (API 1.2+), optionally with the Khronos validation layer and a debug messenger that
// records every message it reports (tests assert that none arrive).
#include <vulkan/vulkan.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace glasswing::vulkan {

// Messages from the validation layer, collected from the driver's callback thread.
class MessageLog {
 public:
  void add(std::string message);
  std::vector<std::string> messages() const;
  size_t size() const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
};

class Instance {
 public:
  // validation: enable VK_LAYER_KHRONOS_validation + a recording messenger; throws VulkanError when the layer
  // is missing. Vulkan 1.2 is required (compute with subgroup operations).
  static std::unique_ptr<Instance> Create(bool validation);
  // As Create, with validation on when the environment sets GLASSWING_VULKAN_VALIDATION=1.
  static std::unique_ptr<Instance> CreateFromEnvironment();

  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  ~Instance();

  VkInstance handle() const { return instance_; }
  bool validation() const { return messenger_ != VK_NULL_HANDLE; }
  // Every validation message so far ("[ERROR] VUID-...: text").
  const MessageLog& messages() const { return *log_; }
  MessageLog& messages() { return *log_; }
  // The same log, kept alive past this instance: what the layer reports while devices and the instance are
  // destroyed (objects never freed) can be checked afterwards.
  std::shared_ptr<const MessageLog> message_log() const { return log_; }
  std::vector<VkPhysicalDevice> physical_devices() const;

 private:
  Instance() = default;
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  std::shared_ptr<MessageLog> log_ = std::make_shared<MessageLog>();
};

}  // namespace glasswing::vulkan
