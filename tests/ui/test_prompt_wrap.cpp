// Soft line breaks of the prompt box (ui/prompt_wrap.h): where lines break, positions mapped both ways, copies and
// edits of the wrapped text mapped back to the display text without the soft breaks. Every character is 1 wide
// ('W' 2), so the expected breaks are counted by hand. Test thread.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "prompt_wrap.h"

using namespace diffscope::ui;

namespace {

float test_width(char32_t c, const void*) { return c == U'W' ? 2.0f : 1.0f; }

WrappedText wrap(const std::string& display, float width) {
  return wrap_display(display, width, test_width, nullptr);
}

}  // namespace

TEST_CASE("lines break after the last space that fits, inside words longer than the line, never at hard breaks") {
  CHECK(wrap("aaa bbb ccc", 7).text == "aaa bbb \nccc");  // the space after "bbb" hangs past the edge
  CHECK(wrap("aaa bbb ccc", 6).text == "aaa \nbbb \nccc");
  CHECK(wrap("abcdefghij", 4).text == "abcd\nefgh\nij");
  CHECK(wrap("ab\ncdef gh", 4).text == "ab\ncdef \ngh");
  CHECK(wrap("ab\ncdef gh", 4).breaks == std::vector<size_t>{8});
  CHECK(wrap("WWW", 4).text == "WW\nW");
  CHECK(wrap("a\tb\tccccc", 4).text == "a\tb\t\ncccc\nc");
  CHECK(wrap("short", 80).text == "short");
  CHECK(wrap("short", 80).breaks.empty());
  CHECK(wrap("no width", 0).text == "no width");
  CHECK(wrap("", 5).text.empty());
  // Multi-byte characters (2 and 3 bytes) count as one character each and are never cut.
  const WrappedText accents = wrap("\xC3\xA9\xC3\xA9\xC3\xA9 \xE2\x82\xAC\xE2\x82\xAC", 3);
  CHECK(accents.text == "\xC3\xA9\xC3\xA9\xC3\xA9 \n\xE2\x82\xAC\xE2\x82\xAC");
  CHECK(accents.breaks == std::vector<size_t>{7});
}

TEST_CASE("positions map between the wrapped and the display text; a position at a break goes after it") {
  const std::string display = "aaa bbb ccc ddd";
  const WrappedText w = wrap(display, 5);
  REQUIRE(w.text == "aaa \nbbb \nccc \nddd");
  REQUIRE(w.breaks == (std::vector<size_t>{4, 9, 14}));
  for (size_t d = 0; d <= display.size(); ++d) {
    INFO("display offset " << d);
    const size_t o = wrapped_offset(w, d);
    CHECK(display_offset(w, o) == d);
    CHECK(unwrap_range(w, o, w.text.size()) == display.substr(d));
  }
  CHECK(wrapped_offset(w, 4) == 5);  // the start of "bbb", not the end of "aaa "
  CHECK(display_offset(w, 4) == 4);  // the end of the first line ...
  CHECK(display_offset(w, 5) == 4);  // ... and the start of the second are the same place
  CHECK(display_offset(w, w.text.size()) == display.size());
  CHECK(unwrap_range(w, 0, w.text.size()) == display);
  CHECK(unwrap_range(w, 2, 11) == "a bbb c");
  CHECK(unwrap_range(w, 4, 5).empty());  // just a soft break
}

TEST_CASE("edits of the wrapped text map back: the user's line breaks stay, soft ones go") {
  const WrappedText w = wrap("aaa bbb ccc", 5);
  REQUIRE(w.text == "aaa \nbbb \nccc");
  SECTION("typing in the second line") {
    const UnwrappedEdit e = unwrap_edit(w, "aaa \nbXbb \nccc", 6, 7);
    CHECK(e.display == "aaa bXbb ccc");
    CHECK(e.cursor == 6);
  }
  SECTION("a pasted line break is the user's") {
    const UnwrappedEdit e = unwrap_edit(w, "aaa \nb\nbb \nccc", 6, 7);
    CHECK(e.display == "aaa b\nbb ccc");
    CHECK(e.cursor == 6);
  }
  SECTION("Enter right after a soft break") {
    const UnwrappedEdit e = unwrap_edit(w, "aaa \n\nbbb \nccc", 5, 6);
    CHECK(e.display == "aaa \nbbb ccc");
  }
  SECTION("Backspace at the start of a wrapped line deletes the character before it") {
    const UnwrappedEdit e = unwrap_edit(w, "aaa bbb \nccc", 5, 4);
    CHECK(e.display == "aaabbb ccc");
    CHECK(e.cursor == 3);
  }
  SECTION("Delete at the end of a wrapped line deletes the character after it") {
    const UnwrappedEdit e = unwrap_edit(w, "aaa bbb \nccc", 4, 4);
    CHECK(e.display == "aaa bb ccc");
    CHECK(e.cursor == 4);
  }
  SECTION("a selection across a soft break replaced") {
    const UnwrappedEdit e = unwrap_edit(w, "aaZbb \nccc", 2, 3);  // "a \nb" selected, Z typed
    CHECK(e.display == "aaZbb ccc");
    CHECK(e.cursor == 3);
  }
  SECTION("everything deleted") {
    const UnwrappedEdit e = unwrap_edit(w, "", 0, 0);
    CHECK(e.display.empty());
    CHECK(e.cursor == 0);
  }
  SECTION("Backspace over a multi-byte character before a soft break") {
    const WrappedText m = wrap("ab\xC3\xA9\xC3\xA9" "cd", 4);
    REQUIRE(m.text == "ab\xC3\xA9\xC3\xA9\ncd");
    const UnwrappedEdit e = unwrap_edit(m, "ab\xC3\xA9\xC3\xA9" "cd", 7, 6);
    CHECK(e.display == "ab\xC3\xA9" "cd");
    CHECK(e.cursor == 4);
  }
}

TEST_CASE("a prompt of ~100 KB wraps in well under a frame's time") {
  std::string display;
  while (display.size() < 100000) display += "The magic number of Paris is 4721. ";
  display += '\n';
  const auto start = std::chrono::steady_clock::now();
  const WrappedText w = wrap(display, 80);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  CHECK(unwrap_range(w, 0, w.text.size()) == display);
  CHECK(w.breaks.size() > 1000);
  CHECK(ms < 100);  // ~1 ms measured on the 2-core CI machine; only when the text or the width changes
}
