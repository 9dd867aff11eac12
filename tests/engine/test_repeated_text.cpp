// Tests of repeated_text (engine/repeated_text.h): a text of at most N tokens as each tokenizer counts, cut at token
// and character boundaries, from a source repeated. Test thread.
#include <catch2/catch.hpp>

#include "errors.h"
#include "repeated_text.h"

using namespace diffscope;

namespace {

const std::string kBundled = std::string(DIFFSCOPE_FIXTURES) + "/../../assets/models/diff";

int64_t count(const Tokenizer& t, const std::string& text) { return static_cast<int64_t>(t.encode(text).size()); }

}  // namespace

TEST_CASE("bytes: exactly the asked number of tokens, from copies of the source") {
  const ByteTokenizer bytes;
  const std::string text = repeated_text("The magic number of Paris is 4721.", 100, {&bytes});
  CHECK(text.size() == 100);
  CHECK(text.rfind("The magic number of Paris is 4721.\n\nThe magic", 0) == 0);  // copies joined by a blank line
  CHECK(repeated_text("abc", 2, {&bytes}) == "ab");  // shorter than one copy
}

TEST_CASE("a cut never splits a UTF-8 character") {
  const ByteTokenizer bytes;
  // "é" is two bytes; a cut at 3 bytes would fall inside the second "é".
  const std::string text = repeated_text("\xC3\xA9\xC3\xA9", 3, {&bytes});
  CHECK(text == "\xC3\xA9");
}

TEST_CASE("a BPE tokenizer and bytes together: at most N tokens for both") {
  const auto bpe = tokenizer_for_model(kBundled, 4096);
  REQUIRE(bpe->name() != "bytes");
  const ByteTokenizer bytes;
  const std::string source = "The magic number of Paris is 4721. What is the magic number of Paris?";
  const std::string text = repeated_text(source, 300, {bpe.get()});
  CHECK(count(*bpe, text) <= 300);
  CHECK(count(*bpe, text) >= 298);  // re-tokenizing at the cut may merge the last tokens
  CHECK(text.size() > 300);        // BPE tokens hold several bytes each

  const std::string both = repeated_text(source, 300, {bpe.get(), &bytes});
  CHECK(count(*bpe, both) <= 300);
  CHECK(count(bytes, both) <= 300);  // bytes count more: the text is cut again for them
  CHECK(both.size() >= 299);
}

TEST_CASE("bad requests are refused") {
  const ByteTokenizer bytes;
  CHECK_THROWS_AS(repeated_text("", 10, {&bytes}), InputError);
  CHECK_THROWS_AS(repeated_text("a", 0, {&bytes}), InputError);
  CHECK_THROWS_AS(repeated_text("a", 10, {}), InputError);
}
