// Helpers over the shared UI state. Main (UI) thread.
#include "ui_state.h"

#include "slot_results.h"
#include "span_follow.h"
#include "token_layout.h"

namespace diffscope::ui {

const AttentionSnapshot* slot_snapshot(const UiState& s, int slot) { return slot_result(s, slot).snapshot; }

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

double slowest_last_run_seconds(const std::array<SlotState, kNumSlots>& slots) {
  double slowest = -1;
  for (const SlotState& slot : slots) {
    if (slot.snapshot) slowest = std::max(slowest, slot.snapshot->seconds);
  }
  return slowest;
}

bool models_on_gpu(const std::array<SlotState, kNumSlots>& slots) {
  bool any = false;
  for (const SlotState& slot : slots) {
    if (!slot.info) continue;
    if (slot.info->device.rfind("cuda", 0) != 0) return false;
    any = true;
  }
  return any;
}

RunRequest make_run_request(const UiState& s) {
  RunRequest r;
  r.text = s.settings.prompt;
  if (s.continued && s.continued->text == s.settings.prompt) {
    r.tokens = s.continued->tokens;
    r.tokens_tokenizer = s.continued->tokenizer;
  }
  if (s.span_bytes && s.span_bytes->second <= static_cast<int64_t>(s.settings.prompt.size())) {
    r.span_bytes = s.span_bytes;
  }
  r.prompt_id = s.prompt_id;
  r.truncate = s.settings.truncate;
  r.capture.overviews = true;
  r.capture.keep_store = true;
  // Rollout: L matrix products per run, so only while a view shows it. A long prompt's run keeps each layer's
  // rollout on the engine's device and sends its overview; the view fetches windows as for the maps.
  r.capture.rollout = s.show_rollout;
  // Short prompts: the grid shows every head (the UI pools thumbnails itself), and logits [T, V] come with the dense
  // maps for "All maps" to write beside them as `diffscope-cli run --maps` does. Long ones: overviews and windows,
  // no logits (their maps are not written to safetensors either).
  // The worker picks when the run starts, knowing the token count and every loaded model (kDenseMapBudgetBytes).
  r.dense_maps_budget = kDenseMapBudgetBytes;
  r.capture.maps = CaptureRequest::Maps::None;
  r.capture.logits = false;
  r.interventions = s.what_if.interventions;
  r.target_text = s.what_if.target_text;
  r.target_is_span = s.what_if.target_span;
  return r;
}

void take_continuations(UiState& s) {
  for (size_t slot = 0; slot < s.slots.size(); ++slot) {
    const SlotState& slot_state = s.slots[slot];
    if (slot_state.continuation_sequence == s.continuations_seen[slot]) continue;
    s.continuations_seen[slot] = slot_state.continuation_sequence;
    // Said next to "Continue" until the next one: the run that follows replaces the slot's own message at once.
    s.continuation_note = slot_state.continuation_message;
    // The worker names a reason after ": " only when it stopped before the tokens asked for (context, end of sequence).
    s.continuation_short = slot_state.continuation_message.rfind("could not", 0) == 0 ||
                           slot_state.continuation_message.find(": ") != std::string::npos;
    if (slot_state.continuation.empty()) continue;
    s.generated_from = static_cast<int64_t>(s.settings.prompt.size());
    s.pinned_token.reset();
    s.settings.prompt += slot_state.continuation;
    // The tokens spell the prompt the continuation was asked for; when the prompt was edited since, they do not.
    if (slot_state.continued_text == s.settings.prompt) {
      s.continued = UiState::ContinuedPrompt{slot_state.continued_text, slot_state.continued_tokens,
                                             slot_state.continued_tokenizer};
    } else {
      s.continued.reset();
    }
    s.submit_now = true;
  }
}

RunRequest submit_prompt(UiState& s) {
  if (s.prompt_id == 0 || s.settings.prompt != s.submitted_text) ++s.prompt_id;
  s.submitted_text = s.settings.prompt;
  ++s.submissions;
  return make_run_request(s);
}

void follow_prompt_edits(UiState& s) {
  if (s.span_prompt == s.settings.prompt) return;
  if (s.span_bytes) s.span_bytes = follow_span(s.span_prompt, s.settings.prompt, *s.span_bytes);
  s.span_prompt = s.settings.prompt;
  s.span_undo.clear();  // earlier spans index the text before the edit
}

bool mark_span_by_query(UiState& s, const std::string& query, int64_t after) {
  if (shows_previous_prompt(s)) return false;  // those tokens index other bytes than the prompt in the editor
  const std::vector<Token>& tokens = shown_tokens(s);
  const std::optional<TokenSpan> span = find_token_span(tokens, query, after);
  if (!span) return false;
  follow_prompt_edits(s);
  s.span_undo.push_back(s.span_bytes);
  s.span_bytes = span_bytes(tokens, *span);
  s.span_prompt = s.settings.prompt;
  s.submit_now = true;
  return true;
}

bool undo_span(UiState& s) {
  follow_prompt_edits(s);
  if (s.span_undo.empty()) return false;
  s.span_bytes = s.span_undo.back();
  s.span_undo.pop_back();
  s.span_prompt = s.settings.prompt;
  s.submit_now = true;
  return true;
}

}  // namespace diffscope::ui
