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

int64_t dense_map_bytes(const std::array<SlotState, kNumSlots>& slots, int64_t tokens) {
  int64_t maps = 0, vocab = 0;
  for (const SlotState& slot : slots) {
    const ModelInfo* info = slot.info ? &*slot.info : slot.snapshot ? &slot.snapshot->model : nullptr;
    if (info == nullptr) continue;
    maps += int64_t{info->num_layers} * info->num_heads * (info->kind == AttentionKind::Differential ? 3 : 1);
    vocab += info->vocab_size;
  }
  return (maps * tokens + vocab) * tokens * 4;  // the maps and the logits [T, V] that come with them
}

int64_t estimate_tokens(const UiState& s) {
  const int64_t bytes = static_cast<int64_t>(s.settings.prompt.size());
  for (int slot : {kSlotDiff, kSlotStandard}) {
    // The last run's, whichever prompt it was: it estimates the tokenizer's bytes per token, not this prompt's tokens.
    const AttentionSnapshot* snap = s.slots[static_cast<size_t>(slot)].snapshot.get();
    if (snap == nullptr || snap->tokens.empty()) continue;
    const int64_t ran_bytes = snap->tokens.back().byte_end;
    if (ran_bytes <= 0) continue;
    const double per_byte = static_cast<double>(snap->tokens.size()) / static_cast<double>(ran_bytes);
    return static_cast<int64_t>(per_byte * static_cast<double>(bytes)) + 1;
  }
  return bytes / 2 + 1;
}

bool wants_dense_maps(const UiState& s) {
  if (s.continued && s.continued->text == s.settings.prompt) {
    const int64_t t = static_cast<int64_t>(s.continued->tokens.size());
    return dense_map_bytes(s.slots, t) <= kDenseMapBudgetBytes;
  }
  return dense_map_bytes(s.slots, estimate_tokens(s)) <= kDenseMapBudgetBytes;
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
  const bool dense = wants_dense_maps(s);
  r.capture.maps = dense ? CaptureRequest::Maps::All : CaptureRequest::Maps::None;
  r.capture.logits = dense;
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
