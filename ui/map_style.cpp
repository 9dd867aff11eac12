// Colour scales of shown maps and the CPU twin of the shader's colouring. Any thread.
#include "map_style.h"

#include <algorithm>

namespace diffscope::ui {

ColorScale scale_for(const Matrix& shown, bool signed_map, const DisplaySettings& display) {
  ColorScale s = auto_scale(shown, signed_map, display.hide_sink);
  s.mode = display.mode;
  s.gamma = display.gamma;
  s.log_floor = display.log_floor;
  if (!signed_map && display.mode == ColorScale::Mode::Log) {
    s.vmin = std::max(s.vmin, display.log_floor);  // log of 0 is -inf: start the scale at the floor
  }
  return s;
}

ColorScale union_scale(const ColorScale& a, const ColorScale& b) {
  ColorScale s = a;
  s.vmin = std::min(a.vmin, b.vmin);
  s.vmax = std::max(a.vmax, b.vmax);
  return s;
}

Colormap colormap_for(bool signed_map, const DisplaySettings& display) {
  return signed_map ? display.diverging : display.sequential;
}

std::array<uint8_t, 3> shaded_color(Colormap colormap, const ColorScale& scale, float value) {
  return colormap_sample(colormap, color_scale_position(scale, value));
}

}  // namespace diffscope::ui
