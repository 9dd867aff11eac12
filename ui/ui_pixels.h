// Pixel sizes written for 100% UI scale, as drawn at the current one: scaled by the font's height over its height
// at 100% (so the monitor's content scale counts too). Main (UI) thread (reads ImGui's current font size).
#pragma once

#include <imgui.h>

#include "ui_scale.h"

namespace diffscope::ui {

inline float ui_pixel_scale() { return ImGui::GetFontSize() / kBaseFontPixels; }
inline float ui_px(float pixels_at_100) { return pixels_at_100 * ui_pixel_scale(); }

}  // namespace diffscope::ui
