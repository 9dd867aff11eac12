// Per-layer series the statistics panel plots and tabulates (head means of HeadStats, lambda, outliers) and the
// definition of each statistic shown on hover. Plain logic, no GL; any thread (reads an immutable snapshot).
#pragma once

#include <string>
#include <vector>

#include "lambda_summary.h"
#include "snapshot.h"

namespace diffscope::ui {

enum class Stat {
  Entropy,
  SinkMass,
  MaxAttention,
  Distance,
  Signal,
  Noise,
  NoiseAbs,        // noise over |entries|: for D, what the signed sum could hide by cancellation
  Lambda,          // Diff only: mean lambda of the layer (V2: over heads and rows; of one head: over its rows)
  LogitTop1,       // |attention logits| top-1
  LogitMedian,
  HiddenTop1,      // |hidden states| top-1
  HiddenMedian,
};
constexpr int kNumStats = 12;

const char* stat_name(Stat stat);        // short column title, e.g. "sink mass"
const char* stat_definition(Stat stat);  // REFERENCE.md section 6 wording, with how signed Diff maps are treated
bool stat_is_per_head(Stat stat);        // true for HeadStats fields, false for lambda and outliers

// The map kind whose statistics represent a model in the panel: D for a Diff model, the softmax map otherwise.
MapKind primary_kind(const AttentionSnapshot& snapshot);

// One value per layer: for per-head statistics the mean over heads (or head `head` when >= 0) of map `kind`; for the
// others the layer's value. NaN where a layer has no value (e.g. signal/noise without a marked span). Lambda comes from
// `lambda` (the snapshot's summary, made once per snapshot: walking lambda is O(layers x heads x T)); NaN without it.
std::vector<float> layer_series(const AttentionSnapshot& snapshot, Stat stat, MapKind kind, int head = -1,
                                const LambdaSummary* lambda = nullptr);

// Every how many layers a plot `width_px` wide draws a layer tick so that ticks of `layers` layers spread over the
// width (first to last) are at least `min_spacing_px` apart: 1, 2, 5, 10, 20, 50, ...
int layer_tick_step(int layers, float width_px, float min_spacing_px = 6.0f);

// The statistics table as tab-separated text for the clipboard (spreadsheets paste it as cells): a header of "layer"
// and the statistics' names, then a row per layer of A ("A L0", ...) and of B, values with 9 significant digits, a
// missing value (NaN) as an empty cell. series_a[k] / series_b[k]: stat k's values per layer (either may be empty).
// With `only_row` >= 0 just the header and that row (rows counted A's first, then B's).
std::string stats_table_tsv(const std::vector<Stat>& stats, const std::vector<std::vector<float>>& series_a,
                            const std::vector<std::vector<float>>& series_b, int only_row = -1);

// The value of a per-head statistic for one head (NaN when missing).
double head_stat(const AttentionSnapshot& snapshot, Stat stat, MapKind kind, int layer, int head);

}  // namespace diffscope::ui
