// The marked span through prompt edits. Any thread.
#include "span_follow.h"

#include <algorithm>

namespace diffscope::ui {

std::optional<std::pair<int64_t, int64_t>> follow_span(const std::string& before, const std::string& after,
                                                       std::pair<int64_t, int64_t> span) {
  const int64_t old_size = static_cast<int64_t>(before.size()), new_size = static_cast<int64_t>(after.size());
  if (span.first < 0 || span.first >= span.second || span.second > old_size) return std::nullopt;
  if (before == after) return span;
  int64_t prefix = 0;
  const int64_t shorter = std::min(old_size, new_size);
  while (prefix < shorter && before[static_cast<size_t>(prefix)] == after[static_cast<size_t>(prefix)]) ++prefix;
  int64_t suffix = 0;
  while (suffix < shorter - prefix &&
         before[static_cast<size_t>(old_size - 1 - suffix)] == after[static_cast<size_t>(new_size - 1 - suffix)]) {
    ++suffix;
  }
  // The edit replaced before[prefix, old_size - suffix) by after[prefix, new_size - suffix). Ties (an insertion next
  // to the span's edge) count as outside: typing right after the span does not move or clear it.
  const int64_t edit_begin = prefix, edit_end = old_size - suffix;
  if (span.second <= edit_begin) return span;
  if (span.first >= edit_end) {
    const int64_t shift = new_size - old_size;
    return std::make_pair(span.first + shift, span.second + shift);
  }
  return std::nullopt;
}

}  // namespace diffscope::ui
