#pragma once
// Every VkResult is checked at its call: a failure becomes a VulkanError naming the call and the result.
#include <vulkan/vulkan.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace glasswing::vulkan {

class VulkanError : public std::runtime_error {
 public:
  // call: the Vulkan function (e.g. "vkAllocateMemory"); detail: what was being done, may be empty.
  VulkanError(std::string_view call, VkResult result, std::string_view detail = {});
  // An error without a VkResult (no device, unsupported feature, bad input).
  explicit VulkanError(const std::string& message) : std::runtime_error(message) {}
  // An error already described (e.g. one rethrown with what was being loaded), keeping its VkResult.
  static VulkanError described(const std::string& message, VkResult result) {
    VulkanError e(message);
    e.result_ = result;
    return e;
  }
  VkResult result() const { return result_; }

 private:
  VkResult result_ = VK_ERROR_UNKNOWN;
};

// "VK_ERROR_OUT_OF_DEVICE_MEMORY", ...
std::string_view result_name(VkResult result);

// Throws VulkanError(call, result, detail) unless result is VK_SUCCESS.
inline void check(VkResult result, std::string_view call, std::string_view detail = {}) {
  if (result != VK_SUCCESS) throw VulkanError(call, result, detail);
}

}  // namespace glasswing::vulkan
