#pragma once
// A test seam for GPU failures that cannot be provoked on demand. A real VK_ERROR_DEVICE_LOST needs a driver
// reset or a hung GPU; lavapipe (the CI device) never reports one. So the one place that submits work to the
// GPU (CommandBuffer::submit_and_wait) asks here first whether to report a loss instead of submitting, and
// the handling above it (the message, the device refusing further work, the CPU fallback, the app keeping a
// partial reply) runs exactly as it would for a real loss.
//
// Armed by the environment, read once per process:
//   GLASSWING_VULKAN_FAULT=device-lost@compute:N   the Nth compute submission (a forward pass, an attention
//                                                  map) reports VK_ERROR_DEVICE_LOST
//   GLASSWING_VULKAN_FAULT=device-lost@transfer:N  the Nth host<->device copy (weight upload) does
// or by arm() in tests. It fires once; N counts from 1, from when it was armed. Unarmed, the cost is one
// relaxed atomic load per submission.
#include <vulkan/vulkan.h>

#include <string_view>

namespace glasswing::vulkan::fault {

// Startup: submissions of the engine's own start-up checks (the tensor-core self-test, coopmat_check.h),
// which no spec names: N counts only the work above, the same on every device.
enum class Site { Compute, Transfer, Startup };

// VK_SUCCESS, or the failure an armed fault injects into this submission at `site`.
VkResult inject(Site site);

// Arms a fault as GLASSWING_VULKAN_FAULT would ("device-lost@compute:3"), replacing any armed one; ""
// disarms. Throws std::runtime_error naming the accepted form for anything else (so does a submission while
// the environment holds such a value).
void arm(std::string_view spec);

}  // namespace glasswing::vulkan::fault
