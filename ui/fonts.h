// Loads the UI font (DejaVu Sans) into ImGui's atlas with the Unicode ranges tokens and prompts need (Latin, Greek,
// Cyrillic, Hebrew, Arabic, punctuation, arrows, math, box drawing), and gives it the marker glyph (U+F8FF, a dashed
// box with a dot) that it draws for every character it has no glyph of and for the prompt box's placeholders
// (prompt_text.h). Main (UI) thread, before the first frame.
#pragma once

#include <string>

namespace diffscope::ui {

// Adds the font at `pixels` height (already multiplied by the display scale) and builds the atlas. False when `path`
// is empty or unreadable: ImGui's built-in font is used then, with the marker glyph all the same.
bool load_ui_font(const std::string& path, float pixels);

}  // namespace diffscope::ui
