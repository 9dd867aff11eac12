// Writes one attention map of any length as a PNG without holding it: the map's rows come from a MapStore in bands
// and go through libpng row by row, so a 32K x 32K map at one pixel per token needs memory for one band, not 4 GiB.
// The CLI's --png and the app's exports of long prompts use it. Plain C++: any thread (MapStore::window is
// thread-safe); one call writes one file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "heatmap_png.h"
#include "snapshot.h"

namespace diffscope {

// Whether this build can stream PNGs (libpng was found); when not, stream_map_png throws InputError saying so.
bool can_stream_map_png();

struct MapPngOptions {
  Colormap colormap = Colormap::Viridis;  // RdBu (diverging) is the usual choice for D
  bool signed_map = false;                // D: a scale symmetric around 0
  bool hide_sink = false;                 // leave the cells that hold key 0 out of the colour scale (as auto_scale)
  ColorScale::Mode scale_mode = ColorScale::Mode::Linear;
  float gamma = 0.5f;                     // Gamma mode
  // Applied to the fitted scale before drawing (the app passes its display settings: mode, gamma, log floor).
  std::function<ColorScale(const ColorScale&)> adjust_scale;
  int cell_pixels = 1;                    // pixels per cell side
  bool shade_masked = true;               // cells whose tokens are all masked (every key after every query, or
                                          // outside `window`): grey, and left out of the colour scale
  int64_t window = 0;                     // the layer's sliding window W (0: none; block_masked in snapshot.h)
  int64_t band_cells = int64_t{1} << 24;  // cells fetched per window (memory per band: 4 bytes each)
};

// Writes `window` (its rows x keys, pooled by window.pool as MapStore::window pools: the entry of largest |value|
// with its sign) of `store` to `path`. Two passes over the bands: the colour scale of the whole window first, then
// the pixels. `progress(fraction)` (may be empty) is called after each band and stops the export when it returns
// false; a stopped or failed export removes its partial file. Throws InputError (bad window, an image side over
// 2^30 pixels), ResourceError (from the store), FileError (cannot write; the message says why).
// Returns false when stopped.
bool stream_map_png(const MapStore& store, const MapWindow& window, const std::string& path,
                    const MapPngOptions& options, const std::function<bool(double)>& progress = {});

}  // namespace diffscope
