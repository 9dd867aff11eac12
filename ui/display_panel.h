// Colour options shared by every heatmap: colormaps, linear/log/gamma scale, per-row normalization, hiding the first
// token sink from the scale, masked triangle, cell borders. Main (UI) thread.
#pragma once

#include "settings.h"

namespace diffscope::ui {

void draw_display_panel(DisplaySettings& display);

}  // namespace diffscope::ui
