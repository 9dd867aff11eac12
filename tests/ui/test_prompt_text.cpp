// The prompt box's display text and the prompt's exact bytes (ui/prompt_text.h): every round trip bytes -> display ->
// bytes is the identity, edits of the display map back to bytes, and the display holds nothing ImGui 1.86 would
// change. Expected texts are hand-derived from the UTF-8 tables: placeholders are handed out from U+E000 in order
// of first appearance. Test thread.
#include <catch2/catch.hpp>

#include <random>

#include "tokenizer/hf_tokenizer_utf8.h"
#include "prompt_text.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

// U+E000 + i as UTF-8 (the i-th placeholder of a fresh table).
std::string ph(int i) { return utf8::encode(kFirstPlaceholder + static_cast<char32_t>(i)); }

std::string round_trip(const std::string& bytes) {
  PromptText t;
  t.set_bytes(bytes);
  return t.bytes_of(t.display());
}

// What ImGui 1.86's text box keeps as it is: valid UTF-8 of code points up to U+FFFF, no control character other than
// newline and TAB (NUL would end the C string, CR is skipped when drawn, the others are dropped on input).
bool box_keeps(const std::string& display) {
  for (size_t i = 0; i < display.size();) {
    bool valid = false;
    const size_t n = utf8::next_unit(display, i, valid);
    if (!valid) return false;
    const char32_t cp = utf8::decode_at(display, i);
    if (cp > 0xFFFF || (cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7F && cp <= 0x9F)) return false;
    i += n;
  }
  return true;
}

}  // namespace

TEST_CASE("text the box can show is its own display, newline and TAB included") {
  PromptText t;
  const std::string text = "The magic number\tof Paris is 4721.\nÉté, λ, ש\u00A0→ \uFFFD";
  t.set_bytes(text);
  CHECK(t.display() == text);
  CHECK(t.bytes() == text);
  CHECK(t.placeholders_in_display().empty());
  CHECK(t.editable());
}

TEST_CASE("characters above U+FFFF and invisible marks become placeholders, one per distinct sequence") {
  PromptText t;
  // Family emoji: U+1F468 U+200D U+1F469 U+200D U+1F467 (man, ZWJ, woman, ZWJ, girl).
  const std::string family = "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
  t.set_bytes("A " + family + "!");
  // man -> U+E000, ZWJ -> U+E001, woman -> U+E002, the second ZWJ reuses U+E001, girl -> U+E003.
  CHECK(t.display() == "A " + ph(0) + ph(1) + ph(2) + ph(1) + ph(3) + "!");
  CHECK(t.bytes_of(t.display()) == "A " + family + "!");
  const std::vector<Placeholder> legend = t.placeholders_in_display();
  REQUIRE(legend.size() == 4);
  CHECK(legend[0].bytes == "\xF0\x9F\x91\xA8");
  CHECK(legend[0].kind == HiddenKind::AboveBmp);
  CHECK(legend[1].kind == HiddenKind::Invisible);
  CHECK(describe_placeholder(legend[0]) == "U+1F468 (above U+FFFF)");
  CHECK(describe_placeholder(legend[1]) == "U+200D ZERO WIDTH JOINER (invisible mark)");

  // A flag is two regional indicators: U+1F1EB U+1F1F7 (FR).
  const std::string flag = "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7";
  PromptText f;
  f.set_bytes(flag + flag);
  CHECK(f.display() == ph(0) + ph(1) + ph(0) + ph(1));
  CHECK(f.bytes_of(f.display()) == flag + flag);
}

TEST_CASE("TAB is kept as itself; CR, NUL and other controls become placeholders") {
  PromptText t;
  const std::string text = std::string("a\tb\r\nc\0d\x1b", 9);
  t.set_bytes(text);
  // CR -> U+E000, NUL -> U+E001, ESC -> U+E002; TAB and LF stay.
  CHECK(t.display() == "a\tb" + ph(0) + "\nc" + ph(1) + "d" + ph(2));
  CHECK(t.bytes_of(t.display()) == text);
  CHECK(t.bytes_of(t.display()).size() == 9);
  const std::vector<Placeholder> legend = t.placeholders_in_display();
  REQUIRE(legend.size() == 3);
  CHECK(describe_placeholder(legend[0]) == "U+000D CR (control character)");
  CHECK(describe_placeholder(legend[1]) == "U+0000 NUL (control character)");
  // C1 controls and DEL too: U+0085 (C2 85), U+007F.
  CHECK(round_trip("x\xC2\x85y\x7Fz") == "x\xC2\x85y\x7Fz");
  CHECK(hidden_kind(0x85) == HiddenKind::Control);
  CHECK(hidden_kind(0x7F) == HiddenKind::Control);
}

TEST_CASE("the edges of the Basic Multilingual Plane") {
  CHECK(hidden_kind(0xFFFD) == HiddenKind::None);          // the user's own replacement character is shown
  CHECK(hidden_kind(0xFFFE) == HiddenKind::NonCharacter);
  CHECK(hidden_kind(0xFFFF) == HiddenKind::NonCharacter);
  CHECK(hidden_kind(0x10000) == HiddenKind::AboveBmp);
  CHECK(hidden_kind(0x10FFFF) == HiddenKind::AboveBmp);
  PromptText t;
  // U+FFFD U+FFFF U+10000 U+10FFFF
  const std::string text = "\xEF\xBF\xBD\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF";
  t.set_bytes(text);
  CHECK(t.display() == "\xEF\xBF\xBD" + ph(0) + ph(1) + ph(2));
  CHECK(t.bytes_of(t.display()) == text);
}

TEST_CASE("the user's own private-use characters are placeholders too, so they are never taken for one") {
  PromptText t;
  const std::string text = "\xEF\xA3\xBF" "a" "\xEE\x80\x80";  // U+F8FF, a, U+E000
  t.set_bytes(text);
  // U+F8FF -> placeholder U+E000; the text's own U+E000 -> placeholder U+E001.
  CHECK(t.display() == ph(0) + "a" + ph(1));
  CHECK(t.bytes_of(t.display()) == text);
  // A private-use character that is no placeholder of the table stands for itself.
  CHECK(PromptText().bytes_of(ph(5)) == ph(5));
}

TEST_CASE("bytes that are not UTF-8: one placeholder per maximal ill-formed subpart") {
  PromptText t;
  // FF: never a UTF-8 byte. F0 9F 98: a 4-byte emoji cut after 3 bytes (one subpart). C0 AF: an overlong '/' (C0 is
  // never a lead byte, AF alone is a stray continuation: two subparts). ED A0 80: a UTF-16 surrogate (ED allows only
  // 80..9F next, so ED, A0 and 80 are three subparts).
  const std::string text = "\xFF" "a" "\xF0\x9F\x98" "b" "\xC0\xAF" "c" "\xED\xA0\x80";
  t.set_bytes(text);
  CHECK(t.display() == ph(0) + "a" + ph(1) + "b" + ph(2) + ph(3) + "c" + ph(4) + ph(5) + ph(6));
  CHECK(t.bytes_of(t.display()) == text);
  const std::vector<Placeholder> legend = t.placeholders_in_display();
  REQUIRE(legend.size() == 7);
  CHECK(legend[1].bytes == "\xF0\x9F\x98");
  CHECK(legend[1].kind == HiddenKind::InvalidUtf8);
  CHECK(describe_placeholder(legend[0]) == "byte FF (not UTF-8)");
  CHECK(describe_placeholder(legend[1]) == "bytes F0 9F 98 (not UTF-8)");
}

TEST_CASE("edits of the display map back to exact bytes") {
  const std::string smile = "\xF0\x9F\x98\x80";  // U+1F600
  PromptText t;
  t.set_bytes("a" + smile + "b");
  REQUIRE(t.display() == "a" + ph(0) + "b");

  SECTION("deleting a placeholder deletes its character") {
    t.set_display("ab");
    CHECK(t.bytes() == "ab");
  }
  SECTION("typing before and after a placeholder keeps it") {
    t.set_display("xa" + ph(0) + "yb");
    CHECK(t.bytes() == "xa" + smile + "yb");
  }
  SECTION("cut and pasted elsewhere, or copied twice, it is still the same character") {
    t.set_display("b" + ph(0) + "a" + ph(0));
    CHECK(t.bytes() == "b" + smile + "a" + smile);
  }
  SECTION("a paste gets placeholders from the same table") {
    const std::optional<std::string> pasted = t.display_of(smile + "\t\x01");
    REQUIRE(pasted);
    CHECK(*pasted == ph(0) + "\t" + ph(1));  // the smile keeps U+E000, the new control gets U+E001
    t.set_display("a" + ph(0) + *pasted + "b");
    CHECK(t.bytes() == "a" + smile + smile + "\t\x01" "b");
  }
  SECTION("copying out of the box gives the bytes, not the placeholders") {
    CHECK(t.bytes_of(ph(0) + "b") == smile + "b");
  }
  SECTION("a new prompt keeps the placeholders the box may still hold in its undo history") {
    t.set_bytes("\x01" + smile);
    CHECK(t.display() == ph(1) + ph(0));
  }
}

TEST_CASE("bytes -> display -> bytes is the identity for any bytes, and the display is what the box keeps") {
  std::mt19937 rng(11);  // fixed seed: the same strings every run
  // Bytes drawn mostly from the interesting ones (UTF-8 leads and continuations, controls, ASCII).
  static const char kAlphabet[] = "\x00\x01\t\n\r a\x7F\x80\x9F\xA0\xBF\xC2\xDF\xE0\xED\xEE\xEF\xF0\xF4\xF5\xFF";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);
  std::uniform_int_distribution<int> length(0, 40), pick(0, static_cast<int>(alphabet.size()) - 1), any(0, 255);
  int checked = 0;
  for (int k = 0; k < 3000; ++k) {
    std::string bytes;
    const int n = length(rng);
    for (int i = 0; i < n; ++i) bytes += static_cast<char>(k % 2 ? alphabet[static_cast<size_t>(pick(rng))] : any(rng));
    PromptText t;
    t.set_bytes(bytes);
    INFO("case " << k);
    REQUIRE(t.bytes_of(t.display()) == bytes);
    REQUIRE(box_keeps(t.display()));
    ++checked;
  }
  CHECK(checked == 3000);
}

TEST_CASE("more distinct hidden characters than placeholders: kept exactly, marked, and the box is read-only") {
  // 6399 placeholders; 6400 distinct characters of plane 2 (U+20000..U+218FF) need one more.
  std::string text;
  for (char32_t cp = 0x20000; cp < 0x20000 + PromptText::kCapacity + 1; ++cp) utf8::append(text, cp);
  PromptText t;
  t.set_bytes(text);
  CHECK_FALSE(t.editable());
  CHECK(t.bytes() == text);
  CHECK(t.display().substr(t.display().size() - 3) == utf8::encode(kMarkerGlyph));
  CHECK_FALSE(t.display_of("\xF0\x9F\x98\x80"));  // no room for a paste either

  // A paste that does not fit changes nothing.
  PromptText u;
  std::string most;
  for (char32_t cp = 0x20000; cp < 0x20000 + PromptText::kCapacity; ++cp) utf8::append(most, cp);
  u.set_bytes(most);
  CHECK(u.editable());
  CHECK_FALSE(u.display_of("\xF0\x9F\x98\x80"));
  CHECK(u.display_of("\xF0\xA0\x80\x80"));  // U+20000 has its placeholder already

  // A later, smaller prompt starts the table afresh.
  t.set_bytes("\xF0\x9F\x98\x80");
  CHECK(t.editable());
  CHECK(t.display() == ph(0));
}

TEST_CASE("right-to-left scripts are recognized") {
  CHECK(has_right_to_left("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D"));  // Hebrew shalom
  CHECK(has_right_to_left("x \xD8\xB3\xD9\x84\xD8\xA7\xD9\x85"));  // Arabic salam
  CHECK_FALSE(has_right_to_left("Paris \xCE\xBB \xE2\x86\x92"));   // Latin, Greek, an arrow
  CHECK_FALSE(has_right_to_left("\xD7"));                          // half of a Hebrew letter is not Hebrew
}
