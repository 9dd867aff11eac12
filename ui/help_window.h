// The help window (F1, or the header's "Help" button): keys, what each view and statistic means, long prompts, the
// version and the loaded models. Main (UI) thread.
#pragma once

#include <string>
#include <vector>

#include "ui_state.h"

namespace diffscope::ui {

// The keys and mouse actions the app answers, as (what to press, what it does), in the order the window lists them.
std::vector<std::pair<std::string, std::string>> help_keys();

// Draws the window while state.show_help is set (its close button clears it).
void draw_help_window(UiState& state);

}  // namespace diffscope::ui
