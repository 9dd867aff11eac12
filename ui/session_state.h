// Between the app's state and a session file (session.h): the session of what is shown, opening one (models through
// the app's load path, prompt, span and settings at once; selection, focused map and view once the prompt's results
// arrive), and the Save / Open actions of the side panel and Ctrl+S / Ctrl+O. Main (UI) thread.
#pragma once

#include <cstddef>
#include <string>

#include "ui_state.h"

namespace diffscope::ui {

// What Save writes now: the folders the slots hold (loaded or loading; "" for an empty slot), the settings, the span,
// the view and the focused map (while an opened session waits for its results: the ones it will apply).
Session session_from_state(const UiState& state);

// Puts `session` in place: its settings (settings_with_session), the prompt with its span (generated tokens and span
// undo forgotten), rollout and grid source, and a run. Each model folder that differs from what its slot holds goes
// into actions->loads, which the app carries out as the Load button's (a folder that is not a model keeps the slot's
// model and says so); with no `actions` the app loads them itself (at start). Selection, focused map and view wait
// for the results (apply_pending_session).
void open_session(UiState& state, const Session& session, UiActions* actions);

// Applies what an opened session waits for once its prompt's results are in: nothing loading or running, and every
// loaded slot showing the current prompt's result or its error. Call each frame before drawing.
void apply_pending_session(UiState& state);

// The side panel's Save (Ctrl+S): to state.session_path, or to default_session_path when it is empty. Open (Ctrl+O):
// the file at state.session_path. Either leaves its outcome in state.session_message ("saved session to ...",
// "cannot open session ...: ..."); a file that cannot be opened changes nothing else.
bool save_session_action(UiState& state);
bool open_session_action(UiState& state, UiActions& actions);
// The side panel's Recent sessions entry `index` (settings.recent_sessions): opened as Open does, which puts it first
// in the list. A file that is no longer there is not opened and the message says so. False when nothing was opened.
bool open_recent_session(UiState& state, UiActions& actions, size_t index);

}  // namespace diffscope::ui
