// Noise statistics per layer for both models: small plots (A orange, B blue, over relative depth;
// Diff V2's lambda with a min..max band), a table with the
// numbers, and each statistic's definition on hover. Main (UI) thread.
#pragma once

#include "ui_state.h"

namespace diffscope::ui {

void draw_stats_panel(UiState& state);

}  // namespace diffscope::ui
