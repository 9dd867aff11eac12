// The prompt box's own undo history. ImGui 1.86 keeps undo in its editor's buffer, which holds soft line breaks
// (prompt_wrap.h) that move as the text is wrapped again, and it records no edit made from a callback (a paste of
// bytes, a character above U+FFFF, an outside change): so the box turns ImGui's off and keeps this one, over the
// display text without soft breaks. Each edit is stored as the part that changed (O(edit) memory, O(n) to find
// once per edit); typing a word is one step. Plain data: the UI thread in the app, any thread in tests.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace diffscope::ui {

class PromptUndo {
 public:
  // At most this many steps and this many bytes of changed text are kept; the oldest go first.
  static constexpr size_t kMaxSteps = 1000;
  static constexpr size_t kMaxBytes = 8u << 20;

  // The display text went from `before` to `after` in one edit; the cursor was at `cursor_before` in `before`.
  // Clears what could be redone.
  void record(const std::string& before, const std::string& after, size_t cursor_before);

  // The text and cursor one step back (or forward) from `current`, which must be the text after the last step
  // recorded (or redone): otherwise the history no longer fits it and is dropped (nullopt).
  struct Step {
    std::string display;
    size_t cursor = 0;
  };
  std::optional<Step> undo(const std::string& current);
  std::optional<Step> redo(const std::string& current);

  void clear();
  size_t steps() const { return done_.size(); }

 private:
  struct Edit {
    size_t at = 0;
    std::string removed;
    std::string inserted;
    size_t cursor_before = 0;
  };
  void trim();

  std::deque<Edit> done_;
  std::vector<Edit> undone_;
};

}  // namespace diffscope::ui
