// Token strip logic (wrapping, hit test, spans, visible text). Main (UI) thread.
#include "token_layout.h"

#include <algorithm>

namespace diffscope::ui {

std::vector<TokenBox> layout_tokens(const std::vector<float>& widths, float available_width, float line_height,
                                    float gap) {
  std::vector<TokenBox> boxes;
  boxes.reserve(widths.size());
  float x = 0, y = 0;
  for (float w : widths) {
    if (x > 0 && x + w > available_width) {
      x = 0;
      y += line_height;
    }
    boxes.push_back(TokenBox{x, y, w, line_height - gap});
    x += w + gap;
  }
  return boxes;
}

std::optional<int64_t> token_at(const std::vector<TokenBox>& boxes, float x, float y) {
  for (size_t i = 0; i < boxes.size(); ++i) {
    const TokenBox& b = boxes[i];
    if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h) return static_cast<int64_t>(i);
  }
  return std::nullopt;
}

TokenSpan drag_span(int64_t a, int64_t b) { return TokenSpan{std::min(a, b), std::max(a, b) + 1}; }

std::pair<int64_t, int64_t> span_bytes(const std::vector<Token>& tokens, const TokenSpan& span) {
  if (tokens.empty() || span.end <= span.begin) return {0, 0};
  const int64_t first = std::clamp<int64_t>(span.begin, 0, static_cast<int64_t>(tokens.size()) - 1);
  const int64_t last = std::clamp<int64_t>(span.end - 1, 0, static_cast<int64_t>(tokens.size()) - 1);
  return {tokens[static_cast<size_t>(first)].byte_begin, tokens[static_cast<size_t>(last)].byte_end};
}

std::optional<TokenSpan> span_from_bytes(const std::vector<Token>& tokens, int64_t begin, int64_t end) {
  int64_t first = -1, last = -1;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].byte_end > begin && tokens[i].byte_begin < end) {
      if (first < 0) first = static_cast<int64_t>(i);
      last = static_cast<int64_t>(i);
    }
  }
  if (first < 0) return std::nullopt;
  return TokenSpan{first, last + 1};
}

std::string visible_token_text(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ' ') {
      out += "\xE2\x90\xA3";  // U+2423 OPEN BOX
    } else if (text.compare(i, 2, "\\n") == 0 || text[i] == '\n') {
      out += "\xE2\x86\xB5";  // U+21B5 DOWNWARDS ARROW WITH CORNER LEFTWARDS
      if (text[i] == '\\') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace diffscope::ui
