#include "tests/vulkan/vk_test_support.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>

#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan::test {

Context& context() {
  static std::unique_ptr<Context> ctx = [] {
    ::setenv("GLASSWING_VULKAN_VALIDATION", "1", 1);
    try {
      auto instance = Instance::CreateFromEnvironment();
      if (list_devices(*instance).empty()) {
        std::cout << "SKIP: no Vulkan device on this machine (install mesa-vulkan-drivers for lavapipe)\n";
        std::exit(77);
      }
    } catch (const VulkanError& e) {
      std::cout << "SKIP: Vulkan is not available: " << e.what() << "\n";
      std::exit(77);
    }
    return Context::Create();
  }();
  return *ctx;
}

void require_no_validation_messages(Context& ctx) {
  const auto messages = ctx.instance().messages().messages();
  for (const auto& m : messages) UNSCOPED_INFO(m);
  REQUIRE(ctx.instance().validation());
  REQUIRE(messages.empty());
}

void require_no_validation_messages() {
  require_no_validation_messages(context());
}

Buffer device_buffer(const std::vector<float>& values, size_t min_floats) {
  const size_t n = std::max({values.size(), min_floats, size_t{1}});
  Buffer b = Buffer::Create(context().device(), n * sizeof(float), MemoryUse::DeviceLocal, "a test buffer");
  std::vector<float> padded(values);
  padded.resize(n, 0.0f);
  context().upload(whole(b), padded.data(), n * sizeof(float));
  return b;
}

Buffer device_buffer_u32(const std::vector<uint32_t>& values) {
  Buffer b = Buffer::Create(context().device(), std::max<size_t>(values.size(), 1) * 4,
                            MemoryUse::DeviceLocal, "a test buffer");
  if (!values.empty()) context().upload(whole(b), values.data(), values.size() * 4);
  return b;
}

std::vector<float> read_floats(const Buffer& buffer, size_t n) {
  std::vector<float> out(n);
  context().download(whole(buffer), out.data(), n * sizeof(float));
  return out;
}

Buffer state_buffer(uint32_t n_past, uint32_t n_tokens, const std::vector<uint32_t>& ids) {
  std::vector<uint32_t> words = {n_past, n_tokens, 0, 0};
  words.insert(words.end(), ids.begin(), ids.end());
  return device_buffer_u32(words);
}

std::vector<float> random_floats(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    worst = std::max(worst, std::abs(double(a[i]) - b[i]) / std::max(1.0, std::abs(double(b[i]))));
  return a.size() == b.size() ? worst : INFINITY;
}

}  // namespace glasswing::vulkan::test
