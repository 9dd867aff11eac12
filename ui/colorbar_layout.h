// The colorbar beside each map: its ticks (value, label, where) and the width it takes, so that the widest label the
// format can produce fits at any UI scale (the labels were cut at the window's right edge: issue 11). Plain logic,
// text widths from a function (ImGui's font in the app, a fixed width in tests); any thread.
#pragma once

#include <string>
#include <vector>

#include "colormap.h"

namespace diffscope::ui {

// The colorbar's pixel sizes at a UI scale (`pixel_scale` = the font's height over its height at 100%).
struct ColorbarMetrics {
  float space_before = 6;  // between the map and the bar
  float bar_width = 14;
  float tick_length = 3;
  float label_gap = 5;     // from the bar to its labels
  float margin = 3;        // after the widest label
};
ColorbarMetrics colorbar_metrics(float pixel_scale);

// A tick's label: "%.3g" (at most 9 characters: "-0.000123", "-1.23e-05").
std::string colorbar_label(float value);

struct ColorbarTick {
  float value = 0;
  std::string label;
  float tick_y = 0;   // from the bar's top
  float label_y = 0;  // the label's top: centred on the tick, kept within the bar's height
};
// The ticks of a bar `height` pixels tall: max, 0 and -max when diverging, else max and min; a tick closer than a
// text line to the one above is left out.
std::vector<ColorbarTick> colorbar_ticks(const ColorScale& scale, float height, float line_height);

using TextWidth = float (*)(const std::string& text, const void* context);
// The width a colorbar takes beside its map (space_before included): the bar, the gap and the widest label any
// value can have in colorbar_label's format, measured with `text_width`.
float colorbar_width(const ColorbarMetrics& m, TextWidth text_width, const void* context);
// Where a label starts, from the colorbar's left edge (space_before not included).
inline float colorbar_label_x(const ColorbarMetrics& m) { return m.bar_width + m.label_gap; }

}  // namespace diffscope::ui
