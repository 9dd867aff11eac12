// One pass over a snapshot's lambda: the per-layer and per-head figures the views read every frame. Any thread.
#include "lambda_summary.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace diffscope::ui {

namespace {

// Folds one head's row [begin, end) of lambda into its range and the layer's running sum (the layer's sum continues
// across heads in storage order, as LayerCapture::mean_lambda's accumulate does, so the means are bit-equal).
ValueRange head_range(const std::vector<float>& values, size_t begin, size_t end, double* layer_sum, bool* varies) {
  ValueRange r;
  if (begin == end) return r;
  double head_sum = 0;
  float lo = values[begin], hi = values[begin];
  for (size_t i = begin; i < end; ++i) {
    const float v = values[i];
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    head_sum += static_cast<double>(v);
    *layer_sum += static_cast<double>(v);
  }
  r.min = lo;
  r.max = hi;
  r.count = static_cast<int64_t>(end - begin);
  r.mean = head_sum / static_cast<double>(r.count);
  // lambda_varies_by_row asks whether |v - first| > tolerance for some row, in float arithmetic. Rounding of v - first
  // is monotonic in v, so the largest such difference is the one at the row's max or min: the same answer, exactly.
  const float first = values[begin];
  if (std::fabs(hi - first) > kLambdaRowTolerance || std::fabs(first - lo) > kLambdaRowTolerance) *varies = true;
  return r;
}

LayerLambdaSummary summarize_layer(const Matrix& lambda) {
  LayerLambdaSummary s;
  if (lambda.empty() || lambda.rows <= 0 || lambda.cols <= 0) return s;
  double sum = 0;
  s.heads.reserve(static_cast<size_t>(lambda.rows));
  for (int64_t h = 0; h < lambda.rows; ++h) {
    const size_t begin = static_cast<size_t>(h * lambda.cols);
    const ValueRange r = head_range(lambda.values, begin, begin + static_cast<size_t>(lambda.cols), &sum,
                                    &s.varies_by_row);
    if (s.all.count == 0) {
      s.all.min = r.min;
      s.all.max = r.max;
    } else {
      s.all.min = std::min(s.all.min, r.min);
      s.all.max = std::max(s.all.max, r.max);
    }
    s.all.count += r.count;
    s.heads.push_back(r);
  }
  s.all.mean = sum / static_cast<double>(s.all.count);
  s.mean = s.all.mean;
  return s;
}

}  // namespace

const LayerLambdaSummary* LambdaSummary::layer(int layer) const {
  if (layer < 0 || layer >= static_cast<int>(layers.size())) return nullptr;
  return &layers[static_cast<size_t>(layer)];
}

bool LambdaSummary::layer_varies_by_row(int l) const {
  const LayerLambdaSummary* s = layer(l);
  return differential && s != nullptr && s->varies_by_row;
}

ValueRange LambdaSummary::range(int l, int head) const {
  const LayerLambdaSummary* s = layer(l);
  if (!differential || s == nullptr) return {};
  if (head < 0) return s->all;
  if (head >= static_cast<int>(s->heads.size())) return {};
  return s->heads[static_cast<size_t>(head)];
}

std::vector<ValueRange> LambdaSummary::ranges_by_layer(int head) const {
  std::vector<ValueRange> out(layers.size());
  for (size_t l = 0; l < layers.size(); ++l) out[l] = range(static_cast<int>(l), head);
  return out;
}

double LambdaSummary::mean(int l, int head) const {
  const LayerLambdaSummary* s = layer(l);
  if (!differential || s == nullptr) return std::numeric_limits<double>::quiet_NaN();
  return head >= 0 ? range(l, head).mean : s->mean;
}

LambdaSummary summarize_lambda(const AttentionSnapshot& snapshot) {
  LambdaSummary out;
  out.differential = snapshot.model.kind == AttentionKind::Differential;
  out.layers.resize(snapshot.layers.size());
  if (!out.differential) return out;  // no lambda to read
  for (size_t l = 0; l < snapshot.layers.size(); ++l) {
    out.layers[l] = summarize_layer(snapshot.layers[l].lambda);
    out.varies_by_row = out.varies_by_row || out.layers[l].varies_by_row;
  }
  return out;
}

}  // namespace diffscope::ui
