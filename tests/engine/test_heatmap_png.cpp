// Tests of engine/heatmap_png: pixels of a hand-made map, a PNG round trip through stb_image, errors. Main thread.
#include <catch2/catch.hpp>

#include "temp_dir.h"

#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <stb_image.h>  // the implementation is compiled into Debian's libstb

#include "colormap.h"
#include "errors.h"
#include "heatmap_png.h"

namespace fs = std::filesystem;
using diffscope::Colormap;
using diffscope::HeatmapImageOptions;
using diffscope::Matrix;
using Rgb = std::array<uint8_t, 3>;

namespace {


// A 3 x 3 softmax-like map; the upper triangle holds values that would be coloured if it were not masked.
Matrix hand_made_map() {
  Matrix m;
  m.rows = 3;
  m.cols = 3;
  m.values = {1.0f, 0.9f, 0.9f,
              0.5f, 0.5f, 0.9f,
              0.0f, 0.25f, 0.75f};
  return m;
}

HeatmapImageOptions options_for(Colormap colormap, int cell_pixels) {
  HeatmapImageOptions options;
  options.colormap = colormap;
  options.scale.vmin = 0.0f;
  options.scale.vmax = 1.0f;
  options.cell_pixels = cell_pixels;
  return options;
}

Rgb pixel(const std::vector<uint8_t>& rgb, int width, int x, int y) {
  const size_t at = (static_cast<size_t>(y) * width + x) * 3;
  return {rgb[at], rgb[at + 1], rgb[at + 2]};
}

}  // namespace

TEST_CASE("a 3x3 map written with 2-pixel cells reads back as 6x6 with grey mask and exact colours", "[heatmap]") {
  TempDir dir("heatmap");
  const std::string path = dir.file("map.png");
  const HeatmapImageOptions options = options_for(Colormap::Viridis, 2);
  diffscope::write_heatmap_png(path, hand_made_map(), options);

  int width = 0, height = 0, channels = 0;
  stbi_uc* loaded = stbi_load(path.c_str(), &width, &height, &channels, 3);
  REQUIRE(loaded != nullptr);
  const std::vector<uint8_t> pixels(loaded, loaded + static_cast<size_t>(width) * height * 3);
  stbi_image_free(loaded);
  REQUIRE(width == 6);
  REQUIRE(height == 6);
  CHECK(channels == 3);

  const Rgb grey = {128, 128, 128};
  const Rgb first = diffscope::colormap_sample(Colormap::Viridis, 0.0f);
  const Rgb last = diffscope::colormap_sample(Colormap::Viridis, 1.0f);
  const Rgb middle = diffscope::colormap_sample(Colormap::Viridis, 0.5f);
  // Every pixel of a cell (i, j) is the cell's colour: rows are y, columns x.
  for (int y = 0; y < 6; ++y) {
    for (int x = 0; x < 6; ++x) {
      const int i = y / 2, j = x / 2;
      INFO("pixel (" << x << ", " << y << "), cell (" << i << ", " << j << ")");
      if (j > i) CHECK(pixel(pixels, width, x, y) == grey);
      if (i == 0 && j == 0) CHECK(pixel(pixels, width, x, y) == last);    // value vmax
      if (i == 1 && j <= 1) CHECK(pixel(pixels, width, x, y) == middle);  // value 0.5
      if (i == 2 && j == 0) CHECK(pixel(pixels, width, x, y) == first);   // value vmin
    }
  }
  CHECK(pixel(pixels, width, 5, 5) == diffscope::colormap_sample(Colormap::Viridis, 0.75f));
}

TEST_CASE("without shading the upper triangle is coloured, and non-square maps are allowed", "[heatmap]") {
  HeatmapImageOptions options = options_for(Colormap::Magma, 1);
  options.shade_masked = false;
  int width = 0, height = 0;
  const std::vector<uint8_t> square = diffscope::render_heatmap_rgb(hand_made_map(), options, &width, &height);
  CHECK(pixel(square, width, 2, 0) == diffscope::colormap_sample(Colormap::Magma, 0.9f));

  Matrix wide;
  wide.rows = 1;
  wide.cols = 4;
  wide.values = {0.0f, 1.0f, 0.0f, 1.0f};
  const std::vector<uint8_t> strip = diffscope::render_heatmap_rgb(wide, options, &width, &height);
  CHECK(width == 4);
  CHECK(height == 1);
  CHECK(pixel(strip, width, 3, 0) == diffscope::colormap_sample(Colormap::Magma, 1.0f));
}

TEST_CASE("writing into a folder that does not exist throws FileError naming the path", "[heatmap]") {
  TempDir dir("heatmap");
  const std::string path = dir.file("no-such-folder/map.png");
  try {
    diffscope::write_heatmap_png(path, hand_made_map(), options_for(Colormap::Viridis, 1));
    FAIL("no FileError");
  } catch (const diffscope::FileError& error) {
    const std::string message = error.what();
    CHECK(message.rfind("cannot write " + path + ": ", 0) == 0);
    CHECK(message.find("does not exist") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("bad maps and sizes throw InputError", "[heatmap]") {
  int width = 0, height = 0;
  const HeatmapImageOptions options = options_for(Colormap::Viridis, 1);
  CHECK_THROWS_AS(diffscope::render_heatmap_rgb(Matrix{}, options, &width, &height), diffscope::InputError);

  Matrix wide;
  wide.rows = 2;
  wide.cols = 3;
  wide.values.assign(6, 0.5f);
  CHECK_THROWS_AS(diffscope::render_heatmap_rgb(wide, options, &width, &height), diffscope::InputError);

  HeatmapImageOptions zero_cells = options;
  zero_cells.cell_pixels = 0;
  CHECK_THROWS_AS(diffscope::render_heatmap_rgb(hand_made_map(), zero_cells, &width, &height), diffscope::InputError);

  HeatmapImageOptions huge = options;
  huge.cell_pixels = 6000;  // 3 * 6000 = 18000 px per side
  CHECK_THROWS_WITH(diffscope::render_heatmap_rgb(hand_made_map(), huge, &width, &height),
                    Catch::Contains("lower the scale"));
}

TEST_CASE("cells outside a sliding window are grey; a window of the map, pooled, greys the cells no query of sees",
          "[heatmap]") {
  // Whole 6 x 6 map, window 2: query i sees keys i - 1 and i (HF's band i - 2 < j <= i).
  Matrix whole{6, 6, std::vector<float>(36, 0.5f)};
  HeatmapImageOptions options = options_for(Colormap::Viridis, 1);
  options.mask.window = 2;
  int w = 0, h = 0;
  std::vector<uint8_t> rgb = diffscope::render_heatmap_rgb(whole, options, &w, &h);
  const Rgb grey{diffscope::kMaskedGrey, diffscope::kMaskedGrey, diffscope::kMaskedGrey};
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) {
      INFO("query " << i << " key " << j);
      CHECK((pixel(rgb, w, j, i) == grey) == !(j <= i && j > i - 2));
    }

  // A 3 x 3 window of a 20-token map at queries 10..18, keys 4..12, 3 tokens a cell, window 5, last rows clipped at 17:
  // a cell is grey exactly when no (query, key) pair of it is in the band, by trying every pair.
  Matrix cells{3, 3, std::vector<float>(9, 0.5f)};
  options.mask = diffscope::CellMask{10, 4, 3, 17, 13, 5};
  rgb = diffscope::render_heatmap_rgb(cells, options, &w, &h);
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      bool seen = false;
      for (int i = 10 + 3 * a; i < std::min(10 + 3 * a + 3, 17); ++i)
        for (int j = 4 + 3 * b; j < std::min(4 + 3 * b + 3, 13); ++j) seen = seen || (j <= i && j > i - 5);
      INFO("cell " << a << ", " << b);
      CHECK((pixel(rgb, w, b, a) == grey) == !seen);
    }
  // The same window without a sliding window: only cells wholly after their queries (none here: keys 4..12 all come
  // before some query of every row of cells) are grey, and a non-square window may be shaded.
  options.mask.window = 0;
  Matrix wide{2, 3, std::vector<float>(6, 0.5f)};
  options.mask = diffscope::CellMask{10, 4, 3, 16, 13, 0};
  rgb = diffscope::render_heatmap_rgb(wide, options, &w, &h);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b) CHECK(pixel(rgb, w, b, a) != grey);
}
