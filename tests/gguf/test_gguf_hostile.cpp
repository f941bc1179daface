// Hostile input: every truncation of a valid file, the checked-in corpus of broken files, and files built to
// make the parser allocate far more than their size. Each must give a GgufError naming field, offset and
// reason — never a crash, another exception type, or unbounded memory.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "inference/gguf/gguf_file.h"
#include "inference/gguf/gguf_writer.h"
#include "tests/gguf/alloc_counter.h"
#include "tests/gguf/corpus_cases.h"
#include "tests/gguf/raw_bytes.h"
#include "tests/test_support.h"

using namespace glasswing::gguf;
using glasswing::test::RawBytes;

namespace {

const std::filesystem::path kCorpus = std::filesystem::path(GLASSWING_SOURCE_DIR) / "tests/gguf/corpus";

// corpus/EXPECTED: "file.gguf: substring of the expected error"; '#' starts a comment line.
std::map<std::string, std::string> read_manifest() {
  std::map<std::string, std::string> m;
  std::ifstream in(kCorpus / "EXPECTED");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto colon = line.find(": ");
    REQUIRE(colon != std::string::npos);
    m[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return m;
}

// A small valid file with every value kind and tensors whose data ends exactly at the end of the file (no
// trailing padding), so every proper prefix of it is invalid.
std::vector<uint8_t> rich_file(uint32_t version) {
  GgufWriter w(version);
  w.set_string("general.architecture", "llama");
  w.set_u8("a.u8", 1);
  w.set_i8("a.i8", -1);
  w.set_u16("a.u16", 2);
  w.set_i16("a.i16", -2);
  w.set_u32("a.u32", 3);
  w.set_i32("a.i32", -3);
  w.set_u64("a.u64", 4);
  w.set_i64("a.i64", -4);
  w.set_f32("a.f32", 0.5f);
  w.set_f64("a.f64", 0.25);
  w.set_bool("a.bool", true);
  w.set_strings("a.strings", {"x", "", "yz"});
  const std::vector<float> f = {1, 2};
  w.set_f32s("a.f32s", f);
  Array nested;
  nested.elem_type = ValueType::Array;
  Array inner;
  inner.elem_type = ValueType::Bool;
  inner.ints = {0, 1};
  nested.arrays = {inner, inner};
  w.set_array("a.nested", nested);
  std::vector<uint8_t> data(68);
  w.add_tensor("w0", GgmlType::Q8_0, {32, 2}, data);
  w.add_tensor("w1", GgmlType::F32, {2, 2, 2, 2}, std::span(data).first(64));
  return w.to_bytes();
}

}  // namespace

TEST_CASE("every truncation of a valid file gives a GgufError with an offset", "[gguf][hostile]") {
  const uint32_t version = GENERATE(2u, 3u);
  const std::vector<uint8_t> file = rich_file(version);
  REQUIRE_NOTHROW(GgufFile::parse(file));
  for (size_t n = 0; n < file.size(); ++n) {
    INFO("truncated to " << n << " of " << file.size() << " bytes");
    try {
      GgufFile::parse(std::span(file).first(n));
      FAIL("a truncated file parsed");
    } catch (const GgufError& e) {
      CHECK(e.has_offset());
      CHECK(e.offset() <= n);
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("truncating a real model anywhere in its header gives a GgufError", "[gguf][hostile][shared]") {
  const auto path = glasswing::test::require_shared("models/stories260K.gguf");
  const std::vector<uint8_t> file = glasswing::test::read_bytes(path);
  const uint64_t header = GgufFile::parse(file).data_offset();
  size_t errors = 0;
  for (size_t n = 0; n < header + 256; ++n) {
    try {
      GgufFile::parse(std::span(file).first(n));
    } catch (const GgufError& e) {
      ++errors;
    }
  }
  CHECK(errors == header + 256);
}

TEST_CASE("the generator reproduces the checked-in corpus", "[gguf][hostile]") {
  const auto cases = glasswing::test::make_corpus_cases();
  REQUIRE(cases.size() >= 30);
  REQUIRE_NOTHROW(GgufFile::parse(glasswing::test::corpus_base_file()));
  for (const auto& [name, bytes] : cases) {
    INFO(name << " (regenerate with build/tests/gguf/gguf_make_corpus tests/gguf/corpus)");
    CHECK((glasswing::test::read_bytes(kCorpus / name) == bytes));
  }
}

TEST_CASE("every corpus file gives its expected error, naming the offset", "[gguf][hostile]") {
  const auto expected = read_manifest();
  std::set<std::string> on_disk;
  for (const auto& e : std::filesystem::directory_iterator(kCorpus))
    if (e.path().extension() == ".gguf") on_disk.insert(e.path().filename().string());
  for (const auto& name : on_disk) {
    INFO(name);
    CHECK(expected.count(name) == 1);
  }
  for (const auto& [name, substring] : expected) {
    INFO(name << " should fail with: " << substring);
    REQUIRE(on_disk.count(name) == 1);
    try {
      GgufFile::open(kCorpus / name);
      FAIL("parsed without error");
    } catch (const GgufError& e) {
      const std::string message = e.what();
      INFO("got: " << message);
      CHECK(message.find(substring) != std::string::npos);
      CHECK(message.rfind(name + ": ", 0) == 0);  // open() names the file
      CHECK(e.has_offset());
      CHECK(message.find(" (at byte " + std::to_string(e.offset()) + ")") != std::string::npos);
      CHECK(message.find('\n') == std::string::npos);
    }
  }
}

namespace {

// Peak heap growth while parsing bytes (parsed or rejected), in bytes.
size_t parse_peak(const std::vector<uint8_t>& bytes, bool* parsed, std::string* error) {
  const size_t before = glasswing::test::alloc_live_bytes();
  glasswing::test::reset_alloc_peak();
  try {
    const GgufFile f = GgufFile::parse(bytes);
    *parsed = true;
  } catch (const GgufError& e) {
    *parsed = false;
    *error = e.what();
  }
  return glasswing::test::alloc_peak_bytes() - before;
}

std::vector<uint8_t> hostile_file(const std::string& kind, uint64_t n) {
  RawBytes r;
  if (kind == "nested empty arrays") {
    r.header(0, 1).str("a").u32(9).u32(9).u64(n);
    for (uint64_t i = 0; i < n; ++i) r.u32(0).u64(0);
  } else if (kind == "u8 array") {
    r.header(0, 1).str("a").u32(9).u32(0).u64(n);
    r.bytes.resize(r.bytes.size() + n, 7);
  } else if (kind == "empty strings") {
    r.header(0, 1).str("a").u32(9).u32(8).u64(n);
    for (uint64_t i = 0; i < n; ++i) r.u64(0);
  } else if (kind == "tiny keys") {
    r.header(0, n);
    for (uint64_t i = 0; i < n; ++i) {
      r.u64(3).put<uint8_t>(static_cast<uint8_t>(i)).put<uint8_t>(static_cast<uint8_t>(i >> 8));
      r.put<uint8_t>(static_cast<uint8_t>(i >> 16)).u32(0).put<uint8_t>(0);
    }
  } else if (kind == "array values") {  // top-level empty arrays: a Value, an Array and a shared_ptr each
    r.header(0, n);
    for (uint64_t i = 0; i < n; ++i) {
      r.u64(3).put<uint8_t>(static_cast<uint8_t>(i)).put<uint8_t>(static_cast<uint8_t>(i >> 8));
      r.put<uint8_t>(static_cast<uint8_t>(i >> 16)).u32(9).u32(0).u64(0);
    }
  } else if (kind == "tensor infos") {  // 1-element tensors, each its own 32-byte aligned slot
    r.header(n, 0);
    for (uint64_t i = 0; i < n; ++i) {
      r.u64(3).put<uint8_t>(static_cast<uint8_t>(i)).put<uint8_t>(static_cast<uint8_t>(i >> 8));
      r.put<uint8_t>(static_cast<uint8_t>(i >> 16)).u32(1).u64(1).u32(0).u64(32 * i);
    }
    r.bytes.resize((r.bytes.size() + 31) / 32 * 32 + 32 * n, 0);
  }
  return r.bytes;
}

}  // namespace

TEST_CASE("parsing never takes more memory than a small multiple of the file size",
          "[gguf][hostile][memory]") {
  const std::string kind = GENERATE(as<std::string>{}, "nested empty arrays", "u8 array", "empty strings",
                                    "tiny keys", "array values", "tensor infos");
  const uint64_t n = kind == "u8 array" ? 8'000'000 : 400'000;
  const std::vector<uint8_t> file = hostile_file(kind, n);
  bool parsed = false;
  std::string error;
  const size_t peak = parse_peak(file, &parsed, &error);
  const double ratio = static_cast<double>(peak) / static_cast<double>(file.size());
  INFO(kind << ": " << file.size() << "-byte file, peak heap " << peak << " bytes (" << ratio << "x), "
            << (parsed ? "parsed" : "rejected: " + error));
  // The parser's budget is 8 bytes per file byte plus 1 MiB; allow for allocator-level overheads it
  // estimates (hash buckets, growth of label strings).
  CHECK(peak <= 10 * file.size() + (2u << 20));
  if (!parsed) CHECK(error.find("more memory") != std::string::npos);
}

TEST_CASE("a count the file cannot hold is rejected before anything is allocated",
          "[gguf][hostile][memory]") {
  // Claims 2^40 u64 elements in a 40-byte file.
  const std::vector<uint8_t> file = RawBytes().header(0, 1).str("a").u32(9).u32(10).u64(1ull << 40).bytes;
  bool parsed = true;
  std::string error;
  const size_t peak = parse_peak(file, &parsed, &error);
  CHECK_FALSE(parsed);
  CHECK(error.find("array claims 1099511627776 elements of type u64") != std::string::npos);
  CHECK(peak < 4096);
}
