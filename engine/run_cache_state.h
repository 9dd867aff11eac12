// Internal to engine/: what a run keeps for the next one (model.h RunCache; docs/incremental-runs.md): per layer the
// rotated queries, keys and values, lambda and the scan's per-row results and chunked counts, all on the run's
// device. Built and read by the thread that owns the model.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace diffscope {

// One layer's scan results over rows [0, T), as RunScan keeps them (layer_scan.h).
struct CachedScan {
  at::Tensor rows;           // (6, H, T) float32: lse, entropy, max, distance, sink, max |s|
  at::Tensor diff_rows;      // (2, P, T) float32 (Diff only)
  at::Tensor histogram;      // (chunks, kLogitBins) int64: |s| counts per chunk of query rows
  at::Tensor overview;       // (H, C, C) float32, undefined without overviews
  at::Tensor diff_overview;  // (P, C, C) float32 (Diff only)
  // |the layer's output| for its order statistics: (chunks, 2^15) int64 counts of 16-bit patterns per chunk of rows
  // (CUDA, bf16 / f16), else the (T, hidden) magnitudes themselves.
  at::Tensor hidden_counts, hidden_abs;
};

struct CachedLayer {
  at::Tensor q, k, v;  // (H, T, d) rotated, (KV, T, d) rotated, (KV, T, dv)
  at::Tensor lambda;   // (P, T) float32 as the layer used it (Diff only)
  CachedScan scan;
};

// What must be equal between two runs (both with statistics and overviews) for the later one to reuse the earlier's
// rows.
struct RunCacheKey {
  bool explicit_attention = false;
  int64_t cell = 0;        // the overview's cell
  int64_t chunk_rows = 0;  // the rows of a chunk (histograms, hidden-state counts)
  bool operator==(const RunCacheKey& o) const {
    return explicit_attention == o.explicit_attention && cell == o.cell && chunk_rows == o.chunk_rows;
  }
};

struct RunCacheState {
  const void* model = nullptr;  // the Model::Impl that made it
  std::vector<int64_t> ids;
  RunCacheKey key;
  std::vector<CachedLayer> layers;
  int64_t bytes() const;
};

}  // namespace diffscope
