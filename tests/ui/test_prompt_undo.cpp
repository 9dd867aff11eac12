// The prompt box's undo history (ui/prompt_undo.h): steps back and forth over the display text, a word typed is one
// step, a new edit drops what could be redone, and a history that no longer fits the text is dropped. Test thread.
#include <catch2/catch.hpp>

#include "prompt_undo.h"

using namespace diffscope::ui;

TEST_CASE("undo and redo step through the edits; a typed word is one step") {
  PromptUndo undo;
  std::string text;
  const auto edit = [&](const std::string& next, size_t cursor) {
    undo.record(text, next, cursor);
    text = next;
  };
  edit("h", 0);
  edit("he", 1);
  edit("hel", 2);
  edit("hel ", 3);
  edit("hel w", 4);
  edit("Xhel w", 0);  // a paste at the start
  CHECK(undo.steps() == 4);  // "hel", " ", "w", "X"

  auto step = undo.undo(text);
  REQUIRE(step);
  CHECK(step->display == "hel w");
  CHECK(step->cursor == 0);
  step = undo.undo(step->display);
  REQUIRE(step);
  CHECK(step->display == "hel ");
  step = undo.undo(step->display);
  CHECK(step->display == "hel");
  step = undo.undo(step->display);
  CHECK(step->display.empty());
  CHECK(step->cursor == 0);
  CHECK_FALSE(undo.undo(step->display));

  step = undo.redo(step->display);
  REQUIRE(step);
  CHECK(step->display == "hel");
  CHECK(step->cursor == 3);
  step = undo.redo(step->display);
  CHECK(step->display == "hel ");
  text = step->display;
  edit("hel!", 3);  // a new edit: nothing left to redo
  CHECK_FALSE(undo.redo(text));
  step = undo.undo(text);
  CHECK(step->display == "hel ");
}

TEST_CASE("a replaced selection is one step; a history that does not fit the text is dropped") {
  PromptUndo undo;
  undo.record("The magic number", "The secret number", 4);
  auto step = undo.undo("The secret number");
  REQUIRE(step);
  CHECK(step->display == "The magic number");
  CHECK(step->cursor == 4);
  undo.record("abc", "abcd", 3);
  CHECK_FALSE(undo.undo("something else"));
  CHECK(undo.steps() == 0);
}

TEST_CASE("the history keeps at most kMaxSteps steps") {
  PromptUndo undo;
  std::string text;
  for (size_t i = 0; i < PromptUndo::kMaxSteps + 50; ++i) {
    const std::string next = text + " x";  // each a separate step: a space starts a new word
    undo.record(text, next, text.size());
    text = next;
  }
  CHECK(undo.steps() == PromptUndo::kMaxSteps);
}
