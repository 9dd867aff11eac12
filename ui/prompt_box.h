// The prompt's text box: Dear ImGui 1.86's multi-line editor over prompt_text.h's display text, so that what reaches
// the model is the user's exact bytes. Pastes insert the clipboard's bytes (as placeholders where the box cannot
// hold them), copies give the bytes back, TAB is typed as a character, Esc leaves the box keeping the text, and
// characters typed above U+FFFF (queued by the app in UiState::prompt_typed) go in at the cursor. Long lines wrap at
// the box's width through soft breaks in the box's buffer only (prompt_wrap.h), so undo is the box's own
// (prompt_undo.h: Ctrl+Z, Ctrl+Y / Ctrl+Shift+Z). Main (UI) thread.
#pragma once

#include "ui_state.h"

namespace diffscope::ui {

struct PromptBoxResult {
  bool submit = false;  // Ctrl+Enter
  bool edited = false;  // the prompt's bytes changed in the box this frame
};

// Draws the box `lines` text lines tall, full width. Takes outside changes of state.settings.prompt (an example, a
// continuation, a scripted step) into the box, and the box's edits back into it.
PromptBoxResult draw_prompt_box(UiState& state, float lines);

}  // namespace diffscope::ui
