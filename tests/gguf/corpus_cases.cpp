#include "tests/gguf/corpus_cases.h"

#include <functional>

#include "inference/gguf/gguf_writer.h"
#include "tests/gguf/raw_bytes.h"

namespace glasswing::test {

using gguf::GgmlType;

std::vector<uint8_t> corpus_base_file() {
  gguf::GgufWriter w;
  w.set_string("general.architecture", "corpus");
  w.set_u32("general.alignment", 32);
  w.set_bool("k.bool", true);
  w.set_string("k.str", "hello");
  const std::vector<int32_t> ints = {1, 2, 3};
  w.set_i32s("k.arr", ints);
  w.set_u8("k.dup.a", 1);
  w.set_u8("k.dup.b", 2);
  std::vector<uint8_t> data(64);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  w.add_tensor("t.a", GgmlType::F32, {8, 2}, data);                             // 64 bytes at 0
  w.add_tensor("t.b", GgmlType::F32, {8}, std::span(data).first(32));           // 32 bytes at 64
  w.add_tensor("t.q", GgmlType::Q8_0, {32}, std::span(data).first(34));         // 34 bytes at 96
  w.add_tensor("t.c", GgmlType::F32, {2, 2, 2, 2}, std::span(data).first(64));  // 64 bytes at 160
  return w.to_bytes();
}

std::vector<std::pair<std::string, std::vector<uint8_t>>> make_corpus_cases() {
  const std::vector<uint8_t> base = corpus_base_file();
  std::vector<std::pair<std::string, std::vector<uint8_t>>> cases;
  // One edited copy of the base file.
  auto edit = [&](const std::string& name, const std::function<void(std::vector<uint8_t>&)>& change) {
    std::vector<uint8_t> f = base;
    change(f);
    cases.emplace_back(name, std::move(f));
  };
  auto raw = [&](const std::string& name, const RawBytes& r) { cases.emplace_back(name, r.bytes); };
  const size_t kv_count_at = 16, tensor_count_at = 8, version_at = 4;

  // ---- header ----
  edit("bad-magic.gguf", [](auto& f) { std::memcpy(f.data(), "GGML", 4); });
  edit("version-1.gguf", [&](auto& f) { patch<uint32_t>(f, version_at, 1); });
  edit("version-4.gguf", [&](auto& f) { patch<uint32_t>(f, version_at, 4); });
  edit("version-big-endian.gguf", [&](auto& f) { patch<uint32_t>(f, version_at, 0x03000000u); });
  edit("truncated-header.gguf", [](auto& f) { f.resize(20); });
  edit("absurd-kv-count.gguf", [&](auto& f) { patch<uint64_t>(f, kv_count_at, 1ull << 60); });
  edit("absurd-tensor-count.gguf", [&](auto& f) { patch<uint64_t>(f, tensor_count_at, ~0ull); });

  // ---- metadata ----
  edit("string-past-eof.gguf",
       [](auto& f) { patch<uint64_t>(f, value_at(after_string(f, "k.str")), 1ull << 40); });
  edit("truncated-in-string.gguf", [&](auto& f) {
    patch<uint64_t>(f, tensor_count_at, 0);  // else the tensor count check fires first
    f.resize(value_at(after_string(f, "k.str")) + 10);
  });
  edit("absurd-array-count.gguf",
       [](auto& f) { patch<uint64_t>(f, value_at(after_string(f, "k.arr")) + 4, 1ull << 61); });
  edit("duplicate-key.gguf", [](auto& f) { f[after_string(f, "k.dup.b") - 1] = 'a'; });
  edit("bool-byte-2.gguf", [](auto& f) { patch<uint8_t>(f, value_at(after_string(f, "k.bool")), 2); });
  edit("unknown-value-type.gguf",
       [](auto& f) { patch<uint32_t>(f, value_type_at(after_string(f, "k.str")), 13); });
  edit("unknown-array-element-type.gguf",
       [](auto& f) { patch<uint32_t>(f, value_at(after_string(f, "k.arr")), 0xdeadbeefu); });
  edit("alignment-48.gguf",
       [](auto& f) { patch<uint32_t>(f, value_at(after_string(f, "general.alignment")), 48); });
  edit("alignment-0.gguf",
       [](auto& f) { patch<uint32_t>(f, value_at(after_string(f, "general.alignment")), 0); });
  raw("alignment-string.gguf", RawBytes().header(0, 1).str("general.alignment").u32(8).str("32"));
  raw("empty-key.gguf", RawBytes().header(0, 1).str("").u32(0).put<uint8_t>(1).u64(0));
  raw("bool-array-byte-2.gguf",
      RawBytes().header(0, 1).str("k").u32(9).u32(7).u64(3).put<uint8_t>(1).put<uint8_t>(2).put<uint8_t>(0));
  {
    // Nine array levels (the reader allows eight) around an empty u8 array.
    RawBytes r;
    r.header(0, 1).str("deep").u32(9);
    for (int level = 0; level < 9; ++level) r.u32(9).u64(1);
    r.u32(0).u64(0);
    raw("deep-array-nesting.gguf", r);
  }

  // ---- tensor infos ----
  edit("duplicate-tensor-name.gguf", [](auto& f) { f[after_string(f, "t.b") - 1] = 'a'; });
  edit("zero-dims.gguf", [](auto& f) { patch<uint32_t>(f, n_dims_at(after_string(f, "t.a")), 0); });
  edit("five-dims.gguf", [](auto& f) { patch<uint32_t>(f, n_dims_at(after_string(f, "t.a")), 5); });
  edit("zero-dimension.gguf", [](auto& f) { patch<uint64_t>(f, dim_at(after_string(f, "t.a"), 1), 0); });
  edit("dims-overflow.gguf", [](auto& f) {
    patch<uint64_t>(f, dim_at(after_string(f, "t.c"), 0), 1ull << 20);
    patch<uint64_t>(f, dim_at(after_string(f, "t.c"), 1), 1ull << 20);
    patch<uint64_t>(f, dim_at(after_string(f, "t.c"), 2), 1ull << 20);
    patch<uint64_t>(f, dim_at(after_string(f, "t.c"), 3), 1ull << 20);
  });
  edit("unknown-tensor-type.gguf",
       [](auto& f) { patch<uint32_t>(f, tensor_type_at(after_string(f, "t.a"), 2), 4); });
  edit("unknown-tensor-type-40.gguf",
       [](auto& f) { patch<uint32_t>(f, tensor_type_at(after_string(f, "t.b"), 1), 40); });
  edit("row-not-block-multiple.gguf",
       [](auto& f) { patch<uint64_t>(f, dim_at(after_string(f, "t.q"), 0), 16); });
  raw("empty-tensor-name.gguf", RawBytes().header(1, 0).str("").u32(1).u64(8).u32(0).u64(0).u64(0));

  // ---- data section ----
  edit("offset-out-of-range.gguf",
       [](auto& f) { patch<uint64_t>(f, tensor_offset_at(after_string(f, "t.b"), 1), 1ull << 20); });
  edit("offset-overflows.gguf",
       [](auto& f) { patch<uint64_t>(f, tensor_offset_at(after_string(f, "t.c"), 4), ~0ull << 5); });
  edit("misaligned-offset.gguf",
       [](auto& f) { patch<uint64_t>(f, tensor_offset_at(after_string(f, "t.b"), 1), 68); });
  edit("overlapping-tensors.gguf",
       [](auto& f) { patch<uint64_t>(f, tensor_offset_at(after_string(f, "t.b"), 1), 32); });
  edit("truncated-data.gguf", [](auto& f) { f.resize(f.size() - 40); });
  raw("data-section-past-eof.gguf", RawBytes().header(1, 0).str("t").u32(1).u64(8).u32(0).u64(0));
  return cases;
}

}  // namespace glasswing::test
