// Percent-decoding of path segments and query values.
#include <catch2/catch.hpp>

#include "protocols/percent_decode.hpp"

using switchyard::protocols::percent_decode;

TEST_CASE("percent escapes are decoded, malformed ones kept", "[percent_decode]") {
  CHECK(percent_decode("meta-llama%2FLlama-3") == "meta-llama/Llama-3");
  CHECK(percent_decode("a%20b%2c") == "a b,");
  CHECK(percent_decode("100%") == "100%");
  CHECK(percent_decode("%2") == "%2");
  CHECK(percent_decode("%zz%41") == "%zzA");
  CHECK(percent_decode("a+b") == "a+b");
  CHECK(percent_decode("") == "");
  CHECK(percent_decode("%00").size() == 1);
}
