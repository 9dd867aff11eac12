// Base64 (ui/base64.h): RFC 4648's own test vectors (section 10), every byte value, and the strict decoder's refusals
// (settings.json is untrusted input). Test thread.
#include <catch2/catch.hpp>

#include "base64.h"

using namespace diffscope::ui;

TEST_CASE("base64 gives RFC 4648's test vectors") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},     {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [bytes, text] : vectors) {
    INFO(bytes);
    CHECK(base64_encode(bytes) == text);
    CHECK(base64_decode(text) == std::string(bytes));
  }
}

TEST_CASE("base64 round-trips every byte value") {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  for (size_t n = 0; n <= all.size(); n += 37) {
    CHECK(base64_decode(base64_encode(all.substr(0, n))) == all.substr(0, n));
  }
  CHECK(base64_decode(base64_encode(all)) == all);
}

TEST_CASE("base64 decoding refuses what is not canonical base64") {
  CHECK_FALSE(base64_decode("Zg="));       // length not a multiple of 4
  CHECK_FALSE(base64_decode("Zh=="));      // 'h' leaves bits set after the last byte ("Zg==" is the encoding)
  CHECK_FALSE(base64_decode("Zg==Zg=="));  // padding before the end
  CHECK_FALSE(base64_decode("Zm9*"));      // outside the alphabet
  CHECK_FALSE(base64_decode("Z==="));      // three padding characters
  CHECK_FALSE(base64_decode("Zm 9"));
}
