#pragma once
// The CPU engine's benchmark knobs: a whole number from the environment.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>

namespace glasswing::cpu {

// $name as a whole number, at least `least`; `fallback` when it is unset, empty or not a number.
inline int64_t env_int(const char* name, int64_t fallback, int64_t least = 0) {
  const char* env = std::getenv(name);
  if (!env || !*env) return fallback;
  try {
    return std::max<int64_t>(least, std::stoll(env));
  } catch (const std::exception&) {
    return fallback;
  }
}

}  // namespace glasswing::cpu
