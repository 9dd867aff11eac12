// What a labelled figure may state besides the map (the figure options of the export panel): lambda of the head, the
// span R in the figure's cells and a short, escaped excerpt of the prompt. Plain functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "snapshot.h"

namespace diffscope::ui {

// "λ = 0.812" for a head whose lambda is one value (Diff V1, or a V2 head that happens to be flat), "λ = 0.71 (mean
// over rows, 0.52..0.93)" when it varies by query row (Diff V2); head < 0 (the mean of heads): over every head of the
// layer. Nothing for a model without lambda or a layer/head outside the snapshot.
std::optional<std::string> lambda_caption(const AttentionSnapshot& snapshot, int layer, int head);

// The span R [begin, end) in token indices as cells of a figure that shows tokens [window_begin, window_end) pooled
// `pool` tokens a cell: the cells it touches, clipped to the window; nothing when it lies outside.
std::optional<TokenSpan> span_in_cells(TokenSpan span, int64_t window_begin, int64_t window_end, int64_t pool);

// At most `max_chars` characters of `prompt` for a caption: around the span R (bytes [begin, end), marked «...») when
// there is one, else from the start; "…" where text was left out. Characters the figure's font cannot show or that
// are invisible are escaped: line break ↵, TAB ⇥, other controls and bytes that are not UTF-8 as \xNN, characters
// above U+FFFF and bidi controls as U+XXXX.
constexpr size_t kExcerptChars = 90;
std::string prompt_excerpt(const std::string& prompt, std::optional<std::pair<int64_t, int64_t>> span_bytes,
                           size_t max_chars = kExcerptChars);

}  // namespace diffscope::ui
