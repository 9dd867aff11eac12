// Sessions in the app's state (session_state.h). Main (UI) thread.
#include "session_state.h"

#include "recent_sessions.h"
#include "slot_results.h"

namespace diffscope::ui {

namespace {

MapVariant variant_of(const std::string& name) {
  for (int i = 0; i < kSessionMapKinds; ++i) {
    if (name == kSessionMapNames[i]) return static_cast<MapVariant>(i);  // same order as MapVariant (session.h)
  }
  return MapVariant::Diff;
}

SessionFocus focus_of(const FocusedMap& f) {
  SessionFocus s;
  s.slot = f.request.slot;
  s.layer = f.request.layer;
  s.head = f.request.head;
  s.map = kSessionMapNames[static_cast<int>(f.request.variant)];
  s.row_normalize = f.request.row_normalize;
  s.hide_sink = f.request.hide_sink;
  return s;
}

void set_message(UiState& state, bool ok, const std::string& message) {
  state.session_message = message;
  state.session_failed = !ok;
  state.session_message_time = state.now;
}

}  // namespace

Session session_from_state(const UiState& state) {
  Session session;
  session.settings = state.settings;
  for (int slot : {kSlotDiff, kSlotStandard}) {
    const SlotState& s = state.slots[static_cast<size_t>(slot)];
    const bool holds = s.phase == SlotState::Phase::Ready || s.phase == SlotState::Phase::Loading;
    (slot == kSlotDiff ? session.settings.model_a : session.settings.model_b) = holds ? s.model_dir : std::string();
  }
  // The span as it indexes the prompt in the editor (follow_prompt_edits keeps it so every frame).
  if (state.span_bytes && state.span_prompt == state.settings.prompt && state.span_bytes->first >= 0 &&
      state.span_bytes->first < state.span_bytes->second &&
      state.span_bytes->second <= static_cast<int64_t>(state.settings.prompt.size())) {
    session.span = state.span_bytes;
  }
  session.rollout = state.show_rollout;
  session.grid_source = state.grid_source;
  session.interventions = state.what_if.interventions;
  session.target_text = state.what_if.target_text;
  session.target_span = state.what_if.target_span;
  if (state.session_pending) {
    const UiState::PendingSession& p = *state.session_pending;
    session.settings.selection = p.selection;
    session.settings.standard_head = p.standard_head;
    session.focus = p.focus;
    session.view = p.view;
  } else {
    if (state.focused.valid) session.focus = focus_of(state.focused);
    if (state.view.initialized) {
      session.view = SessionView{state.view.zoom, state.view.center_x, state.view.center_y, state.view_tokens};
    }
  }
  return within_limits(session);  // values typed past a slider's range would make the file refuse to open
}

void open_session(UiState& state, const Session& session, UiActions* actions) {
  for (int slot : {kSlotDiff, kSlotStandard}) {
    const std::string& dir = slot == kSlotDiff ? session.settings.model_a : session.settings.model_b;
    if (dir.empty()) continue;  // the session leaves this slot as it is
    state.path_edit[static_cast<size_t>(slot)] = dir;
    const SlotState& s = state.slots[static_cast<size_t>(slot)];
    const bool holds = (s.phase == SlotState::Phase::Ready || s.phase == SlotState::Phase::Loading) &&
                       s.model_dir == dir;
    if (actions != nullptr && !holds) actions->loads.emplace_back(slot, dir);
  }
  state.settings = settings_with_session(state.settings, session);
  // A new prompt: what belonged to the old one goes (as when an example replaces it), the span indexes this one.
  state.generated_from.reset();
  state.pinned_token.reset();
  state.continued.reset();
  state.continuation_note.clear();
  state.span_undo.clear();
  state.drag_anchor.reset();
  state.drag_current.reset();
  state.span_bytes = session.span;
  state.span_prompt = state.settings.prompt;
  state.show_rollout = session.rollout;
  state.grid_source = session.grid_source;
  state.what_if.interventions = session.interventions;
  state.what_if.target_text = session.target_text;
  state.what_if.target_edit = session.target_text;
  state.what_if.target_span = session.target_span;
  state.focused.valid = false;
  state.session_pending = UiState::PendingSession{state.settings.prompt, session.settings.selection,
                                                  session.settings.standard_head, session.focus, session.view};
  state.debounce.cancel();
  state.submit_now = true;
}

void apply_pending_session(UiState& state) {
  if (!state.session_pending) return;
  const UiState::PendingSession pending = *state.session_pending;
  if (pending.prompt != state.settings.prompt) {  // edited before its results came: the user's view wins
    state.session_pending.reset();
    return;
  }
  for (int slot : {kSlotDiff, kSlotStandard}) {
    const SlotState& s = state.slots[static_cast<size_t>(slot)];
    if (s.phase == SlotState::Phase::Loading || s.running) return;
    if (s.phase == SlotState::Phase::Ready && !state.settings.prompt.empty()) {
      const ResultKind kind = slot_result(state, slot).kind;
      if (kind != ResultKind::Current && kind != ResultKind::Failed) return;
    }
  }
  state.settings.selection = pending.selection;
  state.settings.standard_head = pending.standard_head;
  if (pending.focus && slot_result(state, pending.focus->slot).snapshot != nullptr) {
    FocusedMap f;
    f.request.slot = pending.focus->slot;
    f.request.sequence = state.slots[static_cast<size_t>(pending.focus->slot)].sequence;
    f.request.layer = pending.focus->layer;
    f.request.head = pending.focus->head;
    f.request.variant = variant_of(pending.focus->map);
    f.request.row_normalize = pending.focus->row_normalize;
    f.request.hide_sink = pending.focus->hide_sink;
    f.title = variant_title(f.request.variant);
    f.valid = true;
    state.focused = f;
  }
  const int64_t tokens = static_cast<int64_t>(shown_tokens(state).size());
  if (pending.view && tokens > 0) {
    // In token units: drawn as saved whatever the token count (the maps' widgets clamp it to the map).
    state.view.zoom = pending.view->zoom;
    state.view.center_x = pending.view->center_x;
    state.view.center_y = pending.view->center_y;
    state.view.initialized = true;
    state.view_tokens = tokens;  // so that fitting the view to the tokens (map_layouts.cpp) leaves it
  }
  state.session_pending.reset();
}

bool save_session_action(UiState& state) {
  const bool chosen = !state.session_path.empty();
  // A name the user typed is theirs to overwrite; the default one never overwrites an earlier session.
  const std::string path = chosen ? state.session_path : default_session_path(state.settings.export_dir);
  std::string error;
  const bool ok = save_session(path, session_from_state(state), &error);
  set_message(state, ok, ok ? "saved session to " + path : error);
  if (ok) remember_session(&state.settings.recent_sessions, path);
  return ok;
}

bool open_session_action(UiState& state, UiActions& actions) {
  if (state.session_path.empty()) {
    set_message(state, false, "cannot open session: type the path of a session file in the field, then Open");
    return false;
  }
  Session session;
  std::string error;
  if (!load_session(state.session_path, &session, &error)) {
    set_message(state, false, error);
    return false;
  }
  open_session(state, session, &actions);
  set_message(state, true, "opened session " + state.session_path + " (results are computed again)");
  remember_session(&state.settings.recent_sessions, state.session_path);
  return true;
}

bool open_recent_session(UiState& state, UiActions& actions, size_t index) {
  if (index >= state.settings.recent_sessions.size()) return false;
  const std::string path = state.settings.recent_sessions[index];  // a copy: opening it reorders the list
  if (!recent_session_entries({path}).front().exists) {
    set_message(state, false, "cannot open session " + path + ": the file is no longer there (moved or deleted); "
                              "type its new path in the field, then Open");
    return false;
  }
  state.session_path = path;
  return open_session_action(state, actions);
}

}  // namespace diffscope::ui
