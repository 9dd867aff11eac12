// The three map layouts: decomposition of one Diff head (A1 | lambda*A2 | D, and lambda by row for Diff V2),
// comparison of the Diff model's D with the standard model's map, and the grid of all layers x heads (click to
// focus). Hover tooltips, mirrored crosshair, focus for exports. Main (UI) thread.
#pragma once

#include "heatmap_widget.h"
#include "map_source.h"
#include "ui_state.h"
#include "window_fetcher.h"

namespace diffscope::ui {

// Draws the selected layout into the remaining content region of the current window/child. Views of snapshots without
// dense maps draw overviews and ask `fetcher` for windows of what they show.
void draw_map_layouts(UiState& state, UiActions& actions, MapCache& cache, HeatmapWidgets& widgets,
                      WindowFetcher& fetcher);

// The height the current layout can use at `width` (its maps are square): the app gives the rest to statistics.
float layout_preferred_height(const UiState& state, float width);

// The focused map's colour scale and colormap, as drawn (exports use the same).
ColorScale display_scale(const ColorScale& fitted_range, const DisplaySettings& display);

// Whether the decomposition shows the lambda strip: slot A's selected layer has a lambda that varies by row (Diff V2).
bool shows_lambda_strip(const UiState& state);

// The map the export buttons use when nothing was clicked: D (or the standard map) of the selected head.
FocusedMap default_focus(const UiState& state);

// The standard model's layer and head shown next to the selected Diff head (comparison pairing).
void comparison_pair(const UiState& state, int* standard_layer, int* standard_head);

}  // namespace diffscope::ui
