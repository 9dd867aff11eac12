// The prompt editor (multi-line, runs ~250 ms after typing stops, or at once on Ctrl+Enter; exact bytes through
// prompt_box.h, with a legend for what the box cannot show) and the example prompts from assets/prompts, one click
// each. Main (UI) thread.
#pragma once

#include "ui_state.h"

namespace diffscope::ui {

void draw_prompt_panel(UiState& state, UiActions& actions);

}  // namespace diffscope::ui
