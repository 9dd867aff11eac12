// Level of detail for pooled views (ui/map_windows.h, ui/demo_store.h, the pooled paths of ui/hover_info.h and
// ui/map_source.h): overview cells in tokens, which window a view asks for, values under the cursor from windows and
// overviews, and demo snapshots that have only overviews and a store. Test thread.
#include <catch2/catch.hpp>

#include "demo_snapshot.h"
#include "demo_store.h"
#include "hover_info.h"
#include "map_transforms.h"
#include "map_windows.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

Matrix counting(int64_t rows, int64_t cols) {
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  for (int64_t i = 0; i < rows * cols; ++i) m.values.push_back(static_cast<float>(i));
  return m;
}

}  // namespace

TEST_CASE("an overview cell covers cell x cell tokens, the last one cut at T") {
  const TokenRect first = overview_cell_tokens(0, 0, 8, 100);
  CHECK(first == TokenRect{0, 8, 0, 8});
  const TokenRect inner = overview_cell_tokens(3, 1, 8, 100);
  CHECK(inner == TokenRect{24, 32, 8, 16});
  // 100 tokens in cells of 8: the 13th cell (index 12) holds tokens 96..99 only.
  const TokenRect last = overview_cell_tokens(12, 12, 8, 100);
  CHECK(last == TokenRect{96, 100, 96, 100});
  CHECK(overview_cell_tokens(13, 0, 8, 100).empty());
}

TEST_CASE("a view asks for its visible tokens at about one cell per pixel") {
  SECTION("the whole map of 1000 tokens in 250 pixels: 4 tokens per cell") {
    const auto plan = plan_window(CellRect{0, 0, 1000, 1000}, 1000, 250, 250);
    REQUIRE(plan);
    CHECK(plan->pool == 4);
    CHECK(plan->rect == TokenRect{0, 1000, 0, 1000});
  }
  SECTION("a pool is rounded up: 1000 tokens in 300 pixels need 4 (3.33 per pixel)") {
    const auto plan = plan_window(CellRect{0, 0, 1000, 1000}, 1000, 300, 300);
    REQUIRE(plan);
    CHECK(plan->pool == 4);
  }
  SECTION("zoomed in past a pixel per token: pool 1, exactly the visible tokens") {
    const auto plan = plan_window(CellRect{100.5, 200.25, 150.5, 250.25}, 1000, 400, 400);
    REQUIRE(plan);
    CHECK(plan->pool == 1);
    CHECK(plan->rect == TokenRect{200, 251, 100, 151});
  }
  SECTION("the rectangle is rounded outward to whole cells counted from token 0") {
    // 300 tokens across 100 pixels: pool 3; rows 101..401 -> 99..402, keys 50..350 -> 48..351.
    const auto plan = plan_window(CellRect{50, 101, 350, 401}, 1000, 100, 100);
    REQUIRE(plan);
    CHECK(plan->pool == 3);
    CHECK(plan->rect == TokenRect{99, 402, 48, 351});
    // A pan by less than a cell asks for the same window.
    const auto moved = plan_window(CellRect{50.5, 101.5, 350.5, 401.5}, 1000, 100, 100);
    REQUIRE(moved);
    CHECK(*moved == *plan);
  }
  SECTION("clipped to the map: a view larger than the map asks for the map only") {
    const auto plan = plan_window(CellRect{-50, -50, 150, 150}, 100, 400, 400);
    REQUIRE(plan);
    CHECK(plan->pool == 1);
    CHECK(plan->rect == TokenRect{0, 100, 0, 100});
    // The end of the map is not rounded past T even when T is no multiple of the pool.
    const auto coarse = plan_window(CellRect{0, 0, 1003, 1003}, 1003, 100, 100);
    REQUIRE(coarse);
    CHECK(coarse->pool == 11);
    CHECK(coarse->rect.row_end == 1003);
    CHECK(coarse->rect.col_end == 1003);
  }
  SECTION("keys after the last visible query are masked: not fetched") {
    const auto plan = plan_window(CellRect{0, 0, 1000, 100}, 1000, 1000, 100);
    REQUIRE(plan);
    CHECK(plan->rect.row_end == 100);
    CHECK(plan->rect.col_end == 100);
  }
  SECTION("nothing visible, nothing asked") {
    CHECK_FALSE(plan_window(CellRect{1200, 0, 1300, 100}, 1000, 100, 100));
    CHECK_FALSE(plan_window(CellRect{0, 0, 100, 100}, 0, 100, 100));
  }
}

TEST_CASE("a fetched window covers a wanted one when it holds it at least as finely") {
  const WindowPlan have{TokenRect{0, 512, 0, 512}, 2};
  CHECK(window_covers(have, WindowPlan{TokenRect{100, 200, 100, 200}, 2}));
  CHECK(window_covers(have, WindowPlan{TokenRect{100, 200, 100, 200}, 4}));   // zoomed out inside it
  CHECK_FALSE(window_covers(have, WindowPlan{TokenRect{100, 200, 100, 200}, 1}));  // zoomed in: finer needed
  CHECK_FALSE(window_covers(have, WindowPlan{TokenRect{400, 600, 0, 512}, 2}));    // panned out of it
}

TEST_CASE("hover values come from a window inside it, else from the overview, with their pooling") {
  const Matrix cells = counting(3, 4);  // a window of rows 10..16, keys 4..12 at pool 2
  const WindowPlan plan{TokenRect{10, 16, 4, 12}, 2};
  const auto inside = window_value(cells, plan, 13, 9);  // row (13-10)/2 = 1, col (9-4)/2 = 2
  REQUIRE(inside);
  CHECK(inside->value == Approx(6.0f));
  CHECK(inside->pool == 2);
  CHECK_FALSE(window_value(cells, plan, 16, 9));
  CHECK_FALSE(window_value(cells, plan, 12, 3));

  const Matrix overview = counting(4, 4);  // cells of 8 over 30 tokens
  const auto o = overview_value(overview, 8, 29, 17);
  REQUIRE(o);
  CHECK(o->value == Approx(3 * 4 + 2));
  CHECK(o->pool == 8);
  CHECK_FALSE(overview_value(overview, 8, 32, 0));
}

TEST_CASE("a pooled view names its pooling") {
  CHECK(pooled_label(1, 1).empty());
  CHECK(pooled_label(8, 8) == "max |value| of 8x8 tokens per cell");
  CHECK(pooled_label(1, 4) == "max |value| of 4x4 tokens per pixel");
  CHECK(pooled_label(8, 32) == "max |value| of 32x32 tokens per pixel");  // 4x4 cells of 8 tokens: 32 tokens a side
  CHECK(pooled_label(8, 32, true) == "max 32\xc2\xb2/px");
  CHECK(pooled_label(8, 8, true) == "max 8\xc2\xb2/cell");
}

TEST_CASE("an overview-only demo snapshot pools like the engine and its store answers windows of the maps") {
  DemoSpec spec;
  spec.tokens = 600;
  spec.layers = 2;
  spec.heads = 2;
  const AttentionSnapshot dense = make_demo_snapshot(spec);
  AttentionSnapshot pooled = make_demo_snapshot(spec);
  make_overview_only(pooled);
  REQUIRE(pooled.store);
  const MapOverview& overview = pooled.layers[1].overview;
  CHECK(overview.cell == MapOverview::cell_for(600, 256));
  CHECK(overview.cell == 8);
  CHECK(pooled.layers[1].diff.empty());
  const Matrix& d = dense.layers[1].diff[1];
  const Matrix& cells = overview.diff[1];
  CHECK(cells.rows == 75);  // 600 / 8
  // Every cell holds the entry of largest |value| of its 8 x 8 tokens, sign kept; the overview's max is the map's.
  float map_max = 0, cells_max = 0;
  for (float v : d.values) map_max = std::max(map_max, std::fabs(v));
  for (float v : cells.values) cells_max = std::max(cells_max, std::fabs(v));
  CHECK(cells_max == map_max);
  const TokenRect r = overview_cell_tokens(40, 7, 8, 600);
  float best = 0;
  for (int64_t i = r.row_begin; i < r.row_end; ++i) {
    for (int64_t j = r.col_begin; j < r.col_end; ++j) {
      if (std::fabs(d.at(i, j)) > std::fabs(best)) best = d.at(i, j);
    }
  }
  CHECK(cells.at(40, 7) == best);

  MapWindow w;
  w.layer = 1;
  w.kind = MapKind::Diff;
  w.head = 1;
  w.row_begin = 100;
  w.row_end = 140;
  w.col_begin = 20;
  w.col_end = 60;
  const Matrix exact = pooled.store->window(w);
  REQUIRE(exact.rows == 40);
  CHECK(exact.at(5, 7) == d.at(105, 27));
  w.pool = 3;
  const Matrix coarse = pooled.store->window(w);
  CHECK(coarse.rows == 14);  // ceil(40 / 3)
  CHECK(coarse.cols == 14);

  SECTION("hover reads the window at pool 1, the overview elsewhere") {
    const WindowPlan plan{TokenRect{100, 140, 20, 60}, 1};
    const auto in = pooled_map_value(pooled, MapKind::Diff, 1, 1, 105, 27, &exact, &plan);
    REQUIRE(in);
    CHECK(in->value == d.at(105, 27));
    CHECK(in->pool == 1);
    const auto out = pooled_map_value(pooled, MapKind::Diff, 1, 1, 300, 27, &exact, &plan);
    REQUIRE(out);
    CHECK(out->pool == 8);
    CHECK(out->value == cells.at(300 / 8, 27 / 8));
    CHECK_FALSE(pooled_map_value(pooled, MapKind::Diff, 1, 1, 600, 0));
  }
  SECTION("the tooltip says which values are pooled") {
    const PooledLookup lookup = [](const AttentionSnapshot& s, MapKind kind, int layer, int head, int64_t row,
                                   int64_t col) { return pooled_map_value(s, kind, layer, head, row, col); };
    const HoverValues h = hover_values(&pooled, nullptr, 1, 1, nullptr, 0, 0, 300, 27, std::nullopt, lookup);
    REQUIRE(h.diff);
    CHECK(*h.diff == cells.at(37, 3));
    CHECK(h.diff_pool == 8);
    REQUIRE(h.a1);
    CHECK(h.a1_pool == 8);
    // The same cell of a dense snapshot is exact.
    const HoverValues e = hover_values(&dense, nullptr, 1, 1, nullptr, 0, 0, 300, 27, std::nullopt, lookup);
    REQUIRE(e.diff);
    CHECK(*e.diff == d.at(300, 27));
    CHECK(e.diff_pool == 1);
  }
}
