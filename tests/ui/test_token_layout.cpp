// Token strip wrapping, hit test, dragged spans and visible token text. Test thread.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

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

TEST_CASE("byte-level and Metaspace tokens: decoded text with dim space marks, the vocabulary piece for the hover") {
  // What the engine gives for GPT-2's "Ġcat" / "Ċ" and Llama 2's "▁cat" / "<0x0A>" (tests/engine/test_hf_tokenizer.cpp
  // checks the published vocabularies): decoded text, the vocabulary's piece beside it.
  const Token gpt2_cat{5, " cat", 3, 7, "\xC4\xA0" "cat"};
  const Token gpt2_newline{198, "\\n", 7, 8, "\xC4\x8A"};
  const Token llama_cat{6635, " cat", 3, 7, "\xE2\x96\x81" "cat"};
  const Token llama_newline{13, "\\n", 7, 8, "<0x0A>"};
  const Token plain{9, "sat", 8, 11, "sat"};
  const Token bytes{65, "A", 0, 1, ""};  // a byte tokenizer has no vocabulary pieces
  const std::string open_box = "\xE2\x90\xA3", arrow = "\xE2\x86\xB5";
  CHECK(visible_token_text(gpt2_cat.text) == open_box + "cat");
  CHECK(visible_token_text(llama_cat.text) == open_box + "cat");
  CHECK(visible_token_text(gpt2_newline.text) == arrow);
  CHECK(vocabulary_note(gpt2_cat) == "vocabulary piece \"\xC4\xA0" "cat\"");
  CHECK(vocabulary_note(llama_cat) == "vocabulary piece \"\xE2\x96\x81" "cat\"");
  CHECK(vocabulary_note(llama_newline) == "vocabulary piece \"<0x0A>\"");
  CHECK(vocabulary_note(plain).empty());  // the piece is the text: nothing to add
  CHECK(vocabulary_note(bytes).empty());
  // Runs: marks (drawn dim) apart from the text, covering the label in order.
  const std::string label = visible_token_text("  a b\\n");
  const std::vector<LabelRun> runs = label_runs(label);
  REQUIRE(runs.size() == 5);
  CHECK((runs[0].mark && label.substr(runs[0].begin, runs[0].end - runs[0].begin) == open_box + open_box));
  CHECK((!runs[1].mark && label.substr(runs[1].begin, runs[1].end - runs[1].begin) == "a"));
  CHECK((runs[2].mark && label.substr(runs[2].begin, runs[2].end - runs[2].begin) == open_box));
  CHECK((!runs[3].mark && label.substr(runs[3].begin, runs[3].end - runs[3].begin) == "b"));
  CHECK((runs[4].mark && label.substr(runs[4].begin, runs[4].end - runs[4].begin) == arrow));
  CHECK(runs.back().end == label.size());
  CHECK(label_runs("cat").size() == 1);
  CHECK(label_runs("").empty());
}

TEST_CASE("hit test and visible range agree with a naive scan on long random strips") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> width(4.0f, 90.0f);
  std::vector<float> widths(5000);
  for (float& w : widths) w = width(rng);
  const auto boxes = layout_tokens(widths, 700, 20, 3);
  std::uniform_real_distribution<float> px(-5.0f, 710.0f), py(-5.0f, boxes.back().y + 30.0f);
  for (int k = 0; k < 3000; ++k) {
    const float x = px(rng), y = py(rng);
    std::optional<int64_t> naive;
    for (size_t i = 0; i < boxes.size(); ++i) {
      const TokenBox& b = boxes[i];
      if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h) naive = static_cast<int64_t>(i);
    }
    REQUIRE(token_at(boxes, x, y) == naive);
    const float y1 = y + std::abs(py(rng)) / 8;
    size_t first = boxes.size(), last = 0;
    for (size_t i = 0; i < boxes.size(); ++i) {
      if (boxes[i].y + boxes[i].h > y && boxes[i].y < y1) first = std::min(first, i), last = i + 1;
    }
    const auto range = visible_box_range(boxes, y, y1);
    if (first == boxes.size()) {
      REQUIRE(range.first == range.second);  // nothing visible
    } else {
      REQUIRE(range.first == first);
      REQUIRE(range.second == last);
    }
  }
}

TEST_CASE("find names a token by number or by text, stepping through matches") {
  auto token = [](const char* text) { Token t; t.text = text; return t; };
  const std::vector<Token> tokens = {token("The"), token(" cat"), token(" sat"), token(" on"), token(" the"),
                                     token(" mat"), token("."), token(" The"), token(" cat")};
  CHECK(find_token(tokens, "#0") == 0);
  CHECK(find_token(tokens, "#8") == 8);
  CHECK_FALSE(find_token(tokens, "#9"));                     // past the last token
  CHECK_FALSE(find_token(tokens, "#99999999999999999999"));  // no overflow
  CHECK(find_token(tokens, "cat") == 1);
  CHECK(find_token(tokens, "cat", 1) == 8);   // the next match after token 1
  CHECK(find_token(tokens, "cat", 8) == 1);   // wraps around
  CHECK(find_token(tokens, "t on") == 2);     // a match across tokens names the token it starts in
  CHECK(find_token(tokens, "The", 0) == 7);   // case-sensitive: " the" (token 4) is not a match
  CHECK_FALSE(find_token(tokens, "dog"));
  CHECK_FALSE(find_token(tokens, ""));
  CHECK_FALSE(find_token({}, "cat"));
  CHECK(find_token(tokens, "#") == std::nullopt);  // "#" alone is text: not in the tokens
}

TEST_CASE("the span R by typing: token numbers, a range, or every token a text match overlaps") {
  auto token = [](const char* text) { Token t; t.text = text; return t; };
  const std::vector<Token> tokens = {token("The"), token(" magic"), token(" number"), token(" is"), token(" 47"),
                                     token("21"), token("."), token(" 47"), token("21")};
  auto is = [](const std::optional<TokenSpan>& s, int64_t b, int64_t e) { return s && s->begin == b && s->end == e; };
  CHECK(is(find_token_span(tokens, "#3"), 3, 4));
  CHECK(is(find_token_span(tokens, "#4-5"), 4, 6));
  CHECK_FALSE(find_token_span(tokens, "#5-4"));   // backwards
  CHECK_FALSE(find_token_span(tokens, "#8-9"));   // past the last token
  CHECK(is(find_token_span(tokens, " 4721"), 4, 6));     // a match over two tokens names both
  CHECK(is(find_token_span(tokens, " 4721", 4), 7, 9));  // the next match
  CHECK(is(find_token_span(tokens, "magic number"), 1, 3));
  CHECK(is(find_token_span(tokens, "21."), 5, 7));
  CHECK_FALSE(find_token_span(tokens, "4722"));
}
