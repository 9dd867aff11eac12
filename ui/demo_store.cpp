// Demo snapshots without dense maps: overviews and a store over the kept maps. Any thread.
#include "demo_store.h"

#include <memory>
#include <stdexcept>
#include <string>

#include "map_transforms.h"

namespace diffscope::ui {

namespace {

constexpr MapKind kKinds[] = {MapKind::Standard, MapKind::A1, MapKind::A2, MapKind::Diff};

class DemoMapStore : public MapStore {
 public:
  DemoMapStore(std::vector<LayerCapture> maps, int64_t tokens) : maps_(std::move(maps)), tokens_(tokens) {}

  Matrix window(const MapWindow& w) const override {
    if (w.layer < 0 || w.layer >= static_cast<int>(maps_.size())) throw std::invalid_argument("no such layer");
    const auto& heads = maps_[static_cast<size_t>(w.layer)].maps(w.kind);
    if (heads.empty() || w.head < kMeanOfHeads || w.head >= static_cast<int>(heads.size())) {
      throw std::invalid_argument("no such map");
    }
    const Matrix& m = w.head == kMeanOfHeads ? head_mean(heads) : heads[static_cast<size_t>(w.head)];
    const int64_t r1 = w.row_end < 0 ? tokens_ : w.row_end, c1 = w.col_end < 0 ? tokens_ : w.col_end;
    if (w.row_begin < 0 || w.col_begin < 0 || r1 > tokens_ || c1 > tokens_ || r1 <= w.row_begin ||
        c1 <= w.col_begin || w.pool < 1) {
      throw std::invalid_argument("window outside the map");
    }
    Matrix cut;
    cut.rows = r1 - w.row_begin;
    cut.cols = c1 - w.col_begin;
    cut.values.reserve(static_cast<size_t>(cut.rows * cut.cols));
    for (int64_t r = w.row_begin; r < r1; ++r) {
      for (int64_t c = w.col_begin; c < c1; ++c) cut.values.push_back(m.at(r, c));
    }
    return pool_by(cut, w.pool, /*signed_values=*/true).values;  // max |value|, sign kept, as the engine pools
  }
  int64_t tokens() const override { return tokens_; }
  int64_t device_bytes() const override { return 0; }

 private:
  std::vector<LayerCapture> maps_;
  int64_t tokens_;
};

}  // namespace

void make_overview_only(AttentionSnapshot& snapshot, int overview_size) {
  const int64_t t = static_cast<int64_t>(snapshot.tokens.size());
  const int64_t cell = MapOverview::cell_for(t, overview_size);
  std::vector<LayerCapture> kept(snapshot.layers.size());
  for (size_t l = 0; l < snapshot.layers.size(); ++l) {
    LayerCapture& layer = snapshot.layers[l];
    layer.overview = MapOverview{};
    layer.overview.cell = cell;
    for (MapKind kind : kKinds) {
      std::vector<Matrix>& maps = layer.maps(kind);
      std::vector<Matrix>& overview = layer.overview.maps(kind);
      for (const Matrix& m : maps) overview.push_back(pool_by(m, cell, /*signed_values=*/true).values);
      kept[l].maps(kind) = std::move(maps);
      maps.clear();
    }
    layer.rollout = Matrix{};
  }
  snapshot.store = std::make_shared<DemoMapStore>(std::move(kept), t);
  snapshot.request.maps = CaptureRequest::Maps::None;
}

}  // namespace diffscope::ui
