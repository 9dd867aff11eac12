// The UI side of Continue (ui/ui_state.h): a published continuation is appended to the prompt, and the runs that
// follow submit the generated tokens as they are (not a new tokenization of the text) while the prompt is unchanged.
// Test thread.
#include <catch2/catch.hpp>

#include "current_prompt.h"
#include "demo_snapshot.h"
#include "ui_state.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

// What the worker publishes after continuing "Hi " by one token (id 300, the bytes "there").
void publish_continuation(UiState& state, int slot) {
  SlotState& s = state.slots[static_cast<size_t>(slot)];
  s.continuation = "there";
  s.continued_text = "Hi there";
  s.continued_tokens = {{72, "H", 0, 1}, {105, "i", 1, 2}, {32, " ", 2, 3}, {300, "there", 3, 8}};
  s.continued_tokenizer = "tokenizer.json #1";
  ++s.continuation_sequence;
}

}  // namespace

TEST_CASE("Continue appends the continuation and the next runs submit its token ids") {
  UiState state;
  state.settings.prompt = "Hi ";
  publish_continuation(state, kSlotDiff);
  take_continuations(state);
  CHECK(state.settings.prompt == "Hi there");
  CHECK(state.submit_now);
  REQUIRE(state.generated_from);
  CHECK(*state.generated_from == 3);

  RunRequest run = make_run_request(state);
  CHECK(run.text == "Hi there");
  REQUIRE(run.tokens);
  CHECK(run.tokens->size() == 4);
  CHECK(run.tokens->back().id == 300);
  CHECK(run.tokens_tokenizer == "tokenizer.json #1");

  // Continue again from the continued prompt: the generation starts from the same ids.
  RunRequest more = make_run_request(state);
  more.continue_tokens = 8;
  REQUIRE(more.tokens);
  CHECK(more.tokens->back().id == 300);

  // The same continuation is taken once.
  state.submit_now = false;
  take_continuations(state);
  CHECK(state.settings.prompt == "Hi there");
  CHECK_FALSE(state.submit_now);

  // An edited prompt is text again.
  state.settings.prompt += "!";
  CHECK_FALSE(make_run_request(state).tokens);
}

TEST_CASE("a continuation of a prompt edited meanwhile is appended as text only") {
  UiState state;
  state.settings.prompt = "Hello ";  // the continuation was asked for "Hi "
  publish_continuation(state, kSlotDiff);
  take_continuations(state);
  CHECK(state.settings.prompt == "Hello there");
  CHECK_FALSE(make_run_request(state).tokens);
}

TEST_CASE("a continuation cut short, or none at all, is said next to Continue") {
  UiState state;
  state.settings.prompt = "Hi ";
  publish_continuation(state, kSlotDiff);
  state.slots[kSlotDiff].continuation_message = "generated 5 of 8 tokens: the context of 1024 tokens is full";
  take_continuations(state);
  CHECK(state.settings.prompt == "Hi there");
  CHECK(state.continuation_note == "generated 5 of 8 tokens: the context of 1024 tokens is full");
  CHECK(state.continuation_short);

  // The context was already full: nothing generated, nothing appended, and still a note.
  SlotState& a = state.slots[kSlotDiff];
  a.continuation.clear();
  a.continuation_message = "generated 0 of 8 tokens: the context of 1024 tokens is full";
  ++a.continuation_sequence;
  state.submit_now = false;
  take_continuations(state);
  CHECK(state.settings.prompt == "Hi there");
  CHECK_FALSE(state.submit_now);
  CHECK(state.continuation_note == "generated 0 of 8 tokens: the context of 1024 tokens is full");

  a.continuation = "!";
  a.continuation_message = "generated 8 of 8 tokens";
  ++a.continuation_sequence;
  take_continuations(state);
  CHECK(state.continuation_note == "generated 8 of 8 tokens");
  CHECK_FALSE(state.continuation_short);
}

TEST_CASE("the marked span follows the prompt's edits, and is dropped when its text is replaced") {
  UiState state;
  state.settings.prompt = "Paris is 4721. Rome is 1234.";
  state.span_prompt = state.settings.prompt;
  state.span_bytes = std::make_pair<int64_t, int64_t>(9, 13);  // "4721"
  state.settings.prompt = "Note. " + state.settings.prompt;
  follow_prompt_edits(state);
  REQUIRE(state.span_bytes);
  CHECK(state.settings.prompt.substr(static_cast<size_t>(state.span_bytes->first), 4) == "4721");
  // Replaced by a pasted prompt of about the same length: the old offsets would land on unrelated text.
  state.settings.prompt = "Berlin has 3645000 people and many bridges.";
  follow_prompt_edits(state);
  CHECK_FALSE(state.span_bytes);
  CHECK(make_run_request(state).span_bytes == std::nullopt);
}

TEST_CASE("the span R typed into the find box: marked on the current tokens, undone, forgotten after an edit") {
  UiState state;
  DemoSpec spec;
  spec.text = "Paris is 4721. Rome is 4721.";  // byte tokens
  state.slots[kSlotDiff].snapshot = std::make_shared<AttentionSnapshot>(make_demo_snapshot(spec));
  state.slots[kSlotDiff].sequence = 1;
  testing::answer_prompt(state, spec.text);
  REQUIRE(mark_span_by_query(state, "4721"));
  REQUIRE(state.span_bytes);
  CHECK(*state.span_bytes == std::make_pair<int64_t, int64_t>(9, 13));
  CHECK(state.submit_now);
  REQUIRE(mark_span_by_query(state, "4721", 9));  // the next match, after token 9
  CHECK(*state.span_bytes == std::make_pair<int64_t, int64_t>(23, 27));
  REQUIRE(mark_span_by_query(state, "#0-4"));
  CHECK(*state.span_bytes == std::make_pair<int64_t, int64_t>(0, 5));
  CHECK_FALSE(mark_span_by_query(state, "Oslo"));  // names nothing: the span stays
  CHECK(*state.span_bytes == std::make_pair<int64_t, int64_t>(0, 5));
  REQUIRE(undo_span(state));
  CHECK(*state.span_bytes == std::make_pair<int64_t, int64_t>(23, 27));
  REQUIRE(undo_span(state));
  REQUIRE(undo_span(state));
  CHECK_FALSE(state.span_bytes);  // back to no span
  CHECK_FALSE(undo_span(state));
  REQUIRE(mark_span_by_query(state, "Rome"));
  state.settings.prompt = "Note. " + state.settings.prompt;  // an edit: earlier spans index the old text
  CHECK_FALSE(undo_span(state));
  REQUIRE(state.span_bytes);
  CHECK(state.settings.prompt.substr(static_cast<size_t>(state.span_bytes->first), 4) == "Rome");  // followed
}

TEST_CASE("the truncate setting goes with every run request") {
  UiState state;
  state.settings.prompt = "Paris";
  CHECK_FALSE(make_run_request(state).truncate);
  state.settings.truncate = true;
  CHECK(make_run_request(state).truncate);
}

TEST_CASE("the pause before a run: on the CPU half the slower slot's last run (50-250 ms), on a GPU the shortest") {
  std::array<SlotState, kNumSlots> slots;
  CHECK(slowest_last_run_seconds(slots) == -1);
  CHECK(typing_pause_for(slowest_last_run_seconds(slots)) == kMaxTypingPause);  // nothing ran yet: the long pause
  auto ran_in = [](double seconds) {
    auto snapshot = std::make_shared<AttentionSnapshot>();
    snapshot->seconds = seconds;
    return SnapshotPtr(snapshot);
  };
  slots[kSlotDiff].snapshot = ran_in(0.168);
  slots[kSlotStandard].snapshot = ran_in(0.138);
  CHECK(slowest_last_run_seconds(slots) == 0.168);
  CHECK(typing_pause_for(0.168) == Approx(0.084));  // half the run
  CHECK(typing_pause_for(0.043) == kMinTypingPause);
  CHECK(typing_pause_for(1.5) == kMaxTypingPause);
  // Models on a GPU: runs are the device's work, not the UI's cores, so the shortest pause.
  CHECK_FALSE(models_on_gpu(slots));  // no model loaded in these slots
  ModelInfo gpu, cpu;
  gpu.device = "cuda:0";
  cpu.device = "cpu";
  slots[kSlotDiff].info = gpu;
  CHECK(models_on_gpu(slots));
  slots[kSlotStandard].info = cpu;
  CHECK_FALSE(models_on_gpu(slots));  // one on the CPU: its runs take the UI's cores
  slots[kSlotStandard].info = gpu;
  CHECK(models_on_gpu(slots));
  CHECK(typing_pause_for(1.5, true) == kMinTypingPause);
  CHECK(typing_pause_for(-1, true) == kMinTypingPause);

  Debouncer debounce;
  CHECK(debounce.delay() == kMaxTypingPause);
  debounce.set_delay(typing_pause_for(0.168));
  debounce.changed(10.0);
  CHECK_FALSE(debounce.fire(10.08));
  CHECK(debounce.fire(10.085));
}
