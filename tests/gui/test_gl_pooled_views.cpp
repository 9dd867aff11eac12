// Pooled views through the real GL pipeline (hidden GLFW window): an overview drawn over its T x T map (cells of
// `cell` tokens, the last one clipped at T, the causal mask per token), a window drawn over it in its own rectangle,
// "no data" texels that never take a colour of the scale, and the WindowFetcher's requests (latest wins, one per
// view per interval, stale answers dropped, whether a view is refined) with a fake window source. Needs a display:
// run under xvfb-run. Test thread = the GL thread.
#include <catch2/catch.hpp>

#include <GLFW/glfw3.h>

#include <cmath>
#include <limits>

#include "colormap.h"
#include "gl_api.h"
#include "gl_test_context.h"
#include "heatmap_renderer.h"
#include "window_fetcher.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

HeatmapRenderer& renderer() {
  static GlContext context;
  static HeatmapRenderer r;
  INFO("no OpenGL 3.3 context: run the gui tests under xvfb-run -a");
  REQUIRE(context.window != nullptr);
  if (!r.ready()) {
    std::string error;
    REQUIRE(r.init(DIFFSCOPE_SHADER_DIR, &error));
  }
  return r;
}

std::array<uint8_t, 4> pixel(const std::vector<uint8_t>& rgba, int width, int x, int y) {
  const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 4;
  return {rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]};
}

bool is_color(std::array<uint8_t, 4> got, Colormap cmap, const ColorScale& scale, float value) {
  const auto want = colormap_sample(cmap, color_scale_position(scale, value));
  return std::abs(got[0] - want[0]) <= 1 && std::abs(got[1] - want[1]) <= 1 && std::abs(got[2] - want[2]) <= 1;
}

HeatmapDraw plain_draw(double tokens) {
  HeatmapDraw d;
  d.scale.vmin = 0;
  d.scale.vmax = 1;
  d.grid_lines = false;
  d.view = CellRect{0, 0, tokens, tokens};
  return d;
}

}  // namespace

TEST_CASE("an overview covers its T x T map cell by cell, the last cell clipped at T, the mask per token") {
  HeatmapRenderer& r = renderer();
  // 20 tokens in cells of 8: 3 x 3 cells, the last holding tokens 16..19. One pixel per token.
  Matrix cells{3, 3, {0.1f, 0, 0, 0.2f, 0.3f, 0, 0.4f, 0.5f, 0.9f}};
  const MapTexture tex = r.upload_cells(cells, false, 8, 0, 0, 20, 20);
  CHECK(tex.pool() == 8);
  CHECK(tex.cols() == 20);
  RenderTarget target;
  REQUIRE(target.ensure(20, 20));
  const HeatmapDraw d = plain_draw(20);
  r.begin(target);
  r.draw(tex, d, 0, 0, 20, 20);
  r.end();
  const auto rgba = target.read_rgba();
  CHECK(is_color(pixel(rgba, 20, 3, 12), d.colormap, d.scale, 0.2f));   // token (12, 3): cell (1, 0)
  CHECK(is_color(pixel(rgba, 20, 10, 17), d.colormap, d.scale, 0.5f));  // token (17, 10): cell (2, 1)
  CHECK(is_color(pixel(rgba, 20, 19, 19), d.colormap, d.scale, 0.9f));  // the last token: cell (2, 2)
  CHECK(is_color(pixel(rgba, 20, 16, 18), d.colormap, d.scale, 0.9f));
  const auto masked = pixel(rgba, 20, 19, 17);  // key 19 > query 17 inside the diagonal cell: the masked grey
  CHECK(masked[0] == static_cast<uint8_t>(std::lround(d.masked_rgb[0] * 255)));
}

TEST_CASE("a window is drawn over the overview in its own rectangle; no-data texels show no colour of the scale") {
  HeatmapRenderer& r = renderer();
  Matrix overview{2, 2, {0.2f, 0, 0.2f, 0.2f}};  // 16 tokens in cells of 8
  Matrix window{2, 2, {0.8f, 0.8f, 0.8f, 0.8f}};  // tokens rows 8..12 x keys 2..6 at pool 2
  const MapTexture base = r.upload_cells(overview, false, 8, 0, 0, 16, 16);
  const MapTexture refined = r.upload_cells(window, false, 2, 2, 8, 4, 4);
  RenderTarget target;
  REQUIRE(target.ensure(16, 16));
  const HeatmapDraw d = plain_draw(16);
  r.begin(target);
  r.draw(base, d, 0, 0, 16, 16);
  r.draw(refined, d, 0, 0, 16, 16);
  r.end();
  const auto rgba = target.read_rgba();
  CHECK(is_color(pixel(rgba, 16, 3, 9), d.colormap, d.scale, 0.8f));   // inside the window
  CHECK(is_color(pixel(rgba, 16, 5, 11), d.colormap, d.scale, 0.8f));
  CHECK(is_color(pixel(rgba, 16, 1, 9), d.colormap, d.scale, 0.2f));   // left of it: the overview
  CHECK(is_color(pixel(rgba, 16, 3, 13), d.colormap, d.scale, 0.2f));  // below it
  CHECK(is_color(pixel(rgba, 16, 10, 14), d.colormap, d.scale, 0.2f));

  Matrix none{1, 1, {std::numeric_limits<float>::quiet_NaN()}};
  const MapTexture unknown = r.upload_cells(none, false, 16, 0, 0, 16, 16);
  r.begin(target);
  r.draw(unknown, d, 0, 0, 16, 16);
  r.end();
  const auto grey = pixel(target.read_rgba(), 16, 3, 12);
  for (int i = 0; i < 256; ++i) {
    const auto c = colormap_sample(d.colormap, static_cast<float>(i) / 255.0f);
    CHECK_FALSE((grey[0] == c[0] && grey[1] == c[1] && grey[2] == c[2]));
  }
}

TEST_CASE("the window fetcher asks once per interval, keeps the latest answer and drops stale ones") {
  HeatmapRenderer& r = renderer();
  WindowFetcher fetcher(r);
  std::vector<WindowRequest> asked;
  std::vector<std::promise<WindowResult>> promises;
  fetcher.set_source([&](const WindowRequest& request) {
    asked.push_back(request);
    promises.emplace_back();
    return promises.back().get_future();
  });
  auto snapshot = std::make_shared<AttentionSnapshot>();
  snapshot->tokens.resize(1000);
  MapRequest map;
  map.slot = 0;
  map.sequence = 5;
  map.layer = 1;
  map.head = 2;
  map.variant = MapVariant::Diff;
  const auto answer = [&](size_t i, uint64_t sequence) {
    WindowResult result;
    result.request = asked[i];
    result.request.sequence = sequence;
    const MapWindow& w = asked[i].window;
    result.map.rows = (w.row_end - w.row_begin + w.pool - 1) / w.pool;
    result.map.cols = (w.col_end - w.col_begin + w.pool - 1) / w.pool;
    result.map.values.assign(static_cast<size_t>(result.map.rows * result.map.cols), 0.5f);
    promises[i].set_value(result);
  };
  WindowNeed need;
  need.plan = WindowPlan{TokenRect{0, 1000, 0, 1000}, 4};

  CHECK_FALSE(fetcher.refinement(map).shown);  // no view drew this map yet
  CHECK(fetcher.update("map0", snapshot, map, need, 10.0) == nullptr);
  REQUIRE(asked.size() == 1);
  CHECK(fetcher.refinement(map).shown);
  CHECK(fetcher.refinement(map).needs_window);
  CHECK_FALSE(fetcher.refinement(map).refined);  // asked, not answered
  CHECK(fetcher.refinement(map).pool == 4);
  CHECK(asked[0].sequence == 5);
  CHECK(asked[0].window.kind == MapKind::Diff);
  CHECK(asked[0].window.pool == 4);
  CHECK(fetcher.pending());
  // The same need while the answer is on its way: no second request.
  CHECK(fetcher.update("map0", snapshot, map, need, 10.01) == nullptr);
  CHECK(asked.size() == 1);
  // A zoom 20 ms later: held back until 100 ms after the last request (the view has not settled).
  WindowNeed zoomed;
  zoomed.plan = WindowPlan{TokenRect{100, 300, 100, 300}, 1};
  fetcher.update("map0", snapshot, map, zoomed, 10.03);
  CHECK(asked.size() == 1);
  CHECK(fetcher.wake_in(10.03) == Approx(0.05));  // polling the pending answer
  // 100 ms later: the latest need is asked for; the first answer, when it comes, is no longer awaited.
  fetcher.update("map0", snapshot, map, zoomed, 10.11);
  REQUIRE(asked.size() == 2);
  CHECK(asked[1].window.pool == 1);
  CHECK(asked[1].window.row_begin == 100);
  answer(0, 5);
  CHECK(fetcher.update("map0", snapshot, map, zoomed, 10.12) == nullptr);
  // The answer of the latest request shows, placed at its rectangle with its pool.
  answer(1, 5);
  const FetchedWindow* w = fetcher.update("map0", snapshot, map, zoomed, 10.13);
  REQUIRE(w != nullptr);
  CHECK(w->plan.rect == TokenRect{100, 300, 100, 300});
  CHECK(w->texture.row_origin() == 100);
  CHECK(w->texture.pool() == 1);
  CHECK_FALSE(fetcher.pending());
  CHECK(fetcher.refinement(map).refined);  // the window drawn covers the latest need
  CHECK(fetcher.requests() == 2);
  CHECK(fetcher.answers() == 1);  // the first answer came after a newer request: never drawn
  CHECK(fetcher.window_at(0, 5, MapKind::Diff, 1, 2, 150, 120) == w);
  CHECK(fetcher.window_at(0, 5, MapKind::Diff, 1, 2, 50, 20) == nullptr);

  // A new snapshot (sequence 6): the old window is dropped at once, and an answer for sequence 5 never shows.
  map.sequence = 6;
  CHECK(fetcher.update("map0", snapshot, map, need, 10.5) == nullptr);
  REQUIRE(asked.size() == 3);
  CHECK(asked[2].sequence == 6);
  answer(2, 5);  // superseded meanwhile: the worker answered for what it had
  CHECK(fetcher.update("map0", snapshot, map, need, 10.51) == nullptr);
  CHECK_FALSE(fetcher.refinement(map).refined);  // the new snapshot's window has not come
  // A view whose overview already shows every pixel asks for nothing and counts as settled.
  fetcher.update("map0", snapshot, map, WindowNeed{}, 10.6);
  CHECK(fetcher.refinement(map).shown);
  CHECK_FALSE(fetcher.refinement(map).needs_window);
  // A view no longer drawn is forgotten at the end of a frame.
  fetcher.end_frame();
  fetcher.end_frame();
  CHECK_FALSE(fetcher.pending());
}
