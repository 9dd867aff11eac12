// Helpers over the shared UI state. Main (UI) thread.
#include "ui_state.h"

#include "token_layout.h"

namespace diffscope::ui {

const std::vector<Token>& shown_tokens(const UiState& s) {
  static const std::vector<Token> kNone;
  for (int slot : {kSlotDiff, kSlotStandard}) {
    if (const AttentionSnapshot* snap = slot_snapshot(s, slot)) return snap->tokens;
  }
  return kNone;
}

std::optional<TokenSpan> span_tokens(const UiState& s, const AttentionSnapshot* snapshot) {
  if (!s.span_bytes || snapshot == nullptr) return std::nullopt;
  return span_from_bytes(snapshot->tokens, s.span_bytes->first, s.span_bytes->second);
}

RunRequest make_run_request(const UiState& s) {
  RunRequest r;
  r.text = s.settings.prompt;
  if (s.span_bytes && s.span_bytes->second <= static_cast<int64_t>(s.settings.prompt.size())) {
    r.span_bytes = s.span_bytes;
  }
  r.capture.maps = CaptureRequest::Maps::All;  // the grid shows every head; the UI pools thumbnails itself
  r.capture.logits = false;                    // the app shows no logits: do not copy [T, V] per run
  r.capture.rollout = s.show_rollout;          // L matrix products per run: only while a view shows them
  return r;
}

}  // namespace diffscope::ui
