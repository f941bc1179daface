// GgufWriter → GgufFile round trips: every value type, nested arrays, v2 and v3, alignment, tensor layout,
// and the writer's refusal of input that would make an invalid file.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>

#include "inference/gguf/gguf_file.h"
#include "inference/gguf/gguf_writer.h"
#include "tests/test_support.h"

using namespace glasswing::gguf;

namespace {

std::vector<uint8_t> iota_bytes(size_t n, uint8_t start = 1) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(start + i * 7);
  return v;
}

Array int_array(ValueType t, std::vector<int64_t> v) {
  Array a;
  a.elem_type = t;
  a.ints = std::move(v);
  return a;
}

}  // namespace

TEST_CASE("every scalar value type survives a round trip", "[gguf][writer]") {
  const uint32_t version = GENERATE(2u, 3u);
  GgufWriter w(version);
  w.set_u8("u8", 250);
  w.set_i8("i8", -120);
  w.set_u16("u16", 65000);
  w.set_i16("i16", -32000);
  w.set_u32("u32", 4000000000u);
  w.set_i32("i32", -2000000000);
  w.set_u64("u64", std::numeric_limits<uint64_t>::max());
  w.set_i64("i64", std::numeric_limits<int64_t>::min());
  w.set_f32("f32", 0.1f);
  w.set_f64("f64", -1.0e300);
  w.set_bool("yes", true);
  w.set_bool("no", false);
  w.set_string("s", "héllo\nworld");
  w.set_string("empty", "");
  const auto bytes = w.to_bytes();
  const auto f = GgufFile::parse(bytes);

  CHECK(f.version() == version);
  CHECK(f.metadata().size() == 14);
  CHECK(f.find("u8")->type == ValueType::Uint8);
  CHECK(f.get_uint("u8") == 250u);
  CHECK(f.find("i8")->type == ValueType::Int8);
  CHECK(f.get_int("i8") == -120);
  CHECK(f.find("u16")->type == ValueType::Uint16);
  CHECK(f.get_uint("u16") == 65000u);
  CHECK(f.find("i16")->type == ValueType::Int16);
  CHECK(f.get_int("i16") == -32000);
  CHECK(f.find("u32")->type == ValueType::Uint32);
  CHECK(f.get_uint("u32") == 4000000000u);
  CHECK(f.find("i32")->type == ValueType::Int32);
  CHECK(f.get_int("i32") == -2000000000);
  CHECK(f.find("u64")->type == ValueType::Uint64);
  CHECK(f.get_uint("u64") == std::numeric_limits<uint64_t>::max());
  CHECK(f.find("i64")->type == ValueType::Int64);
  CHECK(f.get_int("i64") == std::numeric_limits<int64_t>::min());
  CHECK(f.find("f32")->type == ValueType::Float32);
  CHECK(f.get_float("f32") == static_cast<double>(0.1f));
  CHECK(f.find("f64")->type == ValueType::Float64);
  CHECK(f.get_float("f64") == -1.0e300);
  CHECK(f.get_bool("yes") == true);
  CHECK(f.get_bool("no") == false);
  CHECK(f.get_string("s") == "héllo\nworld");
  CHECK(f.get_string("empty") == "");
  // Order of first setting is kept.
  CHECK(f.metadata().front().first == "u8");
  CHECK(f.metadata().back().first == "empty");
}

TEST_CASE("arrays of every element type, nested arrays included, survive a round trip", "[gguf][writer]") {
  const uint32_t version = GENERATE(2u, 3u);
  GgufWriter w(version);
  const ValueType int_types[] = {ValueType::Uint8,  ValueType::Int8,   ValueType::Uint16,
                                 ValueType::Int16,  ValueType::Uint32, ValueType::Int32,
                                 ValueType::Uint64, ValueType::Int64,  ValueType::Bool};
  std::map<std::string, std::vector<int64_t>> expected;
  for (ValueType t : int_types) {
    std::vector<int64_t> v;
    switch (t) {
      case ValueType::Uint8:
        v = {0, 1, 255};
        break;
      case ValueType::Int8:
        v = {-128, 0, 127};
        break;
      case ValueType::Uint16:
        v = {0, 65535};
        break;
      case ValueType::Int16:
        v = {-32768, 32767};
        break;
      case ValueType::Uint32:
        v = {0, 4294967295};
        break;
      case ValueType::Int32:
        v = {-2147483648LL, 2147483647};
        break;
      case ValueType::Uint64:
        v = {0, -1 /* bit-cast UINT64_MAX */};
        break;
      case ValueType::Int64:
        v = {std::numeric_limits<int64_t>::min(), 5};
        break;
      default:
        v = {1, 0, 1};
        break;
    }
    const std::string key = "arr." + std::string(value_type_name(t));
    expected[key] = v;
    w.set_array(key, int_array(t, v));
  }
  const std::vector<float> f32s = {1.5f, -0.0f, std::numeric_limits<float>::infinity(), 1e-30f};
  w.set_f32s("arr.f32", f32s);
  Array f64s;
  f64s.elem_type = ValueType::Float64;
  f64s.floats = {1e300, -2.5, 0.0};
  w.set_array("arr.f64", f64s);
  w.set_strings("arr.str", {"a", "", "ünïcode", std::string(1000, 'x')});
  const std::vector<int32_t> i32s = {-7, 0, 7};
  w.set_i32s("arr.i32s", i32s);
  w.set_strings("arr.empty", {});

  // [[1, 2], [], [["deep"]]]: nesting with mixed element types per sub-array.
  Array nested;
  nested.elem_type = ValueType::Array;
  nested.arrays.push_back(int_array(ValueType::Int32, {1, 2}));
  nested.arrays.push_back(int_array(ValueType::Uint8, {}));
  Array inner;
  inner.elem_type = ValueType::Array;
  Array leaf;
  leaf.elem_type = ValueType::String;
  leaf.strings = {"deep"};
  inner.arrays.push_back(leaf);
  nested.arrays.push_back(inner);
  w.set_array("arr.nested", nested);

  const auto bytes = w.to_bytes();
  const auto f = GgufFile::parse(bytes);
  for (const auto& [key, v] : expected) {
    INFO(key);
    const Array* a = f.get_array(key);
    REQUIRE(a != nullptr);
    CHECK(value_type_name(a->elem_type) == key.substr(4));
    CHECK(a->ints == v);
  }
  CHECK(f.find("arr.u64")->to_display_string() == "u64[2] {0, 18446744073709551615}");
  CHECK(f.find("arr.bool")->to_display_string() == "bool[3] {true, false, true}");
  CHECK(f.find("arr.str")->to_display_string(2) == "string[4] {\"a\", \"\", ...}");
  const Array& rf = f.require_array("arr.f32");
  CHECK(rf.elem_type == ValueType::Float32);
  REQUIRE(rf.floats.size() == f32s.size());
  for (size_t i = 0; i < f32s.size(); ++i) CHECK(static_cast<float>(rf.floats[i]) == f32s[i]);
  CHECK(std::signbit(rf.floats[1]));
  CHECK(f.require_array("arr.f64").floats == f64s.floats);
  CHECK(f.require_array("arr.f64").elem_type == ValueType::Float64);
  CHECK(f.require_array("arr.str").strings ==
        std::vector<std::string>{"a", "", "ünïcode", std::string(1000, 'x')});
  CHECK(f.require_array("arr.i32s").ints == std::vector<int64_t>{-7, 0, 7});
  CHECK(f.require_array("arr.empty").size() == 0);
  CHECK(f.require_array("arr.empty").elem_type == ValueType::String);

  const Array& n = f.require_array("arr.nested");
  REQUIRE(n.elem_type == ValueType::Array);
  REQUIRE(n.arrays.size() == 3);
  CHECK(n.arrays[0].elem_type == ValueType::Int32);
  CHECK(n.arrays[0].ints == std::vector<int64_t>{1, 2});
  CHECK(n.arrays[1].elem_type == ValueType::Uint8);
  CHECK(n.arrays[1].size() == 0);
  REQUIRE(n.arrays[2].arrays.size() == 1);
  CHECK(n.arrays[2].arrays[0].strings == std::vector<std::string>{"deep"});
}

TEST_CASE("setting a key again replaces its value in place: remove drops it", "[gguf][writer]") {
  GgufWriter w;
  w.set_u32("a", 1);
  w.set_string("b", "x");
  w.set_f32("a", 2.0f);
  CHECK(w.remove("b"));
  CHECK_FALSE(w.remove("b"));
  w.set_bool("c", true);
  const auto bytes = w.to_bytes();
  const auto f = GgufFile::parse(bytes);
  REQUIRE(f.metadata().size() == 2);
  CHECK(f.metadata()[0].first == "a");
  CHECK(f.find("a")->type == ValueType::Float32);
  CHECK(f.metadata()[1].first == "c");
}

TEST_CASE("tensors are written aligned, in order, with their exact bytes", "[gguf][writer]") {
  const uint32_t alignment = GENERATE(0u, 1u, 64u, 4096u);  // 0: leave the default (32)
  GgufWriter w;
  if (alignment) w.set_u32("general.alignment", alignment);
  w.set_string("general.architecture", "test");
  const auto a = iota_bytes(4 * 3 * 5);   // f32 [3, 5]
  const auto b = iota_bytes(34 * 2, 9);   // q8_0 [64]
  const auto c = iota_bytes(2 * 7, 3);    // f16 [7], odd size forces padding
  const auto d = iota_bytes(144 * 2, 5);  // q4_K [256, 2]
  w.add_tensor("a", GgmlType::F32, {3, 5}, a);
  w.add_tensor("b", GgmlType::Q8_0, {64}, b);
  w.add_tensor("c.weight", GgmlType::F16, {7}, c);
  w.add_tensor("d", GgmlType::Q4_K, {256, 2}, d);
  const auto bytes = w.to_bytes();
  const auto f = GgufFile::parse(bytes);
  const uint64_t expect_align = alignment ? alignment : 32;
  CHECK(f.alignment() == expect_align);
  CHECK(f.data_offset() % expect_align == 0);
  CHECK(bytes.size() % expect_align == 0);
  REQUIRE(f.tensors().size() == 4);
  const std::vector<std::uint8_t>* data[] = {&a, &b, &c, &d};
  const char* names[] = {"a", "b", "c.weight", "d"};
  uint64_t prev_end = 0;
  for (size_t i = 0; i < 4; ++i) {
    const TensorInfo& t = f.tensors()[i];
    INFO(t.name);
    CHECK(t.name == names[i]);
    CHECK(t.offset % expect_align == 0);
    CHECK(t.offset >= prev_end);
    prev_end = t.offset + t.n_bytes;
    REQUIRE(t.n_bytes == data[i]->size());
    CHECK(std::equal(data[i]->begin(), data[i]->end(), t.data));
  }
  CHECK(f.tensors()[0].dims == std::vector<uint64_t>{3, 5});
  CHECK(f.tensors()[3].type == GgmlType::Q4_K);
  CHECK(f.tensors()[3].n_elements == 512);
}

TEST_CASE("write() replaces the file atomically and leaves no temporary file", "[gguf][writer]") {
  const auto dir = glasswing::test::temp_dir("gguf-writer");
  const auto path = dir / "m.gguf";
  {
    std::ofstream old(path);
    old << "old contents";
  }
  GgufWriter w;
  w.set_string("general.name", "atomic");
  const auto x = iota_bytes(16);
  w.add_tensor("x", GgmlType::F32, {4}, x);
  w.write(path);
  const auto f = GgufFile::open(path);
  CHECK(f.get_string("general.name") == "atomic");
  CHECK(std::equal(x.begin(), x.end(), f.tensors().at(0).data));
  size_t n_files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n_files;
  CHECK(n_files == 1);
  CHECK_THROWS_WITH(
      w.write(dir / "missing-folder" / "m.gguf"),
      Catch::Contains("cannot create a temporary file in") && Catch::Contains("missing-folder"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("the writer rejects what would make an invalid file", "[gguf][writer]") {
  GgufWriter w;
  const auto x = iota_bytes(16);
  CHECK_THROWS_WITH(GgufWriter(1), Catch::Contains("version 1"));
  CHECK_THROWS_WITH(w.set_version(4), Catch::Contains("version 4"));
  CHECK_THROWS_WITH(w.set_u32("", 1), Catch::Contains("key length 0"));
  CHECK_THROWS_WITH(w.set_u32("general.alignment", 48), Catch::Contains("power of two"));
  CHECK_THROWS_WITH(w.set_u32("general.alignment", 0), Catch::Contains("power of two"));
  CHECK_THROWS_WITH(w.set_string("general.alignment", "32"), Catch::Contains("power of two"));
  CHECK_THROWS_WITH(w.set_array("a", int_array(ValueType::Uint8, {256})), Catch::Contains("does not fit u8"));
  CHECK_THROWS_WITH(w.set_array("a", int_array(ValueType::Int8, {-129})), Catch::Contains("does not fit i8"));
  CHECK_THROWS_WITH(w.set_array("a", int_array(ValueType::Bool, {2})), Catch::Contains("does not fit bool"));
  Array mixed = int_array(ValueType::String, {1});
  CHECK_THROWS_WITH(w.set_array("a", mixed), Catch::Contains("holds elements of another type"));
  Array deep;
  deep.elem_type = ValueType::Uint8;
  for (int i = 0; i < kMaxArrayNesting; ++i) {
    Array outer;
    outer.elem_type = ValueType::Array;
    outer.arrays.push_back(deep);
    deep = outer;
  }
  CHECK_THROWS_WITH(w.set_array("deep", deep), Catch::Contains("nested deeper"));
  Value bad;
  bad.type = ValueType::Uint16;
  bad.bits = 70000;
  CHECK_THROWS_WITH(w.set("a", bad), Catch::Contains("does not fit u16"));
  bad.type = static_cast<ValueType>(13);
  CHECK_THROWS_WITH(w.set("a", bad), Catch::Contains("unknown value type 13"));
  bad.type = ValueType::Array;
  CHECK_THROWS_WITH(w.set("a", bad), Catch::Contains("without an array"));

  CHECK_THROWS_WITH(w.add_tensor("t", GgmlType::F32, {5}, x),
                    Catch::Contains("needs 20 bytes of data, got 16"));
  CHECK_THROWS_WITH(w.add_tensor("t", GgmlType::Q8_0, {16}, x),
                    Catch::Contains("not a multiple of the q8_0"));
  CHECK_THROWS_WITH(w.add_tensor("t", GgmlType::F32, {}, x), Catch::Contains("0 dimensions"));
  CHECK_THROWS_WITH(w.add_tensor("t", GgmlType::F32, {1, 1, 1, 1, 4}, x), Catch::Contains("5 dimensions"));
  CHECK_THROWS_WITH(w.add_tensor("t", GgmlType::F32, {4, 0}, x), Catch::Contains("dimension 1 is 0"));
  CHECK_THROWS_WITH(w.add_tensor("t", GgmlType::F32, {1ull << 40, 1ull << 40}, x),
                    Catch::Contains("overflows"));
  CHECK_THROWS_WITH(w.add_tensor("t", static_cast<GgmlType>(4), {4}, x),
                    Catch::Contains("unknown type id 4"));
  CHECK_THROWS_WITH(w.add_tensor("", GgmlType::F32, {4}, x), Catch::Contains("must not be empty"));
  w.add_tensor("t", GgmlType::F32, {4}, x);
  CHECK_THROWS_WITH(w.add_tensor("t", GgmlType::F32, {4}, x), Catch::Contains("duplicate tensor 't'"));
  CHECK(w.tensor_count() == 1);
}

TEST_CASE("a GGUF model copied value by value and tensor by tensor is byte-identical",
          "[gguf][writer][shared]") {
  const auto path = glasswing::test::require_shared("models/stories260K.gguf");
  const auto in = GgufFile::open(path);
  GgufWriter w(in.version());
  for (const auto& [key, v] : in.metadata()) w.set(key, v);
  for (const auto& t : in.tensors()) w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
  const auto bytes = w.to_bytes();
  std::ifstream file(path, std::ios::binary);
  const std::vector<uint8_t> original((std::istreambuf_iterator<char>(file)),
                                      std::istreambuf_iterator<char>());
  // llama.cpp pads the last tensor too, as we do, so the copy must match byte for byte.
  REQUIRE(bytes.size() == original.size());
  CHECK((bytes == original));  // parenthesized: Catch must not print the bytes
}
