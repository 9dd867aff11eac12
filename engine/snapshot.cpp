// Small accessors of the snapshot types. Any thread.
#include "snapshot.h"

#include <cmath>
#include <numeric>

namespace diffscope {

const char* map_kind_name(MapKind kind) {
  switch (kind) {
    case MapKind::Standard: return "attn";
    case MapKind::A1: return "attn1";
    case MapKind::A2: return "attn2";
    case MapKind::Diff: return "diff";
  }
  return "?";
}

const std::vector<Matrix>& LayerCapture::maps(MapKind kind) const {
  switch (kind) {
    case MapKind::A1: return attn1;
    case MapKind::A2: return attn2;
    case MapKind::Diff: return diff;
    case MapKind::Standard: break;
  }
  return attn;
}

const std::vector<HeadStats>& LayerCapture::stats(MapKind kind) const {
  switch (kind) {
    case MapKind::A1: return stats_attn1;
    case MapKind::A2: return stats_attn2;
    case MapKind::Diff: return stats_diff;
    case MapKind::Standard: break;
  }
  return stats_attn;
}

HeadStats mean_over_heads(const std::vector<HeadStats>& stats) {
  HeadStats mean{0, 0, 0, 0, 0, 0, 0};
  for (const HeadStats& s : stats) {
    mean.entropy += s.entropy;
    mean.sink_mass += s.sink_mass;
    mean.max_attention += s.max_attention;
    mean.distance += s.distance;
    mean.signal += s.signal;
    mean.noise += s.noise;
    mean.noise_abs += s.noise_abs;
  }
  const double n = stats.empty() ? NAN : static_cast<double>(stats.size());
  mean.entropy /= n;
  mean.sink_mass /= n;
  mean.max_attention /= n;
  mean.distance /= n;
  mean.signal /= n;
  mean.noise /= n;
  mean.noise_abs /= n;
  return mean;
}

double LayerCapture::mean_lambda() const {
  if (lambda.values.empty()) return 0.0;
  double sum = std::accumulate(lambda.values.begin(), lambda.values.end(), 0.0);
  return sum / static_cast<double>(lambda.values.size());
}

}  // namespace diffscope
