// Loads the UI font (DejaVu Sans) into ImGui's atlas with the Unicode ranges tokens need (Latin, Greek, Cyrillic,
// punctuation, arrows, math, box drawing). Main (UI) thread, before the first frame.
#pragma once

#include <string>

namespace diffscope::ui {

// Adds the font at `pixels` height (already multiplied by the display scale). False (ImGui's built-in font stays)
// when `path` is empty or unreadable.
bool load_ui_font(const std::string& path, float pixels);

}  // namespace diffscope::ui
