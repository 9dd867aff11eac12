// Tests of the byte-level tokenizer, span lookup and display escaping. Any thread.
#include <catch2/catch.hpp>

#include "errors.h"
#include "tokenizer.h"

using namespace diffscope;

TEST_CASE("bytes become ids with their byte spans", "[tokenizer]") {
  const auto tokens = ByteTokenizer().encode("a\xC3\xA9!");  // "aé!": é is two bytes
  REQUIRE(tokens.size() == 4);
  CHECK(tokens[0].id == 'a');
  CHECK(tokens[1].id == 0xC3);
  CHECK(tokens[2].id == 0xA9);
  CHECK(tokens[3].byte_begin == 3);
  CHECK(tokens[3].byte_end == 4);
  CHECK(tokens[1].text == "\\xC3");  // half a character is not valid UTF-8 on its own
  CHECK(tokens[3].text == "!");
  CHECK_THROWS_AS(ByteTokenizer().encode(""), InputError);
}

TEST_CASE("display escaping keeps valid UTF-8 and escapes the rest", "[tokenizer]") {
  CHECK(escape_for_display("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(escape_for_display("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");  // emoji U+1F600
  CHECK(escape_for_display("a\nb\t") == "a\\nb\\t");
  CHECK(escape_for_display("\xC0\xAF") == "\\xC0\\xAF");                // overlong '/'
  CHECK(escape_for_display("\xED\xA0\x80") == "\\xED\\xA0\\x80");       // a surrogate
  CHECK(escape_for_display("\xFF") == "\\xFF");
}

TEST_CASE("a byte span selects the tokens overlapping it", "[tokenizer]") {
  const auto tokens = ByteTokenizer().encode("hello world");
  const TokenSpan s = tokens_overlapping(tokens, 6, 11);
  CHECK(s.begin == 6);
  CHECK(s.end == 11);
  CHECK_THROWS_WITH(tokens_overlapping(tokens, 20, 30), Catch::Contains("overlaps no token"));
  CHECK_THROWS_AS(tokens_overlapping(tokens, 5, 5), InputError);
}

TEST_CASE("ids given directly keep their order", "[tokenizer]") {
  const auto tokens = tokens_from_ids({5, 7});
  REQUIRE(tokens.size() == 2);
  CHECK(tokens[1].id == 7);
  CHECK(tokens[1].text == "<7>");
  CHECK_THROWS_AS(tokens_from_ids({}), InputError);
  CHECK_THROWS_WITH(tokenizer_for_model("m", 100), Catch::Contains("fewer than the 256"));
}
