// Soft line breaks of the prompt box's display text, and positions and edits mapped through them. Any thread.
#include "prompt_wrap.h"

#include <algorithm>

#include "tokenizer/hf_tokenizer_utf8.h"

namespace diffscope::ui {

namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// How many soft breaks lie before display offset `d` when a position at a break counts as after it: the number of
// k with breaks[k] - k <= d (breaks[k] - k, the break's display offset, increases with k).
size_t breaks_up_to_display(const std::vector<size_t>& breaks, size_t d) {
  size_t lo = 0, hi = breaks.size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (breaks[mid] - mid <= d) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

}  // namespace

WrappedText wrap_display(const std::string& display, float width, CharWidth char_width, const void* context) {
  WrappedText out;
  out.width = width;
  if (width <= 0) {
    out.text = display;
    return out;
  }
  std::vector<size_t> soft;  // display offsets of the breaks
  size_t line = 0;           // where the current line starts
  float x = 0;               // its width so far
  size_t opportunity = kNone;  // just after the line's last space or TAB
  float after_opportunity = 0;  // the width from there to here
  for (size_t i = 0; i < display.size();) {
    // The display text is valid UTF-8; a sequence cut short at the end is measured as U+FFFD all the same.
    const size_t whole = utf8::sequence_length(static_cast<unsigned char>(display[i]));
    const size_t len = std::min(whole, display.size() - i);
    const char32_t c = len == whole ? utf8::decode_at(display, i) : U'\uFFFD';
    if (c == U'\n') {
      line = i + 1;
      x = 0;
      opportunity = kNone;
      i += len;
      continue;
    }
    const float w = char_width(c, context);
    // A space that reaches past the edge may hang there (in the room kept for the scrollbar), as in any editor
    // that wraps: the line breaks after it rather than starting the next line with it.
    const bool hangs = c == U' ' && x <= width;
    if (x + w > width && i > line && !hangs) {
      if (opportunity != kNone && opportunity > line && after_opportunity + w <= width) {
        soft.push_back(opportunity);  // the word moves to the next line
        line = opportunity;
        x = after_opportunity;
      } else {
        soft.push_back(i);  // a word longer than the line is cut where it reaches the edge
        line = i;
        x = 0;
      }
      opportunity = kNone;
      after_opportunity = 0;
    }
    x += w;
    if (c == U' ' || c == U'\t') {
      opportunity = i + len;
      after_opportunity = 0;
    } else {
      after_opportunity += w;
    }
    i += len;
  }
  out.text.reserve(display.size() + soft.size());
  out.breaks.reserve(soft.size());
  size_t from = 0;
  for (const size_t d : soft) {
    out.text.append(display, from, d - from);
    out.breaks.push_back(out.text.size());
    out.text += '\n';
    from = d;
  }
  out.text.append(display, from, std::string::npos);
  return out;
}

size_t display_offset(const WrappedText& wrapped, size_t wrapped_offset) {
  const auto before = std::lower_bound(wrapped.breaks.begin(), wrapped.breaks.end(), wrapped_offset);
  return wrapped_offset - static_cast<size_t>(before - wrapped.breaks.begin());
}

size_t wrapped_offset(const WrappedText& wrapped, size_t display_offset) {
  return display_offset + breaks_up_to_display(wrapped.breaks, display_offset);
}

std::string unwrap_range(const WrappedText& wrapped, size_t begin, size_t end) {
  end = std::min(end, wrapped.text.size());
  std::string out;
  if (begin >= end) return out;
  out.reserve(end - begin);
  auto brk = std::lower_bound(wrapped.breaks.begin(), wrapped.breaks.end(), begin);
  size_t from = begin;
  for (; brk != wrapped.breaks.end() && *brk < end; ++brk) {
    out.append(wrapped.text, from, *brk - from);
    from = *brk + 1;
  }
  out.append(wrapped.text, from, end - from);
  return out;
}

UnwrappedEdit unwrap_edit(const WrappedText& before, std::string_view after, size_t cursor_before,
                          size_t cursor_after) {
  const std::string& old = before.text;
  const size_t old_size = old.size(), new_size = after.size();
  const size_t shortest = std::min(old_size, new_size);
  size_t prefix = 0;
  while (prefix < shortest && old[prefix] == after[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < shortest - prefix && old[old_size - 1 - suffix] == after[new_size - 1 - suffix]) ++suffix;
  const std::vector<size_t>& breaks = before.breaks;

  UnwrappedEdit out;
  if (new_size - suffix == prefix && old_size - suffix == prefix + 1 &&
      std::binary_search(breaks.begin(), breaks.end(), prefix)) {
    // Only a soft break went: the character on its other side goes instead.
    std::string display = unwrap_range(before, 0, old_size);
    const size_t at = display_offset(before, prefix);
    if (cursor_before == prefix + 1) {  // Backspace at the start of the lower line
      size_t start = at;
      if (start > 0) --start;
      while (start > 0 && is_continuation(display[start])) --start;
      display.erase(start, at - start);
      out.cursor = start;
    } else if (at < display.size()) {  // Delete at the end of the upper line
      size_t end = at + 1;
      while (end < display.size() && is_continuation(display[end])) ++end;
      display.erase(at, end - at);
      out.cursor = at;
    } else {
      out.cursor = at;
    }
    out.display = std::move(display);
    return out;
  }

  // Kept: breaks before the changed part (same offsets in `after`) and after it (shifted by the change in length).
  const auto prefix_end = std::lower_bound(breaks.begin(), breaks.end(), prefix);
  const auto suffix_begin = std::lower_bound(prefix_end, breaks.end(), old_size - suffix);
  std::vector<size_t> kept(breaks.begin(), prefix_end);
  for (auto b = suffix_begin; b != breaks.end(); ++b) kept.push_back(*b - old_size + new_size);

  out.display.reserve(new_size);
  size_t from = 0;
  size_t cursor_shift = 0;
  for (const size_t k : kept) {
    out.display.append(after.data() + from, k - from);
    from = k + 1;
    if (k < cursor_after) ++cursor_shift;
  }
  out.display.append(after.data() + from, new_size - from);
  out.cursor = cursor_after - std::min(cursor_shift, cursor_after);
  return out;
}

}  // namespace diffscope::ui
