// Whether what a slot holds may be shown as the result of the prompt in the editor: the current prompt's snapshot, an
// older prompt's (shown only while no slot has answered the current one, and marked as the previous prompt's), or
// nothing, with the sentence the views show instead. Views, statistics, the token strip and exports all read slots
// through this, so no view presents an older prompt's maps, tokens or numbers as current. Main (UI) thread.
#pragma once

#include <optional>
#include <string>

#include "ui_state.h"

namespace diffscope::ui {

enum class ResultKind {
  None,      // nothing to show: no model, loading, nothing ran yet, or the prompt is empty
  Current,   // the snapshot answers the prompt in the editor
  Previous,  // an older prompt's snapshot, shown marked while no slot has answered the current prompt
  Withheld,  // an older prompt's snapshot, hidden: another slot already answered the current prompt (or is newer)
  Failed,    // the current prompt's run failed in this slot (its error); an older snapshot is hidden
};

struct SlotResult {
  ResultKind kind = ResultKind::None;
  const AttentionSnapshot* snapshot = nullptr;  // what views show: set for Current and Previous only
  std::string message;                          // what to show instead (or, for Previous, the mark)
};

const char* result_kind_name(ResultKind kind);  // "none", "current", "previous", "withheld", "failed"

// The id of the prompt in the editor when it is the one last submitted, else 0 (edited since, or never submitted).
uint64_t current_prompt_id(const UiState& s);

SlotResult slot_result(const UiState& s, int slot);

// Some slot shows an older prompt's result (marked): the views say so above the maps and the statistics.
bool shows_previous_prompt(const UiState& s);

// Why exports of what is shown now would not be the current prompt's (empty prompt, a previous prompt's result shown,
// a slot's result for this prompt still to come), or nothing when they would.
std::optional<std::string> export_refusal(const UiState& s);

}  // namespace diffscope::ui
