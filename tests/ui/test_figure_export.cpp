// The labelled figure: heatmap cells carry the colormap's colours at the scale asked for, labels and colorbar fit,
// errors are reported. Needs the DejaVu font (fonts-dejavu-core). Test thread.
#include <catch2/catch.hpp>

#include <array>
#include <filesystem>
#include <vector>

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

namespace {

int count_color(const std::vector<uint8_t>& rgb, int w, int h, std::array<uint8_t, 3> c, int x0 = 0, int y0 = 0,
                int x1 = -1, int y1 = -1) {
  if (x1 < 0) x1 = w;
  if (y1 < 0) y1 = h;
  int n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      const size_t i = static_cast<size_t>((y * w + x) * 3);
      n += rgb[i] == c[0] && rgb[i + 1] == c[1] && rgb[i + 2] == c[2];
    }
  return n;
}

}  // namespace

TEST_CASE("figure options: the span R in orange on both axes, notes under the figure, no title when asked") {
  const Matrix m{4, 4, std::vector<float>(16, 0.25f)};
  FigureSpec spec;
  spec.map = &m;
  spec.scale.vmin = 0;
  spec.scale.vmax = 1;
  spec.cell_pixels = 20;
  spec.title = "title";
  spec.row_labels = spec.col_labels = {"a", "b", "c", "d"};
  spec.font_path = kFont;
  int w = 0, h = 0;
  std::string error;
  const auto plain = render_figure_rgb(spec, &w, &h, &error);
  REQUIRE_FALSE(plain.empty());
  CHECK(count_color(plain, w, h, kFigureSpanColor) == 0);
  const int plain_w = w, plain_h = h;

  spec.span_rows = TokenSpan{1, 3};
  spec.span_cols = TokenSpan{1, 3};
  const auto marked = render_figure_rgb(spec, &w, &h, &error);
  REQUIRE_FALSE(marked.empty());
  CHECK((w == plain_w && h == plain_h));
  // Bars of 2 cells (40 px) on both axes, the key columns' outline (two sides of the map's height and the top) and
  // the span's labels: well over 100 orange pixels.
  CHECK(count_color(marked, w, h, kFigureSpanColor) > 200);

  spec.notes = {"\xCE\xBB = 0.8", "prompt: a \xC2\xAB" "b c\xC2\xBB d"};
  const auto noted = render_figure_rgb(spec, &w, &h, &error);
  REQUIRE_FALSE(noted.empty());
  const int noted_h = h;
  CHECK(h > plain_h + 2 * 13);  // two more lines of text
  // Text in the added rows at the bottom.
  int dark = 0;
  for (int y = plain_h - 14; y < h; ++y)
    for (int x = 0; x < w; ++x) dark += noted[static_cast<size_t>((y * w + x) * 3)] < 100;
  CHECK(dark > 30);

  spec.title.clear();
  const auto untitled = render_figure_rgb(spec, &w, &h, &error);
  REQUIRE_FALSE(untitled.empty());
  CHECK(h < noted_h - 15);  // the title's line is gone
}
