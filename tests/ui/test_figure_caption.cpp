// The figure options' captions (ui/figure_caption.h): lambda of a head (one value, a range by row, the mean of heads),
// the span R in a pooled window's cells, and the prompt excerpt (around the span, bounded, escaped). Test thread.
#include <catch2/catch.hpp>

#include "figure_caption.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

AttentionSnapshot diff_snapshot(Matrix lambda) {
  AttentionSnapshot s;
  s.model.kind = AttentionKind::Differential;
  s.layers.resize(2);
  s.layers[1].lambda = std::move(lambda);
  return s;
}

}  // namespace

TEST_CASE("lambda caption: one value, a range over rows, the mean of heads, nothing for a standard model") {
  // Two heads, three rows: head 0 flat (V1-like), head 1 varies by row (V2).
  const AttentionSnapshot s = diff_snapshot(Matrix{2, 3, {0.8f, 0.8f, 0.8f, 0.5f, 0.6f, 0.7f}});
  CHECK(lambda_caption(s, 1, 0) == std::string("\xCE\xBB = 0.8"));
  CHECK(lambda_caption(s, 1, 1) == std::string("\xCE\xBB = 0.6 (mean over rows, 0.5..0.7)"));
  CHECK(lambda_caption(s, 1, -1) == std::string("\xCE\xBB = 0.7 (mean of heads, over rows 0.5..0.8)"));
  CHECK_FALSE(lambda_caption(s, 0, 0));  // no lambda captured for layer 0
  CHECK_FALSE(lambda_caption(s, 2, 0));
  CHECK_FALSE(lambda_caption(s, 1, 2));
  AttentionSnapshot standard = s;
  standard.model.kind = AttentionKind::Standard;
  CHECK_FALSE(lambda_caption(standard, 1, 0));
}

TEST_CASE("the span R in a window's cells: shifted, pooled, clipped, or outside") {
  CHECK(span_in_cells({4, 7}, 0, 10, 1)->begin == 4);
  CHECK(span_in_cells({4, 7}, 0, 10, 1)->end == 7);
  const auto shifted = span_in_cells({4, 7}, 2, 10, 1);
  CHECK((shifted->begin == 2 && shifted->end == 5));
  const auto pooled = span_in_cells({5, 9}, 0, 100, 4);  // tokens 5..8: cells 1 and 2
  CHECK((pooled->begin == 1 && pooled->end == 3));
  const auto clipped = span_in_cells({0, 50}, 10, 20, 1);
  CHECK((clipped->begin == 0 && clipped->end == 10));
  CHECK_FALSE(span_in_cells({0, 5}, 5, 20, 1));
  CHECK_FALSE(span_in_cells({30, 40}, 0, 20, 1));
}

TEST_CASE("prompt excerpt: the span marked with its context, or the start; bounded and escaped") {
  const std::string prompt = "The magic number of Paris is 4721. What is the magic number of Paris?";
  SECTION("short prompt, no span: all of it") { CHECK(prompt_excerpt(prompt, std::nullopt) == prompt); }
  SECTION("no span: the start, cut with an ellipsis") {
    CHECK(prompt_excerpt(prompt, std::nullopt, 9) == "The magic\xE2\x80\xA6");
  }
  SECTION("span: marked, with context on both sides") {
    const int64_t at = static_cast<int64_t>(prompt.find("4721"));
    CHECK(prompt_excerpt(prompt, std::make_pair(at, at + 4), 14) == "\xE2\x80\xA6" "s is \xC2\xAB" "4721\xC2\xBB"
                                                                    ". Wha\xE2\x80\xA6");
    // The whole prompt fits: no ellipsis.
    CHECK(prompt_excerpt(prompt, std::make_pair(at, at + 4)) ==
          "The magic number of Paris is \xC2\xAB" "4721\xC2\xBB. What is the magic number of Paris?");
  }
  SECTION("a span at the end gives its unused context to the start") {
    const int64_t size = static_cast<int64_t>(prompt.size());
    CHECK(prompt_excerpt(prompt, std::make_pair(size - 6, size), 12) ==
          "\xE2\x80\xA6" "er of \xC2\xAB" "Paris?\xC2\xBB");
  }
  SECTION("a long span keeps its ends") {
    const std::string excerpt = prompt_excerpt(prompt, std::make_pair(int64_t{0}, int64_t{60}), 12);
    CHECK(excerpt == "\xC2\xAB" "The \xE2\x80\xA6" "ber \xC2\xBB" "of \xE2\x80\xA6");
  }
  SECTION("escaped: line break, TAB, NUL, a byte that is not UTF-8, an emoji, a bidi override") {
    static const char kText[] = "a\nb\tc\0d\xFF" "e\xF0\x9F\x98\x80" "f\xE2\x80\xAE" "g";
    const std::string text(kText, sizeof kText - 1);
    CHECK(prompt_excerpt(text, std::nullopt) ==
          "a\xE2\x86\xB5" "b\xE2\x87\xA5" "c\\x00d\\xFF" "eU+1F600fU+202Eg");
  }
  SECTION("bounded: a 1 MB prompt gives a short excerpt") {
    const std::string big(1 << 20, 'x');
    CHECK(prompt_excerpt(big, std::make_pair(int64_t{500000}, int64_t{500004})).size() < 200);
  }
}
