// Derived maps the views draw: max-pooling for maps larger than the GL texture limit, per-row normalization,
// lambda-scaled A2, head means. Plain C++, no GL; any thread (pure functions of their inputs).
#pragma once

#include <cstdint>
#include <vector>

#include "snapshot.h"

namespace diffscope::ui {

// A map reduced by `factor` x `factor` blocks: cell (r, c) of `values` covers source rows [r*factor, (r+1)*factor).
struct PooledMap {
  Matrix values;
  int64_t factor = 1;
};

// Block size that brings the larger side of a rows x cols map to at most `max_side`.
int64_t pool_factor(int64_t rows, int64_t cols, int64_t max_side);

// Max-pools `map` so no side exceeds `max_side` (a copy with factor 1 when it already fits). Max, not mean, so a single
// sharp attention spike survives pooling. For signed maps (`signed_values`, the Diff map D) each block keeps its entry of
// largest magnitude with its sign, so strong negative (cancelled) attention survives too.
PooledMap pool_max(const Matrix& map, int64_t max_side, bool signed_values);

// The same pooling by a given block size (`factor` >= 1).
PooledMap pool_by(const Matrix& map, int64_t factor, bool signed_values);

// Which level of a max-pooled pyramid (level k pools 2^k x 2^k texels into one) a draw reads so that no cell is
// skipped on screen: with more than one texel per pixel (the larger of the two axes), the level whose blocks are at
// least a pixel wide, so every block is under some pixel's centre and a single spike stays visible. `levels`: how
// many the pyramid has (level 0 included).
int pyramid_level(double texels_per_pixel, int levels);

// Each row divided by its largest |value| (rows that are all zero stay zero): shows where each query looks, however
// concentrated its attention is.
Matrix row_normalized(const Matrix& map);

// Row i of `map` multiplied by factors[i] (lambda * A2: lambda is per query row, [T]).
Matrix scale_rows(const Matrix& map, const float* factors, int64_t count);

// Element-wise mean of the non-empty maps that have the shape of the first non-empty one (empty if none).
Matrix head_mean(const std::vector<Matrix>& maps);

}  // namespace diffscope::ui
