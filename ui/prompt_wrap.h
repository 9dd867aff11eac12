// Soft line breaks for the prompt box. Dear ImGui 1.86's multi-line editor breaks lines only at '\n', so the box
// edits a wrapped copy of the display text (prompt_text.h) with a '\n' inserted wherever a line reaches the box's
// width; the offsets of those soft breaks are kept, so that they never reach the prompt's bytes and positions map
// both ways. Recomputed only when the text or the width changes (O(n) then, nothing per frame). Plain data, no
// ImGui (character widths come from a function): the UI thread in the app, any thread in tests.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace diffscope::ui {

// The width of one character as drawn (ImGui's font in the app, a fixed number in tests).
using CharWidth = float (*)(char32_t c, const void* context);

struct WrappedText {
  std::string text;           // the display text with a '\n' at each soft break
  std::vector<size_t> breaks;  // offsets in `text` of the soft '\n's, ascending
  float width = 0;            // the width it was wrapped at
};

// Breaks each line of `display` (valid UTF-8; hard breaks are '\n') so that no line is wider than `width`: after
// the last space or TAB that fits, or within a word longer than the line. One space may hang past the edge (the
// box keeps a scrollbar's width of room). A line always keeps at least one character. A width <= 0 wraps nothing.
WrappedText wrap_display(const std::string& display, float width, CharWidth char_width, const void* context);

// A position (byte offset) in the wrapped text as one in the display text: soft breaks before it are not counted.
size_t display_offset(const WrappedText& wrapped, size_t wrapped_offset);
// A display-text position in the wrapped text. A position at a soft break is put after it (at the start of the next
// line), where a typed character appears.
size_t wrapped_offset(const WrappedText& wrapped, size_t display_offset);
// The display text of wrapped.text[begin, end) (a copy or cut out of the box): the soft breaks in it left out.
std::string unwrap_range(const WrappedText& wrapped, size_t begin, size_t end);

// The display text after the editor changed `before.text` into `after` (it knows nothing of soft breaks). The part
// that changed is found as the common prefix and suffix; soft breaks outside it stay soft (they are '\n' in `after`
// too) and are left out, every '\n' inside it is the user's. Deleting just a soft break (Backspace at the start of a
// wrapped line, Delete at the end of one) deletes the character on its other side instead, as in any editor that
// wraps: which one is told by `cursor_before` (where the cursor was in before.text: after the break for Backspace).
struct UnwrappedEdit {
  std::string display;
  size_t cursor = 0;  // the cursor in `display`
};
UnwrappedEdit unwrap_edit(const WrappedText& before, std::string_view after, size_t cursor_before,
                          size_t cursor_after);

}  // namespace diffscope::ui
