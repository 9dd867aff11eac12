// Which results the views show for the prompt in the editor (ui/slot_results.h): the current prompt's, an older one's
// marked as the previous prompt's, or nothing with the reason (empty prompt, a failed run, a slot still running beside
// one that answered, loading). Test thread.
#include <catch2/catch.hpp>

#include "answered_slots.h"
#include "slot_results.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

// Both slots loaded and answering "Paris is 4721." (prompt 1).
UiState answered_state() { return testing::answered_state("Paris is 4721."); }

}  // namespace

TEST_CASE("results of the prompt in the editor are shown as current") {
  const UiState s = answered_state();
  CHECK(slot_result(s, kSlotDiff).kind == ResultKind::Current);
  CHECK(slot_result(s, kSlotStandard).kind == ResultKind::Current);
  CHECK(shown_tokens(s).size() == 14);
  CHECK_FALSE(shows_previous_prompt(s));
  CHECK_FALSE(export_refusal(s));
}

TEST_CASE("a deleted prompt shows nothing: no maps, tokens or statistics of the old one") {
  UiState s = answered_state();
  s.settings.prompt.clear();
  for (int slot : {kSlotDiff, kSlotStandard}) {
    const SlotResult r = slot_result(s, slot);
    CHECK(r.kind == ResultKind::None);
    CHECK(r.snapshot == nullptr);
    CHECK(r.message == "The prompt is empty: type a prompt or pick an example.");
    CHECK(slot_snapshot(s, slot) == nullptr);
  }
  CHECK(shown_tokens(s).empty());
  CHECK(export_refusal(s) == std::optional<std::string>("nothing to export: the prompt is empty"));
}

TEST_CASE("a prompt whose run failed shows the error instead of the last good prompt's results") {
  UiState s = answered_state();
  s.settings.prompt = std::string(3000, 'x');
  submit_prompt(s);
  for (SlotState& st : s.slots) {
    st.error = "the prompt has 3000 tokens, more than the model's context of 1024";
    st.failed_prompt_id = s.prompt_id;
  }
  const SlotResult a = slot_result(s, kSlotDiff);
  CHECK(a.kind == ResultKind::Failed);
  CHECK(a.snapshot == nullptr);
  CHECK(a.message == "Slot A could not run this prompt: the prompt has 3000 tokens, more than the model's context of "
                     "1024");
  CHECK(slot_result(s, kSlotStandard).kind == ResultKind::Failed);
  CHECK(shown_tokens(s).empty());
  CHECK_FALSE(shows_previous_prompt(s));
}

TEST_CASE("side by side, a slot still running the new prompt shows nothing beside one that answered it") {
  UiState s = answered_state();
  s.settings.prompt = "A much longer prompt about Paris.";
  submit_prompt(s);
  s.slots[kSlotDiff].snapshot = testing::demo_result(s.settings.prompt, AttentionKind::Differential);
  s.slots[kSlotDiff].snapshot_prompt_id = s.prompt_id;
  s.slots[kSlotStandard].running = true;  // B still holds "Paris is 4721."'s snapshot
  CHECK(slot_result(s, kSlotDiff).kind == ResultKind::Current);
  const SlotResult b = slot_result(s, kSlotStandard);
  CHECK(b.kind == ResultKind::Withheld);
  CHECK(b.snapshot == nullptr);
  CHECK(b.message == "Slot B: running... (showing nothing until the new prompt's result arrives)");
  CHECK(slot_snapshot(s, kSlotStandard) == nullptr);  // the statistics table gets no old B rows
  CHECK(export_refusal(s));
  // Once B answers, both are current.
  s.slots[kSlotStandard].snapshot_prompt_id = s.prompt_id;
  CHECK(slot_result(s, kSlotStandard).kind == ResultKind::Current);
}

TEST_CASE("while no slot has answered an edited prompt, the previous results stay, marked as the previous prompt's") {
  UiState s = answered_state();
  s.settings.prompt += " More.";  // typed: not submitted yet (debounce)
  CHECK(current_prompt_id(s) == 0);
  CHECK(slot_result(s, kSlotDiff).kind == ResultKind::Previous);
  CHECK(slot_result(s, kSlotDiff).snapshot != nullptr);
  CHECK(shows_previous_prompt(s));
  CHECK(export_refusal(s));
  submit_prompt(s);
  CHECK(slot_result(s, kSlotStandard).message == "Showing the previous prompt's result: running the new prompt...");
  // Of two older prompts' results, only the newer one is shown.
  s.slots[kSlotDiff].snapshot_prompt_id = 0;
  CHECK(slot_result(s, kSlotDiff).kind == ResultKind::Withheld);
  CHECK(slot_result(s, kSlotStandard).kind == ResultKind::Previous);
}

TEST_CASE("reruns of the same text keep its prompt id; a new text gets a new one") {
  UiState s = answered_state();
  const uint64_t id = s.prompt_id;
  CHECK(submit_prompt(s).prompt_id == id);  // a span change or dense maps: same prompt
  CHECK(slot_result(s, kSlotDiff).kind == ResultKind::Current);
  s.settings.prompt = "Other.";
  CHECK(submit_prompt(s).prompt_id == id + 1);
}

TEST_CASE("a slot that is loading says so where its maps would be") {
  UiState s;
  s.settings.prompt = "hello";
  s.slots[kSlotDiff].phase = SlotState::Phase::Loading;
  s.slots[kSlotDiff].model_dir = "assets/models/diff";
  s.slots[kSlotDiff].message = "loading: model.safetensors (40%)";
  const SlotResult r = slot_result(s, kSlotDiff);
  CHECK(r.kind == ResultKind::None);
  CHECK(r.message == "Loading slot A (assets/models/diff): loading: model.safetensors (40%)");
  s.slots[kSlotStandard].phase = SlotState::Phase::Empty;
  CHECK(slot_result(s, kSlotStandard).message.find("No model in slot B") == 0);
}
