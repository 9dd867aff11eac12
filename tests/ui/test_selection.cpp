// Keyboard navigation, layer/head pairing and the grid hit test. Test thread.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

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

TEST_CASE("heads pair by index for equal counts, else by relative position, for any pair of counts") {
  CHECK(paired_head(2, 8, 8) == 2);
  // 4 Diff heads vs 8 standard: round(h * 7 / 3) = 0, 2.33, 4.67, 7.
  CHECK(paired_head(0, 4, 8) == 0);
  CHECK(paired_head(1, 4, 8) == 2);
  CHECK(paired_head(2, 4, 8) == 5);
  CHECK(paired_head(3, 4, 8) == 7);
  // 8 vs 5: round(h * 4 / 7) = 0, 0.57, 1.14, 1.71, 2.29, 2.86, 3.43, 4.
  const int want[8] = {0, 1, 1, 2, 2, 3, 3, 4};
  for (int h = 0; h < 8; ++h) CHECK(paired_head(h, 8, 5) == want[h]);
  // Degenerate counts: one head on either side, none in B, a head index past A's count (clamped first).
  CHECK(paired_head(0, 1, 12) == 0);
  CHECK(paired_head(5, 12, 1) == 0);
  CHECK(paired_head(3, 4, 0) == 0);
  CHECK(paired_head(9, 4, 8) == 7);
  CHECK(paired_head(-1, 4, 8) == 0);
  // Every count pair from 1 to 16: always a head of B, first to first and last to last, in order, and every head of
  // the model with fewer heads paired (none of B's twice when A has fewer).
  for (int a = 1; a <= 16; ++a)
    for (int b = 1; b <= 16; ++b) {
      INFO(a << " heads of A, " << b << " of B");
      std::vector<int> hit(static_cast<size_t>(b), 0);
      int previous = -1;
      for (int h = 0; h < a; ++h) {
        const int p = paired_head(h, a, b);
        REQUIRE(p >= 0);
        REQUIRE(p < b);
        CHECK(p >= previous);
        previous = p;
        ++hit[static_cast<size_t>(p)];
      }
      CHECK(paired_head(0, a, b) == 0);
      CHECK(paired_head(a - 1, a, b) == (a == 1 ? 0 : b - 1));
      for (int c : hit) {
        if (a >= b) CHECK(c >= 1);
        else CHECK(c <= 1);
      }
    }
}

TEST_CASE("the pairing rule names the counts that differ") {
  CHECK(pairing_rule(6, 4, 6, 4) == "same index");
  CHECK(pairing_rule(6, 4, 6, 8) == "heads 4 -> 8 by relative position");
  CHECK(pairing_rule(6, 4, 12, 4) == "layers 6 -> 12 by relative position");
  CHECK(pairing_rule(6, 4, 12, 16) == "heads 4 -> 16 and layers 6 -> 12 by relative position");
  CHECK(std::string(pairing_help()).find("relative position") != std::string::npos);
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
