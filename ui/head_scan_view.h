// The head-effect scan in the app (issue 14): the side panel's Scan section (slot, intervention, Scan / Cancel,
// progress) and a window with the layer x head heatmap of the change in the target's log-probability (diverging;
// hover: layer, head, delta, KL, ranks; a click opens the head in the views) and its CSV / JSON / PNG export through
// engine/head_scan.h's writers. Main (UI) thread, inside an ImGui frame.
#pragma once

#include <string>

#include "ui_state.h"

namespace diffscope::ui {

void draw_scan_panel(UiState& state, UiActions& actions);
void draw_head_scan_window(UiState& state);

// A scan request for `slot` of the current prompt (make_run_request's prompt, the what-if's target text), applying the
// scan choice `what` (scan_what_choices). Throws InputError for an unknown choice.
ScanRequest make_scan_request(const UiState& state, int slot, const std::string& what);

// Opens (layer, head) of a scan of `slot` in the views: slot A's selection, or slot B's head in the comparison.
void open_scanned_head(UiState& state, int slot, int layer, int head);

// Writes the slot's scan as `kind` ("csv", "json", "png") into folder `dir` ("": the current one) as
// head_scan_<slot>.<kind> (or _2, _3, ... when taken); false with the reason in *message (else "wrote PATH").
bool export_head_scan(const UiState& state, int slot, const std::string& kind, const std::string& dir,
                      std::string* message);

}  // namespace diffscope::ui
