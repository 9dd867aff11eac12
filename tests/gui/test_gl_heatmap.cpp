// The real GL heatmap pipeline under a hidden GLFW window: the shaders compile, and small known maps rendered through
// them read back (glReadPixels) to the colours the engine's colormap gives (the CPU twin). Needs a display: run under
// xvfb-run. Test thread = the GL thread.
#include <catch2/catch.hpp>

#include <GLFW/glfw3.h>

#include <cstdlib>
#include <memory>

#include "gl_api.h"
#include "gl_test_context.h"
#include "gl_shader.h"
#include "heatmap_renderer.h"
#include "map_style.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

GlContext& context() {
  static GlContext c;
  return c;
}

void require_context() {
  INFO("no OpenGL 3.3 context: run the gui tests under xvfb-run -a (DISPLAY=" << (std::getenv("DISPLAY") ? std::getenv("DISPLAY") : "unset") << ")");
  REQUIRE(context().window != nullptr);
}

// RGBA of pixel (x, y) (top-left origin) of an image read back with read_rgba().
std::array<uint8_t, 3> pixel(const std::vector<uint8_t>& rgba, int width, int x, int y) {
  const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 4;
  return {rgba[i], rgba[i + 1], rgba[i + 2]};
}

// The GPU computes the position in float too; a value exactly between two entries may round the other way.
bool near_color(std::array<uint8_t, 3> got, Colormap cmap, const ColorScale& scale, float value) {
  const float t = color_scale_position(scale, value);
  for (float dt : {0.0f, -1.0f / 255, 1.0f / 255}) {
    const auto want = colormap_sample(cmap, t + dt);
    if (std::abs(got[0] - want[0]) <= 1 && std::abs(got[1] - want[1]) <= 1 && std::abs(got[2] - want[2]) <= 1) return true;
  }
  return false;
}

std::string describe(std::array<uint8_t, 3> c) {
  return std::to_string(c[0]) + "," + std::to_string(c[1]) + "," + std::to_string(c[2]);
}

// Renders `map` filling a size x size target with the full view.
std::vector<uint8_t> render(HeatmapRenderer& r, const Matrix& map, bool signed_map, const HeatmapDraw& base, int size) {
  MapTexture tex = r.upload(map, signed_map);
  RenderTarget target;
  REQUIRE(target.ensure(size, size));
  HeatmapDraw d = base;
  d.view = CellRect{0, 0, static_cast<double>(map.cols), static_cast<double>(map.rows)};
  r.begin(target);
  r.draw(tex, d, 0, 0, size, size);
  r.end();
  REQUIRE(glGetError() == GL_NO_ERROR);
  return target.read_rgba();
}

}  // namespace

TEST_CASE("the heatmap shaders compile and link") {
  require_context();
  HeatmapRenderer r;
  std::string error;
  INFO(error);
  REQUIRE(r.init(DIFFSCOPE_SHADER_DIR, &error));
  CHECK(r.max_texture_side() >= 1024);
  // A broken shader reports the compiler's message instead of crashing.
  CHECK(build_program("#version 330 core\nvoid main() { gl_Position = vec4(0); }", "not glsl", "broken", &error) == 0);
  CHECK(error.find("broken") != std::string::npos);
  HeatmapRenderer missing;
  CHECK_FALSE(missing.init("/nonexistent", &error));
  CHECK(error.find("/nonexistent/heatmap.vert") != std::string::npos);
}

TEST_CASE("a 4 x 4 softmax map reads back in viridis, masked triangle grey") {
  require_context();
  HeatmapRenderer r;
  std::string error;
  REQUIRE(r.init(DIFFSCOPE_SHADER_DIR, &error));
  const Matrix m{4, 4, {1.0f, 0, 0, 0,
                        0.5f, 0.5f, 0, 0,
                        0.2f, 0.3f, 0.5f, 0,
                        0.1f, 0.2f, 0.3f, 0.4f}};
  HeatmapDraw d;
  d.colormap = Colormap::Viridis;
  d.scale.vmin = 0.0f;
  d.scale.vmax = 1.0f;
  d.shade_masked = true;
  d.masked_rgb = {0.5f, 0.25f, 0.0f};
  d.grid_lines = false;
  const int size = 64, cell = 16;
  const auto rgba = render(r, m, false, d, size);
  for (int row = 0; row < 4; ++row) {
    for (int col = 0; col < 4; ++col) {
      const auto got = pixel(rgba, size, col * cell + cell / 2, row * cell + cell / 2);
      INFO("cell (" << row << ", " << col << ") got " << describe(got));
      if (col > row) {
        CHECK(got == std::array<uint8_t, 3>{128, 64, 0});  // 0.5 * 255 = 127.5 -> 128 (GL rounds to nearest)
      } else {
        CHECK(near_color(got, Colormap::Viridis, d.scale, m.at(row, col)));
      }
    }
  }
  // Cells are crisp: the pixel next to a cell border has the cell's own colour (nearest sampling).
  CHECK(pixel(rgba, size, cell - 1, 3 * cell + 1) == pixel(rgba, size, 1, 3 * cell + 1));
}

TEST_CASE("a signed D map is diverging around zero; log and gamma scales match the CPU") {
  require_context();
  HeatmapRenderer r;
  std::string error;
  REQUIRE(r.init(DIFFSCOPE_SHADER_DIR, &error));
  const Matrix d_map{2, 2, {0.6f, 0.0f, -0.3f, 0.0f}};
  HeatmapDraw d;
  d.colormap = Colormap::RdBu;
  d.scale.vmin = -0.6f;
  d.scale.vmax = 0.6f;
  d.scale.diverging = true;
  d.grid_lines = false;
  const int size = 32;
  auto rgba = render(r, d_map, true, d, size);
  CHECK(near_color(pixel(rgba, size, 8, 8), Colormap::RdBu, d.scale, 0.6f));
  CHECK(near_color(pixel(rgba, size, 8, 24), Colormap::RdBu, d.scale, -0.3f));
  CHECK(near_color(pixel(rgba, size, 24, 24), Colormap::RdBu, d.scale, 0.0f));  // white-ish middle entry

  const Matrix soft{2, 2, {1.0f, 0.0f, 0.01f, 0.1f}};
  for (auto mode : {ColorScale::Mode::Log, ColorScale::Mode::Gamma}) {
    HeatmapDraw s;
    s.colormap = Colormap::Magma;
    s.scale.mode = mode;
    s.scale.vmin = 0.001f;
    s.scale.vmax = 1.0f;
    s.scale.gamma = 0.4f;
    s.scale.log_floor = 0.001f;
    s.grid_lines = false;
    rgba = render(r, soft, false, s, size);
    INFO("mode " << static_cast<int>(mode));
    CHECK(near_color(pixel(rgba, size, 8, 24), Colormap::Magma, s.scale, 0.01f));
    CHECK(near_color(pixel(rgba, size, 24, 24), Colormap::Magma, s.scale, 0.1f));
  }
}

TEST_CASE("maps above the texture limit are max-pooled on upload") {
  require_context();
  HeatmapRenderer r;
  std::string error;
  REQUIRE(r.init(DIFFSCOPE_SHADER_DIR, &error));
  r.limit_texture_side(2);
  // 4 x 4 with one spike in the bottom-left 2 x 2 block: the pooled block shows the spike's colour everywhere.
  Matrix m{4, 4, std::vector<float>(16, 0.0f)};
  m.values[3 * 4 + 1] = 1.0f;
  m.values[2 * 4 + 0] = 0.1f;
  MapTexture t = r.upload(m, false);
  CHECK(t.pool() == 2);
  CHECK(t.cols() == 4);
  HeatmapDraw d;
  d.colormap = Colormap::Viridis;
  d.scale.vmin = 0;
  d.scale.vmax = 1;
  d.shade_masked = false;
  d.grid_lines = false;
  const auto rgba = render(r, m, false, d, 32);
  CHECK(near_color(pixel(rgba, 32, 4, 20), Colormap::Viridis, d.scale, 1.0f));
  CHECK(near_color(pixel(rgba, 32, 12, 28), Colormap::Viridis, d.scale, 1.0f));
  CHECK(near_color(pixel(rgba, 32, 20, 4), Colormap::Viridis, d.scale, 0.0f));
}

TEST_CASE("a map drawn smaller than its cells keeps a single spike visible, and says how it pools") {
  require_context();
  HeatmapRenderer r;
  std::string error;
  REQUIRE(r.init(DIFFSCOPE_SHADER_DIR, &error));
  // 600 x 600 cells into 100 x 100 pixels: 6 cells per pixel. Pixel centres fall on cells 3, 9, 15, ...: a spike at
  // (row 301, key 7) lies between them, so reading the cell under each centre would never show it.
  for (bool signed_map : {false, true}) {
    INFO((signed_map ? "signed" : "softmax") << " map");
    Matrix m{600, 600, std::vector<float>(600 * 600, 0.0f)};
    const float spike = signed_map ? -0.8f : 0.8f;
    m.values[301 * 600 + 7] = spike;
    HeatmapDraw d;
    d.colormap = signed_map ? Colormap::RdBu : Colormap::Viridis;
    d.scale.vmin = signed_map ? -1.0f : 0.0f;
    d.scale.vmax = 1.0f;
    d.scale.diverging = signed_map;
    d.shade_masked = false;
    d.grid_lines = false;
    const int size = 100;
    const auto rgba = render(r, m, signed_map, d, size);
    int spike_pixels = 0;
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) spike_pixels += near_color(pixel(rgba, size, x, y), d.colormap, d.scale, spike);
    }
    CHECK(spike_pixels >= 1);
    CHECK(spike_pixels <= 4);  // one 8 x 8 block: at most 2 x 2 pixels
    const MapTexture tex = r.upload(m, signed_map);
    CHECK(tex.levels() >= 4);
    CHECK(HeatmapRenderer::screen_pool(tex, CellRect{0, 0, 600, 600}, size, size) == 8);
    CHECK(HeatmapRenderer::screen_pool(tex, CellRect{0, 0, 600, 600}, 600, 600) == 1);
  }
}

TEST_CASE("a zoomed view shows only its cells") {
  require_context();
  HeatmapRenderer r;
  std::string error;
  REQUIRE(r.init(DIFFSCOPE_SHADER_DIR, &error));
  Matrix m{4, 4, std::vector<float>(16, 0.0f)};
  m.values[3 * 4 + 3] = 1.0f;
  MapTexture tex = r.upload(m, false);
  RenderTarget target;
  REQUIRE(target.ensure(40, 40));
  HeatmapDraw d;
  d.scale.vmin = 0;
  d.scale.vmax = 1;
  d.grid_lines = false;
  d.view = CellRect{2, 2, 4, 4};  // the bottom-right quarter: cell (3, 3) fills the bottom-right 20 x 20 pixels
  r.begin(target);
  r.draw(tex, d, 0, 0, 40, 40);
  r.end();
  const auto rgba = target.read_rgba();
  CHECK(near_color(pixel(rgba, 40, 30, 30), Colormap::Viridis, d.scale, 1.0f));
  CHECK(near_color(pixel(rgba, 40, 5, 30), Colormap::Viridis, d.scale, 0.0f));
  // Outside the map (view past its edge) stays transparent.
  d.view = CellRect{3, 3, 5, 5};
  r.begin(target);
  r.draw(tex, d, 0, 0, 40, 40);
  r.end();
  const auto outside = target.read_rgba();
  CHECK(outside[(35 * 40 + 35) * 4 + 3] == 0);
  CHECK(outside[(5 * 40 + 5) * 4 + 3] == 255);
}

TEST_CASE("a sliding-window layer's keys before each query's window are drawn masked, pooled blocks only when all "
          "are") {
  require_context();
  HeatmapRenderer r;
  std::string error;
  REQUIRE(r.init(DIFFSCOPE_SHADER_DIR, &error));
  // 8 tokens, window 3: query i sees keys i - 2 .. i (HF's band i - 3 < j <= i); the map holds 0 elsewhere.
  const int T = 8, W = 3;
  Matrix m{T, T, std::vector<float>(T * T, 0.0f)};
  for (int i = 0; i < T; ++i)
    for (int j = std::max(0, i - W + 1); j <= i; ++j) m.values[static_cast<size_t>(i * T + j)] = 0.25f + 0.05f * j;
  HeatmapDraw d;
  d.scale.vmin = 0.0f;
  d.scale.vmax = 1.0f;
  d.masked_rgb = {0.5f, 0.25f, 0.0f};
  d.grid_lines = false;
  d.window = W;
  const std::array<uint8_t, 3> masked{128, 64, 0};
  const int size = 64, cell = size / T;
  const auto rgba = render(r, m, false, d, size);
  for (int row = 0; row < T; ++row)
    for (int col = 0; col < T; ++col) {
      const auto got = pixel(rgba, size, col * cell + cell / 2, row * cell + cell / 2);
      INFO("cell (" << row << ", " << col << ") got " << describe(got));
      const bool seen = col <= row && col > row - W;  // the band, as HF defines it
      if (seen) CHECK(near_color(got, Colormap::Viridis, d.scale, m.at(row, col)));
      else CHECK(got == masked);
    }
  // Without a window the same zeros are drawn as values (weight 0), not masked.
  HeatmapDraw full = d;
  full.window = 0;
  const auto plain = render(r, m, false, full, size);
  CHECK(pixel(plain, size, cell / 2, 7 * cell + cell / 2) != masked);
  CHECK(near_color(pixel(plain, size, cell / 2, 7 * cell + cell / 2), Colormap::Viridis, d.scale, 0.0f));

  // Pooled 2 x 2 (the texture limit at 4 texels): a block is masked only when no query of it sees a key of it. Block
  // (query rows 6-7, keys 4-5) holds row 6's key 4 and 5: drawn as a value; block (rows 6-7, keys 2-3) holds none.
  r.limit_texture_side(4);
  MapTexture pooled = r.upload(m, false);
  REQUIRE(pooled.pool() == 2);
  RenderTarget target;
  REQUIRE(target.ensure(size, size));
  d.view = CellRect{0, 0, static_cast<double>(T), static_cast<double>(T)};
  r.begin(target);
  r.draw(pooled, d, 0, 0, size, size);
  r.end();
  const auto blocks = target.read_rgba();
  const int block = size / 4;
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) {
      bool any_seen = false;
      for (int i = 2 * a; i < 2 * a + 2; ++i)
        for (int j = 2 * b; j < 2 * b + 2; ++j) any_seen = any_seen || (j <= i && j > i - W);
      // The pixel centre's own token decides the causal triangle (as before windows): look at a block's lower-left
      // token (its largest query, smallest key), which is causal whenever any token of the block is.
      const auto got = pixel(blocks, size, b * block + 2, a * block + block - 3);
      INFO("block (" << a << ", " << b << ") got " << describe(got));
      CHECK((got == masked) == !any_seen);
    }
}
