// The what-if and head-scan steps of headless runs (--step intervene=..., target=..., what-if-view=..., scan=...,
// scan-export=..., scan-open=L,H), as a user's clicks on the What-if and scan controls, and what --state-json writes
// of them. Main thread.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "gui_slots.h"
#include "ui_state.h"

namespace diffscope {

// Does one step; false with the reason in *message when its value is not understood (nothing changes then).
// scan-export writes into `export_dir` (--export-dir; "": the current folder).
bool apply_what_if_step(ui::UiState& state, SlotProvider& slots, const std::string& kind, const std::string& value,
                        const std::string& export_dir, std::string* message);

// Per slot: the interventions, the what-if's prediction (top tokens, the target's log p and rank, KL) or its error,
// the scan (its message and ranked heads); and the map view.
nlohmann::json what_if_state_json(const ui::UiState& state);

}  // namespace diffscope
