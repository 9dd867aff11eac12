// lambda by query row of a Diff head: whether a layer's lambda varies by row (Diff V2: lambda[h][t] per token and
// head; V1 repeats one value), one head's row series, min/mean/max summaries for the decomposition's lambda strip and
// the statistics panel, and where each visible row of a map lies on screen. Plain logic, no GL; any thread.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "map_viewport.h"
#include "snapshot.h"

namespace diffscope::ui {

// Two lambdas closer than this count as equal (V1 stores one value repeated exactly; V2's sigmoid varies far more).
constexpr double kLambdaRowTolerance = 1e-6;

// min, mean and max of some lambdas; NaN (and count 0) when there are none.
struct ValueRange {
  double min = std::numeric_limits<double>::quiet_NaN();
  double mean = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  int64_t count = 0;
  bool empty() const { return count == 0; }
  bool varies(double tolerance = kLambdaRowTolerance) const { return count > 0 && max - min > tolerance; }
};

ValueRange value_range(const std::vector<float>& values);

// True when some head of the layer has two query rows whose lambda differs by more than `tolerance` (Diff V2).
bool lambda_varies_by_row(const LayerCapture& layer, double tolerance = kLambdaRowTolerance);
// ... for some layer of the snapshot; false for a standard model.
bool lambda_varies_by_row(const AttentionSnapshot& snapshot, double tolerance = kLambdaRowTolerance);

// lambda[head][t] for t = 0 .. T-1 of one Diff head; empty for a standard model or a missing layer/head.
std::vector<float> head_lambda_rows(const AttentionSnapshot& snapshot, int layer, int head);

// Range over every head and row of a layer (head < 0) or over one head's rows; empty when the layer has no lambda.
ValueRange layer_lambda_range(const LayerCapture& layer, int head = -1);

// layer_lambda_range of every layer; empty ranges for a standard model.
std::vector<ValueRange> lambda_ranges_by_layer(const AttentionSnapshot& snapshot, int head = -1);

// The lambda axis of a plot: [0, 1] (V2's sigmoid range) widened to take in values outside it (V1 may leave it).
void lambda_axis(const ValueRange& range, double* lo, double* hi);

// The screen band of one map row: widget-relative y0 < y1, clipped to the widget's height.
struct RowBand {
  int64_t row = 0;
  double y0 = 0, y1 = 0;
};

// The rows of a cols x rows map that a widget of w x h pixels shows under `view`, top to bottom, with their bands
// (so a strip beside the map lines up with its rows under zoom and pan).
std::vector<RowBand> visible_row_bands(const MapViewport& view, int64_t cols, int64_t rows, double widget_w,
                                       double widget_h);

}  // namespace diffscope::ui
