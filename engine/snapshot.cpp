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

std::vector<MapKind> map_kinds_of(const ModelInfo& model) {
  if (model.kind == AttentionKind::Differential) return {MapKind::A1, MapKind::A2, MapKind::Diff};
  return {MapKind::Standard};
}

int64_t window_of_layer(const ModelInfo& model, int layer) {
  if (layer < 0 || static_cast<size_t>(layer) >= model.layer_windows.size()) return 0;
  return model.layer_windows[static_cast<size_t>(layer)];
}

namespace {

// The member of a per-kind quartet (maps, overviews, statistics) that holds `kind`.
template <class T>
T& of_kind(MapKind kind, T& standard, T& a1, T& a2, T& diff) {
  switch (kind) {
    case MapKind::A1: return a1;
    case MapKind::A2: return a2;
    case MapKind::Diff: return diff;
    case MapKind::Standard: break;
  }
  return standard;
}

}  // namespace

const std::vector<Matrix>& LayerCapture::maps(MapKind kind) const { return of_kind(kind, attn, attn1, attn2, diff); }
std::vector<Matrix>& LayerCapture::maps(MapKind kind) { return of_kind(kind, attn, attn1, attn2, diff); }

int64_t MapOverview::cell_for(int64_t T, int side) {
  const int64_t s = side < 1 ? 1 : side;
  if (T <= s) return 1;
  int64_t cell = 8;
  while (cell * s < T) cell *= 2;
  return cell;
}

const std::vector<Matrix>& MapOverview::maps(MapKind kind) const { return of_kind(kind, attn, attn1, attn2, diff); }
std::vector<Matrix>& MapOverview::maps(MapKind kind) { return of_kind(kind, attn, attn1, attn2, diff); }

const std::vector<HeadStats>& LayerCapture::stats(MapKind kind) const {
  return of_kind(kind, stats_attn, stats_attn1, stats_attn2, stats_diff);
}
std::vector<HeadStats>& LayerCapture::stats(MapKind kind) {
  return of_kind(kind, stats_attn, stats_attn1, stats_attn2, stats_diff);
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

int64_t snapshot_host_bytes(const AttentionSnapshot& snap) {
  auto matrix = [](const Matrix& m) { return static_cast<int64_t>(m.values.capacity() * sizeof(float)); };
  auto matrices = [&](const std::vector<Matrix>& v) {
    int64_t b = 0;
    for (const Matrix& m : v) b += matrix(m);
    return b;
  };
  int64_t bytes = matrix(snap.logits);
  for (const Token& t : snap.tokens) {
    bytes += static_cast<int64_t>(sizeof(Token) + t.text.capacity() + t.piece.capacity());
  }
  for (const LayerCapture& l : snap.layers) {
    bytes += matrices(l.attn) + matrices(l.attn1) + matrices(l.attn2) + matrices(l.diff);
    bytes += matrices(l.overview.attn) + matrices(l.overview.attn1) + matrices(l.overview.attn2) +
             matrices(l.overview.diff);
    bytes += matrix(l.lambda) + matrix(l.rollout);
    bytes += static_cast<int64_t>(sizeof(HeadStats) * (l.stats_attn.size() + l.stats_attn1.size() +
                                                       l.stats_attn2.size() + l.stats_diff.size()));
  }
  return bytes;
}

}  // namespace diffscope
