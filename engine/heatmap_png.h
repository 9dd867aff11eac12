// Renders an attention map [T, T] to RGB pixels and writes it as a PNG (CLI --png). Plain C++, no state: any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "colormap.h"
#include "snapshot.h"

namespace diffscope {

constexpr int kMaxHeatmapSide = 16384;  // pixels per side; larger images are refused

struct HeatmapImageOptions {
  Colormap colormap = Colormap::Viridis;
  ColorScale scale;                // usually auto_scale(map, ...), with the mode the user picked
  int cell_pixels = 1;             // each map entry becomes a cell_pixels x cell_pixels square (nearest, crisp)
  bool shade_masked = true;        // paint the causal mask (key j > query i) mid grey instead of colouring it
};

// The colour of masked cells when shade_masked.
constexpr uint8_t kMaskedGrey = 128;

// Row-major RGB bytes, 3 per pixel, query i along y (row 0 at the top), key j along x.
// *width = cols * cell_pixels, *height = rows * cell_pixels.
// Throws InputError for an empty or malformed map, a non-square map with shade_masked, cell_pixels < 1, or an image
// wider or taller than kMaxHeatmapSide.
std::vector<uint8_t> render_heatmap_rgb(const Matrix& map, const HeatmapImageOptions& options, int* width,
                                        int* height);

// render_heatmap_rgb, then writes it to `path` as an 8-bit RGB PNG. Throws InputError as above, and FileError
// ("cannot write <path>: ...") when the folder is missing or not writable or the write fails.
void write_heatmap_png(const std::string& path, const Matrix& map, const HeatmapImageOptions& options);

}  // namespace diffscope
