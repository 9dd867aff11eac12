// Zoom/pan arithmetic of one heatmap widget: plain math, no GL. Main (UI) thread.
#include "map_viewport.h"

#include <algorithm>
#include <cmath>

namespace diffscope::ui {

MapViewport fit_viewport(int64_t cols, int64_t rows) {
  MapViewport v;
  v.zoom = 1.0;
  v.center_x = static_cast<double>(cols) / 2.0;
  v.center_y = static_cast<double>(rows) / 2.0;
  v.initialized = true;
  return v;
}

double cell_pixels(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h) {
  if (cols <= 0 || rows <= 0 || widget_w <= 0 || widget_h <= 0) return 1.0;
  const double fitted = std::min(widget_w / static_cast<double>(cols), widget_h / static_cast<double>(rows));
  return fitted * view.zoom;
}

CellRect visible_cells(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h) {
  const double cp = cell_pixels(view, cols, rows, widget_w, widget_h);
  CellRect r;
  r.x0 = view.center_x - widget_w / 2.0 / cp;
  r.x1 = view.center_x + widget_w / 2.0 / cp;
  r.y0 = view.center_y - widget_h / 2.0 / cp;
  r.y1 = view.center_y + widget_h / 2.0 / cp;
  return r;
}

void widget_to_cells(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h, double px,
                     double py, double* cx, double* cy) {
  const double cp = cell_pixels(view, cols, rows, widget_w, widget_h);
  *cx = view.center_x + (px - widget_w / 2.0) / cp;
  *cy = view.center_y + (py - widget_h / 2.0) / cp;
}

void cells_to_widget(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h, double cx,
                     double cy, double* px, double* py) {
  const double cp = cell_pixels(view, cols, rows, widget_w, widget_h);
  *px = (cx - view.center_x) * cp + widget_w / 2.0;
  *py = (cy - view.center_y) * cp + widget_h / 2.0;
}

std::optional<Cell> cell_at(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h,
                            double px, double py) {
  if (px < 0 || py < 0 || px >= widget_w || py >= widget_h) return std::nullopt;
  double cx = 0, cy = 0;
  widget_to_cells(view, cols, rows, widget_w, widget_h, px, py, &cx, &cy);
  const double col = std::floor(cx), row = std::floor(cy);
  if (col < 0 || row < 0 || col >= static_cast<double>(cols) || row >= static_cast<double>(rows)) return std::nullopt;
  return Cell{static_cast<int64_t>(row), static_cast<int64_t>(col)};
}

// Along one axis: the centre that keeps [0, extent_cells) covering the window where it can.
static double clamp_axis(double center, double map_cells, double window_cells) {
  if (window_cells >= map_cells) return map_cells / 2.0;
  return std::clamp(center, window_cells / 2.0, map_cells - window_cells / 2.0);
}

MapViewport clamp_viewport(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h) {
  MapViewport v = view;
  v.zoom = std::clamp(v.zoom, kMinZoom, kMaxZoom);
  const double cp = cell_pixels(v, cols, rows, widget_w, widget_h);
  v.center_x = clamp_axis(v.center_x, static_cast<double>(cols), widget_w / cp);
  v.center_y = clamp_axis(v.center_y, static_cast<double>(rows), widget_h / cp);
  return v;
}

MapViewport zoom_at(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h, double px,
                    double py, double factor) {
  double cx = 0, cy = 0;
  widget_to_cells(view, cols, rows, widget_w, widget_h, px, py, &cx, &cy);
  MapViewport v = view;
  v.zoom = std::clamp(view.zoom * factor, kMinZoom, kMaxZoom);
  const double cp = cell_pixels(v, cols, rows, widget_w, widget_h);
  v.center_x = cx - (px - widget_w / 2.0) / cp;
  v.center_y = cy - (py - widget_h / 2.0) / cp;
  return clamp_viewport(v, cols, rows, widget_w, widget_h);
}

MapViewport pan_by(const MapViewport& view, int64_t cols, int64_t rows, double widget_w, double widget_h, double dx,
                   double dy) {
  const double cp = cell_pixels(view, cols, rows, widget_w, widget_h);
  MapViewport v = view;
  v.center_x -= dx / cp;
  v.center_y -= dy / cp;
  return clamp_viewport(v, cols, rows, widget_w, widget_h);
}

}  // namespace diffscope::ui
