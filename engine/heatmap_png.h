// Renders an attention map [T, T] to RGB pixels and writes it as a PNG (CLI --png). Plain C++, no state: any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "colormap.h"
#include "snapshot.h"

namespace diffscope {

constexpr int kMaxHeatmapSide = 16384;  // pixels per side; larger images are refused

// Which cells of an image of a map are masked: where they lie in the whole T x T map, and the layer's sliding window.
// Cell (i, j) covers queries row_begin + i pool .. + pool - 1 and keys col_begin + j pool .. (clipped to row_end and
// col_end when they are > 0); it is masked when no query of it sees a key of it (block_masked in snapshot.h).
struct CellMask {
  int64_t row_begin = 0, col_begin = 0;
  int64_t pool = 1;
  int64_t row_end = 0, col_end = 0;
  int64_t window = 0;  // ModelInfo::layer_windows of the map's layer (0: none; a rollout: 0)
  bool whole() const { return row_begin == 0 && col_begin == 0 && pool == 1; }  // cells are the map's own tokens
  bool masked(int64_t i, int64_t j) const;
};

struct HeatmapImageOptions {
  Colormap colormap = Colormap::Viridis;
  ColorScale scale;                // usually auto_scale(map, ...), with the mode the user picked
  int cell_pixels = 1;             // each map entry becomes a cell_pixels x cell_pixels square (nearest, crisp)
  bool shade_masked = true;        // paint masked cells (key j > query i; outside mask.window) mid grey
  CellMask mask;                   // where the cells lie and the layer's sliding window
};

// The colour of masked cells when shade_masked.
constexpr uint8_t kMaskedGrey = 128;

// Row-major RGB bytes, 3 per pixel, query i along y (row 0 at the top), key j along x.
// *width = cols * cell_pixels, *height = rows * cell_pixels.
// Throws InputError for an empty or malformed map, a non-square whole map (mask.whole()) with shade_masked,
// cell_pixels < 1, or an image
// wider or taller than kMaxHeatmapSide.
std::vector<uint8_t> render_heatmap_rgb(const Matrix& map, const HeatmapImageOptions& options, int* width,
                                        int* height);

// render_heatmap_rgb, then writes it to `path` as an 8-bit RGB PNG. Throws InputError as above, and FileError
// ("cannot write <path>: ...") when the folder is missing or not writable or the write fails.
void write_heatmap_png(const std::string& path, const Matrix& map, const HeatmapImageOptions& options);

}  // namespace diffscope
