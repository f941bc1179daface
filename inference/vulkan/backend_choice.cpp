#include "inference/vulkan/backend_choice.h"

#include <cstdlib>
#include <exception>

#include "inference/vulkan/instance.h"

namespace glasswing::vulkan {

namespace {
// "llvmpipe (LLVM 15.0.6, 256 bits)" -> "llvmpipe"
std::string short_name(const std::string& name) {
  const auto paren = name.find(" (");
  return paren == std::string::npos ? name : name.substr(0, paren);
}
}  // namespace

AutoChoice choose_auto_backend(std::span<const DeviceInfo> devices, std::string_view explicit_selector) {
  if (!explicit_selector.empty())
    return {"vulkan", "Vulkan device '" + std::string(explicit_selector) + "' was selected"};
  std::vector<const DeviceInfo*> cpu_devices;
  for (const auto& d : devices) {
    if (!d.unusable_reason.empty()) continue;
    if (d.type != "cpu") return {"vulkan", short_name(d.name) + " is a " + d.type + " GPU"};
    cpu_devices.push_back(&d);
  }
  if (cpu_devices.empty())
    return {"cpu", devices.empty() ? "no Vulkan device found" : "no usable Vulkan device"};
  if (cpu_devices.size() == 1)
    return {"cpu", "only Vulkan device is " + short_name(cpu_devices[0]->name) +
                       ", a CPU implementation; use --backend vulkan to force it"};
  std::string names;
  for (const auto* d : cpu_devices) names += (names.empty() ? "" : ", ") + short_name(d->name);
  return {"cpu", "the only Vulkan devices (" + names +
                     ") are CPU implementations; use --backend vulkan to force one"};
}

AutoChoice choose_auto_backend(std::string_view selector) {
  std::string chosen(selector);
  if (chosen.empty())
    if (const char* env = std::getenv("GLASSWING_VULKAN_DEVICE")) chosen = env;
  try {
    const auto instance = Instance::Create(false);
    const auto devices = list_devices(*instance);
    return choose_auto_backend(devices, chosen);
  } catch (const std::exception& e) {
    return {"cpu", std::string("Vulkan is unavailable: ") + e.what()};
  }
}

}  // namespace glasswing::vulkan
