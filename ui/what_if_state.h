// What the app's what-if controls hold (issue 14): each slot's interventions, the target answer, which run the maps
// show (clean, changed, or the difference to the clean run), and the head-effect scan's choices; the plain logic
// behind the side panel's What-if section and the scan view. Plain C++ (no GL, no ImGui); main (UI) thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "head_scan.h"
#include "inference_worker.h"
#include "intervention.h"

namespace diffscope::ui {

// Which run the map views show for a slot that has a what-if run.
enum class WhatIfView { Clean, Changed, Difference };
const char* what_if_view_name(WhatIfView view);  // "clean", "changed", "difference"

struct WhatIfUi {
  std::array<std::vector<Intervention>, kNumSlots> interventions;  // run with every prompt (RunRequest)
  std::string target_text;  // the answer scored ("": the clean run's most likely next token)
  std::string target_edit;  // the target field's text (applied to target_text by Enter or leaving the field)
  bool target_span = false; // the target is the marked span R's tokens (answer tokens the prompt holds) instead
  int slot = 0;             // the slot the controls act on
  bool whole_layer = false; // a control acts on every head of the selected layer
  float lambda_value = 0.0f;
  float lambda_scale = 0.5f;
  WhatIfView view = WhatIfView::Clean;
  // Each slot's difference snapshot (made once per what-if run): the slot's sequence says which run it belongs to.
  std::array<uint64_t, kNumSlots> difference_of{};
  std::array<SnapshotPtr, kNumSlots> difference;
  // While the maps show the difference: each slot's clean and changed runs behind it (null elsewhere), for the hover.
  std::array<SnapshotPtr, kNumSlots> clean_behind, changed_behind;
  std::string view_note;  // what the maps show when not the clean run (above the maps); "" for the clean run
  // The head-effect scan: the slot and what it applies (index into scan_what_choices), and the last scan's sequence
  // whose heatmap is shown.
  int scan_slot = 0;
  int scan_what = 0;
  bool show_scan = false;
};

// Adds `change` to `list`; an earlier change of the same layer and head (or the same whole layer) is replaced, so a
// head carries one change at a time.
void add_intervention(std::vector<Intervention>& list, const Intervention& change);

// An intervention of `what` on (layer, head), or on every head of the layer when `whole_layer`.
Intervention make_intervention(int layer, int head, bool whole_layer, Intervention::What what, double value = 0);

// The scan's choices for a model: Diff models lambda0, only=A2, ablate=zero, ablate=mean; standard ones the ablations.
std::vector<std::string> scan_what_choices(bool differential);

// A snapshot of `changed` minus `clean`, map by map (A1, A2, D, a standard head's map, rollout; lambda: the changed
// run's), with no overviews or store: only runs with dense maps have a difference. Null when the runs' tokens or
// layers differ or there are no dense maps.
SnapshotPtr difference_snapshot(const AttentionSnapshot& clean, const AttentionSnapshot& changed);

// Whether a snapshot holds dense maps (the what-if's changed and difference views need them).
bool has_dense_maps(const AttentionSnapshot& snapshot);

// The value a hover shows for the difference mode: "changed - clean = d (clean c, changed x)".
std::string difference_hover_text(float clean, float changed);

}  // namespace diffscope::ui
