// Derived maps the views draw (pooling, row normalization, lambda scaling, head means). Any thread.
#include "map_transforms.h"

#include <algorithm>
#include <cmath>

namespace diffscope::ui {

int64_t pool_factor(int64_t rows, int64_t cols, int64_t max_side) {
  const int64_t side = std::max(rows, cols);
  if (max_side <= 0 || side <= max_side) return 1;
  return (side + max_side - 1) / max_side;
}

PooledMap pool_max(const Matrix& map, int64_t max_side, bool signed_values) {
  return pool_by(map, pool_factor(map.rows, map.cols, max_side), signed_values);
}

PooledMap pool_by(const Matrix& map, int64_t factor, bool signed_values) {
  PooledMap out;
  out.factor = std::max<int64_t>(1, factor);
  if (out.factor == 1) {
    out.values = map;
    return out;
  }
  const int64_t f = out.factor;
  Matrix& p = out.values;
  p.rows = (map.rows + f - 1) / f;
  p.cols = (map.cols + f - 1) / f;
  p.values.assign(static_cast<size_t>(p.rows * p.cols), 0.0f);
  std::vector<bool> seen(p.values.size(), false);
  for (int64_t r = 0; r < map.rows; ++r) {
    const int64_t pr = r / f;
    for (int64_t c = 0; c < map.cols; ++c) {
      const size_t idx = static_cast<size_t>(pr * p.cols + c / f);
      const float v = map.at(r, c);
      float& best = p.values[idx];
      const bool better = signed_values ? std::fabs(v) > std::fabs(best) : v > best;
      if (!seen[idx] || better) {
        best = v;
        seen[idx] = true;
      }
    }
  }
  return out;
}

int pyramid_level(double texels_per_pixel, int levels) {
  if (!(texels_per_pixel > 1.0) || levels <= 1) return 0;
  const int level = static_cast<int>(std::ceil(std::log2(texels_per_pixel) - 1e-9));
  return std::min(level, levels - 1);
}

Matrix row_normalized(const Matrix& map) {
  Matrix out = map;
  for (int64_t r = 0; r < map.rows; ++r) {
    float peak = 0.0f;
    for (int64_t c = 0; c < map.cols; ++c) peak = std::max(peak, std::fabs(map.at(r, c)));
    if (peak <= 0.0f) continue;
    for (int64_t c = 0; c < map.cols; ++c) out.values[static_cast<size_t>(r * map.cols + c)] /= peak;
  }
  return out;
}

Matrix scale_rows(const Matrix& map, const float* factors, int64_t count) {
  Matrix out = map;
  for (int64_t r = 0; r < map.rows; ++r) {
    const float f = r < count ? factors[r] : 1.0f;
    for (int64_t c = 0; c < map.cols; ++c) out.values[static_cast<size_t>(r * map.cols + c)] *= f;
  }
  return out;
}

Matrix head_mean(const std::vector<Matrix>& maps) {
  Matrix out;
  int64_t n = 0;
  for (const Matrix& m : maps) {
    if (m.empty()) continue;
    if (n == 0) {
      out.rows = m.rows;
      out.cols = m.cols;
      out.values.assign(m.values.size(), 0.0f);
    }
    if (m.rows != out.rows || m.cols != out.cols) continue;
    for (size_t i = 0; i < m.values.size(); ++i) out.values[i] += m.values[i];
    ++n;
  }
  if (n > 1) {
    for (float& v : out.values) v /= static_cast<float>(n);
  }
  return out;
}

}  // namespace diffscope::ui
