// Derived maps and their texture cache. Main (UI) thread.
#include "map_source.h"

#include <algorithm>

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

static MapKind source_kind(MapVariant v) {
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
  const auto& maps = layer.maps(source_kind(variant));
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
    const int heads = static_cast<int>(layer.maps(source_kind(r.variant)).size());
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
  const auto& maps = snapshot.layers[static_cast<size_t>(r.layer)].maps(source_kind(r.variant));
  if (r.head >= static_cast<int>(maps.size()) || maps[static_cast<size_t>(r.head)].empty()) return nullptr;
  return &maps[static_cast<size_t>(r.head)];
}

const ShownMap* MapCache::get(const SnapshotPtr& snapshot, const MapRequest& r) {
  const Key key{r.slot, r.sequence, r.layer, r.head, static_cast<int>(r.variant), r.row_normalize, r.hide_sink,
                r.max_side};
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    Entry e;
    if (snapshot) {
      ShownMap& m = e.map;
      m.source = direct_matrix(*snapshot, r);
      if (m.source != nullptr) m.snapshot = snapshot;
      else m.owned = derive_map(*snapshot, r);
      e.present = !m.values().empty();
      if (e.present) {
        const std::vector<float>& v = m.values().values;
        m.signed_values = variant_is_signed(r.variant) ||
                          (r.variant == MapVariant::Rollout &&
                           std::any_of(v.begin(), v.end(), [](float x) { return x < 0; }));
        m.range = auto_scale(m.values(), m.signed_values, r.hide_sink);
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
