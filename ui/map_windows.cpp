// Level of detail for pooled map views (overview placement, window plans, pooled hover values). Any thread.
#include "map_windows.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace diffscope::ui {

TokenRect overview_cell_tokens(int64_t cell_row, int64_t cell_col, int64_t cell, int64_t tokens) {
  TokenRect r;
  r.row_begin = std::min(tokens, cell_row * cell);
  r.row_end = std::min(tokens, (cell_row + 1) * cell);
  r.col_begin = std::min(tokens, cell_col * cell);
  r.col_end = std::min(tokens, (cell_col + 1) * cell);
  return r;
}

// [lo, hi) clipped to [0, tokens) and rounded outward to multiples of `pool` (the end at most `tokens`).
static void clip_axis(double lo, double hi, int64_t tokens, int64_t pool, int64_t* begin, int64_t* end) {
  const int64_t b = std::clamp<int64_t>(static_cast<int64_t>(std::floor(lo)), 0, tokens);
  const int64_t e = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(hi)), 0, tokens);
  *begin = b / pool * pool;
  *end = std::min(tokens, (e + pool - 1) / pool * pool);
}

std::optional<WindowPlan> plan_window(const CellRect& visible, int64_t tokens, double pixels_w, double pixels_h) {
  if (tokens <= 0 || pixels_w < 1 || pixels_h < 1) return std::nullopt;
  const double cols = std::min(visible.x1, static_cast<double>(tokens)) - std::max(visible.x0, 0.0);
  const double rows = std::min(visible.y1, static_cast<double>(tokens)) - std::max(visible.y0, 0.0);
  if (!(cols > 0) || !(rows > 0)) return std::nullopt;
  // Tokens per pixel along each axis of the whole visible rectangle (the widget keeps cells square, so both agree
  // unless the map ends inside the widget); the coarser one decides.
  const double per_pixel = std::max((visible.x1 - visible.x0) / pixels_w, (visible.y1 - visible.y0) / pixels_h);
  WindowPlan plan;
  plan.pool = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(per_pixel - 1e-9)));
  clip_axis(visible.y0, visible.y1, tokens, plan.pool, &plan.rect.row_begin, &plan.rect.row_end);
  clip_axis(visible.x0, visible.x1, tokens, plan.pool, &plan.rect.col_begin, &plan.rect.col_end);
  // Keys after the last visible query are masked for every visible row: nothing to fetch there.
  plan.rect.col_end = std::min(plan.rect.col_end, plan.rect.row_end);
  if (plan.rect.empty()) return std::nullopt;
  return plan;
}

bool window_covers(const WindowPlan& have, const WindowPlan& want) {
  return have.pool <= want.pool && have.rect.contains(want.rect);
}

std::optional<CellValue> window_value(const Matrix& cells, const WindowPlan& window, int64_t row, int64_t col) {
  if (!window.rect.contains(row, col) || window.pool < 1) return std::nullopt;
  const int64_t r = (row - window.rect.row_begin) / window.pool, c = (col - window.rect.col_begin) / window.pool;
  if (r >= cells.rows || c >= cells.cols) return std::nullopt;
  return CellValue{cells.at(r, c), window.pool};
}

std::optional<CellValue> overview_value(const Matrix& cells, int64_t cell, int64_t row, int64_t col) {
  if (cell < 1 || row < 0 || col < 0) return std::nullopt;
  const int64_t r = row / cell, c = col / cell;
  if (r >= cells.rows || c >= cells.cols) return std::nullopt;
  return CellValue{cells.at(r, c), cell};
}

std::string pooled_label(int64_t data_pool, int64_t screen_pool, bool compact) {
  // screen_pool counts tokens (the texture's cell times its mipmap level's factor), as data_pool does.
  const int64_t n = data_pool > 1 && screen_pool <= data_pool ? data_pool : screen_pool;
  if (n <= 1) return "";
  const char* per = data_pool > 1 && screen_pool <= data_pool ? "cell" : "pixel";
  char note[96];
  if (compact) {
    std::snprintf(note, sizeof note, "max %lld\xc2\xb2/%s", static_cast<long long>(n), data_pool > 1 && screen_pool <= data_pool ? "cell" : "px");
  } else {
    std::snprintf(note, sizeof note, "max |value| of %lldx%lld tokens per %s", static_cast<long long>(n),
                  static_cast<long long>(n), per);
  }
  return note;
}

}  // namespace diffscope::ui
