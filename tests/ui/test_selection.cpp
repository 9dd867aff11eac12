// Keyboard navigation, layer/head pairing and the grid hit test. Test thread.
#include <catch2/catch.hpp>

#include "selection.h"

using namespace diffscope::ui;

TEST_CASE("arrows move head and layer, clamped") {
  Selection s{0, 0};
  s = navigate(s, NavKey::Right, 12, 6);
  CHECK(s == Selection{0, 1});
  s = navigate(s, NavKey::Down, 12, 6);
  CHECK(s == Selection{1, 1});
  s = navigate(s, NavKey::Left, 12, 6);
  s = navigate(s, NavKey::Left, 12, 6);
  CHECK(s == Selection{1, 0});
  s = navigate(s, NavKey::Up, 12, 6);
  s = navigate(s, NavKey::Up, 12, 6);
  CHECK(s == Selection{0, 0});
  // PageDown: a quarter of 12 layers = 3.
  s = navigate(s, NavKey::PageDown, 12, 6);
  CHECK(s.layer == 3);
  s = navigate(s, NavKey::End, 12, 6);
  CHECK(s.layer == 11);
  s = navigate(s, NavKey::PageDown, 12, 6);
  CHECK(s.layer == 11);
  s = navigate(s, NavKey::Home, 12, 6);
  CHECK(s.layer == 0);
  // Small models still step one layer per page.
  CHECK(navigate(Selection{0, 0}, NavKey::PageDown, 2, 1).layer == 1);
}

TEST_CASE("selection is clamped into a smaller model") {
  CHECK(clamp_selection(Selection{7, 9}, 4, 4) == Selection{3, 3});
  CHECK(clamp_selection(Selection{2, 2}, 0, 0) == Selection{0, 0});
}

TEST_CASE("layers pair by relative depth") {
  // Same depth: identity.
  CHECK(paired_layer(3, 12, 12) == 3);
  // 4 Diff layers vs 2 standard: depths 0, 1/3, 2/3, 1 -> round(0), round(1/3), round(2/3), round(1).
  CHECK(paired_layer(0, 4, 2) == 0);
  CHECK(paired_layer(1, 4, 2) == 0);
  CHECK(paired_layer(2, 4, 2) == 1);
  CHECK(paired_layer(3, 4, 2) == 1);
  // 2 vs 12: first to first, last to last.
  CHECK(paired_layer(0, 2, 12) == 0);
  CHECK(paired_layer(1, 2, 12) == 11);
  CHECK(paired_layer(0, 1, 5) == 0);
}

TEST_CASE("heads pair by index, clamped") {
  CHECK(paired_head(2, 8) == 2);
  CHECK(paired_head(5, 4) == 3);
}

TEST_CASE("grid hit test") {
  const GridGeometry g{4, 3, 50, 10};  // pitch 60
  auto s = grid_cell_at(g, 65, 125);
  REQUIRE(s);
  CHECK(*s == Selection{2, 1});
  CHECK_FALSE(grid_cell_at(g, 55, 10));   // in the gap after head 0
  CHECK_FALSE(grid_cell_at(g, 185, 10));  // past the last head
  CHECK_FALSE(grid_cell_at(g, -1, 10));
}

TEST_CASE("layout names round-trip") {
  for (Layout l : {Layout::Decomposition, Layout::Comparison, Layout::Grid}) {
    CHECK(parse_layout(layout_name(l)) == l);
  }
  CHECK_FALSE(parse_layout("mosaic"));
}
