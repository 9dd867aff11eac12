// lambda by query row: variation, series, ranges, row bands. Any thread.
#include "lambda_rows.h"

#include <algorithm>
#include <cmath>

namespace diffscope::ui {

namespace {

// Folds values[begin, end) into running min / sum / max.
void accumulate(const std::vector<float>& values, size_t begin, size_t end, ValueRange* r, double* sum) {
  for (size_t i = begin; i < end; ++i) {
    const double v = values[i];
    if (r->count == 0) {
      r->min = r->max = v;
    } else {
      r->min = std::min(r->min, v);
      r->max = std::max(r->max, v);
    }
    *sum += v;
    ++r->count;
  }
}

}  // namespace

ValueRange value_range(const std::vector<float>& values) {
  ValueRange r;
  double sum = 0;
  accumulate(values, 0, values.size(), &r, &sum);
  if (r.count > 0) r.mean = sum / static_cast<double>(r.count);
  return r;
}

bool lambda_varies_by_row(const LayerCapture& layer, double tolerance) {
  const Matrix& l = layer.lambda;
  for (int64_t h = 0; h < l.rows; ++h) {
    for (int64_t t = 1; t < l.cols; ++t) {
      if (std::fabs(l.at(h, t) - l.at(h, 0)) > tolerance) return true;
    }
  }
  return false;
}

bool lambda_varies_by_row(const AttentionSnapshot& snapshot, double tolerance) {
  if (snapshot.model.kind != AttentionKind::Differential) return false;
  for (const LayerCapture& layer : snapshot.layers) {
    if (lambda_varies_by_row(layer, tolerance)) return true;
  }
  return false;
}

std::vector<float> head_lambda_rows(const AttentionSnapshot& snapshot, int layer, int head) {
  if (snapshot.model.kind != AttentionKind::Differential) return {};
  if (layer < 0 || layer >= static_cast<int>(snapshot.layers.size())) return {};
  const Matrix& l = snapshot.layers[static_cast<size_t>(layer)].lambda;
  if (l.empty() || head < 0 || head >= l.rows) return {};
  const auto begin = l.values.begin() + static_cast<std::ptrdiff_t>(head * l.cols);
  return std::vector<float>(begin, begin + static_cast<std::ptrdiff_t>(l.cols));
}

ValueRange layer_lambda_range(const LayerCapture& layer, int head) {
  const Matrix& l = layer.lambda;
  ValueRange r;
  if (l.empty() || head >= l.rows) return r;
  double sum = 0;
  if (head < 0) {
    accumulate(l.values, 0, l.values.size(), &r, &sum);
  } else {
    const size_t begin = static_cast<size_t>(head * l.cols);
    accumulate(l.values, begin, begin + static_cast<size_t>(l.cols), &r, &sum);
  }
  if (r.count > 0) r.mean = sum / static_cast<double>(r.count);
  return r;
}

std::vector<ValueRange> lambda_ranges_by_layer(const AttentionSnapshot& snapshot, int head) {
  std::vector<ValueRange> out(snapshot.layers.size());
  if (snapshot.model.kind != AttentionKind::Differential) return out;
  for (size_t i = 0; i < snapshot.layers.size(); ++i) out[i] = layer_lambda_range(snapshot.layers[i], head);
  return out;
}

void lambda_axis(const ValueRange& range, double* lo, double* hi) {
  *lo = 0;
  *hi = 1;
  if (range.empty()) return;
  *lo = std::min(*lo, range.min);
  *hi = std::max(*hi, range.max);
}

std::vector<RowBand> visible_row_bands(const MapViewport& view, int64_t cols, int64_t rows, double widget_w,
                                       double widget_h) {
  std::vector<RowBand> bands;
  if (rows <= 0 || cols <= 0 || widget_w <= 0 || widget_h <= 0) return bands;
  const CellRect cells = visible_cells(view, cols, rows, widget_w, widget_h);
  const int64_t first = std::max<int64_t>(0, static_cast<int64_t>(std::floor(cells.y0)));
  const int64_t last = std::min<int64_t>(rows, static_cast<int64_t>(std::ceil(cells.y1)));
  for (int64_t r = first; r < last; ++r) {
    double x = 0, top = 0, bottom = 0;
    cells_to_widget(view, cols, rows, widget_w, widget_h, 0, static_cast<double>(r), &x, &top);
    cells_to_widget(view, cols, rows, widget_w, widget_h, 0, static_cast<double>(r + 1), &x, &bottom);
    top = std::max(top, 0.0);
    bottom = std::min(bottom, widget_h);
    if (bottom > top) bands.push_back(RowBand{r, top, bottom});
  }
  return bands;
}

}  // namespace diffscope::ui
