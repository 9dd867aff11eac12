// The decomposition's lambda strip (Diff V2): lambda[h][t] of the selected head as one bar per query row, beside the
// maps and lined up with their rows under zoom and pan, with a tooltip per row. Main (UI) thread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <imgui.h>

#include "heatmap_widget.h"
#include "lambda_rows.h"
#include "snapshot.h"

namespace diffscope::ui {

// Width the strip takes beside the maps (its title included).
float lambda_strip_width();

// Draws the strip at the cursor: a title line, then a plot whose rows match `rows_of` (a map placed this frame in the
// same layout, so the strip's top and bottom are the map's). `lambda` is [T] and `range` its min / mean / max (made once
// per snapshot: lambda_summary.h); `highlight` marks a row hovered in a map. Returns the query row under the mouse in
// the strip, if any.
std::optional<int64_t> draw_lambda_strip(const std::vector<float>& lambda, const ValueRange& range,
                                         const std::vector<Token>& tokens,
                                         const MapPlacement& rows_of, std::optional<int64_t> highlight);

// Colour of the strip's bars (the statistics panel's colour for model A).
constexpr ImU32 kLambdaBarColor = IM_COL32(255, 150, 40, 255);

}  // namespace diffscope::ui
