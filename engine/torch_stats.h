// Internal to engine/: statistics over stacks of attention maps as tensors, computed on the maps' device.
// Called by the thread that owns the model.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "snapshot.h"

namespace diffscope {

// maps: (N, T, T) float32, zero above the diagonal. Returns one HeadStats per map.
// Runs head_statistics_host for CPU tensors and head_statistics_aten on other devices.
std::vector<HeadStats> head_statistics(const at::Tensor& maps, bool signed_map, const CaptureRequest& request);

// The signal/noise region of a request as (T) vectors: query-row weights (1/|Q| on the rows of Q), the span R as
// 0/1 and the context outside R (C minus R) as 0/1. All empty when the request has no span.
struct SignalRegion {
  std::vector<float> query_weight, span, outside;
};
SignalRegion signal_region(const CaptureRequest& request, int64_t T);

// A vector built on the host (such as a region's), moved to `options`' device and dtype in one copy, without waiting
// for the device.
at::Tensor to_device(const std::vector<float>& v, const at::TensorOptions& options);

// signal, noise and |noise| of maps already cut to the query rows of `region`: rows (..., N, R, T) float32 and weight
// (R) the rows' query weights, on one device. Returns (..., N, 3) float32 on that device.
at::Tensor signal_noise_of_rows(const at::Tensor& rows, const at::Tensor& weight, const SignalRegion& region);
// The same with the region's span and outside already on the rows' device as (T) float32 0/1 vectors.
at::Tensor signal_noise_of_rows(const at::Tensor& rows, const at::Tensor& weight, const at::Tensor& span,
                                const at::Tensor& outside);

// The two implementations: plain loops over host memory (maps: N * T * T floats, row-major), and ATen ops.
std::vector<HeadStats> head_statistics_host(const float* maps, int64_t N, int64_t T, bool signed_map,
                                            const SignalRegion& region);
std::vector<HeadStats> head_statistics_aten(const at::Tensor& maps, bool signed_map, const SignalRegion& region);

// One step of attention rollout (Abnar & Zuidema 2020, REFERENCE.md section 6). mean_map: (T, T) float32, the head
// mean of a layer's maps. Its rows are divided by their sums (1 for softmax maps; 1 - lambda for D, whose negative
// entries are kept: a signed rollout, with rows that still sum to 1; a row summing to ~0 becomes 0), mixed half and
// half with the identity for the residual stream, and multiplied onto the rollout of the layers below (`so_far`;
// undefined for the first layer).
at::Tensor rollout_step(const at::Tensor& mean_map, const at::Tensor& so_far);

// |values| of any shape: top-1, 10th largest (or the smallest when fewer than 10) and median (lower of the two middle
// values, as torch.median).
OutlierStats outlier_statistics(const at::Tensor& values);

// The same for absolute values in which `excluded` entries (e.g. masked attention logits) were set to -1.
OutlierStats outlier_statistics_of_abs(const at::Tensor& abs_values, int64_t excluded);

// The same figures as a (3) float64 tensor [top-1, 10th largest, median] on the values' device, computed without
// waiting for the device (empty values: NaN); outlier_stats_of reads such a tensor once it is on the host.
at::Tensor outlier_order_statistics(const at::Tensor& abs_values, int64_t excluded);
OutlierStats outlier_stats_of(const at::Tensor& host_figures);

// [top-1, 10th largest, median] of |values| as a (3) float64 tensor on their device, without waiting: bf16 / f16 CUDA
// tensors by counting bit patterns (magnitude_order.h; exact, no sort) where the CUDA kernels are built, others as
// outlier_order_statistics(values.abs(), 0). Empty values: NaN.
at::Tensor magnitude_order_statistics(const at::Tensor& values);
OutlierStats outlier_stats_of_values(const double* figures);  // the same from its three values

// magnitude_order_statistics of a layer's output over rows [0, T) for a run that keeps what the next run needs
// (run_cache_state.h): `rows` are rows [first, T) (T - first, hidden); prior_counts / prior_abs hold rows [0, first)
// as an earlier call left them in counts / magnitudes (undefined when first is 0). bf16 / f16 CUDA values are
// counted per chunk of `chunk_rows` rows ((chunks, 2^15) int64 in `counts`); others keep their magnitudes
// ((T, hidden) in `magnitudes`). The figures equal magnitude_order_statistics of all T rows.
at::Tensor kept_magnitude_order_statistics(const at::Tensor& rows, int64_t first, int64_t chunk_rows,
                                           const at::Tensor& prior_counts, const at::Tensor& prior_abs,
                                           at::Tensor& counts, at::Tensor& magnitudes);

}  // namespace diffscope
