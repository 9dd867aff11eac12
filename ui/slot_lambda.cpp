// Per-slot lambda summaries, kept in step with the slots' snapshots. Main (UI) thread.
#include "slot_lambda.h"

#include "slot_results.h"

namespace diffscope::ui {

namespace {

bool summarizes(const UiState::SlotLambda& kept, const SlotState& slot) {
  return kept.snapshot == slot.snapshot.get() && kept.sequence == slot.sequence;
}

}  // namespace

int refresh_lambda_summaries(UiState& s) {
  int made = 0;
  for (size_t slot = 0; slot < s.slots.size(); ++slot) {
    const SlotState& st = s.slots[slot];
    UiState::SlotLambda& kept = s.lambda_summaries[slot];
    if (summarizes(kept, st)) continue;
    kept.snapshot = st.snapshot.get();
    kept.sequence = st.sequence;
    kept.summary = st.snapshot ? summarize_lambda(*st.snapshot) : LambdaSummary{};
    if (st.snapshot) ++made;
  }
  return made;
}

const LambdaSummary* slot_lambda_summary(const UiState& s, int slot) {
  const AttentionSnapshot* shown = slot_snapshot(s, slot);
  if (shown == nullptr) return nullptr;
  const UiState::SlotLambda& kept = s.lambda_summaries[static_cast<size_t>(slot)];
  if (!summarizes(kept, s.slots[static_cast<size_t>(slot)]) || kept.snapshot != shown) return nullptr;
  return &kept.summary;
}

}  // namespace diffscope::ui
