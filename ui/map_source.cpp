// Derived maps and their texture cache. Main (UI) thread.
#include "map_source.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "colormap.h"
#include "map_transforms.h"

namespace diffscope::ui {

const char* variant_title(MapVariant variant) {
  switch (variant) {
    case MapVariant::A1: return "A1";
    case MapVariant::A2: return "A2";
    case MapVariant::LambdaA2: return "\xCE\xBB \xC2\xB7 A2";                 // λ · A2
    case MapVariant::Diff: return "D = A1 \xE2\x88\x92 \xCE\xBB \xC2\xB7 A2";  // D = A1 − λ · A2
    case MapVariant::Standard: return "attention";
    case MapVariant::Rollout: return "rollout";
  }
  return "?";
}

bool variant_is_signed(MapVariant variant) { return variant == MapVariant::Diff; }

bool rollout_is_signed(const AttentionSnapshot& snapshot, int layer) {
  if (layer < 0 || layer >= static_cast<int>(snapshot.layers.size())) return false;
  const LayerCapture& l = snapshot.layers[static_cast<size_t>(layer)];
  const Matrix& m = l.rollout.empty() ? l.overview.rollout : l.rollout;
  return std::any_of(m.values.begin(), m.values.end(), [](float x) { return x < 0; });
}

int64_t map_window(const AttentionSnapshot& snapshot, const MapRequest& request) {
  if (request.variant == MapVariant::Rollout) return 0;
  return window_of_layer(snapshot.model, request.layer);
}

MapKind variant_source_kind(MapVariant v) {
  switch (v) {
    case MapVariant::A1: return MapKind::A1;
    case MapVariant::A2:
    case MapVariant::LambdaA2: return MapKind::A2;
    case MapVariant::Diff: return MapKind::Diff;
    case MapVariant::Standard:
    case MapVariant::Rollout: return MapKind::Standard;
  }
  return MapKind::Standard;
}

// One head's matrix of the variant (before row normalization); empty when missing.
static Matrix head_matrix(const LayerCapture& layer, MapVariant variant, int head) {
  const auto& maps = layer.maps(variant_source_kind(variant));
  if (head < 0 || head >= static_cast<int>(maps.size()) || maps[static_cast<size_t>(head)].empty()) return {};
  const Matrix& m = maps[static_cast<size_t>(head)];
  if (variant != MapVariant::LambdaA2) return m;
  if (layer.lambda.empty() || head >= layer.lambda.rows) return {};
  return scale_rows(m, layer.lambda.values.data() + static_cast<size_t>(head) * layer.lambda.cols, layer.lambda.cols);
}

Matrix derive_map(const AttentionSnapshot& snapshot, const MapRequest& r) {
  if (r.layer < 0 || r.layer >= static_cast<int>(snapshot.layers.size())) return {};
  const LayerCapture& layer = snapshot.layers[static_cast<size_t>(r.layer)];
  Matrix m;
  if (r.variant == MapVariant::Rollout) {
    m = layer.rollout;
  } else if (r.head >= 0) {
    m = head_matrix(layer, r.variant, r.head);
  } else {
    std::vector<Matrix> all;
    const int heads = static_cast<int>(layer.maps(variant_source_kind(r.variant)).size());
    for (int h = 0; h < heads; ++h) all.push_back(head_matrix(layer, r.variant, h));
    m = head_mean(all);
  }
  if (r.row_normalize && !m.empty()) m = row_normalized(m);
  return m;
}

// The snapshot's matrix itself when the request shows it unchanged (one head, no lambda scaling, no normalization).
static const Matrix* direct_matrix(const AttentionSnapshot& snapshot, const MapRequest& r) {
  if (r.layer < 0 || r.layer >= static_cast<int>(snapshot.layers.size())) return nullptr;
  if (r.variant == MapVariant::Rollout && !r.row_normalize) {
    const Matrix& m = snapshot.layers[static_cast<size_t>(r.layer)].rollout;
    return m.empty() ? nullptr : &m;
  }
  if (r.head < 0 || r.row_normalize || r.variant == MapVariant::LambdaA2) return nullptr;
  const auto& maps = snapshot.layers[static_cast<size_t>(r.layer)].maps(variant_source_kind(r.variant));
  if (r.head >= static_cast<int>(maps.size()) || maps[static_cast<size_t>(r.head)].empty()) return nullptr;
  return &maps[static_cast<size_t>(r.head)];
}

bool shows_overviews(const AttentionSnapshot& snapshot) {
  for (const LayerCapture& layer : snapshot.layers) {
    for (MapKind kind : {MapKind::Standard, MapKind::A1, MapKind::A2, MapKind::Diff}) {
      for (const Matrix& m : layer.maps(kind)) {
        if (!m.empty()) return false;
      }
    }
  }
  for (const LayerCapture& layer : snapshot.layers) {
    if (!layer.overview.attn.empty() || !layer.overview.attn1.empty()) return true;
  }
  return false;
}

bool has_dense_map(const AttentionSnapshot& snapshot, const MapRequest& r) {
  if (r.layer < 0 || r.layer >= static_cast<int>(snapshot.layers.size())) return false;
  const LayerCapture& layer = snapshot.layers[static_cast<size_t>(r.layer)];
  if (r.variant == MapVariant::Rollout) return !layer.rollout.empty();
  const auto& maps = layer.maps(variant_source_kind(r.variant));
  return std::any_of(maps.begin(), maps.end(), [](const Matrix& m) { return !m.empty(); });
}

std::optional<float> constant_lambda(const AttentionSnapshot& snapshot, int layer, int head) {
  if (layer < 0 || layer >= static_cast<int>(snapshot.layers.size())) return std::nullopt;
  const Matrix& l = snapshot.layers[static_cast<size_t>(layer)].lambda;
  if (l.empty() || head < 0 || head >= l.rows) return std::nullopt;
  const float first = l.at(head, 0);
  for (int64_t t = 1; t < l.cols; ++t) {
    if (l.at(head, t) != first) return std::nullopt;
  }
  return first;
}

Matrix overview_map(const AttentionSnapshot& snapshot, const MapRequest& r, std::string* unavailable) {
  unavailable->clear();
  if (r.layer < 0 || r.layer >= static_cast<int>(snapshot.layers.size())) return {};
  const MapOverview& overview = snapshot.layers[static_cast<size_t>(r.layer)].overview;
  if (r.variant == MapVariant::Rollout) {
    if (!snapshot.rollout_refused.empty()) {
      *unavailable = snapshot.rollout_refused;
    } else if (overview.rollout.empty()) {
      *unavailable = "no rollout in this result: it is computed while the rollout view is on";
    } else if (r.row_normalize) {
      *unavailable = "row normalization needs whole rows at one cell per token: zoom in";
    } else {
      return overview.rollout;
    }
    return {};
  }
  if (r.head < 0) {
    // A mean of pooled maxima is not the maximum of the mean: the engine computes the mean's windows instead.
    *unavailable = r.variant == MapVariant::LambdaA2
                       ? "lambda * A2 has no mean of heads for prompts this long: show A2 or D"
                       : "mean of heads: computed from the run for what is on screen";
    return {};
  }
  const auto& maps = overview.maps(variant_source_kind(r.variant));
  if (r.head >= static_cast<int>(maps.size()) || maps[static_cast<size_t>(r.head)].empty()) return {};
  if (r.row_normalize) {
    *unavailable = "row normalization needs whole rows at one cell per token: zoom in";
    return {};
  }
  const Matrix& cells = maps[static_cast<size_t>(r.head)];
  if (r.variant != MapVariant::LambdaA2) return cells;
  const std::optional<float> lambda = constant_lambda(snapshot, r.layer, r.head);
  if (!lambda) {
    *unavailable = "lambda varies by row: lambda * A2 cannot be pooled exactly: zoom in to one cell per token";
    return {};
  }
  Matrix scaled = cells;
  for (float& v : scaled.values) v *= *lambda;
  return scaled;
}

// The colour range of a map the overview cannot show: what its values can reach, so that windows arriving later do
// not change the scale (row-normalized rows reach 1; lambda * A2 at most max lambda times A2's largest entry).
static ColorScale unavailable_range(const AttentionSnapshot& snapshot, const MapRequest& r, bool signed_values) {
  ColorScale scale;
  scale.diverging = signed_values;
  scale.vmin = signed_values ? -1.0f : 0.0f;
  scale.vmax = 1.0f;
  const LayerCapture& layer = snapshot.layers[static_cast<size_t>(r.layer)];
  if (r.head < 0 && !r.row_normalize && r.variant != MapVariant::LambdaA2) {
    // A mean of heads reaches at most the largest |value| of any head (each overview holds its head's).
    float largest = 0;
    for (const Matrix& m : layer.overview.maps(variant_source_kind(r.variant))) {
      for (float v : m.values) largest = std::max(largest, std::fabs(v));
    }
    if (largest > 0) {
      scale.vmax = largest;
      scale.vmin = signed_values ? -largest : 0.0f;
    }
    return scale;
  }
  if (r.row_normalize || r.variant != MapVariant::LambdaA2 || r.head < 0) return scale;
  const auto& a2 = layer.overview.maps(MapKind::A2);
  if (r.head >= static_cast<int>(a2.size()) || r.head >= layer.lambda.rows) return scale;
  float a2_max = 0, lambda_max = 0;
  for (float v : a2[static_cast<size_t>(r.head)].values) a2_max = std::max(a2_max, std::fabs(v));
  for (int64_t t = 0; t < layer.lambda.cols; ++t) lambda_max = std::max(lambda_max, std::fabs(layer.lambda.at(r.head, t)));
  if (a2_max * lambda_max > 0) scale.vmax = a2_max * lambda_max;
  return scale;
}

// The overview path of MapCache::get: the overview's cells placed over the T x T map, or "no data" with the reason.
static bool fill_from_overview(const HeatmapRenderer& renderer, const AttentionSnapshot& snapshot, const MapRequest& r,
                               ShownMap* m) {
  if (r.layer < 0 || r.layer >= static_cast<int>(snapshot.layers.size())) return false;
  const MapOverview& overview = snapshot.layers[static_cast<size_t>(r.layer)].overview;
  const auto& maps = overview.maps(variant_source_kind(r.variant));
  // No overview of this kind: the model lacks the map (a rollout has none but says why it is missing).
  if (maps.empty() && r.variant != MapVariant::Rollout) return false;
  const int64_t tokens = static_cast<int64_t>(snapshot.tokens.size());
  m->tokens = tokens;
  m->window = map_window(snapshot, r);
  m->overview_cell = std::max<int64_t>(1, overview.cell);
  m->signed_values = variant_is_signed(r.variant) ||
                     (r.variant == MapVariant::Rollout && rollout_is_signed(snapshot, r.layer));
  m->owned = overview_map(snapshot, r, &m->unavailable);
  if (!m->unavailable.empty()) {
    // One "no data" texel over the whole map: the view shows its reason, and windows where they can.
    Matrix none;
    none.rows = none.cols = 1;
    none.values = {std::numeric_limits<float>::quiet_NaN()};
    m->texture = renderer.upload_cells(none, m->signed_values, tokens, 0, 0, tokens, tokens);
    m->range = unavailable_range(snapshot, r, m->signed_values);
    return true;
  }
  if (m->owned.empty()) return false;
  // The overview's largest |value| is the whole map's (max pooling keeps it): a scale that windows do not change.
  m->range = auto_scale(m->owned, m->signed_values, r.hide_sink, m->overview_cell == 1 ? m->window : 0);
  m->texture = renderer.upload_cells(m->owned, m->signed_values, m->overview_cell, 0, 0, tokens, tokens);
  return true;
}

const ShownMap* MapCache::get(const SnapshotPtr& snapshot, const MapRequest& r) {
  const Key key{r.slot, r.sequence, r.layer, r.head, static_cast<int>(r.variant), r.row_normalize, r.hide_sink,
                r.max_side};
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    Entry e;
    if (snapshot) {
      ShownMap& m = e.map;
      if (shows_overviews(*snapshot) && !has_dense_map(*snapshot, r)) {
        e.present = fill_from_overview(renderer_, *snapshot, r, &m);
        if (e.present) ++uploads_;
        if (r.max_side > 0) m.owned = Matrix{};  // thumbnails keep only the texture and the range
      } else {
        m.source = direct_matrix(*snapshot, r);
        if (m.source != nullptr) m.snapshot = snapshot;
        else m.owned = derive_map(*snapshot, r);
        e.present = !m.values().empty();
        m.tokens = static_cast<int64_t>(snapshot->tokens.size());
        m.window = map_window(*snapshot, r);
      }
      if (e.present && m.overview_cell == 0) {
        // Any map with a negative entry (D, a signed rollout, the what-if's difference to the clean run) is drawn
        // with the diverging colours.
        const std::vector<float>& v = m.values().values;
        m.signed_values = variant_is_signed(r.variant) ||
                          (r.variant == MapVariant::Rollout && rollout_is_signed(*snapshot, r.layer)) ||
                          std::any_of(v.begin(), v.end(), [](float x) { return x < 0; });
        m.range = auto_scale(m.values(), m.signed_values, r.hide_sink, m.window);
        m.texture = renderer_.upload(m.values(), m.signed_values, r.max_side);
        ++uploads_;
        if (r.max_side > 0) {  // thumbnails keep only the texture and the range
          m.owned = Matrix{};
          m.source = nullptr;
          m.snapshot.reset();
        }
      }
    }
    it = entries_.emplace(key, std::move(e)).first;
  }
  it->second.last_used = frame_;
  return it->second.present ? &it->second.map : nullptr;
}

void MapCache::keep_only(int slot, uint64_t sequence) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (std::get<0>(it->first) == slot && std::get<1>(it->first) != sequence) it = entries_.erase(it);
    else ++it;
  }
}

void MapCache::end_frame(uint64_t keep_frames) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (frame_ - it->second.last_used > keep_frames) it = entries_.erase(it);
    else ++it;
  }
  ++frame_;
}

}  // namespace diffscope::ui
