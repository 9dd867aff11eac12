// UI scale steps, limits and parsing. Any thread.
#include "ui_scale.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace diffscope::ui {

namespace {

constexpr float kSteps[] = {0.75f, 0.9f, 1.0f, 1.1f, 1.25f, 1.5f, 1.75f, 2.0f};
constexpr float kSame = 1e-3f;  // scales closer than this are one step (floats read back from JSON)

}  // namespace

float clamp_ui_scale(float scale) { return std::isnan(scale) ? 1.0f : std::clamp(scale, kMinUiScale, kMaxUiScale); }

float step_ui_scale(float scale, int direction) {
  scale = clamp_ui_scale(scale);
  if (direction > 0) {
    for (float step : kSteps)
      if (step > scale + kSame) return step;
    return kMaxUiScale;
  }
  if (direction < 0) {
    for (auto it = std::rbegin(kSteps); it != std::rend(kSteps); ++it)
      if (*it < scale - kSame) return *it;
    return kMinUiScale;
  }
  return scale;
}

float ui_font_pixels(float ui_scale, float content_scale) {
  return std::max(8.0f, std::round(kBaseFontPixels * clamp_ui_scale(ui_scale) * std::max(1.0f, content_scale)));
}

float sidebar_width(float window_width, float font_pixels) {
  const float k = std::max(1.0f, font_pixels / kBaseFontPixels);
  const float width = std::clamp(window_width * 0.24f * k, 220.0f * k, 480.0f * k);
  return k > 1.0f ? std::min(width, std::max(220.0f, window_width * 0.45f)) : width;
}

float stats_panel_pixels(float stored, float pixel_scale, float total) {
  const float lowest = scaled_pixels(120, pixel_scale);
  return std::clamp(scaled_pixels(stored, pixel_scale), lowest, std::max(lowest, total - scaled_pixels(200, pixel_scale)));
}

std::optional<float> parse_ui_scale(const std::string& text) {
  std::string number = text;
  const bool percent = !number.empty() && number.back() == '%';
  if (percent) number.pop_back();
  if (number.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(number.c_str(), &end);
  if (end == number.c_str() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  const double scale = percent || v > 4 ? v / 100.0 : v;
  if (scale < kMinUiScale - 1e-6 || scale > kMaxUiScale + 1e-6) return std::nullopt;
  return clamp_ui_scale(static_cast<float>(scale));
}

}  // namespace diffscope::ui
