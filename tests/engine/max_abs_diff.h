// The largest |a[i] - b[offset + i]| of two float vectors, for the tests that compare the engine with HF's fixtures
// (test_model_hf, test_model_hf_families). Any thread; header only.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace diffscope::testing {

// Infinity when an entry is NaN or the slice of `b` is shorter than `a`, so that a bound check fails.
inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b, size_t offset = 0) {
  if (offset + a.size() > b.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - b[offset + i]);
    if (std::isnan(d)) return INFINITY;
    worst = std::max(worst, d);
  }
  return worst;
}

}  // namespace diffscope::testing
