// The prompt's exact bytes and the text the prompt box edits. Debian's Dear ImGui 1.86 holds 16-bit characters (no
// code point above U+FFFF), drops control characters and stops at NUL, and its font shows nothing for zero-width or
// direction marks; so the box edits a display text in which each such character (and each byte that is not UTF-8)
// is a placeholder from the Private Use Area, one per distinct original sequence, mapped back to the exact bytes
// through a table. Plain data, no ImGui: the UI thread in the app, any thread in tests.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace diffscope::ui {

// Placeholders are U+E000..U+F8FE. U+F8FF is the font's marker glyph (fonts.h): the font draws it for every
// placeholder and for every character it has no glyph of, so what is not shown as itself is visibly marked.
constexpr char32_t kFirstPlaceholder = 0xE000;
constexpr char32_t kLastPlaceholder = 0xF8FE;
constexpr char32_t kMarkerGlyph = 0xF8FF;

// Why the box cannot show a character (or bytes) of the prompt as itself.
enum class HiddenKind {
  None,          // shown as itself (newline and TAB included)
  AboveBmp,      // above U+FFFF (emoji, CJK extension B, ...): ImGui 1.86 would make it U+FFFD
  Control,       // NUL, CR, other C0/C1 controls, DEL, line/paragraph separators: dropped or drawn as nothing
  Invisible,     // zero-width, joiner, direction and variation marks, soft hyphen: drawn as nothing
  PrivateUse,    // U+E000..U+F8FF in the text itself: it would be taken for a placeholder
  NonCharacter,  // U+FDD0..U+FDEF, U+FFFE, U+FFFF
  InvalidUtf8,   // bytes that are not UTF-8: one placeholder per maximal ill-formed subpart (as U+FFFD repair counts)
};

// The kind of one code point (InvalidUtf8 is never returned: that is a property of bytes, not of a code point).
HiddenKind hidden_kind(char32_t cp);

// One placeholder of the table: the code point the box holds and the bytes it stands for.
struct Placeholder {
  char32_t code_point = 0;
  std::string bytes;
  HiddenKind kind = HiddenKind::None;
};

// "U+1F600 (above U+FFFF)", "U+0009 TAB"-style line for the legend: the code point (or the bytes, for invalid
// UTF-8), a short name for the common controls and marks, and why it is a placeholder.
std::string describe_placeholder(const Placeholder& p);

class PromptText {
 public:
  static constexpr size_t kCapacity = kLastPlaceholder - kFirstPlaceholder + 1;

  // Takes `bytes` as the prompt and rebuilds the display text. Placeholders already given keep their meaning (the
  // box's undo history may still hold them); only when the table is full is it started afresh.
  void set_bytes(const std::string& bytes);
  // The box's text after an edit; bytes() becomes its bytes.
  void set_display(const std::string& display);

  const std::string& bytes() const { return bytes_; }
  const std::string& display() const { return display_; }

  // `bytes` as box text, giving new placeholders as needed (a paste, a typed character); nullopt when the table has
  // no room left for them (nothing is changed then).
  std::optional<std::string> display_of(const std::string& bytes);
  // The exact bytes a piece of box text stands for (a copy or cut out of the box): placeholders give back their
  // bytes, any other character its own UTF-8.
  std::string bytes_of(const std::string& display) const;

  // False when the prompt holds more distinct hidden sequences than there are placeholders: the display then marks
  // the rest with kMarkerGlyph, which maps to nothing, so the box must be read-only.
  bool editable() const { return editable_; }

  // The placeholders that occur in display(), each once, in order of first appearance (the legend lists them).
  const std::vector<Placeholder>& placeholders_in_display() const { return shown_; }
  // Whether the prompt holds right-to-left text (has_right_to_left of bytes()).
  bool right_to_left() const { return right_to_left_; }

 private:
  // The placeholder for one hidden unit, given a new one if needed; nullopt when the table is full.
  std::optional<char32_t> placeholder_for(const std::string& unit, HiddenKind kind);
  // Appends `bytes` as box text to *out; false (with *out partly written) when a placeholder was missing.
  bool append_display(const std::string& bytes, std::string* out, bool mark_overflow);
  // Recomputes shown_ and right_to_left_ after bytes_ and display_ changed (once per edit, not per frame).
  void refresh();

  std::string bytes_;
  std::string display_;
  std::vector<Placeholder> table_;  // table_[i] is U+E000 + i
  std::unordered_map<std::string, char32_t> by_bytes_;
  bool editable_ = true;
  std::vector<Placeholder> shown_;
  bool right_to_left_ = false;
};

// Whether the text holds characters of a script written right to left (Hebrew, Arabic, Syriac, Thaana, NKo, ...;
// by block ranges, not the full bidi tables): the box shows them in logical order, unshaped, so the panel says so.
bool has_right_to_left(const std::string& bytes);

}  // namespace diffscope::ui
