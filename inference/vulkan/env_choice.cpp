#include "inference/vulkan/env_choice.h"

#include <cstdlib>
#include <string>

#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

size_t env_choice(const char* name, std::initializer_list<std::string_view> choices, size_t unset) {
  const char* env = std::getenv(name);
  if (!env || !*env) return unset;
  size_t i = 0;
  for (std::string_view c : choices) {
    if (c == env) return i;
    ++i;
  }
  std::string list;
  i = 0;
  for (std::string_view c : choices) {
    if (i > 0) list += i + 1 == choices.size() ? " or " : ", ";
    list += c;
    ++i;
  }
  throw VulkanError(std::string(name) + " must be " + list + ", not '" + env + "'");
}

}  // namespace glasswing::vulkan
