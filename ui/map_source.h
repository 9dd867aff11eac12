// The maps views draw, derived from a snapshot (lambda*A2, head means, row normalization) and uploaded once per new
// snapshot: a cache keyed by slot, snapshot sequence, layer, head and variant, so unchanged frames upload nothing.
// Main (UI) thread (owns GL textures).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "heatmap_renderer.h"
#include "snapshot.h"

namespace diffscope::ui {

// What a view shows of a head.
// Rollout: the layer's LayerCapture::rollout (attention rollout through it; the head is ignored).
enum class MapVariant { A1, A2, LambdaA2, Diff, Standard, Rollout };
const char* variant_title(MapVariant variant);  // "A1", "A2", "lambda * A2", "D = A1 - lambda * A2", "attention",
                                                // "rollout"
bool variant_is_signed(MapVariant variant);     // D always; a rollout when it has negative entries (of D)
// Whether the layer's rollout (dense, or its overview for a long prompt) has negative entries: a Diff model's signed
// rollout, drawn with the diverging colours.
bool rollout_is_signed(const AttentionSnapshot& snapshot, int layer);

struct MapRequest {
  int slot = 0;
  uint64_t sequence = 0;   // the snapshot's: a new snapshot never reuses an old entry
  int layer = 0;
  int head = 0;            // < 0: the mean over the layer's heads
  MapVariant variant = MapVariant::Standard;
  bool row_normalize = false;
  bool hide_sink = false;  // leave key 0 out of the fitted range
  int64_t max_side = 0;    // pool to this side (thumbnails); 0: the GL limit
};

struct ShownMap {
  // As drawn: the whole map at full resolution (overview_cell == 0) or the overview's cells (overview_cell > 0): the
  // snapshot's own matrix when no derivation is needed (no copy of a 1024^2 map), else `owned`. Empty for thumbnails,
  // which keep only the texture, and for a map the overview cannot show (`unavailable`).
  const Matrix& values() const { return source != nullptr ? *source : owned; }
  // > 0: the snapshot has no dense map and this is its overview, cells of overview_cell x overview_cell tokens, each
  // the entry of largest |value| (views refine it with windows fetched from the worker).
  int64_t overview_cell = 0;
  int64_t tokens = 0;       // the map is tokens x tokens
  // Why the overview cannot show this map exactly (head mean, rollout, row normalization, lambda per row): the
  // texture then holds "no data" and only windows at one cell per token (where possible) show values.
  std::string unavailable;
  const Matrix* source = nullptr;
  Matrix owned;
  SnapshotPtr snapshot;    // keeps `source` alive
  MapTexture texture;      // possibly pooled
  ColorScale range;        // Linear range fitted to `values` (diverging for D)
  int64_t window = 0;      // the layer's sliding window (ModelInfo::layer_windows; 0 for a rollout, which mixes
                           // layers): views shade keys outside it as masked
  bool signed_values = false;
};

// The matrix a request shows, computed on the CPU (empty when the snapshot lacks the map). Exposed for exports.
Matrix derive_map(const AttentionSnapshot& snapshot, const MapRequest& request);

// The sliding window that masks a request's map: its layer's (ModelInfo::layer_windows), 0 for full attention and for
// a rollout (a product over layers reaches past any one layer's window).
int64_t map_window(const AttentionSnapshot& snapshot, const MapRequest& request);

// The map kind a variant reads (lambda * A2 reads A2; rollout and standard read Standard).
MapKind variant_source_kind(MapVariant variant);

// Whether a snapshot's views draw overviews: it has no dense map at all, and overviews (a long prompt's run).
bool shows_overviews(const AttentionSnapshot& snapshot);

// Whether a snapshot has dense maps of this layer (else views use its overview and fetched windows).
bool has_dense_map(const AttentionSnapshot& snapshot, const MapRequest& request);

// The overview cells a request shows when the snapshot has no dense map: one head's overview, or lambda * A2 when
// lambda is the same for every row of the head (then scaling the pooled maxima is exact). Empty with *unavailable
// saying why when pooled cells cannot show it exactly (head means, rollout, row normalization, lambda per row).
Matrix overview_map(const AttentionSnapshot& snapshot, const MapRequest& request, std::string* unavailable);

// lambda of (layer, head) when it is the same for every query row (Diff V1), else nothing.
std::optional<float> constant_lambda(const AttentionSnapshot& snapshot, int layer, int head);

class MapCache {
 public:
  explicit MapCache(const HeatmapRenderer& renderer) : renderer_(renderer) {}
  // The map for `request`, uploading it on first use; nullptr when the snapshot has no such map.
  const ShownMap* get(const SnapshotPtr& snapshot, const MapRequest& request);
  // Drops entries not used in the last `keep_frames` frames (hidden layouts, other heads).
  void end_frame(uint64_t keep_frames = 120);
  // Drops every entry of `slot` from a snapshot other than `sequence` at once: a new run's maps replace the old ones
  // (typing publishes many snapshots; their textures must not pile up).
  void keep_only(int slot, uint64_t sequence);
  size_t size() const { return entries_.size(); }
  uint64_t uploads() const { return uploads_; }  // textures uploaded so far (for the benchmark)

 private:
  using Key = std::tuple<int, uint64_t, int, int, int, bool, bool, int64_t>;
  struct Entry {
    ShownMap map;
    bool present = false;
    uint64_t last_used = 0;
  };
  const HeatmapRenderer& renderer_;
  std::map<Key, Entry> entries_;
  uint64_t frame_ = 0;
  uint64_t uploads_ = 0;
};

}  // namespace diffscope::ui
