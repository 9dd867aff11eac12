// The prompt panel's "Recent" menu (the last prompts run, exact bytes) and when a prompt becomes one of them. Main (UI)
// thread, inside an ImGui frame for the drawing.
#pragma once

#include <cstddef>
#include <string>

#include "ui_state.h"

namespace diffscope::ui {

// Puts `bytes` in the editor as an example button does: the span R and the generated part go, and it runs at once.
void replace_prompt(UiState& state, const std::string& bytes);

// Puts entry `index` of settings.recent_prompts (0: the newest) in the editor; false when there is none.
bool restore_recent_prompt(UiState& state, size_t index);

// Remembers the prompt in the editor once a slot shows its results, while the prompt box is not being typed in (a
// prompt being typed runs at every pause: what it was halfway is not remembered; Ctrl+Enter remembers it at once).
// Call once a frame.
void remember_shown_prompt(UiState& state);

// The "Recent" combo: each prompt's start (escaped, one line); choosing one restores it; hover shows it whole.
void draw_recent_prompts(UiState& state);

}  // namespace diffscope::ui
