// Internal to engine/: each layer's statistics of every head, pooled overviews of every map and attention-logit
// outlier figures, from its rotated queries and keys, in memory that grows with T, not T x T. Runs the CUDA kernels
// for CUDA tensors where they were built, else the CPU scan (scan_cpu.h). Called by the thread that owns the model.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attention_maps.h"
#include "deferred_host.h"
#include "run_cache_state.h"
#include "side_stream.h"
#include "snapshot.h"

namespace diffscope {

// The scans of one run's whole-prompt layers (T queries over the same T keys). Each layer's scan and its overviews'
// copies are queued as the layer comes; with statistics, its per-row results stay on the device until flush(), which
// turns every gathered layer into HeadStats and outlier figures in a few batched operations: reducing each layer on
// its own took a few dozen small launches per layer, which bounded a short prompt's run on a GPU by the host. After
// flush, deferred.finish() fills capture.stats_* (request.statistics), capture.overview (request.overviews),
// capture.attn_logits and capture.hidden_states. Every `capture` must stay where it is until then.
//
// An incremental run (run_cache_state.h, docs/incremental-runs.md) scans only query rows [first_row, T) and takes the
// rows before them from the earlier run's results: first_row is a multiple of chunk_rows (the rows of one histogram
// chunk, a multiple of 64; 0: one chunk, for runs that keep nothing) and of the overview's cell.
class RunScan {
 public:
  RunScan(const HeadLayout& layout, const CaptureRequest& request, int64_t T, const at::Device& device,
          int64_t first_row = 0, int64_t chunk_rows = 0);
  ~RunScan();
  RunScan(const RunScan&) = delete;
  RunScan& operator=(const RunScan&) = delete;

  // Queues the scan of `layer` (queries and keys of all T rows). `prior`: the earlier run's results of this layer,
  // for the rows before first_row (needed when first_row > 0); `keep`: receives this layer's results over all T rows
  // for the next run (none: nothing is kept).
  void scan(const LayerQK& layer, LayerCapture& capture, DeferredHost& deferred, const CachedScan* prior = nullptr,
            CachedScan* keep = nullptr);
  // `figures`: outlier_order_statistics of |the layer's output| (a (3) float64 tensor on the device), for
  // capture.hidden_states; reaches the host with the layer's statistics.
  void add_hidden_state_figures(LayerCapture& capture, const at::Tensor& figures);
  // After a layer's scan and figures: flushes when the gathered per-row results pass kFlushBytes (a long prompt's
  // rows are 25 MiB per layer at 32K tokens), or always with stage_profile.h's epilogue_baseline() (each layer on its
  // own, as runs did before session 9). The gathered layers' q and k stay referenced until then, for flush()'s
  // recomputed rows: free when a map store keeps them anyway (the app, `bench`); without one (`run --stats`) their
  // bytes count toward kFlushBytes too (at 32K tokens for the 1B shape, 167 MB per layer: a flush every two layers).
  void layer_done(DeferredHost& deferred);
  // Reduces the layers gathered since the last flush and queues their copies to the host.
  void flush(DeferredHost& deferred);
  static constexpr int64_t kFlushBytes = int64_t{256} << 20;

 private:
  struct Layer;
  struct Region;
  Layer& layer_of(LayerCapture& capture);
  HeadLayout layout_;
  CaptureRequest request_;
  int64_t T_;
  int64_t first_row_, chunk_rows_;
  std::vector<Layer> layers_;
  std::unique_ptr<Region> region_;  // the signal/noise query rows and key sets on the device (none without a span)
  SideStream side_;                 // where a GPU's scans run, beside the forward
};

// Whether the CUDA scan kernels' sliding-window band (engine/cuda/attention_scan.cu) has been checked against the host
// twin on a GPU (the [window] cases of tests/engine/test_attention_scan_cuda.cpp). While false, a CUDA run with the
// kernels refuses statistics and overviews of a layer whose window is shorter than the prompt (scan_refusal).
// Checked on the H200 in session 7 (2026-12-02): 6169 of 6170 assertions, the one left a max-pooled overview's mean
// moved by two legitimate 1-ulp f16 score flips (replayed exactly on the CPU; the test's sum check now sets aside the
// two largest differences, as its count check allows two outliers; docs/attention-scan.md), and every cuda test with
// the band on (test_model_families_cuda compares sliding-window statistics with a double reference) passed.
constexpr bool kCudaScanBandVerified = true;

// Whether the CUDA scan kernels' soft cap (Gemma 2's attn_logit_softcapping; attention_scan.cu soft_cap_pair) has
// been checked against the host twin on a GPU (the [softcap] cases of tests/engine/test_attention_scan_cuda.cpp).
// While false, a CUDA run with the kernels refuses statistics and overviews of a soft-capped model (scan_refusal).
// Set in session 9 (H200, 2026-12-02): test_attention_scan_cuda "[softcap]" (caps 0.5 / 2 / 50, f32 / bf16 / f16,
// with and without a window) and every cuda test passed; HF's Gemma 2 equals the CLI (scripts/check_against_hf.py).
constexpr bool kCudaScanSoftcapVerified = true;

// "" when the scan of a layer with sliding window `window` (0: none) and soft cap `softcap` (0: none) over T tokens
// can run on a device (`cuda`: a CUDA one), else why not and what to do instead.
std::string scan_refusal(bool cuda, int64_t T, int64_t window, int layer, double softcap = 0);

}  // namespace diffscope
