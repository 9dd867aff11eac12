// Internal to engine/: statistics over stacks of attention maps as tensors, computed on the maps' device.
// Called by the thread that owns the model.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "snapshot.h"

namespace diffscope {

// maps: (N, T, T) float32, zero above the diagonal. Returns one HeadStats per map.
std::vector<HeadStats> head_statistics(const at::Tensor& maps, bool signed_map, const CaptureRequest& request);

// |values| of any shape: top-1, 10th largest (or the smallest when fewer than 10) and median (lower of the two middle
// values, as torch.median).
OutlierStats outlier_statistics(const at::Tensor& values);

// The same for absolute values in which `excluded` entries (e.g. masked attention logits) were set to -1.
OutlierStats outlier_statistics_of_abs(const at::Tensor& abs_values, int64_t excluded);

}  // namespace diffscope
