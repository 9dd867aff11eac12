// Zoom/pan arithmetic of one heatmap widget and the cell under a point: plain math, no GL. Main (UI) thread.
#pragma once

#include <cstdint>
#include <optional>

namespace diffscope::ui {

// A map cell: query row and key column.
struct Cell {
  int64_t row = 0;
  int64_t col = 0;
  bool operator==(const Cell& o) const { return row == o.row && col == o.col; }
  bool operator!=(const Cell& o) const { return !(*this == o); }
};

// A rectangle in cell units (x = key column, y = query row), [x0, x1) x [y0, y1). May extend past the map.
struct CellRect {
  double x0 = 0, y0 = 0, x1 = 1, y1 = 1;
};

// What part of a map a widget shows. zoom = 1 fits the whole map into the widget with square cells; the centre is in
// cell units, so a map of T tokens centred at (T/2, T/2) is the unzoomed view.
struct MapViewport {
  double zoom = 1.0;
  double center_x = 0.0;
  double center_y = 0.0;
  bool initialized = false;  // false until fit() ran for a map size
};

constexpr double kMinZoom = 1.0;     // never smaller than the fitted view: nothing to see outside the map
constexpr double kMaxZoom = 512.0;

// The view that shows the whole cols x rows map.
MapViewport fit_viewport(int64_t cols, int64_t rows);

// Pixels per cell side for a widget of w x h pixels.
double cell_pixels(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h);

// The cells the widget shows (what the shader's view rectangle is).
CellRect visible_cells(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h);

// The map position (fractional cells) under the widget-relative point (px, py), origin at the widget's top left.
void widget_to_cells(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h, double px,
                     double py, double* cx, double* cy);

// The widget-relative pixel of the map position (cx, cy) (inverse of widget_to_cells).
void cells_to_widget(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h, double cx,
                     double cy, double* px, double* py);

// The cell under a widget-relative point, or nothing outside the map.
std::optional<Cell> cell_at(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h,
                            double px, double py);

// Zooms by `factor` keeping the map position under (px, py) fixed; zoom is clamped to [kMinZoom, kMaxZoom].
MapViewport zoom_at(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h, double px,
                    double py, double factor);

// Moves the view by a mouse drag of (dx, dy) pixels (the map follows the mouse).
MapViewport pan_by(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h, double dx,
                   double dy);

// Keeps the centre such that the map still covers the widget where it can (no panning off into empty space).
MapViewport clamp_viewport(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h);

}  // namespace diffscope::ui
