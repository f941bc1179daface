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
      staging_(Buffer::Create(*device_, kStagingBytes, MemoryUse::Upload, "the staging buffer")),
      fence2_(Fence::Create(*device_)),
      transfer_cmd2_(CommandBuffer::Create(*device_, pool_)),
      staging2_(Buffer::Create(*device_, kStagingBytes, MemoryUse::Upload, "the second staging buffer")) {}

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
  struct Slot {
    Buffer& staging;
    CommandBuffer& cmd;
    Fence& fence;
    bool pending = false;
  };
  Slot slots[2] = {{staging_, transfer_cmd_, fence_}, {staging2_, transfer_cmd2_, fence2_}};
  // However this ends (an error, a progress callback that throws), nothing is left in flight that reads a
  // staging buffer or a command buffer the next call reuses.
  struct Drain {
    Device& device;
    Slot* slots;
    ~Drain() {
      for (int i = 0; i < 2; ++i)
        if (slots[i].pending) {
          slots[i].pending = false;
          try {
            CommandBuffer::wait(device, slots[i].fence);
          } catch (const VulkanError&) {  // (lost: Device remembers it; the caller's error is thrown already)
          }
        }
    }
  } drain{*device_, slots};
  const fault::Site site = in_startup_check ? fault::Site::Startup : fault::Site::Transfer;
  for (uint64_t done = 0, chunk = 0; done < bytes; ++chunk) {
    Slot& s = slots[chunk % 2];
    if (s.pending) {  // (its copy, two chunks back, must be done before the buffer is refilled)
      s.pending = false;
      CommandBuffer::wait(*device_, s.fence);
    }
    const uint64_t n = std::min(kStagingBytes, bytes - done);
    std::memcpy(s.staging.mapped(), src + done, n);
    s.cmd.begin();
    s.cmd.copy_buffer(whole(s.staging), dst.sub(done, n), n);
    s.cmd.transfer_barrier();
    s.cmd.end();
    s.cmd.submit(*device_, s.fence, site);
    s.pending = true;
    done += n;
    if (progress) progress(done, bytes);
  }
  for (Slot& s : slots)
    if (s.pending) {
      s.pending = false;
      CommandBuffer::wait(*device_, s.fence);
    }
}

uint8_t* Context::host_scratch(uint64_t bytes) {
  if (bytes > host_scratch_bytes_) {
    host_scratch_.reset();  // (the old one first: peak memory is the new size)
    host_scratch_bytes_ = 0;
    host_scratch_.reset(new uint8_t[bytes]);
    host_scratch_bytes_ = bytes;
  }
  return host_scratch_.get();
}

void Context::release_host_scratch() {
  host_scratch_.reset();
  host_scratch_bytes_ = 0;
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
