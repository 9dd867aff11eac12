// Token strip logic: wrapping token boxes into lines, the token under the mouse, a dragged span as token indices and
// prompt bytes, and how a token's text is shown. Plain logic, no GL. Main (UI) thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "snapshot.h"

namespace diffscope::ui {

struct TokenBox {
  float x = 0, y = 0, w = 0, h = 0;  // relative to the strip's top left
};

// Lays boxes of the given widths left to right, wrapping at `available_width`; a box wider than a line gets a line
// of its own. Lines are `line_height` apart, boxes `gap` apart.
std::vector<TokenBox> layout_tokens(const std::vector<float>& widths, float available_width, float line_height,
                                    float gap);

// Index of the box containing (x, y), if any. Boxes are in line order (as layout_tokens makes them): a binary search
// finds the line, so a 32K-token strip costs no more per frame than a short one.
std::optional<int64_t> token_at(const std::vector<TokenBox>& boxes, float x, float y);

// The boxes [first, last) that overlap the rows [y0, y1) of the strip (boxes in line order): the only ones a frame
// draws.
std::pair<size_t, size_t> visible_box_range(const std::vector<TokenBox>& boxes, float y0, float y1);

// The token a "find" query names: "#N" is token N (if it exists); any other text is searched in the tokens' texts
// joined (case-sensitive), and the first token overlapping a match that starts in a token after `after` is
// returned, wrapping around to the start (so repeated searches step through the matches). Nothing when no match.
std::optional<int64_t> find_token(const std::vector<Token>& tokens, const std::string& query, int64_t after = -1);

// The tokens a query names, for marking the span R by typing: "#N" is token N, "#A-B" tokens A..B (inclusive); text
// is found as find_token finds it and names every token its match overlaps. Nothing when the query names no tokens.
std::optional<TokenSpan> find_token_span(const std::vector<Token>& tokens, const std::string& query,
                                         int64_t after = -1);

// The span covered by a drag from token `a` to token `b` (either direction): [min, max + 1).
TokenSpan drag_span(int64_t a, int64_t b);

// Prompt byte range [begin, end) of a token span (what RunRequest::span_bytes carries).
std::pair<int64_t, int64_t> span_bytes(const std::vector<Token>& tokens, const TokenSpan& span);

// Token indices of the span given as prompt bytes (tokens overlapping [begin, end)); nothing when none overlap.
std::optional<TokenSpan> span_from_bytes(const std::vector<Token>& tokens, int64_t begin, int64_t end);

// A token's text as the strip shows it: spaces as U+2423 (open box) and line breaks as U+21B5 so they are visible;
// the engine's escaping of invalid UTF-8 (\xNN) is kept.
std::string visible_token_text(const std::string& text);

// A shown label cut into runs of text and runs of the marks visible_token_text puts for spaces and line breaks, which
// the strip draws dimmer than the text ("␣the" is a mark run, then "the"). Runs cover the label in order.
struct LabelRun {
  size_t begin = 0, end = 0;  // bytes of the label
  bool mark = false;
};
std::vector<LabelRun> label_runs(const std::string& label);

// What the strip's hover says of a token beside its decoded text: the vocabulary's own piece when it differs from the
// text (GPT-2 style "Ġthe" for " the", Metaspace "▁the", byte fallback "<0x0A>"), else "".
std::string vocabulary_note(const Token& token);

}  // namespace diffscope::ui
