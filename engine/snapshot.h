// What one run of a model produced: tokens, per-layer lambda, maps and statistics. Plain C++ (no torch), so the UI
// and exporters can include it. Built by the inference thread, then immutable and shared: any thread may read it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "intervention.h"

namespace diffscope {

enum class AttentionKind { Standard, Differential };

// What a loaded model is; filled by the engine from config.json and the checkpoint.
struct ModelInfo {
  std::string path;            // folder it was loaded from
  std::string name;            // folder name, for titles
  std::string model_type;      // config.json's model_type: "llama", "diffllama", "gpt2", "qwen3", "gemma3_text", ...
  AttentionKind kind = AttentionKind::Standard;  // Differential for both Diff variants
  std::string attention_variant;  // "standard", "diff-v1" (HF DiffLlama) or "diff-v2" (docs/diff-v2.md)
  int num_layers = 0;
  int num_sub_heads = 0;       // config num_attention_heads: softmax maps per layer
  int num_heads = 0;           // heads shown per layer: H for a standard model, H/2 differential heads for a Diff model
  int num_kv_heads = 0;
  int head_dim = 0;
  int hidden_size = 0;
  int intermediate_size = 0;
  int64_t vocab_size = 0;
  int64_t max_positions = 0;   // max_position_embeddings: the longest prompt accepted
  // Per layer, its sliding window W (0: full causal attention): query i sees key j only when i - W < j <= i (HF's
  // sliding_window_overlay). Empty when no layer slides (and for models described by hand, e.g. the demo).
  std::vector<int64_t> layer_windows;
  std::vector<int64_t> eos_token_ids;  // generation stops after these (generation_config.json, else config.json)
  double rope_theta = 0;
  double rms_norm_eps = 0;
  bool tied_embeddings = false;
  bool attention_bias = false;
  int64_t num_parameters = 0;
  std::string weight_dtype;    // on disk: "F32", "BF16", "F16"
  std::string compute_dtype;   // "f32", "bf16", "f16"
  std::string device;          // "cpu" or "cuda:0"
};

// The sliding window of layer `layer` (0: full causal attention, also for a layer out of range).
int64_t window_of_layer(const ModelInfo& model, int layer);

// Whether query row `row` cannot see key `col` in a layer with sliding window `window` (0: none): a key after the
// query (the causal mask) or, in a sliding layer, one at or before row - window. The views draw these keys as masked.
inline bool key_masked(int64_t row, int64_t col, int64_t window) {
  return col > row || (window > 0 && col <= row - window);
}

// Whether every cell of the block of queries [row_first, row_last] and keys [col_first, col_last] (inclusive) is
// masked as key_masked says: some query i of the block sees a key of it only when i >= col_first and
// i <= col_last + W - 1. A pooled cell is drawn as masked only when this holds (one visible entry keeps its value).
inline bool block_masked(int64_t row_first, int64_t row_last, int64_t col_first, int64_t col_last, int64_t window) {
  const int64_t last_seeing = window > 0 ? std::min(row_last, col_last + window - 1) : row_last;
  return std::max(row_first, col_first) > last_seeing;
}

// block_masked for cell (a, b) of a window pooled `pool` tokens a side whose cells start at query row0 and key col0
// and whose last cells are clipped to end before query row_end and key col_end.
inline bool pooled_cell_masked(int64_t row0, int64_t row_end, int64_t col0, int64_t col_end, int64_t pool, int64_t a,
                               int64_t b, int64_t window) {
  const int64_t r = row0 + a * pool, c = col0 + b * pool;
  return block_masked(r, std::min(r + pool, row_end) - 1, c, std::min(c + pool, col_end) - 1, window);
}

// One token of the prompt; byte offsets are into the prompt's UTF-8 bytes, [byte_begin, byte_end).
struct Token {
  int64_t id = 0;
  std::string text;  // display text (bytes that are not valid UTF-8 are escaped as \xNN)
  int64_t byte_begin = 0;
  int64_t byte_end = 0;
  // The vocabulary's own string for the id, as tokenizer.json writes it (GPT-2 style byte-level "Ġthe", "Ċ";
  // Metaspace "▁the"; byte fallback "<0x0A>"), escaped as `text`; "" when the tokenizer has no vocabulary (raw bytes,
  // ids given as numbers).
  std::string piece;
};

// A dense row-major float matrix (an attention map [T, T], lambda [heads, T], logits [T, V]).
struct Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> values;  // rows * cols, row-major

  bool empty() const { return values.empty(); }
  float at(int64_t r, int64_t c) const { return values[static_cast<size_t>(r * cols + c)]; }
};

// Which map of a head: a standard softmax map, a Diff head's two softmax maps, or their difference D = A1 - lambda A2.
enum class MapKind { Standard, A1, A2, Diff };
const char* map_kind_name(MapKind kind);  // "attn", "attn1", "attn2", "diff" (the --maps tensor suffixes)

struct ModelInfo;
// The maps a model has per head: {Standard}, or {A1, A2, Diff} for a Diff model.
std::vector<MapKind> map_kinds_of(const ModelInfo& model);

// Statistics of one head's map (REFERENCE.md section 6). For signed Diff maps: sink mass, distance, signal and noise
// are signed sums; entropy and max attention use the positive part of each row renormalized to sum 1.
// signal/noise are NaN when no span was given.
struct HeadStats {
  double entropy = 0;        // normalized entropy, mean over rows i >= 1
  double sink_mass = 0;      // mean over rows of a[i][0]
  double max_attention = 0;  // mean over rows of max_j a[i][j]
  double distance = 0;       // mean over rows of sum_j a[i][j] |i - j|
  double signal = std::numeric_limits<double>::quiet_NaN();
  double noise = std::numeric_limits<double>::quiet_NaN();
  // mean over Q of sum over C minus R of |a_ij|: equals noise for softmax maps; for D it shows how much of the noise
  // context is attended at all, positive or negative (a signed noise near 0 could hide large entries that cancel).
  double noise_abs = std::numeric_limits<double>::quiet_NaN();
};

// Mean of each statistic over heads (NaN stays NaN when any head has NaN, e.g. signal without a span).
HeadStats mean_over_heads(const std::vector<HeadStats>& stats);

// top-1, top-10 (the 10th largest) and median of absolute values (the paper's activation-outlier table).
struct OutlierStats {
  double top1 = 0;
  double top10 = 0;
  double median = 0;
};

// A pooled image of each whole map of a layer, small whatever the prompt length: cell (r, c) holds, of the entries in
// rows [r * cell, (r + 1) * cell) and keys [c * cell, (c + 1) * cell) that a query sees (j <= i), the one of largest
// |value|, sign kept (D), so a single spike stays visible; a cell with no such entry holds 0. cell = 1 is the map.
struct MapOverview {
  int64_t cell = 1;
  // The cell for T tokens and at most `side` cells a side: 1 when the map fits, else the smallest power of two, at
  // least 8, that fits (the CUDA scan pools such cells on its fast paths; and a cell that does not change while a
  // prompt grows lets an incremental run keep the earlier rows' cells: docs/incremental-runs.md).
  static int64_t cell_for(int64_t T, int side);
  std::vector<Matrix> attn, attn1, attn2, diff;  // per head, as LayerCapture's maps
  Matrix rollout;  // attention rollout through this layer, pooled the same way (signed), when a long prompt's run
                   // keeps rollouts for windows (CaptureRequest::rollout without dense maps)
  const std::vector<Matrix>& maps(MapKind kind) const;
  std::vector<Matrix>& maps(MapKind kind);  // for whoever fills them
};

// Everything captured for one layer. Maps are indexed by head; a head whose map was not asked for has an empty Matrix.
struct LayerCapture {
  // Standard model: maps[Standard]. Diff model: maps[A1], maps[A2], maps[Diff] (V1, HF order: A1 head j = HF sub-head
  // j, A2 head j = HF sub-head j + H/2; V2: A1 head j = sub-head 2j, A2 head j = sub-head 2j + 1).
  std::vector<Matrix> attn, attn1, attn2, diff;
  std::vector<HeadStats> stats_attn, stats_attn1, stats_attn2, stats_diff;
  double lambda_init = 0;       // Diff V1 only; 0 for V2, which has none
  Matrix lambda;                // Diff only: [heads, T]; V1 repeats the layer's one value everywhere, V2 varies by
                                // head and query row (lambda[h][t] weighs row t of A2 in head h)
  OutlierStats attn_logits;     // |pre-softmax scores| over the causal entries of every sub-head
  OutlierStats hidden_states;   // |residual stream| after this layer
  MapOverview overview;         // every map of every head, pooled (when CaptureRequest::overviews)
  Matrix rollout;               // [T, T] when requested: attention rollout through this layer of the head mean of D
                                // (Diff, signed) or A (standard); row i = how token i's representation here mixes the
                                // input tokens (torch_stats.h rollout_step has the definition)

  const std::vector<Matrix>& maps(MapKind kind) const;
  std::vector<Matrix>& maps(MapKind kind);  // for whoever fills them (the engine, the CLI's windows)
  const std::vector<HeadStats>& stats(MapKind kind) const;
  std::vector<HeadStats>& stats(MapKind kind);
  double mean_lambda() const;   // mean of `lambda` (Diff), 0 for a standard layer
};

// A relevant key span in token indices, [begin, end).
struct TokenSpan {
  int64_t begin = 0;
  int64_t end = 0;
};

// Which heads get full maps. Statistics, when on, cover every head.
struct HeadRef {
  int layer = 0;
  int head = 0;
};

struct CaptureRequest {
  enum class Maps { All, Selected, None };
  // Full-resolution maps copied into the snapshot (small prompts; larger ones ask AttentionSnapshot::store for
  // windows). A request whose maps would exceed the engine's limit is refused with its size (ResourceError).
  Maps maps = Maps::All;
  std::vector<HeadRef> heads;       // used when maps == Selected
  bool logits = true;               // copy logits [T, V] into the snapshot
  bool statistics = true;           // compute HeadStats and outlier figures (off only for benchmarks)
  std::optional<TokenSpan> span;    // relevant span R for signal/noise
  std::optional<TokenSpan> context; // context region C; default: every key the query row sees
  std::vector<int64_t> query_rows;  // Q; default (empty): the last row
  bool rollout = false;             // LayerCapture::rollout of every layer (whole prompts, not generation steps)
  bool overviews = true;            // LayerCapture::overview of every map (needs statistics' scan; on with it)
  int overview_size = 256;          // the overview's cells a side at most (MapOverview::cell_for)
  bool keep_store = true;           // AttentionSnapshot::store: keep what windows of any map need (device memory)
  // How the forward pass attends: Fused never holds a (heads, T, T) tensor (scaled_dot_product_attention on
  // LibTorch 2.x, query-row blocks on 1.13); Explicit forms each layer's softmax maps and multiplies them with V, as
  // HF's eager attention does (the reference the fused path is tested against).
  enum class Attention { Fused, Explicit };
  Attention attention = Attention::Fused;
  // Changes to the forward pass (intervention.h), applied in order; checked against the model before the run.
  std::vector<Intervention> interventions;
};

// A window of one map: rows [row_begin, row_end) and keys [col_begin, col_end) (end -1: the prompt's length), pooled
// `pool` x `pool` cells into one (the entry of largest |value|, sign kept, as MapOverview). Heads as LayerCapture's.
constexpr int kMeanOfHeads = -1;  // MapWindow::head: the mean of the kind's maps over every head of the layer
constexpr int kRollout = -2;      // MapWindow::head: attention rollout through the layer (LayerCapture::rollout; the
                                  // kind is ignored), kept by runs that asked for rollout without dense maps

struct MapWindow {
  int layer = 0;
  MapKind kind = MapKind::Standard;
  int head = 0;  // or kMeanOfHeads (pooled after the mean: each cell the mean map's entry of largest |value|), or
                 // kRollout
  int64_t row_begin = 0, row_end = -1;
  int64_t col_begin = 0, col_end = -1;
  int64_t pool = 1;
};

// What the engine keeps of a run so that any window of any map can be computed later (per layer the rotated queries
// and keys and lambda, on the run's device). Any thread may call it; calls only read the stored tensors.
class MapStore {
 public:
  virtual ~MapStore() = default;
  // The window as a Matrix of ceil(rows / pool) x ceil(cols / pool). Throws InputError for a window outside the map
  // or a kind the model lacks, ResourceError for a result above the engine's size limit (the message says how large).
  virtual Matrix window(const MapWindow& window) const = 0;
  // The same into `out`, reusing its memory where the store can (a caller streaming a whole map band by band keeps
  // one Matrix: fresh pages for every band of a 32K map cost more than computing it). On an exception `out` is
  // unspecified.
  virtual void window_into(const MapWindow& window, Matrix& out) const { out = this->window(window); }
  virtual int64_t tokens() const = 0;
  virtual int64_t device_bytes() const = 0;  // what the store holds on its device
};

// Where a snapshot's maps come from when they are windows of the whole maps (CLI --rows/--cols/--pool).
struct MapWindowInfo {
  int64_t row_begin = 0, row_end = 0, col_begin = 0, col_end = 0, pool = 1;
};

struct AttentionSnapshot {
  ModelInfo model;
  std::vector<Token> tokens;
  std::vector<LayerCapture> layers;
  Matrix logits;                    // [T, V] when asked for
  CaptureRequest request;           // what was asked (span, query rows, ...)
  std::optional<MapWindowInfo> map_window;  // set when the maps are windows, not whole maps
  std::shared_ptr<const MapStore> store;  // windows of any map of this run (when CaptureRequest::keep_store)
  std::string rollout_refused;      // why a long prompt's run asked for rollout but kept none (too large), else ""
  double seconds = 0;               // wall time of the forward pass and capture
  int64_t reused_tokens = 0;        // rows taken from an earlier run (Model::run with a RunCache), not recomputed
  uint64_t sequence = 0;            // set by whoever publishes it (the worker), so the UI can tell new from old
};

using SnapshotPtr = std::shared_ptr<const AttentionSnapshot>;

// Bytes a snapshot holds on the host (maps, overviews, statistics, logits, tokens), not counting its store.
int64_t snapshot_host_bytes(const AttentionSnapshot& snapshot);

}  // namespace diffscope
