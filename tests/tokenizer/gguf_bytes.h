#pragma once
// Builds a small GGUF v3 file in memory (metadata only, no tensors) so tests can feed the tokenizer
// loader missing, odd or hand-made metadata.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace glasswing::test {

class GgufBytes {
 public:
  GgufBytes& str(const std::string& key, const std::string& v) {
    kv(key, 8);
    put_str(v);
    return count();
  }
  GgufBytes& u32(const std::string& key, uint32_t v) {
    kv(key, 4);
    put(v);
    return count();
  }
  GgufBytes& boolean(const std::string& key, bool v) {
    kv(key, 7);
    body_.push_back(v ? 1 : 0);
    return count();
  }
  GgufBytes& strings(const std::string& key, const std::vector<std::string>& v) {
    kv(key, 9);
    put(uint32_t{8});
    put(static_cast<uint64_t>(v.size()));
    for (const auto& s : v) put_str(s);
    return count();
  }
  GgufBytes& floats(const std::string& key, const std::vector<float>& v) {
    kv(key, 9);
    put(uint32_t{6});
    put(static_cast<uint64_t>(v.size()));
    for (float f : v) put(f);
    return count();
  }
  GgufBytes& ints(const std::string& key, const std::vector<int32_t>& v) {
    kv(key, 9);
    put(uint32_t{5});
    put(static_cast<uint64_t>(v.size()));
    for (int32_t i : v) put(i);
    return count();
  }

  // The whole file; keep it alive as long as the GgufFile parsed from it.
  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> out;
    auto add = [&](const void* p, size_t n) {
      const auto* b = static_cast<const uint8_t*>(p);
      out.insert(out.end(), b, b + n);
    };
    add("GGUF", 4);
    const uint32_t version = 3;
    const uint64_t n_tensors = 0;
    add(&version, 4);
    add(&n_tensors, 8);
    add(&n_kv_, 8);
    out.insert(out.end(), body_.begin(), body_.end());
    while (out.size() % 32) out.push_back(0);
    return out;
  }

 private:
  template <typename T>
  void put(T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    body_.insert(body_.end(), b, b + sizeof(T));
  }
  void put_str(const std::string& s) {
    put(static_cast<uint64_t>(s.size()));
    body_.insert(body_.end(), s.begin(), s.end());
  }
  void kv(const std::string& key, uint32_t type) {
    put_str(key);
    put(type);
  }
  GgufBytes& count() {
    ++n_kv_;
    return *this;
  }
  std::vector<uint8_t> body_;
  uint64_t n_kv_ = 0;
};

}  // namespace glasswing::test
