// The model slots: folder field, Load button and load status of slot A (Diff) and slot B (standard). Main (UI) thread.
#pragma once

#include "ui_state.h"

namespace diffscope::ui {

void draw_model_panel(UiState& state, UiActions& actions);

// One line describing a loaded model, e.g. "diffllama, 4 layers x 4 heads (8 softmax maps), 0.12 M params, cpu f32".
std::string describe_model(const ModelInfo& info);


}  // namespace diffscope::ui
