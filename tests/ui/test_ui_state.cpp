// The UI side of Continue (ui/ui_state.h): a published continuation is appended to the prompt, and the runs that
// follow submit the generated tokens as they are (not a new tokenization of the text) while the prompt is unchanged.
// Test thread.
#include <catch2/catch.hpp>

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
