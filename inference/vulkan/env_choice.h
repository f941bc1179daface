#pragma once
// The Vulkan engine's switch-like environment variables (GLASSWING_VULKAN_KERNELS, _COOPMAT, _PROFILE,
// _PIN_THREADS, _MATVEC_LANES): one of a few words, or unset.
#include <cstddef>
#include <initializer_list>
#include <string_view>

namespace glasswing::vulkan {

// The index of $name's value in `choices`, or `unset` when it is unset or empty. Any other value throws
// VulkanError: "NAME must be a, b or c, not 'value'".
size_t env_choice(const char* name, std::initializer_list<std::string_view> choices, size_t unset);

}  // namespace glasswing::vulkan
