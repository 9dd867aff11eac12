// Level of detail for pooled map views: where an overview cell lies in tokens, which window of a map (rows, keys,
// pool) a view should fetch for what it shows on screen, and the value under the cursor from a fetched window or the
// overview. Plain C++, no GL; any thread (pure functions of their inputs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "map_viewport.h"
#include "snapshot.h"

namespace diffscope::ui {

// Tokens [row_begin, row_end) x [col_begin, col_end) of a map (rows: queries, cols: keys).
struct TokenRect {
  int64_t row_begin = 0, row_end = 0;
  int64_t col_begin = 0, col_end = 0;
  bool empty() const { return row_end <= row_begin || col_end <= col_begin; }
  bool contains(const TokenRect& o) const {
    return o.row_begin >= row_begin && o.row_end <= row_end && o.col_begin >= col_begin && o.col_end <= col_end;
  }
  bool contains(int64_t row, int64_t col) const {
    return row >= row_begin && row < row_end && col >= col_begin && col < col_end;
  }
  bool operator==(const TokenRect& o) const {
    return row_begin == o.row_begin && row_end == o.row_end && col_begin == o.col_begin && col_end == o.col_end;
  }
};

// The tokens overview cell (cell_row, cell_col) covers, for cells of `cell` tokens a side over a T-token map: the last
// cell of a row or column is cut at T (it may hold fewer than `cell` tokens).
TokenRect overview_cell_tokens(int64_t cell_row, int64_t cell_col, int64_t cell, int64_t tokens);

// A window of a map at one pooling: what a view asks the worker for.
struct WindowPlan {
  TokenRect rect;
  int64_t pool = 1;  // tokens per cell side
  bool operator==(const WindowPlan& o) const { return rect == o.rect && pool == o.pool; }
};

// The window that shows the visible part `visible` (cells = tokens, may extend past the map) of a causal T x T map
// drawn into pixels_w x pixels_h screen pixels at about one cell per pixel: pool = max(1, ceil(visible tokens /
// pixels)) (the larger of the two axes), the visible rectangle clipped to the map and rounded outward to whole cells
// of `pool` tokens counted from token 0 (so a pan by less than a cell asks for the same window), and keys after the
// last visible query dropped (they are masked). Nothing when no token of the map is visible.
std::optional<WindowPlan> plan_window(const CellRect& visible, int64_t tokens, double pixels_w, double pixels_h);

// Whether a window already fetched (`have`) shows what `want` asks for at least as finely.
bool window_covers(const WindowPlan& have, const WindowPlan& want);

// A value of a map as shown: exact (pool 1) or the entry of largest |value| of pool x pool tokens (sign kept).
struct CellValue {
  float value = 0;
  int64_t pool = 1;
};

// The value at (row, col) of a window's cells (`cells`: ceil(rows / pool) x ceil(cols / pool), MapStore::window), or
// nothing outside it.
std::optional<CellValue> window_value(const Matrix& cells, const WindowPlan& window, int64_t row, int64_t col);

// The value at (row, col) of an overview Matrix whose cells are `cell` tokens a side, or nothing outside it.
std::optional<CellValue> overview_value(const Matrix& cells, int64_t cell, int64_t row, int64_t col);

// What a view says when data is pooled, both pools in tokens: "max |value| of NxN tokens per cell" when the data's own
// cells hold several tokens and the screen shows each of them (data_pool > 1, screen pool no coarser), else "max
// |value| of NxN tokens per pixel" when the screen pools more (screen_pool > 1); empty when every token has its own
// cell and pixel. `compact` ("max 512²/px", "max 8²/cell") for maps too small for the sentence.
std::string pooled_label(int64_t data_pool, int64_t screen_pool, bool compact = false);

}  // namespace diffscope::ui
