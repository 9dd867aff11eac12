// Export buttons: the focused map as a PNG (one pixel per cell) or as a labelled figure, the window as a PNG, every
// map of the current run to a folder, statistics as JSON/CSV. Failures are shown in the panel, never fatal. Main (UI)
// thread.
#pragma once

#include <string>

#include "map_png_job.h"
#include "ui_state.h"

namespace diffscope::ui {

void draw_export_panel(UiState& state, UiActions& actions);

// The individual exports (also used by the app's command line). Each returns false with *message on failure and
// true with a "wrote ..." message naming what it wrote on success. They refuse (export_refusal, slot_results.h) while
// the results shown are not all the current prompt's. The map and figure PNGs are written to `path`; the folder of
// all maps and the statistics files get names no earlier export has (unique_path.h: _2, _3, ...), as do the panel's
// map, figure and window PNGs.
// A long prompt's map (no dense map in the result, only the run's store) is streamed from the store band by band:
// on `background` (its thread; the call returns at once with "exporting ...") or, without one, before returning.
bool export_map_png(const UiState& state, const FocusedMap& focus, const std::string& path, std::string* message,
                    MapPngJob* background = nullptr);
// A long prompt's figure shows the part of the focused map the view shows (zoom in to choose it): tokens on the
// axes at up to kFigureMaxCells cells a side, else pooled cells labelled by their first token's index; computed from
// the run's store on `background` (or before returning, without one).
constexpr int64_t kFigureMaxCells = 400;
bool export_figure_png(const UiState& state, const FocusedMap& focus, const std::string& path, int cell_pixels,
                       std::string* message, MapPngJob* background = nullptr);
// All maps: every map of both slots as PNGs (plus maps.safetensors of the dense ones). A long prompt's maps are
// streamed from its store at most kAllMapsSide pixels a side (each pixel the max |value| of its tokens, sign kept),
// on `background` or before returning; their safetensors would be T x T per map and are not written (the message
// says how to get windows of them).
constexpr int64_t kAllMapsSide = 1024;
bool export_all_maps(const UiState& state, const std::string& dir, std::string* message,
                     MapPngJob* background = nullptr);
bool export_stats(const UiState& state, const std::string& dir, bool json, std::string* message);

}  // namespace diffscope::ui
