// What the views need of each layer's lambda ([heads, T]), computed in one pass per snapshot so that frames never walk
// the prompt: per layer its mean, whether it varies by row, and min/mean/max over all heads and per head. Plain logic,
// no GL; any thread may compute one (the UI thread keeps one per slot: slot_lambda.h).
#pragma once

#include <cstdint>
#include <vector>

#include "lambda_rows.h"
#include "snapshot.h"

namespace diffscope::ui {

struct LayerLambdaSummary {
  double mean = 0;             // LayerCapture::mean_lambda: 0 without lambda
  bool varies_by_row = false;  // lambda_varies_by_row(layer) with kLambdaRowTolerance
  ValueRange all;              // layer_lambda_range(layer)
  std::vector<ValueRange> heads;  // layer_lambda_range(layer, h) for h < lambda.rows
};

struct LambdaSummary {
  bool differential = false;   // a Diff model's snapshot (a standard one has no lambda: every query says so)
  bool varies_by_row = false;  // lambda_varies_by_row(snapshot)
  std::vector<LayerLambdaSummary> layers;  // one per snapshot layer (also for a standard model, all empty)

  // The layer's summary, or null for a layer out of range.
  const LayerLambdaSummary* layer(int layer) const;
  // Whether that layer's lambda varies by row (false out of range or for a standard model).
  bool layer_varies_by_row(int layer) const;
  // layer_lambda_range(layer, head): over every head and row (head < 0) or one head's rows; empty when missing.
  ValueRange range(int layer, int head = -1) const;
  // lambda_ranges_by_layer(snapshot, head): empty ranges for a standard model.
  std::vector<ValueRange> ranges_by_layer(int head = -1) const;
  // The Stat::Lambda value of a layer: the head's mean (head >= 0; NaN for a missing head) or the layer's mean
  // (mean_lambda); NaN for a standard model.
  double mean(int layer, int head = -1) const;
};

// One pass over every layer's lambda (O(layers x heads x T)): call once per snapshot, never per frame. Equal to the
// direct functions of lambda_rows.h and LayerCapture::mean_lambda (the same sums in the same order) for lambda
// without NaN (the engine's lambda is a parameter or a sigmoid: finite).
LambdaSummary summarize_lambda(const AttentionSnapshot& snapshot);

}  // namespace diffscope::ui
