// Which layer/head/layout is selected, keyboard navigation, how Diff heads are paired with standard heads, and the grid
// of thumbnails' hit test: plain logic, no GL. Main (UI) thread.
#pragma once

#include <optional>
#include <string>

namespace diffscope::ui {

enum class Layout { Decomposition, Comparison, Grid };
const char* layout_name(Layout layout);  // "decomposition", "comparison", "grid"
std::optional<Layout> parse_layout(const std::string& name);

struct Selection {
  int layer = 0;
  int head = 0;
  bool operator==(const Selection& o) const { return layer == o.layer && head == o.head; }
};

enum class NavKey { Left, Right, Up, Down, PageUp, PageDown, Home, End };

// Left/Right: previous/next head; Up/Down: previous/next layer (the grid's rows are layers); PageUp/PageDown: a quarter
// of the layers at once (at least one); Home/End: first/last layer. Clamped to the model, never wraps.
Selection navigate(Selection s, NavKey key, int num_layers, int num_heads);

// The selection clamped into a model with num_layers x num_heads (0 when the model has none).
Selection clamp_selection(Selection s, int num_layers, int num_heads);

// The standard model's layer shown next to Diff layer `diff_layer`: the same index when both models have the same depth,
// else the layer at the same relative depth (first to first, last to last, rounded in between).
int paired_layer(int diff_layer, int diff_layers, int standard_layers);

// The standard head shown next to Diff head `diff_head` when the comparison follows the Diff selection: as layers pair,
// the same index when both models have as many heads, else the head at the same relative position (first to first,
// last to last, rounded in between: 4 Diff heads face standard heads 0, 2, 5, 7 of 8, and 8 Diff heads face 0, 1, 1,
// 2, 2, 3, 3, 4 of 5). Every head of the model with fewer heads is paired, none twice with the larger. Separately
// trained models have no head correspondence, so this is a convention the UI states; the head mean needs none.
int paired_head(int diff_head, int diff_heads, int standard_heads);

// How heads and layers pair for models of these shapes, for the comparison's pairing line and help: "same index" when
// both counts are equal, e.g. "heads 4 -> 8 and layers 6 -> 12 by relative position" otherwise.
std::string pairing_rule(int diff_layers, int diff_heads, int standard_layers, int standard_heads);

// The comparison's pairing explained (its help marker and the help window).
const char* pairing_help();

// Thumbnail grid geometry: one row per layer, one column per head, each cell `thumb` pixels with `gap` between them,
// starting at (0, 0) of the grid area.
struct GridGeometry {
  int layers = 0;
  int heads = 0;
  float thumb = 64;
  float gap = 4;
};
// The (layer, head) under a point relative to the grid's top left; nothing in gaps or outside.
std::optional<Selection> grid_cell_at(const GridGeometry& g, float x, float y);

}  // namespace diffscope::ui
