// The side panel's What-if section (issue 14): interventions on the selected head or layer of a slot, the list of
// active ones, the target answer, which run the maps show, and the prediction of the clean run beside the changed one
// (top 10 next tokens, the target's log-probability and rank, KL). Main (UI) thread, inside an ImGui frame.
#pragma once

#include "ui_state.h"

namespace diffscope::ui {

void draw_what_if_panel(UiState& state);

// The (layer, head) the controls act on in `slot`: the selection for slot A, the comparison's standard head for B.
void what_if_target_head(const UiState& state, int slot, int* layer, int* head);

// Puts the changed run (or its difference to the clean run) in place of each slot's snapshot as the what-if view
// asks, once per frame after the slots' states are copied in: every view then draws it. Slots whose runs have no
// dense maps keep the clean run.
void apply_what_if_view(UiState& state);

// In the difference view: the hovered cell's values in the clean and the changed run (A1, A2, D of slot A's head, the
// weight of slot B's), inside the maps' hover tooltip. Draws nothing in the other views.
void draw_difference_hover(const UiState& state, int layer, int head, int standard_layer, int standard_head,
                           int64_t row, int64_t col);

}  // namespace diffscope::ui
