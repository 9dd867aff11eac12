// Which slot results the views may show for the prompt in the editor. Main (UI) thread.
#include "slot_results.h"

#include <algorithm>

namespace diffscope::ui {

namespace {

const char* letter(int slot) { return slot == kSlotDiff ? "A" : "B"; }

bool answers(const SlotState& st, uint64_t prompt_id) {
  return prompt_id != 0 && st.snapshot && st.snapshot_prompt_id == prompt_id;
}

bool failed(const SlotState& st, uint64_t prompt_id) {
  return prompt_id != 0 && !st.error.empty() && st.failed_prompt_id == prompt_id && !answers(st, prompt_id);
}

}  // namespace

const char* result_kind_name(ResultKind kind) {
  switch (kind) {
    case ResultKind::None: return "none";
    case ResultKind::Current: return "current";
    case ResultKind::Previous: return "previous";
    case ResultKind::Withheld: return "withheld";
    case ResultKind::Failed: return "failed";
  }
  return "none";
}

uint64_t current_prompt_id(const UiState& s) {
  return s.prompt_id != 0 && s.settings.prompt == s.submitted_text ? s.prompt_id : 0;
}

SlotResult slot_result(const UiState& s, int slot) {
  const SlotState& st = s.slots[static_cast<size_t>(slot)];
  SlotResult r;
  if (s.settings.prompt.empty()) {
    r.message = "The prompt is empty: type a prompt or pick an example.";
    return r;
  }
  const uint64_t current = current_prompt_id(s);
  if (answers(st, current)) {
    r.kind = ResultKind::Current;
    r.snapshot = st.snapshot.get();
    return r;
  }
  if (failed(st, current)) {
    r.kind = ResultKind::Failed;
    r.message = std::string("Slot ") + letter(slot) + " could not run this prompt: " + st.error;
    return r;
  }
  if (!st.snapshot) {
    switch (st.phase) {
      case SlotState::Phase::Empty: {
        const std::string& note = s.slot_note[static_cast<size_t>(slot)];
        r.message = !note.empty() ? note
                                  : std::string("No model in slot ") + letter(slot) + ": type a model folder in the " +
                                        "Models panel or drop one on the window.";
        break;
      }
      case SlotState::Phase::Loading:
        r.message = std::string("Loading slot ") + letter(slot) + " (" + st.model_dir + "): " +
                    (st.message.empty() ? "..." : st.message);
        break;
      case SlotState::Phase::Failed:
        r.message = std::string("Slot ") + letter(slot) + " failed to load: " + st.message;
        break;
      case SlotState::Phase::Ready:
        r.message = std::string("Slot ") + letter(slot) + ": running...";
        break;
    }
    return r;
  }
  // An older prompt's snapshot. Beside a slot that already answered the current prompt (or failed it) it would mix two
  // prompts in one view; with another slot's newer (but also older than current) snapshot, likewise.
  uint64_t newest = 0;
  bool any_answered = false;
  for (const SlotState& other : s.slots) {
    any_answered = any_answered || answers(other, current) || failed(other, current);
    if (other.snapshot) newest = std::max(newest, other.snapshot_prompt_id);
  }
  if (any_answered || st.snapshot_prompt_id < newest) {
    r.kind = ResultKind::Withheld;
    r.message = std::string("Slot ") + letter(slot) +
                ": running... (showing nothing until the new prompt's result arrives)";
    return r;
  }
  r.kind = ResultKind::Previous;
  r.snapshot = st.snapshot.get();
  r.message = current == 0 ? "Showing the previous prompt's result: the prompt was edited since; it runs after a "
                             "short pause (Ctrl+Enter runs now)."
                           : "Showing the previous prompt's result: running the new prompt...";
  return r;
}

bool shows_previous_prompt(const UiState& s) {
  for (int slot = 0; slot < kNumSlots; ++slot) {
    if (slot_result(s, slot).kind == ResultKind::Previous) return true;
  }
  return false;
}

std::optional<std::string> export_refusal(const UiState& s) {
  if (s.settings.prompt.empty()) return std::string("nothing to export: the prompt is empty");
  for (int slot = 0; slot < kNumSlots; ++slot) {
    const SlotResult r = slot_result(s, slot);
    if (r.kind == ResultKind::Previous) {
      return std::string("not exported: the results shown are the previous prompt's; export once the current "
                         "prompt's results arrive");
    }
    if (r.kind == ResultKind::Withheld) {
      return std::string("not exported: slot ") + letter(slot) + "'s result for the current prompt has not arrived "
             "yet; export once it has";
    }
  }
  return std::nullopt;
}

}  // namespace diffscope::ui
