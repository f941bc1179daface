#include "inference/vulkan/device.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>

#include "inference/vulkan/coopmat_check.h"
#include "inference/vulkan/coopmat_khr.h"
#include "inference/vulkan/env_choice.h"
#include "inference/vulkan/instance.h"
#include "inference/vulkan/shader_registry.h"
#include "inference/vulkan/vk_error.h"
#include "inference/vulkan/worker_pinning.h"

namespace glasswing::vulkan {

namespace {

std::string type_name(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return "cpu";
    default:
      return "other";
  }
}

// Lower is better when choosing automatically.
int type_rank(const std::string& type) {
  if (type == "discrete") return 0;
  if (type == "integrated") return 1;
  if (type == "virtual") return 2;
  if (type == "cpu") return 3;
  return 4;
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::string mib(uint64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

bool has_extension(VkPhysicalDevice pd, const char* name) {
  uint32_t count = 0;
  check(vkEnumerateDeviceExtensionProperties(pd, nullptr, &count, nullptr),
        "vkEnumerateDeviceExtensionProperties");
  std::vector<VkExtensionProperties> ext(count);
  check(vkEnumerateDeviceExtensionProperties(pd, nullptr, &count, ext.data()),
        "vkEnumerateDeviceExtensionProperties");
  for (const auto& e : ext)
    if (std::strcmp(e.extensionName, name) == 0) return true;
  return false;
}

std::optional<uint32_t> compute_queue_family(VkPhysicalDevice pd) {
  uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(pd, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(pd, &count, families.data());
  // A compute-only family first (async compute on discrete GPUs), else any family with compute.
  for (uint32_t i = 0; i < count; ++i)
    if ((families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && !(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT))
      return i;
  for (uint32_t i = 0; i < count; ++i)
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) return i;
  return std::nullopt;
}

// VK_NV_cooperative_matrix with a 16x16x16 f16 x f16 + f32 subgroup product in compute shaders, plus f16
// arithmetic, the Vulkan memory model and subgroups of 32: what shaders/common/matmul_cm_body.glsl needs.
bool coopmat_nv_16x16x16(VkInstance instance, VkPhysicalDevice pd,
                         const VkPhysicalDeviceVulkan12Features& f12, uint32_t subgroup_size) {
  if (!f12.shaderFloat16 || !f12.vulkanMemoryModel || !f12.vulkanMemoryModelDeviceScope ||
      subgroup_size != 32 || !has_extension(pd, VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME))
    return false;
  VkPhysicalDeviceCooperativeMatrixFeaturesNV cm{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV};
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.pNext = &cm;
  vkGetPhysicalDeviceFeatures2(pd, &features);
  VkPhysicalDeviceCooperativeMatrixPropertiesNV cm_props{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_PROPERTIES_NV};
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props.pNext = &cm_props;
  vkGetPhysicalDeviceProperties2(pd, &props);
  if (!cm.cooperativeMatrix || !(cm_props.cooperativeMatrixSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT))
    return false;
  const auto list = reinterpret_cast<PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV>(
      vkGetInstanceProcAddr(instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV"));
  if (!list) return false;
  uint32_t count = 0;
  if (list(pd, &count, nullptr) != VK_SUCCESS) return false;
  std::vector<VkCooperativeMatrixPropertiesNV> shapes(count,
                                                      {VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV});
  if (list(pd, &count, shapes.data()) != VK_SUCCESS) return false;
  for (const auto& m : shapes)
    if (m.MSize == 16 && m.NSize == 16 && m.KSize == 16 && m.AType == VK_COMPONENT_TYPE_FLOAT16_NV &&
        m.BType == VK_COMPONENT_TYPE_FLOAT16_NV && m.CType == VK_COMPONENT_TYPE_FLOAT32_NV &&
        m.DType == VK_COMPONENT_TYPE_FLOAT32_NV && m.scope == VK_SCOPE_SUBGROUP_NV)
      return true;
  return false;
}

// VK_KHR_cooperative_matrix with square f16 x f16 + f32 subgroup products of side 16 (GPUs) or 8 (lavapipe)
// in compute shaders, the same features as above and any subgroup size of at least 8, where this build has
// the KHR kernels (glslang 13 or newer: shaders/CMakeLists.txt). Returns the side, 0 for none.
uint32_t coopmat_khr_side(VkInstance instance, VkPhysicalDevice pd,
                          const VkPhysicalDeviceVulkan12Features& f12, uint32_t subgroup_size) {
  if (!f12.shaderFloat16 || !f12.vulkanMemoryModel || !f12.vulkanMemoryModelDeviceScope ||
      subgroup_size < 8 || !find_shader("matmul_cmk_f32") || !has_extension(pd, coopmat_khr::kExtension))
    return 0;
  coopmat_khr::Features cm;
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.pNext = &cm;
  vkGetPhysicalDeviceFeatures2(pd, &features);
  coopmat_khr::Properties cm_props;
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props.pNext = &cm_props;
  vkGetPhysicalDeviceProperties2(pd, &props);
  if (!cm.cooperativeMatrix || !(cm_props.cooperativeMatrixSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT))
    return 0;
  const auto list = reinterpret_cast<coopmat_khr::ListShapes>(
      vkGetInstanceProcAddr(instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR"));
  if (!list) return 0;
  uint32_t count = 0;
  if (list(pd, &count, nullptr) != VK_SUCCESS) return 0;
  std::vector<coopmat_khr::Shape> shapes(count);
  if (list(pd, &count, shapes.data()) != VK_SUCCESS) return 0;
  uint32_t side = 0;
  for (const auto& m : shapes)
    if (m.MSize == m.NSize && m.NSize == m.KSize && (m.MSize == 16 || m.MSize == 8) &&
        m.AType == coopmat_khr::kFloat16 && m.BType == coopmat_khr::kFloat16 &&
        m.CType == coopmat_khr::kFloat32 && m.ResultType == coopmat_khr::kFloat32 &&
        m.scope == coopmat_khr::kSubgroupScope)
      side = std::max(side, m.MSize);
  return side;
}

DeviceInfo describe(VkInstance instance, VkPhysicalDevice pd, uint32_t index) {
  DeviceInfo info;
  info.index = index;
  info.physical = pd;

  VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  VkPhysicalDeviceSubgroupProperties subgroup{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  subgroup.pNext = &driver;
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props.pNext = &subgroup;
  vkGetPhysicalDeviceProperties2(pd, &props);
  const auto& p = props.properties;
  info.name = p.deviceName;
  info.type = type_name(p.deviceType);
  info.discrete = p.deviceType == VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
  info.api_version = p.apiVersion;
  info.driver =
      std::string(driver.driverName) + (driver.driverInfo[0] ? " " + std::string(driver.driverInfo) : "");
  info.subgroup_size = subgroup.subgroupSize;
  info.subgroup_arithmetic = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                             (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
  info.shared_memory = p.limits.maxComputeSharedMemorySize;
  info.max_storage_buffer_range = p.limits.maxStorageBufferRange;
  info.min_storage_offset_alignment = p.limits.minStorageBufferOffsetAlignment;
  info.max_texel_buffer_elements = p.limits.maxTexelBufferElements;
  info.min_texel_offset_alignment = p.limits.minTexelBufferOffsetAlignment;

  const bool has_dot = VK_API_VERSION_MINOR(p.apiVersion) >= 3 ||
                       has_extension(pd, VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);
  VkPhysicalDeviceShaderIntegerDotProductFeatures dot{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES};
  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  if (has_dot) f12.pNext = &dot;
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.pNext = &f12;
  vkGetPhysicalDeviceFeatures2(pd, &features);
  info.fp16 = f12.shaderFloat16;
  info.fp64 = features.features.shaderFloat64;
  info.int8_dot = has_dot && dot.shaderIntegerDotProduct;
  // The KHR extension where this build and the device have it (the kernels tested on lavapipe), else NV's;
  // GLASSWING_VULKAN_COOPMAT_API=nv or khr takes only that one (to compare them on a GPU with both).
  const size_t api = env_choice("GLASSWING_VULKAN_COOPMAT_API", {"khr", "nv"}, 2);
  if (api != 1) info.coopmat_side = coopmat_khr_side(instance, pd, f12, info.subgroup_size);
  info.coopmat_khr = info.coopmat_side != 0;
  if (!info.coopmat_khr && api != 0 && coopmat_nv_16x16x16(instance, pd, f12, info.subgroup_size))
    info.coopmat_side = 16;

  VkPhysicalDeviceMemoryProperties mem;
  vkGetPhysicalDeviceMemoryProperties(pd, &mem);
  for (uint32_t i = 0; i < mem.memoryHeapCount; ++i)
    info.heaps.push_back(
        {mem.memoryHeaps[i].size, (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0});

  if (p.apiVersion < VK_API_VERSION_1_2)
    info.unusable_reason = "supports only Vulkan " + std::to_string(VK_API_VERSION_MAJOR(p.apiVersion)) +
                           "." + std::to_string(VK_API_VERSION_MINOR(p.apiVersion)) + " (1.2 needed)";
  else if (!compute_queue_family(pd))
    info.unusable_reason = "has no compute queue";
  else if (!info.subgroup_arithmetic)
    info.unusable_reason = "has no subgroup arithmetic in compute shaders";
  return info;
}

std::string device_list(const std::vector<DeviceInfo>& devices) {
  std::string s;
  for (const auto& d : devices) s += (s.empty() ? "" : ", ") + std::to_string(d.index) + ": " + d.name;
  return s.empty() ? "none" : s;
}

const DeviceInfo& select(const std::vector<DeviceInfo>& devices, std::string_view selector) {
  if (devices.empty())
    throw VulkanError(
        "no Vulkan device found (install a GPU driver, or mesa-vulkan-drivers for the CPU "
        "device lavapipe)");
  if (selector.empty()) {
    const DeviceInfo* best = nullptr;
    for (const auto& d : devices)
      if (d.unusable_reason.empty() && (!best || type_rank(d.type) < type_rank(best->type))) best = &d;
    if (!best)
      throw VulkanError("no usable Vulkan device: " + devices.front().name + " " +
                        devices.front().unusable_reason);
    return *best;
  }
  const DeviceInfo* found = nullptr;
  if (std::all_of(selector.begin(), selector.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    const auto index = std::strtoul(std::string(selector).c_str(), nullptr, 10);
    for (const auto& d : devices)
      if (d.index == index) found = &d;
  } else {
    for (const auto& d : devices)
      if (lower(d.name).find(lower(selector)) != std::string::npos) {
        found = &d;
        break;
      }
  }
  if (!found)
    throw VulkanError("no Vulkan device matches '" + std::string(selector) +
                      "' (devices: " + device_list(devices) + ")");
  if (!found->unusable_reason.empty())
    throw VulkanError("Vulkan device " + found->name + " " + found->unusable_reason);
  return *found;
}

}  // namespace

std::string DeviceInfo::capability_line() const {
  std::ostringstream s;
  s << index << ": " << name << " | " << type << " | driver " << driver << " | Vulkan "
    << VK_API_VERSION_MAJOR(api_version) << "." << VK_API_VERSION_MINOR(api_version) << "."
    << VK_API_VERSION_PATCH(api_version) << " | fp16 " << (fp16 ? "yes" : "no") << " | int8 dot "
    << (int8_dot ? "yes" : "no") << " | subgroup " << subgroup_size << " | shared " << (shared_memory >> 10)
    << " KiB | max storage range " << mib(max_storage_buffer_range);
  if (coopmat())
    s << " | coopmat " << coopmat_side << "x" << coopmat_side << "x" << coopmat_side << " f16 ("
      << (coopmat_khr ? "KHR" : "NV") << ")";
  s << " | heaps";
  for (size_t i = 0; i < heaps.size(); ++i)
    s << (i ? ", " : " ") << mib(heaps[i].size) << (heaps[i].device_local ? " device-local" : " host");
  if (!unusable_reason.empty()) s << " | unusable: " << unusable_reason;
  return s.str();
}

std::vector<DeviceInfo> list_devices(const Instance& instance) {
  std::vector<DeviceInfo> out;
  const auto physical = instance.physical_devices();
  for (uint32_t i = 0; i < physical.size(); ++i) out.push_back(describe(instance.handle(), physical[i], i));
  return out;
}

std::unique_ptr<Device> Device::Create(const Instance& instance, std::string_view selector) {
  std::string chosen(selector);
  if (chosen.empty())
    if (const char* env = std::getenv("GLASSWING_VULKAN_DEVICE")) chosen = env;
  const auto devices = list_devices(instance);
  const DeviceInfo& info = select(devices, chosen);

  std::unique_ptr<Device> self(new Device());
  self->info_ = info;
  self->queue_family_ = *compute_queue_family(info.physical);
  vkGetPhysicalDeviceMemoryProperties(info.physical, &self->memory_);

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue.queueFamilyIndex = self->queue_family_;
  queue.queueCount = 1;
  queue.pQueuePriorities = &priority;
  VkDeviceCreateInfo create{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  create.queueCreateInfoCount = 1;
  create.pQueueCreateInfos = &queue;
  // Features go in a VkPhysicalDeviceFeatures2 chain: f64 sums of the llama.cpp-compatible mode, and, only
  // when GLASSWING_VULKAN_COOPMAT=1 asks for the experimental tensor-core GEMM (matmul_cm_body.glsl), its
  // extension and the features its shaders declare.
  VkPhysicalDeviceCooperativeMatrixFeaturesNV cm{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV};
  coopmat_khr::Features cm_khr;
  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.features.shaderFloat64 = info.fp64 ? VK_TRUE : VK_FALSE;
  create.pNext = &features;
  const char* coopmat_ext =
      info.coopmat_khr ? coopmat_khr::kExtension : VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME;
  if (info.coopmat() && coopmat_requested()) {
    cm.cooperativeMatrix = VK_TRUE;
    cm_khr.cooperativeMatrix = VK_TRUE;
    f12.shaderFloat16 = VK_TRUE;
    // With the Vulkan memory model on, every shader's device-scope barriers need the device-scope feature too
    // (VUID-RuntimeSpirv-vulkanMemoryModel-06265, seen on an H100).
    f12.vulkanMemoryModel = VK_TRUE;
    f12.vulkanMemoryModelDeviceScope = VK_TRUE;
    f12.pNext = info.coopmat_khr ? static_cast<void*>(&cm_khr) : static_cast<void*>(&cm);
    features.pNext = &f12;
    create.enabledExtensionCount = 1;
    create.ppEnabledExtensionNames = &coopmat_ext;
  }
  // lavapipe starts its compute threads here: pin them one per CPU (worker_pinning.h)
  const bool pin = info.type == "cpu" && info.name.find("llvmpipe") != std::string::npos && pinning_enabled();
  const auto threads_before = pin ? process_threads() : std::vector<ThreadInfo>{};
  check(vkCreateDevice(info.physical, &create, nullptr, &self->device_), "vkCreateDevice",
        "opening " + info.name);
  if (pin) pin_threads(settled_worker_threads(threads_before), allowed_cpus());
  vkGetDeviceQueue(self->device_, self->queue_family_, 0, &self->queue_);
  return self;
}

Device::~Device() {
  if (device_ != VK_NULL_HANDLE) {
    vkDeviceWaitIdle(device_);
    vkDestroyDevice(device_, nullptr);
  }
}

namespace {
std::atomic<int64_t> process_allocations{0};
}

int64_t Device::live_allocations_in_process() {
  return process_allocations.load();
}

void Device::note_allocation(int delta) {
  live_allocations_ += delta;
  process_allocations += delta;
}

void Device::note_lost(const std::string& message) {
  std::lock_guard lock(lost_mutex_);
  if (lost_.load()) return;  // the first loss is the one to report
  lost_message_ = message;
  lost_.store(true);
}

void Device::throw_if_lost() const {
  if (!lost_.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(lost_mutex_);
  throw VulkanError::described(lost_message_, VK_ERROR_DEVICE_LOST);
}

uint32_t Device::memory_type(uint32_t type_bits, VkMemoryPropertyFlags required,
                             VkMemoryPropertyFlags preferred) const {
  for (int pass = 0; pass < 2; ++pass) {
    const VkMemoryPropertyFlags want = pass == 0 ? (required | preferred) : required;
    for (uint32_t i = 0; i < memory_.memoryTypeCount; ++i)
      if ((type_bits & (1u << i)) && (memory_.memoryTypes[i].propertyFlags & want) == want) return i;
  }
  throw VulkanError("no Vulkan memory type with the required properties (flags " + std::to_string(required) +
                    ")");
}

VkMemoryPropertyFlags Device::memory_flags(uint32_t type_index) const {
  return memory_.memoryTypes[type_index].propertyFlags;
}

}  // namespace glasswing::vulkan
