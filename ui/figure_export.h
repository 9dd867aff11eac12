// A labelled figure of one attention map (title, query tokens down the left, key tokens along the bottom, colorbar)
// rendered on the CPU with stb_truetype, so the app and scripts make the same PNG without a GL context. Any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "colormap.h"
#include "heatmap_png.h"
#include "snapshot.h"

namespace diffscope::ui {

struct FigureSpec {
  const Matrix* map = nullptr;
  Colormap colormap = Colormap::Viridis;
  ColorScale scale;
  int cell_pixels = 8;                  // pixels per map cell
  std::string title;                    // e.g. "demo-diff  layer 2  head 1  D = A1 - lambda A2"; empty: none
  std::vector<std::string> row_labels;  // query tokens (display text), one per row
  std::vector<std::string> col_labels;  // key tokens, one per column
  std::string font_path;                // a TrueType font (DejaVu Sans)
  float font_pixels = 13;               // label text height
  // The span R in the map's cells: rows (queries) and columns (keys) it covers, marked by bars along both axes, its
  // labels in the bars' colour and an outline of its key columns.
  std::optional<TokenSpan> span_rows, span_cols;
  std::vector<std::string> notes;       // lines under the figure (lambda, the span, a prompt excerpt), UTF-8
  // Where the map's cells lie in the whole map (a long prompt's window, pooled) and the layer's sliding window: the
  // cells no query of them sees are drawn masked (grey, as the causal triangle).
  CellMask mask;
};

// The colour the span R is drawn in (orange: apart from viridis, magma and the diverging map's blue and red ends).
constexpr std::array<uint8_t, 3> kFigureSpanColor{235, 120, 20};

// RGB bytes of the figure, *width x *height. Returns an empty vector with *error when the font cannot be read, the
// map is empty or the figure would exceed 16384 pixels a side.
std::vector<uint8_t> render_figure_rgb(const FigureSpec& spec, int* width, int* height, std::string* error);

// render_figure_rgb, then a PNG at `path`; false with *error when rendering or writing fails.
bool write_figure_png(const std::string& path, const FigureSpec& spec, std::string* error);

// The largest label count that fits: every `stride`-th label is drawn when cells are smaller than the text.
int64_t label_stride(int cell_pixels, float font_pixels);

}  // namespace diffscope::ui
