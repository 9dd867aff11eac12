// Colorbar ticks and the width that fits their labels. Any thread.
#include "colorbar_layout.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace diffscope::ui {

ColorbarMetrics colorbar_metrics(float pixel_scale) {
  const float s = std::max(0.5f, pixel_scale);
  ColorbarMetrics m;
  m.space_before *= s;
  m.bar_width *= s;
  m.tick_length *= s;
  m.label_gap *= s;
  m.margin *= s;
  return m;
}

std::string colorbar_label(float value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(value));
  return buf;
}

std::vector<ColorbarTick> colorbar_ticks(const ColorScale& scale, float height, float line_height) {
  std::vector<float> values;
  if (scale.diverging) {
    const float m = std::max(std::fabs(scale.vmin), std::fabs(scale.vmax));
    values = {m, 0.0f, -m};
  } else {
    values = {scale.vmax, scale.vmin};
  }
  std::vector<ColorbarTick> ticks;
  float last_y = -1e9f;
  for (const float v : values) {
    const float y = (1.0f - color_scale_position(scale, v)) * height;
    if (y - last_y < line_height) continue;
    last_y = y;
    ColorbarTick t;
    t.value = v;
    t.label = colorbar_label(v);
    t.tick_y = y;
    t.label_y = std::clamp(y - line_height / 2, 0.0f, std::max(0.0f, height - line_height));
    ticks.push_back(std::move(t));
  }
  return ticks;
}

float colorbar_width(const ColorbarMetrics& m, TextWidth text_width, const void* context) {
  // The widest "%.3g" labels: a sign, three significant digits and a point with either four leading zeros or a
  // two-digit exponent (floats stay within e±38). Each digit is tried, for fonts whose digits differ in width.
  float widest = 0;
  for (char d = '0'; d <= '9'; ++d) {
    const std::string digits(3, d);
    for (const std::string& label : {"-0.000" + digits, "-" + digits.substr(0, 1) + "." + digits.substr(1) + "e-" +
                                                            digits.substr(0, 2),
                                     "-" + digits.substr(0, 1) + "." + digits.substr(1) + "e+" + digits.substr(0, 2)}) {
      widest = std::max(widest, text_width(label, context));
    }
  }
  return m.space_before + colorbar_label_x(m) + widest + m.margin;
}

}  // namespace diffscope::ui
