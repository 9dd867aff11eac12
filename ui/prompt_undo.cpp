// The prompt box's undo history as changed parts of the display text. Any thread.
#include "prompt_undo.h"

#include <algorithm>

namespace diffscope::ui {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// Whether `edit`, typed right after `last`, continues the same word (so that undo takes the word back at once).
template <typename Edit>
bool continues_typing(const Edit& last, const Edit& edit) {
  return last.removed.empty() && edit.removed.empty() && !last.inserted.empty() && edit.inserted.size() <= 4 &&
         edit.at == last.at + last.inserted.size() && !is_space(last.inserted.back()) &&
         !is_space(edit.inserted.front()) && last.inserted.size() < 256;
}

}  // namespace

void PromptUndo::record(const std::string& before, const std::string& after, size_t cursor_before) {
  const size_t shortest = std::min(before.size(), after.size());
  size_t prefix = 0;
  while (prefix < shortest && before[prefix] == after[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < shortest - prefix && before[before.size() - 1 - suffix] == after[after.size() - 1 - suffix]) {
    ++suffix;
  }
  if (prefix == before.size() && prefix == after.size()) return;  // nothing changed
  Edit edit;
  edit.at = prefix;
  edit.removed = before.substr(prefix, before.size() - suffix - prefix);
  edit.inserted = after.substr(prefix, after.size() - suffix - prefix);
  edit.cursor_before = cursor_before;
  undone_.clear();
  if (!done_.empty() && continues_typing(done_.back(), edit)) {
    done_.back().inserted += edit.inserted;
  } else {
    done_.push_back(std::move(edit));
  }
  trim();
}

void PromptUndo::trim() {
  size_t total = 0;  // O(steps) per edit, at most kMaxSteps
  for (const Edit& e : done_) total += e.removed.size() + e.inserted.size();
  while (!done_.empty() && (done_.size() > kMaxSteps || total > kMaxBytes)) {
    total -= done_.front().removed.size() + done_.front().inserted.size();
    done_.pop_front();
  }
}

std::optional<PromptUndo::Step> PromptUndo::undo(const std::string& current) {
  if (done_.empty()) return std::nullopt;
  Edit edit = std::move(done_.back());
  done_.pop_back();
  if (edit.at + edit.inserted.size() > current.size() ||
      current.compare(edit.at, edit.inserted.size(), edit.inserted) != 0) {
    clear();
    return std::nullopt;
  }
  Step step{current, edit.cursor_before};
  step.display.replace(edit.at, edit.inserted.size(), edit.removed);
  step.cursor = std::min(step.cursor, step.display.size());
  undone_.push_back(std::move(edit));
  return step;
}

std::optional<PromptUndo::Step> PromptUndo::redo(const std::string& current) {
  if (undone_.empty()) return std::nullopt;
  Edit edit = std::move(undone_.back());
  undone_.pop_back();
  if (edit.at + edit.removed.size() > current.size() ||
      current.compare(edit.at, edit.removed.size(), edit.removed) != 0) {
    clear();
    return std::nullopt;
  }
  Step step{current, edit.at + edit.inserted.size()};
  step.display.replace(edit.at, edit.removed.size(), edit.inserted);
  done_.push_back(std::move(edit));
  return step;
}

void PromptUndo::clear() {
  done_.clear();
  undone_.clear();
}

}  // namespace diffscope::ui
