#include "inference/vulkan/instance.h"

#include <cstdlib>
#include <cstring>

#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

void MessageLog::add(std::string message) {
  std::lock_guard lock(mutex_);
  messages_.push_back(std::move(message));
}
std::vector<std::string> MessageLog::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}
size_t MessageLog::size() const {
  std::lock_guard lock(mutex_);
  return messages_.size();
}
void MessageLog::clear() {
  std::lock_guard lock(mutex_);
  messages_.clear();
}

namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                          VkDebugUtilsMessageTypeFlagsEXT,
                                          const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
  const char* level = (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) ? "ERROR" : "WARNING";
  static_cast<MessageLog*>(user)->add(std::string("[") + level + "] " +
                                      (data && data->pMessage ? data->pMessage : "(no text)"));
  return VK_FALSE;
}

bool layer_available(const char* name) {
  uint32_t count = 0;
  check(vkEnumerateInstanceLayerProperties(&count, nullptr), "vkEnumerateInstanceLayerProperties");
  std::vector<VkLayerProperties> layers(count);
  check(vkEnumerateInstanceLayerProperties(&count, layers.data()), "vkEnumerateInstanceLayerProperties");
  for (const auto& l : layers)
    if (std::strcmp(l.layerName, name) == 0) return true;
  return false;
}

}  // namespace

std::unique_ptr<Instance> Instance::CreateFromEnvironment() {
  const char* v = std::getenv("GLASSWING_VULKAN_VALIDATION");
  return Create(v && std::strcmp(v, "1") == 0);
}

std::unique_ptr<Instance> Instance::Create(bool validation) {
  uint32_t api = 0;
  check(vkEnumerateInstanceVersion(&api), "vkEnumerateInstanceVersion");
  if (api < VK_API_VERSION_1_2)
    throw VulkanError("the Vulkan loader supports only API " + std::to_string(VK_API_VERSION_MAJOR(api)) +
                      "." + std::to_string(VK_API_VERSION_MINOR(api)) + "; Glasswing needs Vulkan 1.2");
  if (validation && !layer_available(kValidationLayer))
    throw VulkanError(std::string("validation requested but ") + kValidationLayer +
                      " is not installed (Debian: vulkan-validationlayers)");

  std::unique_ptr<Instance> self(new Instance());
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "glasswing";
  app.pEngineName = "glasswing";
  app.apiVersion = VK_API_VERSION_1_2;

  VkDebugUtilsMessengerCreateInfoEXT messenger{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  messenger.messageSeverity =
      VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  messenger.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                          VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                          VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messenger.pfnUserCallback = on_message;
  messenger.pUserData = self->log_.get();

  const char* layers[] = {kValidationLayer};
  const char* extensions[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  if (validation) {
    info.enabledLayerCount = 1;
    info.ppEnabledLayerNames = layers;
    info.enabledExtensionCount = 1;
    info.ppEnabledExtensionNames = extensions;
    info.pNext = &messenger;  // also reports problems inside vkCreateInstance / vkDestroyInstance
  }
  check(vkCreateInstance(&info, nullptr, &self->instance_), "vkCreateInstance");
  if (validation) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(self->instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (!create) throw VulkanError("vkCreateDebugUtilsMessengerEXT is not available");
    check(create(self->instance_, &messenger, nullptr, &self->messenger_), "vkCreateDebugUtilsMessengerEXT");
  }
  return self;
}

Instance::~Instance() {
  if (messenger_ != VK_NULL_HANDLE) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy) destroy(instance_, messenger_, nullptr);
  }
  if (instance_ != VK_NULL_HANDLE) vkDestroyInstance(instance_, nullptr);
}

std::vector<VkPhysicalDevice> Instance::physical_devices() const {
  uint32_t count = 0;
  check(vkEnumeratePhysicalDevices(instance_, &count, nullptr), "vkEnumeratePhysicalDevices");
  std::vector<VkPhysicalDevice> devices(count);
  check(vkEnumeratePhysicalDevices(instance_, &count, devices.data()), "vkEnumeratePhysicalDevices");
  devices.resize(count);
  return devices;
}

}  // namespace glasswing::vulkan
