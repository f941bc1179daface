#include "inference/vulkan/context.h"

#include <algorithm>
#include <cstring>

#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

namespace {
constexpr uint64_t kStagingBytes = 16ull << 20;
}

std::unique_ptr<Context> Context::Create(std::string_view device_selector, std::optional<bool> validation) {
  auto instance = validation ? Instance::Create(*validation) : Instance::CreateFromEnvironment();
  auto device = Device::Create(*instance, device_selector);
  return std::unique_ptr<Context>(new Context(std::move(instance), std::move(device)));
}

Context::Context(std::unique_ptr<Instance> instance, std::unique_ptr<Device> device)
    : instance_(std::move(instance)),
      device_(std::move(device)),
      pool_(CommandPool::Create(*device_)),
      fence_(Fence::Create(*device_)),
      transfer_cmd_(CommandBuffer::Create(*device_, pool_)),
      staging_(Buffer::Create(*device_, kStagingBytes, MemoryUse::Upload, "the staging buffer")) {}

const Pipeline& Context::pipeline(std::string_view shader, uint32_t n_buffers, uint32_t push_bytes,
                                  std::span<const uint32_t> spec, uint32_t n_texels) {
  std::string key(shader);
  for (uint32_t v : spec) key += ":" + std::to_string(v);
  auto it = pipelines_.find(key);
  if (it == pipelines_.end())
    it = pipelines_.emplace(key, Pipeline::Create(*device_, shader, n_buffers, push_bytes, spec, n_texels))
             .first;
  return it->second;
}

void Context::submit_and_wait(CommandBuffer& cmd) {
  cmd.submit_and_wait(*device_, fence_,
                      in_startup_check         ? fault::Site::Startup
                      : &cmd == &transfer_cmd_ ? fault::Site::Transfer
                                               : fault::Site::Compute);
}

void Context::upload(const BufferRange& dst, const void* data, uint64_t bytes, const Progress& progress) {
  if (bytes > dst.size)
    throw VulkanError("upload of " + std::to_string(bytes) + " bytes into a smaller range");
  const auto* src = static_cast<const uint8_t*>(data);
  for (uint64_t done = 0; done < bytes;) {
    const uint64_t n = std::min(kStagingBytes, bytes - done);
    std::memcpy(staging_.mapped(), src + done, n);
    transfer_cmd_.begin();
    transfer_cmd_.copy_buffer(whole(staging_), dst.sub(done, n), n);
    transfer_cmd_.transfer_barrier();
    transfer_cmd_.end();
    submit_and_wait(transfer_cmd_);
    done += n;
    if (progress) progress(done, bytes);
  }
}

void Context::download(const BufferRange& src, void* data, uint64_t bytes) {
  if (bytes > src.size)
    throw VulkanError("download of " + std::to_string(bytes) + " bytes from a smaller range");
  auto* dst = static_cast<uint8_t*>(data);
  for (uint64_t done = 0; done < bytes;) {
    const uint64_t n = std::min(kStagingBytes, bytes - done);
    transfer_cmd_.begin();
    transfer_cmd_.transfer_barrier();
    transfer_cmd_.copy_buffer(src.sub(done, n), whole(staging_), n);
    transfer_cmd_.host_read_barrier();
    transfer_cmd_.end();
    submit_and_wait(transfer_cmd_);
    std::memcpy(dst + done, staging_.mapped(), n);
    done += n;
  }
}

}  // namespace glasswing::vulkan
