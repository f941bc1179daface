#pragma once
// Internal to the files that record a forward pass (vulkan_backend.cpp, the vulkan_*.cpp beside it and
// exact_forward.cpp): the model-kind names they switch on and small conversions. Not part of the Vulkan
// engine's interface.
#include <cstdint>

#include "inference/model/architecture.h"
#include "inference/vulkan/buffer.h"

namespace glasswing::vulkan {

using model::FfnKind;
using model::NormKind;
using model::RopeKind;

// A size or index as the uint32 that push constants and dispatch counts take (callers keep them in range).
inline uint32_t u32(int64_t v) {
  return static_cast<uint32_t>(v);
}

// r from its `floats`-th float to its end (a view that starts at a head or part of a row, for strided work).
inline BufferRange floats_from(const BufferRange& r, uint64_t floats) {
  const uint64_t bytes = floats * sizeof(float);
  return r.sub(bytes, r.size - bytes);
}

// Whether an optional tensor (a bias, a norm weight) is there: absent ones are a null buffer range.
inline bool present(const BufferRange& r) {
  return r.buffer != VK_NULL_HANDLE;
}

}  // namespace glasswing::vulkan
