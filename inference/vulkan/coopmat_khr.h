#pragma once
// VK_KHR_cooperative_matrix's structures and enums, spelt here because the Vulkan headers we build against on
// Debian bookworm (1.3.239) predate the extension (1.3.255). Values from the Vulkan registry (extension 507);
// the layouts are the registry's, field for field.
#include <vulkan/vulkan.h>

#include <cstdint>

namespace glasswing::vulkan::coopmat_khr {

inline constexpr const char* kExtension = "VK_KHR_cooperative_matrix";
inline constexpr auto kFeaturesType = static_cast<VkStructureType>(1000506000);
inline constexpr auto kShapeType = static_cast<VkStructureType>(1000506001);
inline constexpr auto kPropertiesType = static_cast<VkStructureType>(1000506002);
inline constexpr uint32_t kFloat16 = 0;        // VK_COMPONENT_TYPE_FLOAT16_KHR
inline constexpr uint32_t kFloat32 = 1;        // VK_COMPONENT_TYPE_FLOAT32_KHR
inline constexpr uint32_t kSubgroupScope = 3;  // VK_SCOPE_SUBGROUP_KHR

struct Features {  // VkPhysicalDeviceCooperativeMatrixFeaturesKHR
  VkStructureType sType = kFeaturesType;
  void* pNext = nullptr;
  VkBool32 cooperativeMatrix = VK_FALSE;
  VkBool32 cooperativeMatrixRobustBufferAccess = VK_FALSE;
};

struct Properties {  // VkPhysicalDeviceCooperativeMatrixPropertiesKHR
  VkStructureType sType = kPropertiesType;
  void* pNext = nullptr;
  VkShaderStageFlags cooperativeMatrixSupportedStages = 0;
};

struct Shape {  // VkCooperativeMatrixPropertiesKHR
  VkStructureType sType = kShapeType;
  void* pNext = nullptr;
  uint32_t MSize = 0, NSize = 0, KSize = 0;
  uint32_t AType = 0, BType = 0, CType = 0, ResultType = 0;
  VkBool32 saturatingAccumulation = VK_FALSE;
  uint32_t scope = 0;
};

using ListShapes = VkResult(VKAPI_PTR*)(VkPhysicalDevice, uint32_t*, Shape*);

}  // namespace glasswing::vulkan::coopmat_khr
