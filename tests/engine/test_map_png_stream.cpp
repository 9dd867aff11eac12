// The band-by-band PNG export of one map (engine/map_png_stream.h): against the whole-image renderer on a dense map,
// a hand-derived pooled case, stopping, and bad input. Test thread.
#include <catch2/catch.hpp>

#include <stb_image.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "colormap.h"
#include "errors.h"
#include "heatmap_png.h"
#include "map_png_stream.h"
#include "temp_dir.h"

using namespace diffscope;

namespace {

// A store over one dense map: windows cut and pooled by the entry of largest |value| with its sign (the engine's rule),
// written here as a plain loop; counts its calls.
class DenseStore : public MapStore {
 public:
  explicit DenseStore(Matrix map) : map_(std::move(map)) {}
  Matrix window(const MapWindow& w) const override {
    ++calls;
    const int64_t r1 = w.row_end < 0 ? map_.rows : w.row_end, c1 = w.col_end < 0 ? map_.cols : w.col_end;
    if (w.row_begin < 0 || r1 > map_.rows || w.row_begin >= r1 || w.col_begin < 0 || c1 > map_.cols ||
        w.col_begin >= c1 || w.pool < 1) {
      throw std::invalid_argument("window outside the map");
    }
    Matrix out;
    out.rows = (r1 - w.row_begin + w.pool - 1) / w.pool;
    out.cols = (c1 - w.col_begin + w.pool - 1) / w.pool;
    out.values.assign(static_cast<size_t>(out.rows * out.cols), 0.0f);
    for (int64_t a = 0; a < out.rows; ++a) {
      for (int64_t b = 0; b < out.cols; ++b) {
        float best = 0;
        for (int64_t r = w.row_begin + a * w.pool; r < std::min(w.row_begin + (a + 1) * w.pool, r1); ++r) {
          for (int64_t c = w.col_begin + b * w.pool; c < std::min(w.col_begin + (b + 1) * w.pool, c1); ++c) {
            const float v = map_.at(r, c);
            if (std::fabs(v) > std::fabs(best)) best = v;
          }
        }
        out.values[static_cast<size_t>(a * out.cols + b)] = best;
      }
    }
    return out;
  }
  int64_t tokens() const override { return map_.rows; }
  int64_t device_bytes() const override { return 0; }
  mutable int calls = 0;

 private:
  Matrix map_;
};

// A causal map: softmax-like rows (signed: rows of D-like values of both signs), zero above the diagonal.
Matrix causal_map(int64_t T, bool signed_values, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(signed_values ? -1.0f : 0.0f, 1.0f);
  Matrix m{T, T, std::vector<float>(static_cast<size_t>(T * T), 0.0f)};
  for (int64_t i = 0; i < T; ++i) {
    for (int64_t j = 0; j <= i; ++j) m.values[static_cast<size_t>(i * T + j)] = u(rng) / static_cast<float>(i + 1);
    m.values[static_cast<size_t>(i * T)] = signed_values ? 0.9f : 0.8f;  // a sink in key 0
  }
  return m;
}

std::vector<uint8_t> read_png(const std::string& path, int* w, int* h) {
  int channels = 0;
  unsigned char* data = stbi_load(path.c_str(), w, h, &channels, 3);
  REQUIRE(data != nullptr);
  std::vector<uint8_t> out(data, data + static_cast<size_t>(*w) * *h * 3);
  stbi_image_free(data);
  return out;
}

}  // namespace

TEST_CASE("a streamed PNG equals the whole-image renderer's, for any band size") {
  if (!can_stream_map_png()) {
    WARN("this build has no libpng: PNG streaming is not built, nothing to test");
    return;
  }
  TempDir dir("map_png_stream");
  for (bool signed_values : {false, true}) {
    for (bool hide_sink : {false, true}) {
      for (int cell_pixels : {1, 3}) {
        const Matrix map = causal_map(300, signed_values, 5);
        DenseStore store(map);
        MapPngOptions options;
        options.colormap = signed_values ? Colormap::RdBu : Colormap::Viridis;
        options.signed_map = signed_values;
        options.hide_sink = hide_sink;
        options.cell_pixels = cell_pixels;
        options.band_cells = 300 * 7;  // bands of 7 rows: 43 bands, the last one of 6
        const std::string path = dir.path() + "/map.png";
        REQUIRE(stream_map_png(store, MapWindow{}, path, options));
        CHECK(store.calls == 2 * 43);  // two passes

        HeatmapImageOptions whole;
        whole.colormap = options.colormap;
        whole.scale = auto_scale(map, signed_values, hide_sink);
        whole.cell_pixels = cell_pixels;
        int ew = 0, eh = 0, w = 0, h = 0;
        const std::vector<uint8_t> expected = render_heatmap_rgb(map, whole, &ew, &eh);
        const std::vector<uint8_t> got = read_png(path, &w, &h);
        CHECK(w == ew);
        CHECK(h == eh);
        size_t differing = 0;  // a count, not the vectors: Catch would print 270,000 bytes
        for (size_t i = 0; i < std::min(got.size(), expected.size()); ++i) differing += got[i] != expected[i];
        CHECK(got.size() == expected.size());
        CHECK(differing == 0);
      }
    }
  }
}

TEST_CASE("a pooled window: cells hold the largest |value|, masked cells are grey (hand-derived)") {
  if (!can_stream_map_png()) {
    WARN("this build has no libpng: PNG streaming is not built, nothing to test");
    return;
  }
  // T = 5, pool 2: cells of rows {0,1}, {2,3}, {4} x keys {0,1}, {2,3}, {4}. Cell (0, 1) has keys 2..3 after rows
  // 0..1: masked; so are (0, 2) and (1, 2). Causal entries (i, j <= i) hold 0.1 * (i + 1) + 0.01 * j, except
  // (3, 3) = 0.95. Cell maxima: (0,0) = 0.21 (entry 1,1), (1,0) = 0.41 (3,1), (1,1) = 0.95, (2,0) = 0.51 (4,1),
  // (2,1) = 0.53 (4,3), (2,2) = 0.54 (4,4). Scale: 0.21..0.95.
  Matrix map{5, 5, std::vector<float>(25, 0.0f)};
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j <= i; ++j) map.values[static_cast<size_t>(i * 5 + j)] = 0.1f * (i + 1) + 0.01f * j;
  map.values[3 * 5 + 3] = 0.95f;
  DenseStore store(map);
  MapWindow window;
  window.pool = 2;
  TempDir dir("map_png_pooled");
  const std::string path = dir.path() + "/pooled.png";
  REQUIRE(stream_map_png(store, window, path, MapPngOptions{}));
  int w = 0, h = 0;
  const std::vector<uint8_t> got = read_png(path, &w, &h);
  REQUIRE(w == 3);
  REQUIRE(h == 3);
  ColorScale scale;
  scale.vmin = map.at(1, 1);
  scale.vmax = map.at(3, 3);
  const float expected[3][3] = {{map.at(1, 1), -1, -1},  // -1: masked
                                {map.at(3, 1), map.at(3, 3), -1},
                                {map.at(4, 1), map.at(4, 3), map.at(4, 4)}};
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      std::array<uint8_t, 3> want = {kMaskedGrey, kMaskedGrey, kMaskedGrey};
      if (expected[a][b] >= 0) want = colormap_sample(Colormap::Viridis, color_scale_position(scale, expected[a][b]));
      const size_t at = static_cast<size_t>(a * 3 + b) * 3;
      INFO("cell " << a << ", " << b);
      CHECK(got[at] == want[0]);
      CHECK(got[at + 1] == want[1]);
      CHECK(got[at + 2] == want[2]);
    }
  }
}

TEST_CASE("a stopped or failed PNG export leaves no file, and bad input is refused with the reason") {
  if (!can_stream_map_png()) {
    WARN("this build has no libpng: PNG streaming is not built, nothing to test");
    return;
  }
  DenseStore store(causal_map(100, false, 3));
  TempDir dir("map_png_stop");
  const std::string path = dir.path() + "/stopped.png";
  MapPngOptions options;
  options.band_cells = 100 * 10;
  int calls = 0;
  CHECK_FALSE(stream_map_png(store, MapWindow{}, path, options, [&](double fraction) {
    ++calls;
    return fraction < 0.75;  // stop in the second pass
  }));
  CHECK(calls == 15);  // 10 bands of the first pass, 5 of the second (stopped at 0.75)
  CHECK_FALSE(std::filesystem::exists(path));

  CHECK_THROWS_AS(stream_map_png(store, MapWindow{}, dir.path() + "/missing/folder/x.png", options), FileError);
  MapWindow outside;
  outside.row_end = 101;
  CHECK_THROWS_WITH(stream_map_png(store, outside, path, options), Catch::Contains("not inside the 100 x 100 map"));
  MapWindow no_pool;
  no_pool.pool = 0;
  CHECK_THROWS_AS(stream_map_png(store, no_pool, path, options), InputError);
  options.cell_pixels = 0;
  CHECK_THROWS_AS(stream_map_png(store, MapWindow{}, path, options), InputError);
  CHECK_FALSE(std::filesystem::exists(path));
}
