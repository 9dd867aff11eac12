// The app's what-if and scan wiring without a display (ui/what_if_panel.h, ui/head_scan_view.h, ui/ui_state.h): run
// requests carry each slot's interventions and the target; the maps show the changed run or its difference to the
// clean run under sequences of their own, and a long prompt's run (no dense maps) keeps the clean run with a note; a
// scan request carries the prompt and the target; a click on the heatmap opens the head; the scan's exports are the
// engine's writers' files. Test thread.
#include <catch2/catch.hpp>

#include <filesystem>

#include "file_text.h"
#include "head_scan_view.h"
#include "temp_folder.h"
#include "ui_state.h"
#include "what_if_panel.h"

using namespace diffscope;
using namespace diffscope::ui;
using diffscope::testing::read_file_text;

namespace {

Matrix square(std::vector<float> values) {
  Matrix m;
  m.rows = m.cols = 2;
  m.values = std::move(values);
  return m;
}

SnapshotPtr standard_run(float weight) {
  auto s = std::make_shared<AttentionSnapshot>();
  s->model.num_heads = 1;
  s->tokens.resize(2);
  s->layers.resize(1);
  s->layers[0].attn = {square({1, 0, weight, 1 - weight})};
  return s;
}

// Slot B ready with a clean run of weight 0.25 and a what-if whose changed run has 0.75 (sequence 4).
UiState with_what_if() {
  UiState state;
  state.settings.prompt = "ab";
  SlotState& b = state.slots[kSlotStandard];
  b.phase = SlotState::Phase::Ready;
  b.snapshot = standard_run(0.25f);
  b.sequence = 4;
  auto w = std::make_shared<WhatIf>();
  w->interventions = {parse_intervention("L0.H0:ablate=zero")};
  w->changed = standard_run(0.75f);
  b.what_if = w;
  return state;
}

HeadScan two_heads() {
  HeadScan scan;
  scan.prompt_tokens = 2;
  scan.target = {7};
  scan.what = Intervention::What::AblateZero;
  scan.effects = {{0, 1, -1.0, -3.0, 1, 5, 0.5}, {0, 0, -1.0, -1.5, 1, 2, 0.1}};
  return scan;
}

}  // namespace

TEST_CASE("run requests carry each slot's interventions and the what-if target") {
  UiState state;
  state.settings.prompt = "Paris is";
  state.what_if.interventions[kSlotDiff] = {parse_intervention("L1.H*:lambda=0")};
  state.what_if.target_text = " 4721";
  const RunRequest r = make_run_request(state);
  REQUIRE(r.interventions[kSlotDiff].size() == 1);
  CHECK(intervention_spec(r.interventions[kSlotDiff][0]) == "L1.H*:lambda=0");
  CHECK(r.interventions[kSlotStandard].empty());
  CHECK(r.target_text == " 4721");
  CHECK_FALSE(r.target_is_span);
  state.what_if.target_span = true;  // "span R as the target"
  CHECK(make_run_request(state).target_is_span);
  state.what_if.target_span = false;
  const ScanRequest scan = make_scan_request(state, kSlotStandard, "ablate=mean");
  CHECK(scan.slot == kSlotStandard);
  CHECK(scan.prompt.text == "Paris is");
  CHECK(scan.target_text == " 4721");
  CHECK(scan.options.what == Intervention::What::AblateMean);
  CHECK_THROWS_AS(make_scan_request(state, kSlotDiff, "ablate=half"), InputError);
}

TEST_CASE("the maps show the clean run, the changed run or their difference, each under its own sequence") {
  UiState state = with_what_if();
  const SlotState raw = state.slots[kSlotStandard];
  apply_what_if_view(state);  // clean: as published
  CHECK(state.slots[kSlotStandard].snapshot == raw.snapshot);
  CHECK(state.what_if.view_note.empty());

  state.what_if.view = WhatIfView::Changed;
  apply_what_if_view(state);
  CHECK(state.slots[kSlotStandard].snapshot == raw.what_if->changed);
  const uint64_t changed_sequence = state.slots[kSlotStandard].sequence;
  CHECK(changed_sequence != raw.sequence);
  CHECK(state.what_if.view_note.find("B: L0.H0:ablate=zero") != std::string::npos);

  state.slots[kSlotStandard] = raw;  // the next frame copies the worker's state again
  state.what_if.view = WhatIfView::Difference;
  apply_what_if_view(state);
  const SlotState& shown = state.slots[kSlotStandard];
  REQUIRE(shown.snapshot);
  CHECK(shown.snapshot->layers[0].attn[0].values[2] == Approx(0.5f));  // 0.75 - 0.25
  CHECK(shown.sequence != raw.sequence);
  CHECK(shown.sequence != changed_sequence);
  CHECK(state.what_if.clean_behind[kSlotStandard] == raw.snapshot);
  CHECK(state.what_if.changed_behind[kSlotStandard] == raw.what_if->changed);
  const AttentionSnapshot* made = shown.snapshot.get();
  state.slots[kSlotStandard] = raw;
  apply_what_if_view(state);
  CHECK(state.slots[kSlotStandard].snapshot.get() == made);  // made once per run

  // A long prompt's run has overviews, no dense maps: the clean run stays, and the note says why.
  state = with_what_if();
  auto overview_only = std::make_shared<AttentionSnapshot>(*state.slots[kSlotStandard].snapshot);
  overview_only->layers[0].attn.clear();
  state.slots[kSlotStandard].snapshot = overview_only;
  state.what_if.view = WhatIfView::Difference;
  apply_what_if_view(state);
  CHECK(state.slots[kSlotStandard].snapshot == overview_only);
  CHECK(state.what_if.view_note.find("no what-if run with dense maps") != std::string::npos);
}

TEST_CASE("a click on the scan's heatmap opens the head; its exports are the engine writers' files") {
  UiState state;
  open_scanned_head(state, kSlotDiff, 3, 2);
  CHECK(state.settings.selection == Selection{3, 2});
  CHECK(state.settings.layout == Layout::Decomposition);
  open_scanned_head(state, kSlotStandard, 1, 6);
  CHECK(state.settings.selection.layer == 1);
  CHECK(state.settings.standard_head == 6);
  CHECK_FALSE(state.settings.follow_diff_head);
  CHECK(state.settings.layout == Layout::Comparison);

  const testing::TempFolder folder("diffscope_what_if_panel");
  const std::string dir = folder.path().string();
  std::string message;
  CHECK_FALSE(export_head_scan(state, kSlotDiff, "csv", dir, &message));
  CHECK(message.find("press Scan") != std::string::npos);

  ModelInfo info;
  info.name = "tiny";
  info.num_layers = 1;
  info.num_heads = 2;
  state.slots[kSlotDiff].info = info;
  state.slots[kSlotDiff].scan = std::make_shared<HeadScan>(two_heads());
  REQUIRE(export_head_scan(state, kSlotDiff, "csv", dir, &message));
  CHECK(message == "wrote " + dir + "/head_scan_A.csv");
  write_head_scan_csv(dir + "/reference.csv", two_heads());
  CHECK(read_file_text(dir + "/head_scan_A.csv") == read_file_text(dir + "/reference.csv"));
  REQUIRE(export_head_scan(state, kSlotDiff, "csv", dir, &message));  // taken: a fresh name
  CHECK(message == "wrote " + dir + "/head_scan_A_2.csv");
  REQUIRE(export_head_scan(state, kSlotDiff, "png", dir, &message));
  CHECK(std::filesystem::file_size(dir + "/head_scan_A.png") > 0);
  CHECK_FALSE(export_head_scan(state, kSlotDiff, "svg", dir, &message));
  CHECK(message.find("csv, json or png") != std::string::npos);
}
