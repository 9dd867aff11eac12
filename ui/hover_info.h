// What the hover tooltip says about one map cell: query and key tokens and the value of every map at that cell
// (A1, A2, lambda, D of the Diff head; the standard weight). Plain logic, no GL; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "lambda_summary.h"
#include "map_windows.h"
#include "snapshot.h"

namespace diffscope::ui {

// The value of map `kind` of (layer, head) at (row, col); nothing when the map was not captured or is out of range.
std::optional<float> map_value(const AttentionSnapshot& snapshot, MapKind kind, int layer, int head, int64_t row,
                               int64_t col);

// lambda of a Diff head for query row `row` (lambda is [heads, T]); nothing for a standard model.
std::optional<float> lambda_value(const AttentionSnapshot& snapshot, int layer, int head, int64_t row);

// The value of map `kind` of (layer, head) at (row, col) of a snapshot without dense maps: from `window` (cells and
// plan of a fetched window of that map) when it contains the cell, else from the layer's overview; nothing outside
// both. `pool` says how many tokens a side the value is the largest |value| of (1: exact).
std::optional<CellValue> pooled_map_value(const AttentionSnapshot& snapshot, MapKind kind, int layer, int head,
                                          int64_t row, int64_t col, const Matrix* window_cells = nullptr,
                                          const WindowPlan* window_plan = nullptr);

// Where hover values come from when a snapshot has no dense map (the views pass fetched windows, then the overview).
using PooledLookup = std::function<std::optional<CellValue>(const AttentionSnapshot& snapshot, MapKind kind, int layer,
                                                            int head, int64_t row, int64_t col)>;

struct HoverValues {
  int64_t row = 0;
  int64_t col = 0;
  bool masked = false;             // key after the query: the causal mask hides it
  // The sliding window of the hovered layer of each model (0: none) and whether the key lies before the query's
  // window there (key <= query - W): that model's values are then not attention weights of 0 but masked.
  int diff_layer = 0, standard_layer = 0;
  int64_t diff_window = 0, standard_window = 0;
  bool diff_outside_window = false, standard_outside_window = false;
  std::string query_token, key_token;
  std::optional<float> a1, a2, lambda, diff;  // Diff head (lambda: of query row `row`)
  bool lambda_per_row = false;               // the layer's lambda varies by row (Diff V2)
  std::optional<float> standard;              // standard head (or head mean)
  // Tokens a side each value is the largest |value| of (1: exact; > 1: from a pooled overview or window).
  int64_t a1_pool = 1, a2_pool = 1, diff_pool = 1, standard_pool = 1;
};

// Gathers the tooltip for cell (row, col). `diff` and `standard` may be null (slot without a snapshot); `diff_lambda` is
// diff's lambda summary (whether lambda varies by row; null: it does not); `standard_mean` is the standard value to
// show instead of one head's (head-mean comparison), when set. `windows` false: no sliding window masks the cell (a
// rollout mixes every layer, so no one layer's window applies).
HoverValues hover_values(const AttentionSnapshot* diff, const LambdaSummary* diff_lambda, int diff_layer, int diff_head,
                         const AttentionSnapshot* standard, int standard_layer, int standard_head, int64_t row,
                         int64_t col, std::optional<float> standard_mean = std::nullopt,
                         const PooledLookup& pooled = {}, bool windows = true);

// The hovered cell's values as text for the clipboard: "query R -> key C", then a "name<TAB>value" line per value
// (9 significant digits; pooled values add "<TAB>max |value| of NxN tokens"), "masked" for a masked cell, and
// "A<TAB>outside ..." / "B<TAB>outside ..." (outside_window_text) instead of a model's values outside its window.
std::string hover_values_text(const HoverValues& h);

// "outside layer 3's sliding window of 512 tokens".
std::string outside_window_text(int layer, int64_t window);

}  // namespace diffscope::ui
