// Targets inside the prompt (engine/span_target.h): finding a text's tokens, checking a token range, and scoring the
// span from one forward's logits, against log_softmax computed by hand. Test thread.
#include <catch2/catch.hpp>

#include <cmath>

#include "errors.h"
#include "span_target.h"

using namespace diffscope;

namespace {

// "ab cd ab" as three tokens: "ab" [0, 2), " cd" [2, 5), " ab" [5, 8).
std::vector<Token> three_tokens() {
  return {{10, "ab", 0, 2}, {11, " cd", 2, 5}, {12, " ab", 5, 8}};
}

float ln(double v) { return static_cast<float>(std::log(v)); }

}  // namespace

TEST_CASE("a target span's text gives the tokens overlapping its first occurrence", "[span_target]") {
  const std::vector<Token> tokens = three_tokens();
  const std::string prompt = "ab cd ab";
  CHECK(target_span_of_text(tokens, prompt, "cd").begin == 1);
  CHECK(target_span_of_text(tokens, prompt, "cd").end == 2);
  CHECK(target_span_of_text(tokens, prompt, "d a").begin == 1);  // overlaps " cd" and " ab"
  CHECK(target_span_of_text(tokens, prompt, "d a").end == 3);
  CHECK(target_span_of_text(tokens, prompt, " ab").begin == 2);
  // "ab" first occurs in the first token, which nothing predicts (even though " ab" later could be scored).
  CHECK_THROWS_WITH(target_span_of_text(tokens, prompt, "ab"), Catch::Contains("first token"));
  CHECK_THROWS_WITH(target_span_of_text(tokens, prompt, "zz"), Catch::Contains("\"zz\" is not in the prompt"));
  CHECK_THROWS_WITH(target_span_of_text(tokens, prompt, ""), Catch::Contains("empty"));
}

TEST_CASE("a target token range must start after token 0 and end inside the prompt", "[span_target]") {
  CHECK(checked_target_tokens({1, 3}, 3).end == 3);
  CHECK_THROWS_WITH(checked_target_tokens({0, 2}, 3), Catch::Contains("start at token 0"));
  CHECK_THROWS_WITH(checked_target_tokens({2, 4}, 3), Catch::Contains("reach past the prompt's 3 tokens"));
  CHECK_THROWS_WITH(checked_target_tokens({2, 2}, 3), Catch::Contains("empty"));
  CHECK(span_ids(three_tokens(), {1, 3}) == std::vector<int64_t>{11, 12});
}

TEST_CASE("a span's score sums log softmax of the rows before its tokens, by hand", "[span_target]") {
  // Rows 0 and 1 predict tokens 1 and 2: softmax(0, 0, ln 2) = (1/4, 1/4, 1/2); softmax(ln 3, 0, 0) = (3/5, 1/5, 1/5).
  // Row 2 (after the last token) is never read: values that would change any sum.
  Matrix logits;
  logits.rows = 3;
  logits.cols = 3;
  logits.values = {0.0f, 0.0f, ln(2), ln(3), 0.0f, 0.0f, 50.0f, -50.0f, 7.0f};
  std::vector<Token> tokens = {{0, "a", 0, 1}, {2, "b", 1, 2}, {0, "c", 2, 3}};
  SpanScore s = score_span(logits, tokens, {1, 3});
  CHECK(s.logprob == Approx(std::log(0.5) + std::log(0.6)).epsilon(1e-6));
  CHECK(s.first_rank == 1);
  CHECK(s.all_top);
  // Only the second token: log 3/5 from row 1.
  CHECK(score_span(logits, tokens, {2, 3}).logprob == Approx(std::log(0.6)).epsilon(1e-6));
  // Ids 0 then 1: log 1/4 + log 1/5; the first is ranked 2nd (id 2 is more likely, id 1 ties), so not all top.
  tokens[1].id = 0;
  tokens[2].id = 1;
  s = score_span(logits, tokens, {1, 3});
  CHECK(s.logprob == Approx(std::log(0.25) + std::log(0.2)).epsilon(1e-6));
  CHECK(s.first_rank == 2);
  CHECK_FALSE(s.all_top);
  // Out of range: the span, an id outside the vocabulary.
  CHECK_THROWS_AS(score_span(logits, tokens, {0, 1}), InputError);
  tokens[2].id = 3;
  CHECK_THROWS_WITH(score_span(logits, tokens, {1, 3}), Catch::Contains("outside the vocabulary of 3"));
}
