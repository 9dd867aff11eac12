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
struct ScanResult {
  at::Tensor rows;                              // (6, H, T): lse, entropy, max, distance, sink, max |s| of each row
  std::vector<unsigned long long> histogram;    // (kLogitBins) counts of |s| over every causal entry
  at::Tensor overview;                          // (H, C, C) max of p per cell
  at::Tensor diff_overview;                     // (P, C, C) entry of largest |D| per cell, sign kept
  at::Tensor diff_rows;                         // (2, P, T): entropy and max of D's positive part renormalized
  std::vector<float> top_abs;                   // the 10 largest |s| (fewer when there are fewer entries), descending;
                                                // empty when they could not be kept exactly (then: the histogram)
  // From the CUDA kernels, the outlier data still on the device (histogram and top_abs above stay empty): the counts
  // (kLogitBins, int64), the 10 largest stored candidates in descending order (-1 past the stored ones), and how many
  // candidates were found (one int64; more than candidate_capacity: not all stored, so top_abs is not exact).
  at::Tensor histogram_device, top_abs_device, candidate_count_device;
  int64_t candidate_capacity = 0;
};

// q (H, T, d), k (KV, T, d) rotated, CPU, compute dtype; lambda (P, T) float32 for a Diff layer; `window`: the
// layer's sliding window W (0: none), row i then sees keys max(0, i - W + 1) .. i.
ScanResult scan_layer_cpu(const at::Tensor& q, const at::Tensor& k, const at::Tensor& lambda, const HeadLayout& layout,
                          int64_t cell, int64_t window = 0);

}  // namespace diffscope
