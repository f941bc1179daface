// Device discovery, validation, transfers, range splitting, errors and leaks of the Vulkan plumbing.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

#include "inference/gguf/ggml_type.h"
#include "inference/quant/quant.h"
#include "inference/vulkan/vk_error.h"
#include "tests/vulkan/vk_test_support.h"

using namespace glasswing::vulkan;
using namespace glasswing::vulkan::test;
using glasswing::gguf::GgmlType;

TEST_CASE("devices are listed with a capability line") {
  auto& ctx = context();
  const auto devices = list_devices(ctx.instance());
  REQUIRE(!devices.empty());
  const auto line = devices[0].capability_line();
  CHECK(line.find(devices[0].name) != std::string::npos);
  CHECK(line.find("subgroup") != std::string::npos);
  CHECK(line.find("max storage range") != std::string::npos);
  CHECK(line.find("fp16") != std::string::npos);
  CHECK(ctx.device().info().max_storage_buffer_range > 0);
  require_no_validation_messages();
}

TEST_CASE("devices are chosen by index or name, and a bad choice is a precise error") {
  auto& ctx = context();
  const auto devices = list_devices(ctx.instance());
  REQUIRE(!devices.empty());
  const auto by_index = Device::Create(ctx.instance(), "0");
  CHECK(by_index->info().name == devices[0].name);
  const std::string part = devices[0].name.substr(0, 4);
  CHECK(Device::Create(ctx.instance(), part)->info().name.find(part) != std::string::npos);
  try {
    Device::Create(ctx.instance(), "no-such-gpu-xyz");
    FAIL("expected an error");
  } catch (const VulkanError& e) {
    CHECK(std::string(e.what()).find("no Vulkan device matches 'no-such-gpu-xyz'") != std::string::npos);
    CHECK(std::string(e.what()).find(devices[0].name) != std::string::npos);
  }
  CHECK_THROWS_AS(Device::Create(ctx.instance(), "99"), VulkanError);
  require_no_validation_messages();
}

TEST_CASE("the validation messenger records what the layer reports") {
  auto& ctx = context();
  REQUIRE(ctx.instance().validation());
  // A zero-sized buffer is invalid usage; the layer must report it (this proves the silence elsewhere means
  // something). The call itself may still succeed, so the handle is released if it exists.
  VkBufferCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  info.size = 0;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
  VkBuffer b = VK_NULL_HANDLE;
  if (vkCreateBuffer(ctx.device().handle(), &info, nullptr, &b) == VK_SUCCESS && b != VK_NULL_HANDLE)
    vkDestroyBuffer(ctx.device().handle(), b, nullptr);
  CHECK(ctx.instance().messages().size() > 0);
  ctx.instance().messages().clear();
}

TEST_CASE("uploads and downloads round-trip through the staging buffer with progress") {
  auto& ctx = context();
  const size_t n = (40u << 20) / 4 + 123;  // more than two staging chunks
  std::vector<uint32_t> data(n);
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint32_t>(i * 2654435761u);
  Buffer b = Buffer::Create(ctx.device(), n * 4, MemoryUse::DeviceLocal, "round trip");
  std::vector<uint64_t> reported;
  ctx.upload(whole(b), data.data(), n * 4, [&](uint64_t done, uint64_t total) {
    CHECK(total == n * 4);
    reported.push_back(done);
  });
  REQUIRE(reported.size() >= 3);
  CHECK(std::is_sorted(reported.begin(), reported.end()));
  CHECK(reported.back() == n * 4);
  std::vector<uint32_t> back(n);
  ctx.download(whole(b), back.data(), n * 4);
  CHECK(back == data);
  // Two chunks are in flight at a time: a progress callback that throws after the second must leave nothing
  // pending that reads a staging or command buffer the next upload reuses (the layer would report it).
  CHECK_THROWS_WITH(ctx.upload(whole(b), data.data(), n * 4,
                               [](uint64_t done, uint64_t) {
                                 if (done > (20u << 20)) throw std::runtime_error("stopped");
                               }),
                    "stopped");
  std::reverse(data.begin(), data.end());
  ctx.upload(whole(b), data.data(), n * 4);
  ctx.download(whole(b), back.data(), n * 4);
  CHECK(back == data);
  require_no_validation_messages();
}

TEST_CASE("running out of device memory is a precise error that leaks nothing") {
  auto& ctx = context();
  const int64_t before = ctx.device().live_allocations();
  uint64_t total = 0;
  for (const auto& h : ctx.device().info().heaps) total += h.size;
  try {
    Buffer::Create(ctx.device(), total * 4, MemoryUse::DeviceLocal, "an impossible tensor");
    FAIL("expected an out-of-memory error");
  } catch (const VulkanError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK((e.result() == VK_ERROR_OUT_OF_DEVICE_MEMORY || e.result() == VK_ERROR_OUT_OF_HOST_MEMORY));
    CHECK(what.find("an impossible tensor") != std::string::npos);
    CHECK(what.find("VK_ERROR_OUT_OF_") != std::string::npos);
  }
  CHECK(ctx.device().live_allocations() == before);
  ctx.instance().messages().clear();  // the layer may warn that the size exceeds the heap; that is the point
}

TEST_CASE("a failed weight load frees every device allocation, ten times over") {
  auto& ctx = context();
  const int64_t before = ctx.device().live_allocations();
  std::vector<float> weights(64 * 256, 0.5f);
  for (int attempt = 0; attempt < 10; ++attempt) {
    try {
      Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "test weights");
      for (int i = 0; i < 5; ++i) upload_weight(ctx, arena, GgmlType::F32, 64, 256, weights.data());
      CHECK(ctx.device().live_allocations() > before);
      upload_weight(ctx, arena, GgmlType::Q8_1, 64, 256, weights.data());  // no kernel reads q8_1
      FAIL("expected the load to fail");
    } catch (const VulkanError& e) {
      CHECK(std::string(e.what()).find("cannot read tensors of type q8_1") != std::string::npos);
    }
    CHECK(ctx.device().live_allocations() == before);
  }
  require_no_validation_messages();
}

TEST_CASE("a row that is not a whole number of blocks is rejected") {
  auto& ctx = context();
  Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "test weights");
  std::vector<uint8_t> bytes(1024);
  CHECK_THROWS_WITH(upload_weight(ctx, arena, GgmlType::Q4_0, 2, 48, bytes.data()),
                    Catch::Contains("not a whole number of blocks"));
  require_no_validation_messages();
}

TEST_CASE("a tensor larger than maxStorageBufferRange is split into bound ranges") {
  auto& ctx = context();
  const uint64_t max_range = ctx.device().info().max_storage_buffer_range;
  const uint32_t cols = 4096;
  // Just over the limit (130 MiB on lavapipe), capped so a device with a huge limit stays cheap to test.
  const uint64_t row_bytes = cols * 4;
  const auto rows = static_cast<uint32_t>(std::min<uint64_t>(max_range / row_bytes + 128, 1u << 16));
  if (uint64_t{rows} * row_bytes <= max_range) {
    WARN("device range limit too large to exceed cheaply; checking the single-range path only");
  }
  std::mt19937 rng(7);
  std::vector<float> w(uint64_t{rows} * cols);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (auto& v : w) v = dist(rng);
  const auto x = random_floats(rng, cols);

  Arena arena(ctx.device(), MemoryUse::DeviceLocal, 64 << 20, "big weights");
  uint64_t last = 0;
  const WeightTensor t = upload_weight(ctx, arena, GgmlType::F32, rows, cols, w.data(),
                                       [&](uint64_t done, uint64_t) { last = done; });
  CHECK(last == uint64_t{rows} * row_bytes);
  if (uint64_t{rows} * row_bytes > max_range) CHECK(t.slices.size() >= 2);
  for (const auto& s : t.slices) CHECK(s.range.size <= max_range);

  Buffer xb = device_buffer(x);
  Buffer yb = device_buffer({}, rows);
  Recorder rec(ctx);
  rec.begin();
  rec.matvec(t, whole(xb), whole(yb));
  rec.end();
  rec.submit_and_wait();
  const auto y = read_floats(yb, rows);
  std::vector<float> expect(rows);
  for (uint32_t r = 0; r < rows; ++r) {
    double acc = 0;
    for (uint32_t c = 0; c < cols; ++c) acc += double(w[uint64_t{r} * cols + c]) * x[c];
    expect[r] = static_cast<float>(acc);
  }
  CHECK(max_rel_diff(y, expect) < 1e-4);
  require_no_validation_messages();
}

TEST_CASE("a token embedding larger than maxStorageBufferRange is gathered from every slice") {
  auto& ctx = context();
  const uint64_t max_range = ctx.device().info().max_storage_buffer_range;
  // A Q8_0 table just over the limit (~130 MiB on lavapipe; its rows are repacked on upload, so slices are
  // cut by the device row size), capped so a device with a huge limit stays cheap to test.
  const uint32_t cols = 4096;
  const auto traits = glasswing::gguf::ggml_type_traits(GgmlType::Q8_0);
  const uint64_t rb = uint64_t{cols} / traits.block_elements * traits.block_bytes;
  const uint64_t device_rb = uint64_t{cols} / 32 * 36;
  const auto rows = static_cast<uint32_t>(std::min<uint64_t>(max_range / device_rb + 256, 1u << 16));
  if (uint64_t{rows} * device_rb <= max_range) {
    WARN("device range limit too large to exceed cheaply; checking the single-range path only");
  }
  std::mt19937 rng(13);
  std::vector<uint8_t> w(uint64_t{rows} * rb);
  for (uint64_t i = 0; i + 4 <= w.size(); i += 4) {
    const uint32_t v = rng();
    std::memcpy(&w[i], &v, 4);
  }
  for (uint64_t b = 0; b < w.size(); b += traits.block_bytes) {
    const uint16_t d = static_cast<uint16_t>(0x1c00 | (rng() & 0x3ffu));  // f16 in [2^-8, 2^-7)
    std::memcpy(&w[b], &d, 2);
  }
  Arena arena(ctx.device(), MemoryUse::DeviceLocal, 64 << 20, "big embedding");
  const WeightTensor t = upload_weight(ctx, arena, GgmlType::Q8_0, rows, cols, w.data());
  if (uint64_t{rows} * device_rb > max_range) REQUIRE(t.slices.size() >= 2);

  // The first rows, both sides of every slice boundary, the last row.
  std::vector<uint32_t> ids = {0, 1};
  for (size_t s = 1; s < t.slices.size(); ++s) {
    ids.push_back(t.slices[s].first_row - 1);
    ids.push_back(t.slices[s].first_row);
  }
  ids.push_back(rows - 1);
  const auto n = static_cast<uint32_t>(ids.size());
  Buffer state = state_buffer(0, n, ids);
  Buffer out = device_buffer({}, uint64_t{n} * cols);
  Recorder rec(ctx);
  rec.begin();
  rec.get_rows(t, whole(state), whole(out), n);
  rec.end();
  rec.submit_and_wait();
  const auto got = read_floats(out, uint64_t{n} * cols);
  std::vector<float> expect(uint64_t{n} * cols);
  for (uint32_t i = 0; i < n; ++i)
    glasswing::quant::dequantize_row(GgmlType::Q8_0, w.data() + ids[i] * rb,
                                     expect.data() + uint64_t{i} * cols, cols);
  CHECK(max_rel_diff(got, expect) < 1e-6);
  require_no_validation_messages();
}

TEST_CASE("device memory of a CPU device asks for transparent huge pages") {
#ifdef __linux__
  auto& ctx = context();
  if (ctx.device().info().type != "cpu") {
    WARN("not a CPU implementation of Vulkan: its memory is the driver's, not ours to advise");
    return;
  }
  const uint64_t size = 8u << 20;
  Buffer b = Buffer::Create(ctx.device(), size, MemoryUse::DeviceLocal, "a large buffer");
  if (!b.mapped()) {
    WARN("this CPU device's memory is not host-visible");
    return;
  }
  // an address inside the 2 MiB-aligned part of the mapping, which is what gets advised
  const uintptr_t start = reinterpret_cast<uintptr_t>(b.mapped());
  const uintptr_t probe = ((start + (2u << 20) - 1) & ~uintptr_t{(2u << 20) - 1}) + 4096;
  REQUIRE(probe < start + size);
  std::ifstream smaps("/proc/self/smaps");
  REQUIRE(smaps.good());
  std::string line, flags;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find('-') < line.find(' ')) {
      inside = probe >= lo && probe < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      flags = line;
      break;
    }
  }
  INFO(flags);
  CHECK(flags.find(" hg") != std::string::npos);  // MADV_HUGEPAGE
  require_no_validation_messages();
#else
  WARN("huge pages are advised on Linux only");
#endif
}
