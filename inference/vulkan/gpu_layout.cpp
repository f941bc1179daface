#include "inference/vulkan/gpu_layout.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "inference/cpu/thread_pool.h"
#include "inference/vulkan/env_choice.h"
#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

using gguf::GgmlType;

namespace {

// Where each region's bytes come from inside one GGUF block (ggml-common.h layouts).
struct Segment {
  uint32_t offset = 0, bytes = 0;
};
struct Repack {
  uint32_t block_bytes = 0;  // the GGUF block
  Segment quants[2];         // concatenated
  Segment aux1, aux2;
};

constexpr Repack kQ4_0{18, {{2, 16}, {}}, {0, 2}, {}};      // f16 d; qs[16]
constexpr Repack kQ8_0{34, {{2, 32}, {}}, {0, 2}, {}};      // f16 d; qs[32]
constexpr Repack kQ4_K{144, {{16, 128}, {}}, {0, 16}, {}};  // f16 d, dmin; scales[12]; qs[128]
constexpr Repack kQ4_1{20, {{4, 16}, {}}, {0, 4}, {}};      // f16 d, m; qs[16]
constexpr Repack kQ5_0{22, {{6, 16}, {}}, {2, 4}, {0, 2}};  // f16 d; qh[4]; qs[16]
constexpr Repack kQ5_1{24, {{8, 16}, {}}, {4, 4}, {0, 4}};  // f16 d, m; qh[4]; qs[16]
constexpr Repack kQ5_K{
    176, {{48, 128}, {16, 32}}, {0, 16}, {}};  // f16 d, dmin; scales[12]; qh[32]; qs[128] -> qs then qh
constexpr Repack kQ6_K{210, {{0, 192}, {}}, {192, 16}, {208, 2}};  // ql[128]; qh[64]; scales[16]; f16 d

// Calls f.template operator()<plan>() with the type's plan as a constant (so that repack_rows<plan> copies
// with fixed-size moves); false for a type without one.
template <typename F>
bool with_plan(GgmlType type, F&& f) {
  switch (type) {
    case GgmlType::Q4_0:
      return f.template operator()<kQ4_0>(), true;
    case GgmlType::Q8_0:
      return f.template operator()<kQ8_0>(), true;
    case GgmlType::Q4_K:
      return f.template operator()<kQ4_K>(), true;
    case GgmlType::Q4_1:
      return f.template operator()<kQ4_1>(), true;
    case GgmlType::Q5_0:
      return f.template operator()<kQ5_0>(), true;
    case GgmlType::Q5_1:
      return f.template operator()<kQ5_1>(), true;
    case GgmlType::Q5_K:
      return f.template operator()<kQ5_K>(), true;
    case GgmlType::Q6_K:
      return f.template operator()<kQ6_K>(), true;
    default:
      return false;
  }
}

std::optional<Repack> repack_plan(GgmlType type) {
  std::optional<Repack> plan;
  with_plan(type, [&]<Repack P>() { plan = P; });
  return plan;
}

// One repack: the source rows, and where the output's three regions start.
struct RowJob {
  const uint8_t* src;
  uint64_t src_row_bytes;
  uint32_t rows, blocks_per_row;
  bool gate_up_pairs;
  uint8_t *quants, *aux1, *aux2;
};

template <Repack P>
void repack_rows(const RowJob& j, uint32_t r0, uint32_t r1) {
  constexpr uint32_t qb = P.quants[0].bytes + P.quants[1].bytes;
  for (uint32_t r = r0; r < r1; ++r) {
    const uint32_t from = !j.gate_up_pairs ? r : r % 2 ? j.rows / 2 + r / 2 : r / 2;
    const uint8_t* block = j.src + uint64_t{from} * j.src_row_bytes;
    for (uint64_t b = uint64_t{r} * j.blocks_per_row, end = b + j.blocks_per_row; b < end;
         ++b, block += P.block_bytes) {
      uint8_t* q = j.quants + b * qb;
      std::memcpy(q, block + P.quants[0].offset, P.quants[0].bytes);
      if constexpr (P.quants[1].bytes > 0)
        std::memcpy(q + P.quants[0].bytes, block + P.quants[1].offset, P.quants[1].bytes);
      std::memcpy(j.aux1 + b * P.aux1.bytes, block + P.aux1.offset, P.aux1.bytes);
      if constexpr (P.aux2.bytes > 0)
        std::memcpy(j.aux2 + b * P.aux2.bytes, block + P.aux2.offset, P.aux2.bytes);
    }
  }
}

void repack_rows(GgmlType type, const RowJob& j, uint32_t r0, uint32_t r1) {
  if (!with_plan(type, [&]<Repack P>() { repack_rows<P>(j, r0, r1); }))
    throw VulkanError(gguf::ggml_type_name(type) + " has no GPU layout");
}

}  // namespace

bool use_gpu_kernels(const DeviceInfo& info) {
  switch (env_choice("GLASSWING_VULKAN_KERNELS", {"gpu", "cpu", "auto"}, 2)) {
    case 0:
      return true;
    case 1:
      return false;
    default:
      return info.type != "cpu";
  }
}

std::optional<GpuLayout> gpu_layout(GgmlType type) {
  const auto plan = repack_plan(type);
  if (!plan) return std::nullopt;
  return GpuLayout{plan->quants[0].bytes + plan->quants[1].bytes, plan->aux1.bytes, plan->aux2.bytes};
}

uint64_t repack_gpu_bytes(GgmlType type, uint32_t rows, uint32_t cols) {
  const auto l = gpu_layout(type);
  if (!l) throw VulkanError(gguf::ggml_type_name(type) + " has no GPU layout");
  return uint64_t{rows} * (cols / gguf::ggml_type_traits(type).block_elements) * l->block_bytes();
}

void repack_gpu_into(GgmlType type, const uint8_t* src, uint32_t rows, uint32_t cols, uint8_t* out,
                     bool gate_up_pairs) {
  const auto plan = repack_plan(type);
  if (!plan) throw VulkanError(gguf::ggml_type_name(type) + " has no GPU layout");
  if (gate_up_pairs && rows % 2 != 0) throw VulkanError("gate|up pairs need an even number of rows");
  const auto traits = gguf::ggml_type_traits(type);
  if (traits.block_bytes != plan->block_bytes)
    throw VulkanError("the GPU layout of " + gguf::ggml_type_name(type) + " misreads its blocks");
  const GpuLayout l = *gpu_layout(type);
  const uint32_t per_row = cols / static_cast<uint32_t>(traits.block_elements);
  const uint64_t blocks = uint64_t{rows} * per_row;
  const RowJob job{src,
                   uint64_t{per_row} * traits.block_bytes,
                   rows,
                   per_row,
                   gate_up_pairs,
                   out,
                   out + blocks * l.quant_bytes,
                   out + blocks * (l.quant_bytes + l.aux1_bytes)};
  // A model's weights are gigabytes of this (it was a third of a 7B model's load): one share of the rows
  // per core for tensors of more than a few megabytes.
  const uint64_t threads = std::min<uint64_t>(
      {uint64_t(cpu::default_thread_count()), blocks * l.block_bytes() / (4u << 20), rows});
  if (threads <= 1) return repack_rows(type, job, 0, rows);
  std::vector<std::thread> workers;
  const auto share = [&](uint64_t t) { return static_cast<uint32_t>(rows * t / threads); };
  for (uint64_t t = 1; t < threads; ++t)
    workers.emplace_back([&, t] { repack_rows(type, job, share(t), share(t + 1)); });
  repack_rows(type, job, 0, share(1));
  for (auto& w : workers) w.join();
}

std::vector<uint8_t> repack_gpu(GgmlType type, const uint8_t* src, uint32_t rows, uint32_t cols) {
  std::vector<uint8_t> out(repack_gpu_bytes(type, rows, cols));
  repack_gpu_into(type, src, rows, cols, out.data());
  return out;
}

}  // namespace glasswing::vulkan
