#include "inference/vulkan/exact_weights.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "inference/cpu/ggml_kernels.h"
#include "inference/gguf/ggml_type.h"
#include "inference/quant/blocks.h"
#include "inference/quant/fp16.h"
#include "inference/quant/quant.h"
#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

using gguf::GgmlType;

namespace {

float half_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return quant::fp16_to_f32(h);
}

int16_t code(float v) {
  return static_cast<int16_t>(std::nearbyint(v));
}

template <typename T>
BufferRange put(Context& ctx, Arena& arena, const std::vector<T>& v, const std::string& what,
                uint64_t& total) {
  const uint64_t bytes = v.size() * sizeof(T);
  if (bytes > ctx.device().info().max_storage_buffer_range)
    throw VulkanError(what + " needs " + std::to_string(bytes >> 20) +
                      " MiB in one binding, more than this GPU can bind");
  const BufferRange r = arena.allocate(bytes);
  ctx.upload(r, v.data(), bytes);
  total += bytes;
  return r;
}

}  // namespace

ExactMatrix upload_exact_matrix(Context& ctx, Arena& arena, const model::WeightMatrix& m) {
  ExactMatrix e;
  e.rows = static_cast<uint32_t>(m.n_rows);
  e.cols = static_cast<uint32_t>(m.n_cols);
  const int64_t n = m.n_cols, rows = m.n_rows;
  const auto sz = [](int64_t v) { return static_cast<size_t>(v); };
  const std::string what = "the llama.cpp-compatible copy of " + m.name;

  switch (m.type) {
    case GgmlType::Q8_0:
    case GgmlType::Q5_0:
      e.kind = 1, e.variant = 0;
      break;
    case GgmlType::Q4_1:
    case GgmlType::Q5_1:
      e.kind = 1, e.variant = 1;
      break;
    case GgmlType::Q4_0:
      e.kind = 1, e.variant = 2;
      break;
    case GgmlType::Q6_K:
    case GgmlType::Q3_K:
      e.kind = 2;
      break;
    case GgmlType::Q2_K:
      e.kind = 3, e.variant = 0;
      break;
    case GgmlType::Q4_K:
      e.kind = 3, e.variant = 1;
      break;
    case GgmlType::Q5_K:
      e.kind = 3, e.variant = 2;
      break;
    default:
      e.kind = 0, e.variant = m.type == GgmlType::F16 ? 1 : m.type == GgmlType::BF16 ? 2 : 0;
  }
  const gguf::GgmlTypeTraits traits = gguf::ggml_type_traits(m.type);
  const size_t block_bytes = traits.block_bytes;
  if (cpu::uses_vec_dot_f32(m.type, m.n_cols, m.n_rows)) e.variant = 3;
  if (!quant::can_dequantize(m.type))
    throw VulkanError(what + ": tensor type " + std::string(gguf::ggml_type_name(m.type)) +
                      " is not supported");
  const int64_t block = traits.block_elements;
  if (e.kind != 0 && n % block != 0)
    throw VulkanError(what + ": " + std::to_string(n) + " columns do not divide into blocks of " +
                      std::to_string(block));

  std::vector<float> row(sz(n));
  if (e.kind == 0) {
    std::vector<float> values(sz(n * rows));
    for (int64_t r = 0; r < rows; ++r) quant::dequantize_row(m.type, m.row(r), &values[sz(r * n)], n);
    e.values = put(ctx, arena, values, what, e.bytes);
    return e;
  }

  std::vector<int16_t> codes(sz(n * rows));
  std::vector<float> blocks(sz(rows * (n / block) * 2));
  std::vector<int32_t> mins(e.kind == 3 ? sz(rows * n / 16) : 0);
  for (int64_t r = 0; r < rows; ++r) {
    const auto* raw = static_cast<const uint8_t*>(m.row(r));
    quant::dequantize_row(m.type, raw, row.data(), n);
    for (int64_t b = 0; b < n / block; ++b) {
      const uint8_t* p = raw + sz(b) * block_bytes;
      float* bp = &blocks[sz((r * (n / block) + b) * 2)];
      int16_t* c = &codes[sz(r * n + b * block)];
      const float* w = &row[sz(b * block)];
      if (e.kind == 1) {  // w = d·q (+ m)
        const float d = half_at(p), mn = e.variant == 1 ? half_at(p + 2) : 0.0f;
        bp[0] = d;
        bp[1] = mn;
        for (int i = 0; i < 32; ++i) c[i] = d == 0.0f ? 0 : code((w[i] - mn) / d);
      } else if (e.kind == 2) {                        // w = d·(sc·(q − offset))
        const float d = half_at(p + block_bytes - 2);  // Q6_K / Q3_K: the f16 scale ends the block
        bp[0] = d;
        bp[1] = 0.0f;
        for (int i = 0; i < 256; ++i) c[i] = d == 0.0f ? 0 : code(w[i] / d);
      } else {  // w = d·sc·q − dmin·m
        const cpu::KMinBlock k = cpu::decode_kmin(m.type, p);
        bp[0] = k.d;
        bp[1] = k.dmin;
        for (int i = 0; i < 256; ++i) {
          const int s = i / k.sub;
          const float d1 = k.d * static_cast<float>(k.sc[s]), m1 = k.dmin * static_cast<float>(k.m[s]);
          const int q = d1 == 0.0f ? 0 : static_cast<int>(std::nearbyint((w[i] + m1) / d1));
          c[i] = static_cast<int16_t>(k.sc[s] * q);
        }
        for (int g = 0; g < 16; ++g) mins[sz((r * n + b * 256) / 16 + g)] = k.m[g * 16 / k.sub];
      }
    }
  }
  e.codes = put(ctx, arena, codes, what, e.bytes);
  e.blocks = put(ctx, arena, blocks, what, e.bytes);
  if (e.kind == 3) e.mins = put(ctx, arena, mins, what, e.bytes);
  return e;
}

}  // namespace glasswing::vulkan
