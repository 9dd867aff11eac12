// The UI scale setting (75%..200% of the default font and style sizes): its steps for Ctrl+= / Ctrl+-, its limits and
// the --ui-scale flag's parsing. Plain functions; any thread.
#pragma once

#include <optional>
#include <string>

namespace diffscope::ui {

constexpr float kMinUiScale = 0.75f;
constexpr float kMaxUiScale = 2.0f;
constexpr float kBaseFontPixels = 15.0f;  // the UI font's height at 100% (before the monitor's content scale)

// `scale` within [kMinUiScale, kMaxUiScale]; 1 for NaN.
float clamp_ui_scale(float scale);
// The next step up (direction > 0) or down (< 0) of 75, 90, 100, 110, 125, 150, 175, 200%: from a scale between two
// steps (typed in settings.json), the nearest step in that direction. Stays at the ends.
float step_ui_scale(float scale, int direction);
// The font's pixel height for a UI scale and the monitor's content scale, whole pixels (crisper glyphs).
float ui_font_pixels(float ui_scale, float content_scale);
// The side panel's width in a window `window_width` pixels wide whose text is `font_pixels` high: at 100% a quarter of
// the window within 220..480 px, as before the UI scale; larger text widens it in proportion (its fields and buttons
// grow with the font), but to at most 45% of the window, so the maps keep the larger part.
float sidebar_width(float window_width, float font_pixels);
// A size given in pixels at 100% as drawn at `pixel_scale` (the font's height over kBaseFontPixels).
inline float scaled_pixels(float pixels_at_100, float pixel_scale) { return pixels_at_100 * pixel_scale; }
// The statistics panel's height on screen: `stored` (settings.json's stats_height, pixels at 100%) scaled, and kept
// within 120 px (scaled) and what leaves the maps 200 px (scaled) of `total`, the height both share.
float stats_panel_pixels(float stored, float pixel_scale, float total);
// "150", "150%" or "1.5" (a number up to 4 is a factor, else a percentage); nothing when it is not a number or falls
// outside 75%..200%.
std::optional<float> parse_ui_scale(const std::string& text);

}  // namespace diffscope::ui
