// For UI tests that build a UiState by hand: make `prompt` the submitted prompt in the editor and every slot's snapshot
// its result, as after a run of it (slot_results.h then shows them as current). Test thread.
#pragma once

#include <string>

#include "ui_state.h"

namespace diffscope::ui::testing {

inline void answer_prompt(UiState& s, const std::string& prompt) {
  s.settings.prompt = prompt;
  s.submitted_text = prompt;
  s.span_prompt = prompt;
  s.prompt_id = 1;
  for (SlotState& slot : s.slots) {
    if (slot.snapshot) slot.snapshot_prompt_id = 1;
  }
}

}  // namespace diffscope::ui::testing
