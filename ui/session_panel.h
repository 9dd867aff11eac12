// The side panel's Session section: a path field, Save and Open (Ctrl+S / Ctrl+O do the same from anywhere), and what
// the last one did. Main (UI) thread, inside an ImGui frame.
#pragma once

#include "ui_state.h"

namespace diffscope::ui {

void draw_session_panel(UiState& state, UiActions& actions);

}  // namespace diffscope::ui
