#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

namespace {
std::string describe(std::string_view call, VkResult result, std::string_view detail) {
  std::string m = std::string(call) + " failed: " + std::string(result_name(result));
  switch (result) {
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      m += " (the GPU is out of memory)";
      break;
    case VK_ERROR_OUT_OF_HOST_MEMORY:
      m += " (the driver is out of system memory)";
      break;
    case VK_ERROR_INCOMPATIBLE_DRIVER:
      m += " (no Vulkan driver is installed, or none supports Vulkan 1.2)";
      break;
    case VK_ERROR_DEVICE_LOST:
      // The device is gone for good (the spec: it must be re-created); the backend refuses further work.
      m += " (device lost: the GPU driver reset or crashed; reload the model to retry on the GPU, or use the "
           "CPU backend)";
      break;
    default:
      break;
  }
  if (!detail.empty()) m += " while " + std::string(detail);
  return m;
}
}  // namespace

VulkanError::VulkanError(std::string_view call, VkResult result, std::string_view detail)
    : std::runtime_error(describe(call, result, detail)), result_(result) {}

std::string_view result_name(VkResult result) {
  switch (result) {
#define GW_CASE(x) \
  case x:          \
    return #x;
    GW_CASE(VK_SUCCESS)
    GW_CASE(VK_NOT_READY)
    GW_CASE(VK_TIMEOUT)
    GW_CASE(VK_EVENT_SET)
    GW_CASE(VK_EVENT_RESET)
    GW_CASE(VK_INCOMPLETE)
    GW_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    GW_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    GW_CASE(VK_ERROR_INITIALIZATION_FAILED)
    GW_CASE(VK_ERROR_DEVICE_LOST)
    GW_CASE(VK_ERROR_MEMORY_MAP_FAILED)
    GW_CASE(VK_ERROR_LAYER_NOT_PRESENT)
    GW_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    GW_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    GW_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    GW_CASE(VK_ERROR_TOO_MANY_OBJECTS)
    GW_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
    GW_CASE(VK_ERROR_FRAGMENTED_POOL)
    GW_CASE(VK_ERROR_UNKNOWN)
    GW_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
    GW_CASE(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    GW_CASE(VK_ERROR_FRAGMENTATION)
    GW_CASE(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
    GW_CASE(VK_PIPELINE_COMPILE_REQUIRED)
    GW_CASE(VK_ERROR_INVALID_SHADER_NV)
#undef GW_CASE
    default:
      return "VK_RESULT_UNKNOWN";
  }
}

}  // namespace glasswing::vulkan
