// For UI tests that need both slots loaded: demo snapshots of a prompt (slot A a Diff model, slot B a standard one,
// two layers, one byte a token) published as the answer to the prompt in the editor, as after a run of it. Test
// thread.
#pragma once

#include <memory>
#include <string>

#include "current_prompt.h"
#include "demo_snapshot.h"
#include "ui_state.h"

namespace diffscope::ui::testing {

// A demo result of `text` for a model of `kind`.
inline SnapshotPtr demo_result(const std::string& text, AttentionKind kind) {
  DemoSpec spec;
  spec.text = text;
  spec.kind = kind;
  spec.layers = 2;
  return std::make_shared<AttentionSnapshot>(make_demo_snapshot(spec));
}

// Both slots Ready (loaded from /m/a and /m/b) and answering `prompt`.
inline UiState answered_state(const std::string& prompt) {
  UiState s;
  for (int slot : {kSlotDiff, kSlotStandard}) {
    SlotState& st = s.slots[static_cast<size_t>(slot)];
    st.phase = SlotState::Phase::Ready;
    st.model_dir = slot == kSlotDiff ? "/m/a" : "/m/b";
    st.snapshot = demo_result(prompt, slot == kSlotDiff ? AttentionKind::Differential : AttentionKind::Standard);
    st.sequence = 1;
  }
  answer_prompt(s, prompt);
  return s;
}

}  // namespace diffscope::ui::testing
