// Token strip wrapping, hit test, dragged spans and visible token text. Test thread.
#include <catch2/catch.hpp>

#include "token_layout.h"

using namespace diffscope;
using namespace diffscope::ui;

TEST_CASE("token boxes wrap at the available width") {
  // Widths 10, 20, 30 in 35 pixels, gap 2: box 1 starts at 12 and ends at 32 <= 35; box 2 would end at 64: next line.
  const auto boxes = layout_tokens({10, 20, 30}, 35, 20, 2);
  REQUIRE(boxes.size() == 3);
  CHECK(boxes[0].x == 0);
  CHECK(boxes[1].x == 12);
  CHECK(boxes[1].y == 0);
  CHECK(boxes[2].x == 0);
  CHECK(boxes[2].y == 20);
  CHECK(boxes[2].h == 18);
  // A box wider than the line gets a line of its own, and is not pushed down first when it starts a line.
  const auto wide = layout_tokens({50}, 35, 20, 2);
  CHECK(wide[0].y == 0);
}

TEST_CASE("token under the mouse") {
  const auto boxes = layout_tokens({10, 20, 30}, 35, 20, 2);
  CHECK(token_at(boxes, 5, 5) == 0);
  CHECK(token_at(boxes, 13, 17) == 1);
  CHECK(token_at(boxes, 29, 25) == 2);
  CHECK_FALSE(token_at(boxes, 11, 5));   // the gap
  CHECK_FALSE(token_at(boxes, 5, 19));   // between lines
}

TEST_CASE("a drag marks a span in either direction") {
  CHECK(drag_span(2, 5).begin == 2);
  CHECK(drag_span(2, 5).end == 6);
  CHECK(drag_span(5, 2).begin == 2);
  CHECK(drag_span(5, 2).end == 6);
  CHECK(drag_span(3, 3).end == 4);
}

TEST_CASE("spans convert to prompt bytes and back") {
  // "héllo": h [0,1), é [1,3) as one token, l [3,4), l [4,5), o [5,6)
  std::vector<Token> tokens = {{104, "h", 0, 1}, {233, "é", 1, 3}, {108, "l", 3, 4}, {108, "l", 4, 5}, {111, "o", 5, 6}};
  auto bytes = span_bytes(tokens, TokenSpan{1, 3});
  CHECK(bytes.first == 1);
  CHECK(bytes.second == 4);
  auto span = span_from_bytes(tokens, 2, 4);  // overlaps é and the first l
  REQUIRE(span);
  CHECK(span->begin == 1);
  CHECK(span->end == 3);
  CHECK_FALSE(span_from_bytes(tokens, 6, 9));
}

TEST_CASE("spaces and line breaks are made visible") {
  CHECK(visible_token_text(" ") == "\xE2\x90\xA3");
  CHECK(visible_token_text("\\n") == "\xE2\x86\xB5");
  CHECK(visible_token_text("a b") == "a\xE2\x90\xA3" "b");
  CHECK(visible_token_text("\\xC3") == "\\xC3");
}
