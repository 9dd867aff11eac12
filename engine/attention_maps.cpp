// Attention maps recomputed a block of rows at a time from stored queries and keys (attention_maps.h), and windows of
// them. Called by the thread that owns the model; TorchMapStore::window by any thread (it only reads its tensors).
#include "attention_maps.h"

#include <cstring>

#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "deferred_host.h"
#include "errors.h"

namespace diffscope {
namespace {

at::Tensor long_tensor(const std::vector<int64_t>& v, const at::Device& device) {
  return to_device_async(at::tensor(v, at::TensorOptions().dtype(at::kLong)), device);
}

// The sub-heads a map of `kind` of `head` is made of: one, or A1 and A2 for D.
std::vector<int64_t> sub_heads_of(const HeadLayout& layout, MapKind kind, int head) {
  switch (kind) {
    case MapKind::A1: return {layout.a1(head)};
    case MapKind::A2: return {layout.a2(head)};
    case MapKind::Diff: return {layout.a1(head), layout.a2(head)};
    case MapKind::Standard: break;
  }
  return {head};
}

}  // namespace

int64_t rows_per_block(int64_t n, int64_t S, int64_t budget_floats, int64_t pool) {
  const int64_t rows = std::max<int64_t>(1, budget_floats / std::max<int64_t>(1, n * S));
  return std::max<int64_t>(pool, rows / pool * pool);
}

std::vector<int64_t> HeadLayout::a1_heads() const {
  std::vector<int64_t> heads;
  for (int pair = 0; pair < H / 2; ++pair) heads.push_back(a1(pair));
  return heads;
}

std::vector<int64_t> HeadLayout::a2_heads() const {
  std::vector<int64_t> heads;
  for (int pair = 0; pair < H / 2; ++pair) heads.push_back(a2(pair));
  return heads;
}

at::Tensor soft_capped(const at::Tensor& scores, double softcap) {
  return softcap > 0 ? at::tanh(scores / softcap) * softcap : scores;
}

at::Tensor softmax_rows(const at::Tensor& q_rows, const at::Tensor& keys, const at::Tensor& rows, double scale,
                        int64_t window, double softcap) {
  const int64_t S = keys.size(1);
  at::Tensor scores = soft_capped(at::matmul(q_rows, keys.transpose(1, 2)) * scale, softcap);  // (n, R, S)
  const at::Tensor key = at::arange(S, rows.options()).unsqueeze(0), row = rows.unsqueeze(1);
  at::Tensor hidden = row < key;  // (R, S): key after the row
  if (window > 0) hidden = hidden.logical_or(key <= row - window);  // key before the row's window
  return at::softmax(scores.masked_fill(hidden, -INFINITY), -1, at::kFloat);
}

at::Tensor map_rows(const LayerQK& layer, const HeadLayout& layout, MapKind kind, int head, const at::Tensor& rows,
                    int64_t S) {
  if (S < 0) S = rows.max().item<int64_t>() + 1;
  const std::vector<int64_t> subs = sub_heads_of(layout, kind, head);
  std::vector<int64_t> kvs;
  for (int64_t s : subs) kvs.push_back(layout.kv_of(static_cast<int>(s)));
  const at::Device device = layer.q.device();
  at::Tensor q_rows = layer.q.index_select(0, long_tensor(subs, device)).index_select(1, rows);  // (n, R, d)
  at::Tensor keys = layer.k.index_select(0, long_tensor(kvs, device)).slice(1, 0, S);          // (n, S, d)
  at::Tensor p = softmax_rows(q_rows, keys, rows, layout.scale, layer.window, layout.softcap);  // (n, R, S)
  if (kind != MapKind::Diff) return p[0];
  at::Tensor lambda = layer.lambda[head].index_select(0, rows).unsqueeze(1);                  // (R, 1)
  return p[0] - lambda * p[1];
}

at::Tensor pair_sub_heads(const at::Tensor& t, const HeadLayout& layout, bool second) {
  const int64_t P = layout.H / 2, offset = second ? layout.a2_offset : layout.a1_offset;
  const int64_t stride = second ? layout.a2_stride : layout.a1_stride;
  return t.slice(0, offset, offset + stride * (P - 1) + 1, stride);
}

std::vector<at::Tensor> all_heads_rows(const LayerQK& layer, const HeadLayout& layout, const at::Tensor& rows) {
  at::Tensor keys = layer.k.repeat_interleave(layout.H / layout.KV, 0);                      // (H, T, d)
  at::Tensor p = softmax_rows(layer.q.index_select(1, rows), keys, rows, layout.scale, layer.window,
                              layout.softcap);  // (H, R, T)
  if (!layout.differential) return {p};
  at::Tensor p1 = pair_sub_heads(p, layout, false);
  at::Tensor p2 = pair_sub_heads(p, layout, true);
  at::Tensor lambda = layer.lambda.index_select(1, rows).unsqueeze(-1);                       // (P, R, 1)
  return {p1, p2, p1 - lambda * p2};
}

// Rows `rows` (keys [0, S)) of the mean over heads of the `kind` maps: (R, S). Every sub-head's softmax at once.
at::Tensor mean_map_rows(const LayerQK& layer, const HeadLayout& layout, MapKind kind, const at::Tensor& rows,
                         int64_t S) {
  at::Tensor keys = layer.k.slice(1, 0, S).repeat_interleave(layout.H / layout.KV, 0);  // (H, S, d)
  at::Tensor p = softmax_rows(layer.q.index_select(1, rows), keys, rows, layout.scale, layer.window,
                              layout.softcap);  // (H, R, S)
  if (!layout.differential) return p.mean(0);
  at::Tensor p1 = pair_sub_heads(p, layout, false);
  if (kind == MapKind::A1) return p1.mean(0);
  at::Tensor p2 = pair_sub_heads(p, layout, true);
  if (kind == MapKind::A2) return p2.mean(0);
  at::Tensor lambda = layer.lambda.index_select(1, rows).unsqueeze(-1);  // (P, R, 1)
  return (p1 - lambda * p2).mean(0);
}

Matrix to_matrix(const at::Tensor& t2d) {
  Matrix m;
  copy_to_matrix(t2d, m);
  return m;
}

void copy_to_matrix(const at::Tensor& t2d, Matrix& out) {
  out.rows = t2d.size(0);
  out.cols = t2d.size(1);
  out.values.resize(static_cast<size_t>(out.rows * out.cols));
  if (out.values.empty()) return;
  if (!t2d.is_cuda() && t2d.scalar_type() == at::kFloat && t2d.is_contiguous()) {
    // A host copy without ATen: its copy kernel opens an OpenMP team for anything above 32K values, and on the
    // deferred results' helper thread (lambda, every layer) that second team beside the run's own cost 50-120 ms per
    // run on the H200's 16 cores (docs/benchmarks.md, session 13).
    std::memcpy(out.values.data(), t2d.data_ptr<float>(), out.values.size() * sizeof(float));
    return;
  }
  // Straight into the matrix: from a GPU one transfer, where a host tensor in between would be faulted in and then
  // copied again (a 32K map's band of 2048 rows is 256 MiB; the bench's "+ one full head" was host-bound on this).
  at::from_blob(out.values.data(), {out.rows, out.cols}, at::kFloat).copy_(t2d);
}

at::Tensor pool_signed_max_abs(const at::Tensor& block, int64_t pool) {
  if (pool == 1) return block;
  const int64_t R = block.size(0), C = block.size(1);
  const int64_t r = (R + pool - 1) / pool, c = (C + pool - 1) / pool;
  at::Tensor padded = at::constant_pad_nd(block, {0, c * pool - C, 0, r * pool - R}, 0.0);
  at::Tensor cells = padded.view({r, pool, c, pool}).permute({0, 2, 1, 3}).reshape({r, c, pool * pool});
  at::Tensor high = std::get<0>(cells.max(-1)), low = std::get<0>(cells.min(-1));
  return at::where(high >= -low, high, low);
}

Matrix TorchMapStore::window(const MapWindow& w) const {
  Matrix out;
  window_into(w, out);
  return out;
}

void TorchMapStore::window_into(const MapWindow& w, Matrix& result) const {
  const int64_t T = tokens_;
  const int layers = static_cast<int>(layers_.size());
  if (w.layer < 0 || w.layer >= layers) {
    throw InputError("window: layer " + std::to_string(w.layer) + " does not exist (layers 0.." +
                     std::to_string(layers - 1) + ")");
  }
  const bool rollout = w.head == kRollout;
  if (rollout && (static_cast<size_t>(w.layer) >= rollouts_.size() || !rollouts_[static_cast<size_t>(w.layer)].defined())) {
    throw InputError("window: this run kept no attention rollout (ask for rollout with the run)");
  }
  if (!rollout && std::find(kinds_.begin(), kinds_.end(), w.kind) == kinds_.end()) {
    throw InputError(std::string("window: this model has no \"") + map_kind_name(w.kind) + "\" maps");
  }
  const bool mean = w.head == kMeanOfHeads;
  if (!mean && !rollout && (w.head < 0 || w.head >= layout_.num_heads())) {
    throw InputError("window: head " + std::to_string(w.head) + " does not exist (heads 0.." +
                     std::to_string(layout_.num_heads() - 1) + ", or " + std::to_string(kMeanOfHeads) +
                     " for their mean, " + std::to_string(kRollout) + " for the rollout)");
  }
  const int64_t r0 = w.row_begin, r1 = w.row_end < 0 ? T : w.row_end;
  const int64_t c0 = w.col_begin, c1 = w.col_end < 0 ? T : w.col_end;
  if (r0 < 0 || r1 > T || r0 >= r1 || c0 < 0 || c1 > T || c0 >= c1) {
    throw InputError("window: rows [" + std::to_string(r0) + ", " + std::to_string(r1) + ") x keys [" +
                     std::to_string(c0) + ", " + std::to_string(c1) + ") is not inside the " + std::to_string(T) +
                     " x " + std::to_string(T) + " map");
  }
  if (w.pool < 1) throw InputError("window: pool must be at least 1, got " + std::to_string(w.pool));
  const int64_t out_rows = (r1 - r0 + w.pool - 1) / w.pool, out_cols = (c1 - c0 + w.pool - 1) / w.pool;
  if (out_rows * out_cols > kMaxWindowCells) {
    throw ResourceError("window: " + std::to_string(out_rows) + " x " + std::to_string(out_cols) + " cells (" +
                        std::to_string(out_rows * out_cols * 4 >> 20) + " MiB) is more than the engine builds at once (" +
                        std::to_string(kMaxWindowCells * 4 >> 20) + " MiB): ask for fewer rows or keys, or pool them");
  }
  c10::InferenceMode guard;
  if (rollout) {  // a stored matrix: slice and pool
    const at::Tensor part = rollouts_[static_cast<size_t>(w.layer)].slice(0, r0, r1).slice(1, c0, c1);
    copy_to_matrix(pool_signed_max_abs(part, w.pool), result);
    return;
  }
  const LayerQK& layer = layers_[static_cast<size_t>(w.layer)];
  const at::Device device = layer.q.device();
  const int64_t n = mean ? layout_.H : w.kind == MapKind::Diff ? 2 : 1;  // softmax maps computed per row
  const int64_t block = rows_per_block(n, r1, int64_t{1} << 25, w.pool);  // 128 MiB per (n, rows, r1) tensor
  at::Tensor out = at::zeros({out_rows, out_cols}, at::TensorOptions().device(device).dtype(at::kFloat));
  for (int64_t rb = r0; rb < r1; rb += block) {
    const int64_t re = std::min(rb + block, r1);
    if (c0 >= re) continue;  // every key of the window comes after these rows: zeros
    at::Tensor rows = at::arange(rb, re, at::TensorOptions().device(device).dtype(at::kLong));
    at::Tensor part = mean ? mean_map_rows(layer, layout_, w.kind, rows, re)
                           : map_rows(layer, layout_, w.kind, w.head, rows, re);  // (rows, re)
    at::Tensor cols = part.slice(1, c0, std::min(c1, re));
    if (cols.size(1) < c1 - c0) cols = at::constant_pad_nd(cols, {0, c1 - c0 - cols.size(1)}, 0.0);
    at::Tensor pooled = pool_signed_max_abs(cols, w.pool);
    out.slice(0, (rb - r0) / w.pool, (rb - r0) / w.pool + pooled.size(0)).copy_(pooled);
  }
  copy_to_matrix(out, result);
}

void TorchMapStore::add_rollout(int layer, at::Tensor rollout) {
  if (rollouts_.size() <= static_cast<size_t>(layer)) rollouts_.resize(static_cast<size_t>(layer) + 1);
  rollouts_[static_cast<size_t>(layer)] = std::move(rollout);
}

int64_t TorchMapStore::device_bytes() const {
  int64_t bytes = 0;
  for (const LayerQK& l : layers_) {
    for (const at::Tensor* t : {&l.q, &l.k, &l.lambda}) {
      if (t->defined()) bytes += t->numel() * static_cast<int64_t>(t->element_size());
    }
  }
  for (const at::Tensor& r : rollouts_) {
    if (r.defined()) bytes += r.numel() * static_cast<int64_t>(r.element_size());
  }
  return bytes;
}

}  // namespace diffscope
