// Internal to engine/: attention maps recomputed from a layer's rotated queries and keys, a block of rows at a time,
// with the same ATen operations as the explicit forward (so they equal it), and the MapStore that answers windows of
// any map of a run from them. Called by the thread that owns the model; MapStore::window by any thread.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "snapshot.h"

namespace diffscope {

// How a layer's softmax sub-heads make the heads a user sees. Standard: head h = sub-head h. Diff pair p: A1 =
// sub-head a1_offset + a1_stride p, A2 = sub-head a2_offset + a2_stride p (V1, HF DiffLlama: p and p + H/2; V2: 2p
// and 2p + 1). Sub-head h reads KV head h / (H / KV).
struct HeadLayout {
  bool differential = false;
  int H = 0, KV = 0, d = 0;
  int a1_offset = 0, a1_stride = 1, a2_offset = 0, a2_stride = 1;
  double scale = 1.0;  // d^-1/2
  double softcap = 0;  // Gemma 2's attn_logit_softcapping: scores become softcap * tanh(s / softcap); 0: none

  int num_heads() const { return differential ? H / 2 : H; }
  int a1(int pair) const { return a1_offset + a1_stride * pair; }
  int a2(int pair) const { return a2_offset + a2_stride * pair; }
  std::vector<int64_t> a1_heads() const;  // a1(p) for every pair p, in pair order
  std::vector<int64_t> a2_heads() const;
  int kv_of(int sub_head) const { return sub_head / (H / KV); }
};

// The A1 (or, with `second`, the A2) sub-heads of a Diff layer's (H, ...) tensor, in pair order: a strided view, so
// nothing is uploaded to the device to pick them.
at::Tensor pair_sub_heads(const at::Tensor& t, const HeadLayout& layout, bool second);

// What windows of one layer need: q (H, T, d) and k (KV, T, d) rotated, in the compute dtype; lambda (P, T) float32
// for a Diff layer (V1 repeats the layer's value), undefined for a standard one; the layer's sliding window W (0:
// none), with which row i sees only keys i - W < j <= i.
struct LayerQK {
  at::Tensor q, k, lambda;
  int64_t window = 0;
};

// Softmax rows of the listed sub-heads: (n, R, S) float32 for query rows `rows` (R absolute positions; R in the
// order given) over keys [0, S); a key after its query row gets 0, and so does, with a sliding window W > 0, a key
// W or more positions before it. q_rows: (n, R, d); keys: (n, S, d) (already the KV head each sub-head reads).
// Scores are matmul in the compute dtype times the scale, soft-capped when `softcap` > 0, as the explicit forward.
at::Tensor softmax_rows(const at::Tensor& q_rows, const at::Tensor& keys, const at::Tensor& rows, double scale,
                        int64_t window = 0, double softcap = 0);

// Gemma 2's soft-capped scores as HF's eager attention forms them, in the scores' dtype (each step rounds there):
// softcap * tanh(scores / softcap); the scores themselves when softcap is 0.
at::Tensor soft_capped(const at::Tensor& scores, double softcap);

// The rows `rows` (R ascending positions, long, on the layer's device) of one head's map of `kind` over keys [0, S),
// S = rows.max() + 1 unless given: (R, S) float32 (zero outside the layer's window).
at::Tensor map_rows(const LayerQK& layer, const HeadLayout& layout, MapKind kind, int head, const at::Tensor& rows,
                    int64_t S = -1);

// The rows of every head's maps at once, for statistics on a few query rows: for a standard layer {A (H, R, T)};
// for a Diff layer {A1 (P, R, T), A2 (P, R, T), D (P, R, T)}.
std::vector<at::Tensor> all_heads_rows(const LayerQK& layer, const HeadLayout& layout, const at::Tensor& rows);

// Query rows per block so that one (n, rows, S) float32 tensor holds at most `budget_floats` (at least one row),
// rounded down to a multiple of `pool` (at least `pool`): the block size of every row-blocked computation.
int64_t rows_per_block(int64_t n, int64_t S, int64_t budget_floats, int64_t pool = 1);

// Pools a (R, C) block into (ceil(R / pool), ceil(C / pool)) cells, each the entry of largest |value| (sign kept).
at::Tensor pool_signed_max_abs(const at::Tensor& block, int64_t pool);

// A (rows, cols) tensor of any dtype and device as a host float Matrix (waits for the device).
Matrix to_matrix(const at::Tensor& t2d);
// The same into `out`, whose memory is reused when it already has the size (no allocation, no fresh pages to fault in:
// streaming a 32K map in 256 MiB bands through one Matrix took half the time of a new Matrix per band).
void copy_to_matrix(const at::Tensor& t2d, Matrix& out);

// Cells of a window beyond which the engine refuses to build one (4 GiB of float32).
constexpr int64_t kMaxWindowCells = int64_t{1} << 30;

class TorchMapStore : public MapStore {
 public:
  TorchMapStore(HeadLayout layout, std::vector<MapKind> kinds, int64_t tokens)
      : layout_(layout), kinds_(std::move(kinds)), tokens_(tokens) {}
  void add_layer(LayerQK layer) { layers_.push_back(std::move(layer)); }
  // Attention rollout through layer `layer` ((T, T) float32 on the run's device), for windows with head kRollout.
  void add_rollout(int layer, at::Tensor rollout);

  Matrix window(const MapWindow& window) const override;
  void window_into(const MapWindow& window, Matrix& out) const override;
  int64_t tokens() const override { return tokens_; }
  int64_t device_bytes() const override;

 private:
  HeadLayout layout_;
  std::vector<MapKind> kinds_;  // the kinds this model has
  int64_t tokens_ = 0;
  std::vector<LayerQK> layers_;
  std::vector<at::Tensor> rollouts_;  // per layer, undefined where the run kept none
};

// Bytes above which a run refuses to keep every layer's rollout for windows (layers x T x T float32 on the device).
constexpr int64_t kMaxRolloutStoreBytes = int64_t{16} << 30;

}  // namespace diffscope
