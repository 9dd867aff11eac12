// Each slot's lambda summary (lambda_summary.h), made once when the slot's snapshot changes rather than every frame,
// and what the views read instead of walking lambda ([heads, T] per layer) themselves. Main (UI) thread.
#pragma once

#include "ui_state.h"

namespace diffscope::ui {

// Brings UiState::lambda_summaries up to date with the slots' snapshots: a slot's summary is made again only when its
// snapshot or sequence changed (and dropped when it has none). AppUi::frame calls it right after taking the slots.
// Returns how many slots it summarized (0 on an unchanged frame).
int refresh_lambda_summaries(UiState& s);

// The summary of the snapshot slot_snapshot(s, slot) shows; null when it shows none, or when the summary is not of
// that snapshot (refresh_lambda_summaries not called since the slots changed).
const LambdaSummary* slot_lambda_summary(const UiState& s, int slot);

}  // namespace diffscope::ui
