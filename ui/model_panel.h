// The model slots: folder field, Load button and load status of slot A (Diff) and slot B (standard). Main (UI) thread.
#pragma once

#include "ui_state.h"

namespace diffscope::ui {

void draw_model_panel(UiState& state, UiActions& actions);

// One line describing a loaded model, its family (config.json's model_type) first, e.g. "diffllama, 4 layers x 4 diff
// heads (8 softmax maps), 0.12 M params, cpu f32", "qwen3, 28 layers x 16 heads, 596.05 M params, cuda:0 bf16".
std::string describe_model(const ModelInfo& info);

// Which layers have a sliding window, e.g. "sliding window 512 on 5 of 6 layers (L0-L4)", "sliding window 4096 on
// all 32 layers"; one clause per distinct window; "" when every layer attends to all earlier tokens.
std::string describe_windows(const ModelInfo& info);

// The text on a running slot's progress bar: "running: layer 3 of 16" (a run polls its progress before each layer),
// "running: 40%" past one forward (a generation's steps), "running..." when the progress is unknown; with the time
// since it began (", 2.4 s") when `now_seconds` (steady_seconds()) is after SlotState::started_seconds.
std::string run_progress_text(const SlotState& s, double now_seconds = 0);
// ", 2.4 s" since `started_seconds`, or "" when unknown.
std::string elapsed_text(double started_seconds, double now_seconds);


}  // namespace diffscope::ui
