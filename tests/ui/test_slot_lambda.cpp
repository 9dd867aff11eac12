// Each slot's lambda summary is made once per snapshot: kept while the slot shows the same snapshot and sequence,
// made again for a new one, dropped with it; the views' lookup answers only for the snapshot shown. Test thread.
#include <catch2/catch.hpp>

#include <memory>

#include "demo_snapshot.h"
#include "slot_lambda.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

// A UiState whose slot A shows a V2 demo snapshot for the prompt in the editor.
UiState showing(const std::shared_ptr<const AttentionSnapshot>& snapshot) {
  UiState s;
  s.settings.prompt = s.submitted_text = "x";
  s.prompt_id = 1;
  SlotState& a = s.slots[kSlotDiff];
  a.phase = SlotState::Phase::Ready;
  a.snapshot = snapshot;
  a.snapshot_prompt_id = 1;
  a.sequence = 1;
  return s;
}

std::shared_ptr<const AttentionSnapshot> v2_demo(int layers) {
  DemoSpec d;
  d.tokens = 16;
  d.layers = layers;
  d.lambda_per_row = true;
  return std::make_shared<const AttentionSnapshot>(make_demo_snapshot(d));
}

}  // namespace

TEST_CASE("a slot's lambda summary is made once per snapshot, not per frame") {
  UiState s = showing(v2_demo(2));
  CHECK(slot_lambda_summary(s, kSlotDiff) == nullptr);  // not summarized yet: the lookup never walks lambda itself
  CHECK(refresh_lambda_summaries(s) == 1);
  const LambdaSummary* summary = slot_lambda_summary(s, kSlotDiff);
  REQUIRE(summary != nullptr);
  CHECK(summary->varies_by_row);
  CHECK(summary->layers.size() == 2);
  // Unchanged frames: nothing made again, the same summary.
  for (int frame = 0; frame < 5; ++frame) {
    CHECK(refresh_lambda_summaries(s) == 0);
    CHECK(slot_lambda_summary(s, kSlotDiff) == summary);
  }
  CHECK(slot_lambda_summary(s, kSlotStandard) == nullptr);  // slot B shows nothing

  // The same snapshot published again (a new sequence): made again.
  s.slots[kSlotDiff].sequence = 2;
  CHECK(slot_lambda_summary(s, kSlotDiff) == nullptr);  // stale until refreshed
  CHECK(refresh_lambda_summaries(s) == 1);
  CHECK(refresh_lambda_summaries(s) == 0);

  // A new snapshot: the summary is of it.
  s.slots[kSlotDiff].snapshot = v2_demo(3);
  s.slots[kSlotDiff].sequence = 3;
  CHECK(refresh_lambda_summaries(s) == 1);
  REQUIRE(slot_lambda_summary(s, kSlotDiff) != nullptr);
  CHECK(slot_lambda_summary(s, kSlotDiff)->layers.size() == 3);

  // No snapshot: dropped.
  s.slots[kSlotDiff].snapshot.reset();
  CHECK(refresh_lambda_summaries(s) == 0);
  CHECK(s.lambda_summaries[kSlotDiff].summary.layers.empty());
  CHECK(slot_lambda_summary(s, kSlotDiff) == nullptr);
}

TEST_CASE("the lambda summary is looked up only for a snapshot the views show") {
  UiState s = showing(v2_demo(2));
  refresh_lambda_summaries(s);
  REQUIRE(slot_lambda_summary(s, kSlotDiff) != nullptr);
  s.settings.prompt = "edited";  // the snapshot answers an older prompt; no slot answered this one: still shown
  CHECK(slot_lambda_summary(s, kSlotDiff) != nullptr);
  s.settings.prompt.clear();  // an empty prompt shows nothing
  CHECK(slot_lambda_summary(s, kSlotDiff) == nullptr);
}
