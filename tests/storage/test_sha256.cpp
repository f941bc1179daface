// SHA-256 against the FIPS 180-4 examples and the coreutils sha256sum of a file.
#include <catch2/catch.hpp>
#include <fstream>

#include "storage/sha256.h"
#include "tests/storage/store_test_util.h"

using namespace glasswing::storage;

TEST_CASE("SHA-256 matches the FIPS 180-4 test vectors", "[storage][sha256]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // One million 'a', fed in uneven pieces to exercise the buffering.
  Sha256 sha;
  const std::string piece(997, 'a');
  size_t fed = 0;
  while (fed + piece.size() <= 1000000) {
    sha.update(piece);
    fed += piece.size();
  }
  sha.update(std::string(1000000 - fed, 'a'));
  CHECK(sha.hex_digest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("A file prefix hashes like the same bytes in memory", "[storage][sha256]") {
  const auto path = glasswing::test::temp_dir("sha256") / "file.bin";
  std::string bytes;
  for (int i = 0; i < 200000; ++i) bytes += static_cast<char>(i * 7 + i / 256);
  std::ofstream(path, std::ios::binary) << bytes;
  CHECK(sha256_of_file_prefix(path, 150000) == sha256_hex(std::string_view(bytes).substr(0, 150000)));
  CHECK_THROWS_WITH(sha256_of_file_prefix(path, 300000), Catch::Contains("shorter than"));
}
