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
  // The first box of the line at y (lines start where y steps up), then the boxes of that line.
  const auto line = std::lower_bound(boxes.begin(), boxes.end(), y,
                                     [](const TokenBox& b, float v) { return b.y + b.h <= v; });
  for (auto it = line; it != boxes.end() && it->y <= y; ++it) {
    const TokenBox& b = *it;
    if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h) return static_cast<int64_t>(it - boxes.begin());
  }
  return std::nullopt;
}

std::pair<size_t, size_t> visible_box_range(const std::vector<TokenBox>& boxes, float y0, float y1) {
  const auto first = std::lower_bound(boxes.begin(), boxes.end(), y0,
                                      [](const TokenBox& b, float v) { return b.y + b.h <= v; });
  const auto last = std::lower_bound(first, boxes.end(), y1, [](const TokenBox& b, float v) { return b.y < v; });
  return {static_cast<size_t>(first - boxes.begin()), static_cast<size_t>(last - boxes.begin())};
}

std::optional<int64_t> find_token(const std::vector<Token>& tokens, const std::string& query, int64_t after) {
  const std::optional<TokenSpan> span = find_token_span(tokens, query, after);
  return span ? std::optional<int64_t>(span->begin) : std::nullopt;
}

std::optional<TokenSpan> find_token_span(const std::vector<Token>& tokens, const std::string& query, int64_t after) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0 || query.empty()) return std::nullopt;
  auto digits = [](const std::string& t) {
    return !t.empty() && t.size() <= 12 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (query[0] == '#' && query.size() > 1) {
    const std::string rest = query.substr(1);
    const size_t dash = rest.find('-');
    const std::string a = rest.substr(0, dash), b = dash == std::string::npos ? a : rest.substr(dash + 1);
    if (digits(a) && digits(b)) {  // token numbers; anything else after '#' is searched as text
      const int64_t first = std::stoll(a), last = std::stoll(b);
      if (first > last || last >= n) return std::nullopt;
      return TokenSpan{first, last + 1};
    }
  }
  std::string text;
  std::vector<size_t> starts;  // where each token's text begins in `text`
  starts.reserve(tokens.size());
  for (const Token& t : tokens) {
    starts.push_back(text.size());
    text += t.text;
  }
  auto token_of = [&](size_t offset) {  // the token whose text holds byte `offset`
    return static_cast<int64_t>(std::upper_bound(starts.begin(), starts.end(), offset) - starts.begin()) - 1;
  };
  const size_t from = after + 1 < n ? starts[static_cast<size_t>(std::max<int64_t>(after + 1, 0))] : text.size();
  size_t at = text.find(query, from);
  if (at == std::string::npos) at = text.find(query);  // wrap around
  if (at == std::string::npos) return std::nullopt;
  return TokenSpan{token_of(at), token_of(at + query.size() - 1) + 1};
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

std::vector<LabelRun> label_runs(const std::string& label) {
  static const std::string kMarks[] = {"\xE2\x90\xA3", "\xE2\x86\xB5"};  // U+2423, U+21B5 (visible_token_text)
  std::vector<LabelRun> runs;
  size_t i = 0;
  while (i < label.size()) {
    bool mark = false;
    for (const std::string& m : kMarks) mark = mark || label.compare(i, m.size(), m) == 0;
    const size_t step = mark ? 3 : 1;
    if (runs.empty() || runs.back().mark != mark) runs.push_back({i, i, mark});
    i += step;
    runs.back().end = i;
  }
  return runs;
}

std::string vocabulary_note(const Token& token) {
  if (token.piece.empty() || token.piece == token.text) return "";
  return "vocabulary piece \"" + token.piece + "\"";
}

}  // namespace diffscope::ui
