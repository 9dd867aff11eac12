// Attention statistics of REFERENCE.md section 6 for plain matrices (the tensor version lives in torch_stats.h).
// Any thread.
#pragma once

#include <vector>

#include "snapshot.h"

namespace diffscope {

// Statistics of one [T, T] map (causal: entries above the diagonal are ignored). `signed_map` marks a Diff map D:
// entropy and max attention then use the positive part of each row renormalized; the sums stay signed.
// Signal/noise use request.span / request.context / request.query_rows. Runs on $DIFFSCOPE_TEST_DEVICE when set
// ("cuda"), else the CPU.
HeadStats head_statistics(const Matrix& map, bool signed_map, const CaptureRequest& request);

// top-1, 10th largest and median of |values|.
OutlierStats outlier_statistics(const std::vector<float>& values);

}  // namespace diffscope
