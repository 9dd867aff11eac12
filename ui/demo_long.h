// Demo snapshots of any length (32K tokens and more) without a model and without dense maps: every map is a formula
// whose max-|value| pooling over a cell is found from a few of its entries, so overviews and windows of a 32K-token
// map cost about as much as the cells they have. For measuring and developing the views of long prompts on a machine
// without a GPU (--demo --demo-tokens 32768). Plain C++; any thread.
#pragma once

#include <cstdint>

#include "demo_snapshot.h"
#include "snapshot.h"

namespace diffscope::ui {

// The maps of one head of a long demo, as softmax rows over weights that depend on the distance d = i - j:
//   w(d) = (1 + d)^-alpha, times (1 + bump) when period > 0 and d is a multiple of it (a head that looks back by a
//   fixed stride), plus `sink` on key 0 and `spike` on key `spike_key` for the rows from `spike_row` on (retrieval);
//   a(i, j) = weight(i, j) / Z(i) over the keys j <= i.
// A Diff head's A2 shares w and has a stronger sink and no spike; D = A1 - lambda A2. With A2's sink at least A1's
// sink plus spike and lambda < 1, D's entries off key 0 and the spike key are positive and, at a fixed distance,
// shrink as the row grows: the property the pooling relies on (see demo_long.cpp).
struct LongDemoHead {
  double alpha = 1.0;
  int64_t period = 0;     // 0: no bump
  double bump = 0;
  double sink = 0;        // A (or A1)
  double spike = 0;       // A (or A1), rows >= spike_row, key spike_key
  double sink2 = 0;       // A2 (Diff only)
  double lambda = 0;      // Diff only
};

// One entry of a map of a long demo head; 0 above the diagonal. And a window of it, pooled as the store pools (what
// the store answers for that head). For tests.
double long_demo_value(const LongDemoHead& head, MapKind kind, int64_t tokens, int64_t i, int64_t j);
Matrix long_demo_window(const LongDemoHead& head, MapKind kind, int64_t tokens, const MapWindow& window);

// A snapshot of `spec.tokens` filler tokens (spec.text is ignored) with the shape of a long prompt's run: no dense
// maps; every map's overview (MapOverview::cell_for(T, 256)); a store that answers any window exactly (max |value|
// per cell, sign kept, 0 for cells with no causal entry); HeadStats averaged over 64 evenly spaced rows (exact
// per row; the whole-map statistics would cost T^2 per map); lambda per layer (V1).
AttentionSnapshot make_long_demo_snapshot(const DemoSpec& spec);

}  // namespace diffscope::ui
