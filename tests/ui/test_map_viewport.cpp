// Zoom/pan arithmetic and hover cell lookup, against hand-derived numbers. Test thread.
#include <catch2/catch.hpp>

#include "map_viewport.h"

using namespace diffscope::ui;

// A 10 x 10 map in a 200 x 100 widget: the fitted view has 10-pixel cells (limited by the height), centred.
TEST_CASE("fitted view shows the whole map with square cells") {
  const MapViewport v = fit_viewport(10, 10);
  CHECK(v.center_x == 5.0);
  CHECK(v.center_y == 5.0);
  CHECK(cell_pixels(v, 10, 10, 200, 100) == 10.0);
  const CellRect r = visible_cells(v, 10, 10, 200, 100);
  CHECK(r.x0 == -5.0);
  CHECK(r.x1 == 15.0);
  CHECK(r.y0 == 0.0);
  CHECK(r.y1 == 10.0);
}

TEST_CASE("cell under the mouse") {
  const MapViewport v = fit_viewport(10, 10);
  // Widget centre -> map centre (5, 5).
  auto c = cell_at(v, 10, 10, 200, 100, 100, 50);
  REQUIRE(c);
  CHECK(c->row == 5);
  CHECK(c->col == 5);
  // x = 55: 5 + (55 - 100) / 10 = 0.5 -> column 0; y = 0 -> row 0.
  c = cell_at(v, 10, 10, 200, 100, 55, 0);
  REQUIRE(c);
  CHECK(c->row == 0);
  CHECK(c->col == 0);
  // x = 45: column -0.5, left of the map.
  CHECK_FALSE(cell_at(v, 10, 10, 200, 100, 45, 50));
  // Outside the widget.
  CHECK_FALSE(cell_at(v, 10, 10, 200, 100, 100, 100));
  // Round trip of positions.
  double px = 0, py = 0;
  cells_to_widget(v, 10, 10, 200, 100, 0.5, 0.0, &px, &py);
  CHECK(px == Approx(55.0));
  CHECK(py == Approx(0.0));
}

TEST_CASE("zoom keeps the point under the mouse fixed") {
  const MapViewport v = fit_viewport(10, 10);
  // At x = 125 the map position is 5 + 25 / 10 = 7.5. Zoom x4: 40-pixel cells, centre = 7.5 - 25 / 40 = 6.875.
  const MapViewport z = zoom_at(v, 10, 10, 200, 100, 125, 50, 4.0);
  CHECK(z.zoom == 4.0);
  CHECK(z.center_x == Approx(6.875));
  CHECK(z.center_y == Approx(5.0));
  double cx = 0, cy = 0;
  widget_to_cells(z, 10, 10, 200, 100, 125, 50, &cx, &cy);
  CHECK(cx == Approx(7.5));
  CHECK(cy == Approx(5.0));
}

TEST_CASE("zoom is clamped and the view cannot leave the map") {
  const MapViewport v = fit_viewport(10, 10);
  CHECK(zoom_at(v, 10, 10, 200, 100, 100, 50, 0.5).zoom == kMinZoom);
  CHECK(zoom_at(v, 10, 10, 200, 100, 100, 50, 1e6).zoom == kMaxZoom);
  // Near the right edge at x4 (window 5 cells wide), the centre stops at 10 - 2.5 = 7.5.
  const MapViewport z = zoom_at(v, 10, 10, 200, 100, 199, 50, 4.0);
  CHECK(z.center_x == Approx(7.5));
}

TEST_CASE("pan follows the mouse") {
  MapViewport v = fit_viewport(10, 10);
  v.zoom = 4.0;  // 40-pixel cells
  // Dragging 40 pixels to the right moves the map right: the centre moves one cell left.
  const MapViewport p = pan_by(v, 10, 10, 200, 100, 40, 0);
  CHECK(p.center_x == Approx(4.0));
  // At the fitted zoom the map already fills the width: panning is undone by the clamp.
  const MapViewport q = pan_by(fit_viewport(10, 10), 10, 10, 200, 100, 40, 40);
  CHECK(q.center_x == Approx(5.0));
  CHECK(q.center_y == Approx(5.0));
}
