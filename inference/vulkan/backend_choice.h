#pragma once
// What `--backend auto` runs: a Vulkan device only when it is real GPU hardware. A CPU implementation of
// Vulkan (lavapipe/llvmpipe, SwiftShader) runs our kernels slower than the CPU engine does, so auto then
// picks the CPU engine; `--backend vulkan` still uses such a device.
#include <span>
#include <string>
#include <string_view>

#include "inference/vulkan/device.h"

namespace glasswing::vulkan {

struct AutoChoice {
  std::string backend;  // "vulkan" or "cpu"
  std::string reason;   // one clause for "backend: cpu (reason)"
};

// The policy on a device list (list_devices()). explicit_selector: the user named a device (--device or
// $GLASSWING_VULKAN_DEVICE), which counts as asking for Vulkan.
AutoChoice choose_auto_backend(std::span<const DeviceInfo> devices, std::string_view explicit_selector);

// Enumerates the devices (no validation layer) and applies the policy; "cpu" when Vulkan cannot start.
// selector: --device, or "" for $GLASSWING_VULKAN_DEVICE.
AutoChoice choose_auto_backend(std::string_view selector);

}  // namespace glasswing::vulkan
