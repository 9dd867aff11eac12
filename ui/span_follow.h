// Keeping the marked span R on the same text when the prompt is edited: an edit before it moves it, an edit after it
// leaves it, an edit that touches it (or replaces the prompt) clears it, so R never lands on unrelated tokens. Plain
// functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace diffscope::ui {

// The span [begin, end) of `before`'s bytes in `after`: where the same bytes are when the edit from `before` to `after`
// (taken as one replaced stretch between their common prefix and suffix) lies wholly before or after the span; nothing
// when the edit overlaps it or the span is not inside `before`.
std::optional<std::pair<int64_t, int64_t>> follow_span(const std::string& before, const std::string& after,
                                                       std::pair<int64_t, int64_t> span);

}  // namespace diffscope::ui
