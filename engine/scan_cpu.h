// Internal to engine/: the streaming scan of attention_scan.h on the CPU, fast. Scores come a block of rows at a time
// from at::matmul (the explicit path's own operation, so they are equal to it), and one pass per row does both of the
// twin's passes (a row's normalizer needs only that row), on every core, heads split between threads. The host twin
// stays the plain reference; tests compare both with loops over whole maps. Called by the thread that owns the model.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "attention_maps.h"

namespace diffscope {

// What the scan of one layer produced (float32 tensors on the scan's device unless said).
// Rows before `first_row` (an incremental run's reused rows, run_cache.h) are not scanned: their entries in rows,
// diff_rows, their cell rows of the overviews and their histogram chunks are zero, for the caller to fill.
struct ScanResult {
  at::Tensor rows;                              // (6, H, T): lse, entropy, max, distance, sink, max |s| of each row
  at::Tensor histogram;                         // (chunks, kLogitBins) int64: counts of |s| over the causal entries
                                                // of query rows [c * chunk_rows, (c + 1) * chunk_rows)
  at::Tensor overview;                          // (H, C, C) max of p per cell
  at::Tensor diff_overview;                     // (P, C, C) entry of largest |D| per cell, sign kept
  at::Tensor diff_rows;                         // (2, P, T): entropy and max of D's positive part renormalized
};

// q (H, T, d), k (KV, T, d) rotated, CPU, compute dtype; lambda (P, T) float32 for a Diff layer; `window`: the
// layer's sliding window W (0: none), row i then sees keys max(0, i - W + 1) .. i. Scans query rows [first_row, T)
// (first_row a multiple of `cell` and of chunk_rows); histogram chunks of `chunk_rows` rows (0: one chunk of T).
ScanResult scan_layer_cpu(const at::Tensor& q, const at::Tensor& k, const at::Tensor& lambda, const HeadLayout& layout,
                          int64_t cell, int64_t window = 0, int64_t first_row = 0, int64_t chunk_rows = 0);

}  // namespace diffscope
