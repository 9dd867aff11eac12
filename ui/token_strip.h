// The token strip: the prompt's tokens as boxes. Hovering one highlights its row and column in every map; dragging
// marks the relevant span R for the signal/noise statistics (right-click clears it). Main (UI) thread.
#pragma once

#include "ui_state.h"

namespace diffscope::ui {

// Draws the strip in a child of at most `max_lines` lines; updates hover_token, the drag and span_bytes (and asks
// for a run when the span changes).
void draw_token_strip(UiState& state, int max_lines);

}  // namespace diffscope::ui
