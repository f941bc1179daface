#pragma once
// The compute shaders compiled into the program at build time (shaders/*.comp -> SPIR-V words).
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace glasswing::vulkan {

// SPIR-V of shaders/<name>.comp, or nullopt when no such shader was built.
std::optional<std::span<const uint32_t>> find_shader(std::string_view name);
// Every embedded shader name, sorted.
std::vector<std::string_view> shader_names();

}  // namespace glasswing::vulkan
