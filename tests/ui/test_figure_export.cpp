// The labelled figure: heatmap cells carry the colormap's colours at the scale asked for, labels and colorbar fit,
// errors are reported. Needs the DejaVu font (fonts-dejavu-core). Test thread.
#include <catch2/catch.hpp>

#include <filesystem>

#include "figure_export.h"

using namespace diffscope;
using namespace diffscope::ui;

static const char* kFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

TEST_CASE("figure draws the map at the chosen cell size among labels") {
  const Matrix m{3, 3, {1.0f, 0, 0, 0.5f, 0.5f, 0, 0.2f, 0.3f, 0.5f}};
  FigureSpec spec;
  spec.map = &m;
  spec.colormap = Colormap::Viridis;
  spec.scale.vmin = 0;
  spec.scale.vmax = 1;
  spec.cell_pixels = 20;
  spec.title = "test layer 0 head 0";
  spec.row_labels = {"a", "b", "c"};
  spec.col_labels = {"a", "b", "c"};
  spec.font_path = kFont;
  int w = 0, h = 0;
  std::string error;
  const auto rgb = render_figure_rgb(spec, &w, &h, &error);
  INFO(error);
  REQUIRE_FALSE(rgb.empty());
  CHECK(w > 60);
  CHECK(h > 60);
  // Find the cell whose colour is viridis(1.0) (query 0, key 0) and count such pixels: one 20 x 20 cell, plus the
  // colorbar's top rows, which also reach t = 1.
  const auto top = colormap_sample(Colormap::Viridis, 1.0f);
  int count = 0;
  for (int i = 0; i < w * h; ++i) {
    if (rgb[i * 3] == top[0] && rgb[i * 3 + 1] == top[1] && rgb[i * 3 + 2] == top[2]) ++count;
  }
  CHECK(count >= 400);
  CHECK(count < 400 + 18 * 4);
  // Text was drawn: some dark pixels outside the map.
  int dark = 0;
  for (int i = 0; i < w * h; ++i) dark += rgb[i * 3] < 60 && rgb[i * 3 + 1] < 60 && rgb[i * 3 + 2] < 60;
  CHECK(dark > 50);
}

TEST_CASE("figure errors are reported, not thrown") {
  const Matrix m{1, 1, {1.0f}};
  FigureSpec spec;
  spec.map = &m;
  spec.font_path = "/nonexistent/font.ttf";
  int w = 0, h = 0;
  std::string error;
  CHECK(render_figure_rgb(spec, &w, &h, &error).empty());
  CHECK(error.find("font") != std::string::npos);
  spec.font_path = kFont;
  CHECK_FALSE(write_figure_png("/nonexistent-folder/x.png", spec, &error));
  CHECK(error.find("/nonexistent-folder/x.png") != std::string::npos);
  spec.map = nullptr;
  CHECK(render_figure_rgb(spec, &w, &h, &error).empty());
}

TEST_CASE("label stride thins labels when cells are smaller than the text") {
  CHECK(label_stride(20, 13) == 1);
  CHECK(label_stride(1, 13) == 15);
  CHECK(label_stride(4, 13) == 4);
}
