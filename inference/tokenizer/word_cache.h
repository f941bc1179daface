#pragma once
// Thread-safe, bounded map from a short piece of text to its token ids. Prompts repeat the same words
// over and over (and a chat re-tokenizes its history every turn), so most words are found here.
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inference/tokenizer/vocab.h"

namespace glasswing::tokenizer {

class WordCache {
 public:
  static constexpr size_t kMaxEntries = 1 << 16;  // cleared when full: simple, and refills in one prompt
  static constexpr size_t kMaxWordBytes = 128;    // longer pieces are rare and not worth keeping

  // Appends the cached ids of `word` to `out` and returns true, or returns false.
  bool lookup(std::string_view word, std::vector<int32_t>& out) const {
    if (word.size() > kMaxWordBytes) return false;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = map_.find(word);
    if (it == map_.end()) return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
  }

  void store(std::string_view word, const int32_t* ids, size_t n) const {
    if (word.size() > kMaxWordBytes) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (map_.size() >= kMaxEntries) map_.clear();
    map_.emplace(std::string(word), std::vector<int32_t>(ids, ids + n));
  }

 private:
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> map_;
};

}  // namespace glasswing::tokenizer
