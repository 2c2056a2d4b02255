// sha256_hex against published vectors, visible_prefix, and constant_time_equal.
#include <catch2/catch.hpp>

#include <string>

#include "config/key_hash.hpp"

using namespace switchyard::config;

TEST_CASE("sha256_hex matches the FIPS 180-2 and well-known vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex("The quick brown fox jumps over the lazy dog")
        == "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
  CHECK(sha256_hex(std::string(1'000'000, 'a'))
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  std::string with_nul("a\0b", 3);
  CHECK(sha256_hex(with_nul) != sha256_hex("a"));
  CHECK(sha256_hex(with_nul).size() == 64);
}

TEST_CASE("visible_prefix shows 8 characters of long keys and half of short ones") {
  CHECK(visible_prefix("sk-dev-local") == "sk-dev-l\xE2\x80\xA6");
  CHECK(visible_prefix("123456789") == "12345678\xE2\x80\xA6");
  CHECK(visible_prefix("12345678") == "1234\xE2\x80\xA6");
  CHECK(visible_prefix("abc") == "a\xE2\x80\xA6");
  CHECK(visible_prefix("a") == "\xE2\x80\xA6");
  CHECK(visible_prefix("") == "\xE2\x80\xA6");
  // "aклю" is 7 bytes; the 8th byte starts "ч", so the cut backs off to a character boundary.
  CHECK(visible_prefix("a\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87-secret") == "a\xD0\xBA\xD0\xBB\xD1\x8E\xE2\x80\xA6");
}

TEST_CASE("constant_time_equal compares whole strings") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "xbc"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
  CHECK_FALSE(constant_time_equal("abcd", "abc"));
  CHECK_FALSE(constant_time_equal("", "a"));
  std::string h = sha256_hex("k");
  CHECK(constant_time_equal(h, sha256_hex("k")));
  CHECK_FALSE(constant_time_equal(h, sha256_hex("K")));
  CHECK(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  CHECK_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}
