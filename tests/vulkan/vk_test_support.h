#pragma once
// Shared pieces of the Vulkan tests: one validated Context per test process (or exit 77 when this machine
// has no Vulkan device), device buffers filled from and read back into host vectors, random inputs.
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "inference/vulkan/context.h"
#include "inference/vulkan/ops.h"

namespace glasswing::vulkan::test {

// The process-wide context, created with GLASSWING_VULKAN_VALIDATION=1. Exits 77 with a SKIP line when no
// Vulkan device exists.
Context& context();

// Fails the current test when the validation layer reported anything; prints every message. Without an
// argument it checks the process-wide context(); a VulkanBackend's own context is passed as
// require_no_validation_messages(backend.context()).
void require_no_validation_messages(Context& ctx);
void require_no_validation_messages();

// A device-local buffer holding `values` (at least `min_floats` floats long).
Buffer device_buffer(const std::vector<float>& values, size_t min_floats = 0);
Buffer device_buffer_u32(const std::vector<uint32_t>& values);
std::vector<float> read_floats(const Buffer& buffer, size_t n);

// A StepState buffer: n_past, n_tokens and the token ids.
Buffer state_buffer(uint32_t n_past, uint32_t n_tokens, const std::vector<uint32_t>& ids = {});

std::vector<float> random_floats(std::mt19937& rng, size_t n, float lo = -1.0f, float hi = 1.0f);

// Sets (or with nullptr unsets) an environment variable for its lifetime, then puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    set(value);
  }
  ~ScopedEnv() { set(had_ ? old_.c_str() : nullptr); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  void set(const char* value) {
    if (value)
      setenv(name_.c_str(), value, 1);
    else
      unsetenv(name_.c_str());
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

// Largest |a[i] - b[i]| relative to max(1, |b[i]|).
double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b);

#ifdef GLASSWING_CLI_PATH
// glasswing-cli: $GLASSWING_CLI when set (the GPU device check, scripts/gpu-check.sh, carries the binaries
// away from the build folder), else this build's.
inline std::string cli_path() {
  const char* env = std::getenv("GLASSWING_CLI");
  return env && *env ? env : GLASSWING_CLI_PATH;
}
#endif

}  // namespace glasswing::vulkan::test
