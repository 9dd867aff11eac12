// The prompt editor (multi-line, runs ~250 ms after typing stops, or at once on Ctrl+Enter; exact bytes through
// prompt_box.h, with a legend for what the box cannot show) and the example prompts from assets/prompts, one click
// each. Main (UI) thread.
#pragma once

#include <cstdint>
#include <vector>

#include "ui_state.h"

namespace diffscope::ui {

void draw_prompt_panel(UiState& state, UiActions& actions);

// The indices (into shown_tokens) of the tokens a continuation generated, in order; empty without one.
std::vector<int64_t> generated_token_indices(const UiState& state);
// The "generated step" slider's choice: 0 clears the pinned token, k >= 1 pins the k-th generated token (its row is
// highlighted in every map). False when there is no k-th generated token.
bool pin_generated_step(UiState& state, int step);

}  // namespace diffscope::ui
