// A run's statistics, overviews and logit outliers from the streaming scan of attention_scan.h, layer by layer: the
// scan's per-row figures of the run's layers become HeadStats here in batches, and the few query rows of signal/noise
// are recomputed exactly. Called by the thread that owns the model.
#include "layer_scan.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <optional>
#include <string>

#include <ATen/Parallel.h>

#include "attention_scan.h"
#include "cuda_stream.h"
#include "deferred_host.h"
#include "errors.h"
#include "logit_histogram.h"
#include "scan_cpu.h"
#include "side_stream.h"
#include "stage_profile.h"
#include "torch_stats.h"

namespace diffscope {
namespace {

#ifdef DIFFSCOPE_CUDA_KERNELS
ScanDType scan_dtype(at::ScalarType t) {
  if (t == at::kBFloat16) return ScanDType::BF16;
  if (t == at::kHalf) return ScanDType::F16;
  return ScanDType::F32;
}

// Both passes of attention_scan.h by the CUDA kernels, on CUDA tensors, over query rows [first_row, T) (the rest of
// every output is left for the caller), with histograms per chunk of `chunk_rows` rows (0: one).
ScanResult scan_layer_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& lambda,
                           const HeadLayout& layout, int64_t cell, int64_t window, int64_t first_row,
                           int64_t chunk_rows) {
  const int64_t H = layout.H, T = q.size(1), P = layout.differential ? H / 2 : 0;
  const int64_t C = (T + cell - 1) / cell;
  const int64_t chunks = chunk_rows > 0 ? (T + chunk_rows - 1) / chunk_rows : 1;
  const auto f32 = q.options().dtype(at::kFloat);
  ScanResult t;
  t.rows = at::empty({6, H, T}, f32);
  t.histogram = at::zeros({chunks, kLogitBins}, f32.dtype(at::kLong));
  t.overview = at::empty({H, C, C}, f32);
  t.diff_overview = at::empty({P, C, C}, f32);
  t.diff_rows = at::empty({2, P, T}, f32);

  AttentionScanInput in;
  in.q = q.data_ptr();
  in.k = k.data_ptr();
  in.dtype = scan_dtype(q.scalar_type());
  in.H = layout.H;
  in.KV = layout.KV;
  in.T = static_cast<int>(T);
  in.d = layout.d;
  in.scale = static_cast<float>(layout.scale);
  in.softcap = static_cast<float>(layout.softcap);
  in.num_pairs = static_cast<int>(P);
  in.a1_offset = layout.a1_offset;
  in.a1_stride = layout.a1_stride;
  in.a2_offset = layout.a2_offset;
  in.a2_stride = layout.a2_stride;
  in.lambda = P > 0 ? lambda.data_ptr<float>() : nullptr;
  in.overview_cell = static_cast<int>(cell);
  in.window = window < T ? static_cast<int>(window) : 0;  // a window of at least T masks nothing
  in.first_row = static_cast<int>(first_row);

  float* rows = t.rows.data_ptr<float>();
  ScanRowsOutput pass1;
  pass1.row_lse = rows;
  pass1.row_entropy = rows + H * T;
  pass1.row_max = rows + 2 * H * T;
  pass1.row_distance = rows + 3 * H * T;
  pass1.row_sink = rows + 4 * H * T;
  pass1.row_abs_max = rows + 5 * H * T;
  pass1.logit_histogram = reinterpret_cast<unsigned long long*>(t.histogram.data_ptr<int64_t>());
  pass1.histogram_chunk_rows = static_cast<int>(chunk_rows);
  attention_scan_rows_cuda(in, pass1, current_cuda_stream(q.device()));

  ScanPairsOutput pass2;
  pass2.overview = t.overview.data_ptr<float>();
  pass2.diff_overview = P > 0 ? t.diff_overview.data_ptr<float>() : nullptr;
  pass2.diff_entropy = P > 0 ? t.diff_rows.data_ptr<float>() : nullptr;
  pass2.diff_max = P > 0 ? t.diff_rows.data_ptr<float>() + P * T : nullptr;
  attention_scan_pairs_cuda(in, t.rows[0].data_ptr<float>(), pass2, current_cuda_stream(q.device()));
  return t;
}
#endif

// The rows before `first_row` of a scan that skipped them, from the earlier run's results: per-row figures, the
// histogram chunks before first_row / chunk_rows and the overview cell rows before first_row / cell (whose cells lie
// left of that column too: keys come no later than their query).
void take_prefix(ScanResult& t, const CachedScan& prior, int64_t first_row, int64_t cell, int64_t chunk_rows) {
  t.rows.slice(2, 0, first_row).copy_(prior.rows.slice(2, 0, first_row));
  if (t.diff_rows.numel() > 0) t.diff_rows.slice(2, 0, first_row).copy_(prior.diff_rows.slice(2, 0, first_row));
  const int64_t chunks = first_row / chunk_rows;
  t.histogram.slice(0, 0, chunks).copy_(prior.histogram.slice(0, 0, chunks));
  const int64_t cells = first_row / cell;
  auto overview = [&](at::Tensor& now, const at::Tensor& before) {
    if (!before.defined() || now.numel() == 0) return;
    now.slice(1, 0, cells).zero_();
    now.slice(1, 0, cells).slice(2, 0, cells).copy_(before.slice(1, 0, cells).slice(2, 0, cells));
  };
  overview(t.overview, prior.overview);
  overview(t.diff_overview, prior.diff_overview);
}

// How many of the rows with the largest max |s| top_abs_logits recomputes.
constexpr int64_t kTopRows = 64;

// True where a key is hidden from its query in each of `layers` (all of T keys): after it, or, in a layer with a
// sliding window W, W or more positions before it. `key` and `query` hold positions that broadcast against one
// another with the layers' dimension first.
at::Tensor hidden_in_layers(at::ArrayRef<LayerQK> layers, int64_t T, const at::Tensor& key, const at::Tensor& query) {
  const at::Tensor after = key > query;
  std::vector<int64_t> windows;  // a layer without a window: T + 1, which hides no key
  for (const LayerQK& layer : layers) windows.push_back(layer.window > 0 ? layer.window : T + 1);
  if (std::none_of(windows.begin(), windows.end(), [T](int64_t w) { return w <= T; })) return after;
  std::vector<int64_t> shape(static_cast<size_t>(std::max(key.dim(), query.dim())), 1);
  shape[0] = static_cast<int64_t>(windows.size());
  const at::Tensor w = to_device_async(at::tensor(windows, query.options().device(at::kCPU)), query.device());
  return after.logical_or(key <= query - w.view(shape));
}

// The 10 largest |s| over the entries of every sub-head (keys a row sees) of each of L layers, from the rows' max |s|
// (L, H, T): those ten entries lie in rows whose max |s| reaches the 10th largest row maximum (ten rows give ten
// distinct entries that large), so the kTopRows rows of largest maximum are recomputed with the explicit path's
// arithmetic (at::matmul in the compute dtype, times the scale, soft cap) and their entries ranked. That is exact
// unless rows left out could hold an entry as large as the 10th found: their maxima are at most the kTopRows-th, which
// must therefore lie below the 10th found (with a margin for the scan's own rounding, attention_scan.h: a score of the
// tensor cores may differ by 2 units of the dtype's last place). Returns (L, 11) float32 on the layers' device: per
// layer the 10 values in descending order (-1 past the entries that exist), then 1 when they are exact, else 0 (the
// caller falls back to the histogram, as for too many ties). All layers at once: only the matmul and its pick are per
// layer (one layer at a time took ~30 small operations each, 9-13 ms of a 4K run's host time on the H200).
at::Tensor top_abs_logits(const std::vector<LayerQK>& layers, const HeadLayout& layout, const at::Tensor& row_abs_max) {
  const int64_t L = row_abs_max.size(0), H = layout.H, T = row_abs_max.size(2), d = layers.front().q.size(2);
  const int64_t n = H * T, K = std::min(kTopRows, n);
  const auto [maxima, index] = row_abs_max.reshape({L, n}).topk(K, 1);  // (L, K), descending
  const at::Tensor row = index.remainder(T);
  const at::Tensor kv = index.div(T, "floor").div(H / layout.KV, "floor");  // each selected row's KV head
  std::vector<at::Tensor> picked;
  for (int64_t l = 0; l < L; ++l) {
    const LayerQK& layer = layers[static_cast<size_t>(l)];
    const at::Tensor q_rows = layer.q.reshape({n, d}).index_select(0, index[l]);  // (K, d)
    // (KV, K, T) scores of every selected query against each KV head's keys; each row keeps its own head's.
    const at::Tensor all = at::matmul(q_rows.unsqueeze(0), layer.k.transpose(1, 2));
    picked.push_back(all.gather(0, kv[l].view({1, K, 1}).expand({1, K, T})).squeeze(0));  // (K, T)
  }
  at::Tensor scores = soft_capped(at::stack(picked) * layout.scale, layout.softcap).to(at::kFloat).abs();
  const at::Tensor key = at::arange(T, row.options()).view({1, 1, T});
  const at::Tensor hidden = hidden_in_layers(layers, T, key, row.view({L, K, 1}));
  scores = scores.masked_fill(hidden, -1.0f).reshape({L, -1});
  const int64_t take = std::min<int64_t>(10, K * T);
  at::Tensor top = std::get<0>(scores.topk(take, 1));  // (L, take)
  if (take < 10) top = at::cat({top, at::full({L, 10 - take}, -1.0f, top.options())}, 1);
  const at::ScalarType dtype = layers.front().q.scalar_type();
  const double u = dtype == at::kBFloat16 ? 1.0 / 128 : dtype == at::kHalf ? 1.0 / 1024 : 1.0 / (1 << 20);
  // Exact when every row was taken, or when the rows left out cannot reach the 10th value found.
  const at::Tensor tenth = top.select(1, take - 1);
  const at::Tensor exact =
      K == n ? at::ones({L}, top.options())
             : (maxima.select(1, K - 1).to(at::kFloat) * static_cast<float>(1 + 4 * u) < tenth).to(at::kFloat);
  return at::cat({top, exact.view({L, 1})}, 1);
}

// Signal, noise and |noise| of every map of L layers on the region's query rows (weights `weight`, key sets `span`
// and `outside`), recomputed exactly as all_heads_rows does (softmax rows of every sub-head; a Diff layer's D from
// them and lambda (L, P, T) float32): (L, N, 3) float32, N = H, or 3P for A1, A2 and D. Layers go in groups whose
// rows stay within kFlushBytes; per layer only the scores' matmul (one layer at a time took ~25 small operations).
at::Tensor signal_noise_of_layers(const std::vector<LayerQK>& layers, const HeadLayout& layout, const at::Tensor& lambda,
                                  const at::Tensor& rows, const at::Tensor& weight, const at::Tensor& span,
                                  const at::Tensor& outside) {
  const int64_t L = static_cast<int64_t>(layers.size()), H = layout.H, R = rows.size(0);
  const int64_t T = layers.front().k.size(1);
  const int64_t group = std::max<int64_t>(1, RunScan::kFlushBytes / (4 * H * R * T * 4));  // p, D and their copies
  std::vector<at::Tensor> tables;
  for (int64_t first = 0; first < L; first += group) {
    const int64_t end = std::min(L, first + group);
    const at::ArrayRef<LayerQK> group_layers = at::ArrayRef<LayerQK>(layers).slice(first, end - first);
    std::vector<at::Tensor> scores;
    for (const LayerQK& layer : group_layers) {
      const at::Tensor keys = layer.k.repeat_interleave(H / layout.KV, 0);                            // (H, T, d)
      scores.push_back(at::matmul(layer.q.index_select(1, rows), keys.transpose(1, 2)));               // (H, R, T)
    }
    const at::Tensor s = soft_capped(at::stack(scores) * layout.scale, layout.softcap);  // (n, H, R, T)
    const at::Tensor hidden = hidden_in_layers(group_layers, T, at::arange(T, rows.options()).view({1, 1, 1, T}),
                                               rows.view({1, 1, R, 1}));
    const at::Tensor p = at::softmax(s.masked_fill(hidden, -INFINITY), -1, at::kFloat);  // (n, H, R, T)
    at::Tensor maps = p;
    if (layout.differential) {
      auto sub = [&](bool second) { return pair_sub_heads(p.transpose(0, 1), layout, second).transpose(0, 1); };
      const at::Tensor p1 = sub(false), p2 = sub(true);  // (n, P, R, T)
      const at::Tensor l = lambda.slice(0, first, end).index_select(2, rows).unsqueeze(-1);  // (n, P, R, 1)
      maps = at::cat({p1, p2, p1 - l * p2}, 1);
    }
    tables.push_back(signal_noise_of_rows(maps, weight, span, outside));  // (n, N, 3)
  }
  return tables.size() == 1 ? tables.front() : at::cat(tables);
}

// Means over rows of per-row figures, on their device in float64, for L layers of N maps at once: entropy (L, N, T)
// divided by the log of the row's number of keys (log_keys: (L, 1, T - 1), rows 1 .. T - 1; NaN for a layer whose
// rows all see one key), over the rows with at least two keys; sink, max and distance (L, N, T). Returns (L, N, 4).
at::Tensor row_means(const at::Tensor& entropy, const at::Tensor& sink, const at::Tensor& max_attention,
                     const at::Tensor& distance, const at::Tensor& log_keys) {
  const int64_t T = entropy.size(2);
  const auto f64 = entropy.options().dtype(at::kDouble);
  const at::Tensor normalized_entropy =
      T > 1 ? (entropy.slice(2, 1, T).to(at::kDouble) / log_keys).mean(2)
            : at::full({entropy.size(0), entropy.size(1)}, std::nan(""), f64);
  return at::stack({normalized_entropy, sink.to(at::kDouble).mean(2), max_attention.to(at::kDouble).mean(2),
                    distance.to(at::kDouble).mean(2)}, 2);
}

// One HeadStats per listed row of a host (N, 4) table of row_means (every row when `rows` is empty).
std::vector<HeadStats> stats_from_means(const double* table, int64_t N, std::vector<int64_t> rows = {}) {
  if (rows.empty()) {
    for (int64_t n = 0; n < N; ++n) rows.push_back(n);
  }
  std::vector<HeadStats> stats(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const double* v = table + rows[i] * 4;
    stats[i].entropy = v[0];
    stats[i].sink_mass = v[1];
    stats[i].max_attention = v[2];
    stats[i].distance = v[3];
  }
  return stats;
}

// One overview plane to copy: C x C floats from a host tensor into a Matrix.
struct PlaneCopy {
  const float* from;
  Matrix* to;
};

// Sizes `out` to the planes `planes` of a (N, C, C) host float tensor (every plane when `planes` is empty) and lists
// their copies in `copies`; copy_planes does them.
void plan_plane_copies(const at::Tensor& pooled, std::vector<int64_t> planes, std::vector<Matrix>& out,
                       std::vector<PlaneCopy>& copies) {
  if (planes.empty()) {
    for (int64_t n = 0; n < pooled.size(0); ++n) planes.push_back(n);
  }
  const int64_t C = pooled.size(1);
  out.assign(planes.size(), Matrix{});
  const float* base = pooled.data_ptr<float>();
  for (size_t i = 0; i < planes.size(); ++i) copies.push_back({base + planes[i] * C * C, &out[i]});
}

// Makes and fills every listed plane (C x C) in one parallel loop: a long prompt's overviews are hundreds of MiB per
// run, and one thread copying them (25-34 ms per run on the H200, session 15) was the tail of a 2K run. One loop per
// layer rather than one per map kind, since each loop wakes its team: session 15's probe on the H200 put one loop per
// layer at 4.4 ms per run against 6.0 for three (docs/benchmarks.md).
// An OpenMP loop of its own rather than at::parallel_for, whose region always takes ATen's whole team: at most half of
// ATen's threads and 8 here, because on a GPU the model's thread keeps queuing device work beside this loop and the
// team's threads spin for a while after it (libgomp's default wait policy); a team as large as the machine would
// contend with it (session 13's contention, docs/benchmarks.md). The probe put 8 threads at 5.5 ms per run.
// With profiling on, also charges the loop's threads' summed busy time to "helper thread: overviews, threads' sum":
// about the loop's time times its threads when the copying itself is slow, about the loop's time when it ran on one
// thread. (On the CPU the steps run inline on the model's thread; the figure keeps the helper's prefix so that the
// profile never counts it as a share of the run.)
void copy_planes(const std::vector<PlaneCopy>& copies, int64_t C) {
  const bool profiled = StageProfile::instance().enabled;
  const int64_t planes = static_cast<int64_t>(copies.size());
  [[maybe_unused]] const int threads = std::clamp(at::get_num_threads() / 2, 1, 8);  // (unused without OpenMP)
  std::atomic<int64_t> busy_ns{0};
  std::exception_ptr error;  // an allocation failure, rethrown after the region
  std::atomic_flag failed = ATOMIC_FLAG_INIT;
#ifdef _OPENMP  // (builds without OpenMP, ThreadSanitizer's, copy on one thread)
#pragma omp parallel num_threads(threads)
#endif
  {
    const auto start = std::chrono::steady_clock::now();
#ifdef _OPENMP
#pragma omp for schedule(static) nowait
#endif
    for (int64_t i = 0; i < planes; ++i) {
      try {  // inside the loop: an exception must not leave the worksharing loop
        const PlaneCopy& copy = copies[static_cast<size_t>(i)];
        *copy.to = Matrix{C, C, std::vector<float>(copy.from, copy.from + C * C)};
      } catch (...) {
        if (!failed.test_and_set()) error = std::current_exception();
      }
    }
    if (profiled) {
      busy_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
    }
  }
  if (error) std::rethrow_exception(error);
  if (profiled) StageProfile::instance().add("helper thread: overviews, threads' sum", busy_ns.load() / 1e6);
}

// Copies signal, noise and |noise| from rows [first, first + stats.size()) of a host (N, 3) table into `stats`.
void add_signal_noise(const double* table, int64_t first, std::vector<HeadStats>& stats) {
  const double* v = table + first * 3;
  for (size_t n = 0; n < stats.size(); ++n, v += 3) {
    stats[n].signal = v[0];
    stats[n].noise = v[1];
    stats[n].noise_abs = v[2];
  }
}

}  // namespace

std::string scan_refusal(bool cuda, int64_t T, int64_t window, int layer, double softcap) {
#ifdef DIFFSCOPE_CUDA_KERNELS
  if (cuda && !kCudaScanSoftcapVerified && softcap > 0) {
    return "statistics and overviews of soft-capped attention scores (Gemma 2's attn_logit_softcapping " +
           std::to_string(softcap) + ") are not supported on CUDA yet (the CUDA scan kernels' soft cap awaits its GPU "
           "test): run with --device cpu, or ask for maps only (diffscope-cli run --maps without --stats)";
  }
  if (cuda && !kCudaScanBandVerified && window > 0 && window < T) {
    return "statistics and overviews of a sliding-window layer (" +
           (layer >= 0 ? "layer " + std::to_string(layer) + ", " : std::string()) + "window " +
           std::to_string(window) + ") over a prompt longer than its window (" + std::to_string(T) +
           " tokens) are not supported on CUDA yet (the CUDA scan kernels' window band awaits its GPU test): run with "
           "--device cpu, or use a prompt of at most " + std::to_string(window) + " tokens";
  }
#else
  (void)cuda, (void)T, (void)window, (void)layer, (void)softcap;
#endif
  return "";
}

// What a layer leaves for flush(): its per-row results and outlier data, on the scan's device.
struct RunScan::Layer {
  LayerCapture* capture = nullptr;
  int64_t window = 0;       // as the scan used it: 0 when every row sees all its keys
  at::Tensor rows;          // (6, H, T): lse, entropy, max, distance, sink, max |s|
  at::Tensor diff_rows;     // (2, P, T): entropy and max of D's positive part
  at::Tensor histogram;     // (chunks, kLogitBins) int64: |s| counts per chunk of rows
  LayerQK qk;               // queries, keys, lambda (P, T) float32 and window, for flush()'s recomputed rows
  at::Tensor hidden_figures;  // (3) float64
};

// The signal/noise region of the request, on the device: the query rows and their weights, the span R and the
// context outside it as 0/1 key vectors.
struct RunScan::Region {
  at::Tensor rows, weight, span, outside;
};

RunScan::RunScan(const HeadLayout& layout, const CaptureRequest& request, int64_t T, const at::Device& device,
                 int64_t first_row, int64_t chunk_rows)
    : layout_(layout), request_(request), T_(T), first_row_(first_row), chunk_rows_(chunk_rows), side_(device) {
  if (!request.statistics) return;
  const SignalRegion region = signal_region(request, T);
  if (region.query_weight.empty()) return;
  std::vector<int64_t> query_rows;
  std::vector<float> weights;
  for (int64_t i = 0; i < T; ++i) {
    if (region.query_weight[static_cast<size_t>(i)] != 0) {
      query_rows.push_back(i);
      weights.push_back(region.query_weight[static_cast<size_t>(i)]);
    }
  }
  const auto floats = at::TensorOptions().device(device).dtype(at::kFloat);
  region_ = std::make_unique<Region>();
  region_->rows = to_device_async(at::tensor(query_rows, at::TensorOptions().dtype(at::kLong)), device);
  region_->weight = to_device(weights, floats);
  region_->span = to_device(region.span, floats);
  region_->outside = to_device(region.outside, floats);
}

RunScan::~RunScan() = default;

void RunScan::layer_done(DeferredHost& deferred) {
  int64_t bytes = 0;
  for (const Layer& l : layers_) {
    if (l.rows.defined()) bytes += static_cast<int64_t>(l.rows.nbytes());
    if (l.diff_rows.defined()) bytes += static_cast<int64_t>(l.diff_rows.nbytes());
    // Without a map store the gathered layers' q and k are held only for flush(): counted, so that a long prompt's
    // statistics-only run holds about kFlushBytes of them (167 MB per layer at 32K tokens for the 1B shape) instead
    // of ten layers' worth. With a store they are kept for windows anyway, and flushes stay as they were.
    if (!request_.keep_store && l.qk.q.defined()) {
      bytes += static_cast<int64_t>(l.qk.q.nbytes() + l.qk.k.nbytes());
    }
  }
  if (epilogue_baseline() || bytes >= kFlushBytes) flush(deferred);
}

RunScan::Layer& RunScan::layer_of(LayerCapture& capture) {
  if (layers_.empty() || layers_.back().capture != &capture) {
    layers_.emplace_back();
    layers_.back().capture = &capture;
  }
  return layers_.back();
}

void RunScan::scan(const LayerQK& layer, LayerCapture& capture, DeferredHost& deferred, const CachedScan* prior,
                   CachedScan* keep) {
  const bool stats = request_.statistics;
  const bool overviews = request_.overviews;
  if (!stats && !overviews) return;
  const HeadLayout& layout = layout_;
  const int64_t H = layout.H, T = layer.q.size(1), P = layout.differential ? H / 2 : 0;
  const int64_t cell = overviews ? MapOverview::cell_for(T, request_.overview_size) : T;
  const int64_t first_row = first_row_, chunk_rows = chunk_rows_;
  if (first_row > 0 && !prior) throw std::logic_error("RunScan: an incremental scan without the earlier results");
  at::Tensor q = layer.q.contiguous(), k = layer.k.contiguous();
  at::Tensor lambda = P > 0 ? layer.lambda.to(at::kFloat).contiguous() : at::Tensor();
  ScanResult scan;
  std::optional<ScopedStage> stage;
  stage.emplace("statistics: scan", q.device());
  // On a GPU the scan goes to the side stream, beside the next layers' forward; flush() joins it. Its outputs are made
  // there; q, k and lambda are the current stream's, and may be freed before the scan has read them.
  const SideStream::Scope on_side = side_.enter();
  for (const at::Tensor& t : {q, k, lambda}) side_.used_on_side(t);
  const int64_t window = layer.window > 0 && layer.window < T ? layer.window : 0;  // 0: every row sees all its keys
#ifdef DIFFSCOPE_CUDA_KERNELS
  if (q.is_cuda()) {
    const std::string refusal = scan_refusal(true, T, window, -1, layout.softcap);
    if (!refusal.empty()) throw InputError(refusal);
    scan = scan_layer_cuda(q, k, lambda, layout, cell, window, first_row, chunk_rows);
  }
#endif
  if (!scan.rows.defined()) {  // the CPU, or a GPU in a build without the kernels (then on copies: correct, slow)
    scan = scan_layer_cpu(q.cpu(), k.cpu(), lambda.defined() ? lambda.cpu() : lambda, layout, cell, window, first_row,
                          chunk_rows);
    if (q.is_cuda()) {
      for (at::Tensor* t : {&scan.rows, &scan.diff_rows, &scan.histogram, &scan.overview, &scan.diff_overview}) {
        *t = t->to(q.device());
      }
    }
  }
  if (first_row > 0) take_prefix(scan, *prior, first_row, cell, chunk_rows);
  if (keep) {
    keep->rows = scan.rows;
    keep->diff_rows = scan.diff_rows;
    keep->histogram = scan.histogram;
    keep->overview = overviews ? scan.overview : at::Tensor();
    keep->diff_overview = overviews && P > 0 ? scan.diff_overview : at::Tensor();
  }
  stage.emplace("statistics: overviews queued to the host", q.device());
  if (overviews) {
    capture.overview.cell = cell;
    const at::Tensor pooled = deferred.to_host(scan.overview);
    const at::Tensor diff_pooled = P > 0 ? deferred.to_host(scan.diff_overview) : at::Tensor();
    deferred.then([&capture, pooled, diff_pooled, layout] {
      std::vector<PlaneCopy> copies;
      if (!layout.differential) {
        plan_plane_copies(pooled, {}, capture.overview.attn, copies);
      } else {
        plan_plane_copies(pooled, layout.a1_heads(), capture.overview.attn1, copies);
        plan_plane_copies(pooled, layout.a2_heads(), capture.overview.attn2, copies);
        plan_plane_copies(diff_pooled, {}, capture.overview.diff, copies);
      }
      copy_planes(copies, pooled.size(1));
    }, "overviews");
  }
  if (!stats) return;

  Layer& kept = layer_of(capture);
  kept.window = window;
  kept.rows = scan.rows;
  kept.diff_rows = scan.diff_rows;
  kept.histogram = scan.histogram;
  kept.qk = LayerQK{q, k, lambda, window};  // lambda: float32 (P, T), as the scan read it
}

void RunScan::add_hidden_state_figures(LayerCapture& capture, const at::Tensor& figures) {
  layer_of(capture).hidden_figures = figures;
}

void RunScan::flush(DeferredHost& deferred) {
  if (layers_.empty()) return;
  std::vector<Layer> layers = std::move(layers_);
  layers_.clear();
  const at::Device device = layers.front().rows.defined() ? layers.front().rows.device()
                                                          : layers.front().hidden_figures.device();
  std::optional<ScopedStage> stage;
  stage.emplace("statistics: per-head means and outliers", device);
  const HeadLayout layout = layout_;
  const int64_t L = static_cast<int64_t>(layers.size()), H = layout.H, P = layout.differential ? H / 2 : 0;
  const int64_t T = T_;
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  auto stacked = [&](at::Tensor Layer::*field) {
    std::vector<at::Tensor> parts;
    for (const Layer& l : layers) parts.push_back(l.*field);
    return at::stack(parts);
  };
  // Everything in float64 goes to the host as one tensor: [per-head means (L, H, 4), D's (L, P, 4), signal and noise
  // (L, N, 3), top-1 |logit| (L), hidden-state figures (L', 3)]; offsets below.
  std::vector<at::Tensor> table_parts;
  const bool stats = layers.front().rows.defined();
  std::vector<at::Tensor> scanned;  // what the scans made on the side stream and this flush reads
  for (const Layer& l : layers) scanned.insert(scanned.end(), {l.rows, l.diff_rows, l.histogram});
  side_.join(scanned);
  const bool signal = stats && region_;
  const int64_t N = signal ? (layout.differential ? 3 * P : H) : 0;
  at::Tensor counts, tops;
  if (stats) {
    const at::Tensor rows = stacked(&Layer::rows);  // (L, 6, H, T)
    std::vector<LayerQK> qks;
    std::vector<at::Tensor> lambdas;
    for (const Layer& l : layers) {
      qks.push_back(l.qk);
      lambdas.push_back(l.qk.lambda);
    }
    const at::Tensor lambda = P > 0 ? at::stack(lambdas) : at::Tensor();  // (L, P, T) float32
    at::Tensor log_keys;  // (L, 1, T - 1): log min(i + 1, W) for rows i >= 1; NaN for a window of one key
    if (T > 1) {
      std::vector<double> windows;
      for (const Layer& l : layers) {
        const int64_t W = l.window > 0 ? l.window : T;
        windows.push_back(W > 1 ? static_cast<double>(W) : std::nan(""));
      }
      const at::Tensor w = to_device_async(at::tensor(windows, f64), device).view({L, 1, 1});
      log_keys = at::arange(2, T + 1, f64.device(device)).view({1, 1, T - 1}).minimum(w).log();
    }
    auto quantity = [&](int q) { return rows.select(1, q); };  // (L, H, T)
    table_parts.push_back(row_means(quantity(1), quantity(4), quantity(2), quantity(3), log_keys).reshape({-1}));
    if (layout.differential) {
      auto sub = [&](int q, bool second) {  // (L, P, T) in float64
        return pair_sub_heads(quantity(q).transpose(0, 1), layout, second).transpose(0, 1).to(at::kDouble);
      };
      // Sink and distance are linear in the map: D's are A1's minus lambda times A2's, row by row.
      const at::Tensor lambda64 = lambda.to(at::kDouble);
      const at::Tensor sink = sub(4, false) - lambda64 * sub(4, true);
      const at::Tensor distance = sub(3, false) - lambda64 * sub(3, true);
      const at::Tensor diff_rows = stacked(&Layer::diff_rows);  // (L, 2, P, T)
      table_parts.push_back(
          row_means(diff_rows.select(1, 0), sink, diff_rows.select(1, 1), distance, log_keys).reshape({-1}));
    }
    if (signal) {
      // Signal and noise need only the query rows: those rows of every map, recomputed exactly.
      stage.emplace("statistics: signal and noise rows", device);
      table_parts.push_back(signal_noise_of_layers(qks, layout, lambda, region_->rows, region_->weight, region_->span,
                                                   region_->outside).to(at::kDouble).reshape({-1}));
    }
    // Attention-logit outliers: top-1 exact (row maxima); the 10th largest and the median below.
    stage.emplace("statistics: largest attention logits", device);
    table_parts.push_back(quantity(5).amax({1, 2}).to(at::kDouble));
    counts = deferred.to_host(stacked(&Layer::histogram).sum(1));       // (L, kLogitBins)
    tops = deferred.to_host(top_abs_logits(qks, layout, quantity(5)));  // (L, 11)
    stage.emplace("statistics: per-head means and outliers", device);
  }
  std::vector<int64_t> hidden_index(layers.size(), -1);
  std::vector<at::Tensor> hidden;
  for (size_t l = 0; l < layers.size(); ++l) {
    if (!layers[l].hidden_figures.defined()) continue;
    hidden_index[l] = static_cast<int64_t>(hidden.size());
    hidden.push_back(layers[l].hidden_figures.to(device, at::kDouble));
  }
  if (!hidden.empty()) table_parts.push_back(at::cat(hidden));
  if (table_parts.empty()) return;
  const at::Tensor table = deferred.to_host(at::cat(table_parts));

  // What the host step needs of each layer (the device tensors stay on this thread).
  struct HostPart {
    LayerCapture* capture;
    int64_t window;
  };
  std::vector<HostPart> parts;
  for (Layer& l : layers) parts.push_back({l.capture, l.window});
  deferred.then([parts = std::move(parts), hidden_index, table, counts, tops, layout, L, H, P, N, T, stats,
                 signal]() mutable {
    const double* means = table.data_ptr<double>();
    const double* diff_means = means + (stats ? L * H * 4 : 0);
    const double* signal_noise = diff_means + (stats ? L * P * 4 : 0);
    const double* top1 = signal_noise + L * N * 3;
    const double* hidden = top1 + (stats ? L : 0);
    for (int64_t l = 0; l < L; ++l) {
      HostPart& part = parts[static_cast<size_t>(l)];
      LayerCapture& capture = *part.capture;
      if (hidden_index[static_cast<size_t>(l)] >= 0) {
        capture.hidden_states = outlier_stats_of_values(hidden + hidden_index[static_cast<size_t>(l)] * 3);
      }
      if (!stats) continue;
      const double* m = means + l * H * 4;
      if (!layout.differential) {
        capture.stats_attn = stats_from_means(m, H);
      } else {
        capture.stats_attn1 = stats_from_means(m, H, layout.a1_heads());
        capture.stats_attn2 = stats_from_means(m, H, layout.a2_heads());
        capture.stats_diff = stats_from_means(diff_means + l * P * 4, P);
      }
      if (signal) {
        const double* v = signal_noise + l * N * 3;
        if (!layout.differential) {
          add_signal_noise(v, 0, capture.stats_attn);
        } else {
          add_signal_noise(v, 0, capture.stats_attn1);
          add_signal_noise(v, P, capture.stats_attn2);
          add_signal_noise(v, 2 * P, capture.stats_diff);
        }
      }
      // Over the H sum_i min(i + 1, W) entries (H T (T + 1) / 2 without a window): the 10th largest exact from the
      // recomputed rows (unless too many rows tie at the top), the median from the histogram.
      const auto* c = reinterpret_cast<const unsigned long long*>(counts.data_ptr<int64_t>()) + l * kLogitBins;
      const std::vector<unsigned long long> histogram(c, c + kLogitBins);
      const float* top = tops.data_ptr<float>() + l * tops.size(1);
      const unsigned long long W = static_cast<unsigned long long>(part.window > 0 ? part.window : T);
      const unsigned long long entries =
          static_cast<unsigned long long>(H) * (W * (W + 1) / 2 + (static_cast<unsigned long long>(T) - W) * W);
      OutlierStats o;
      o.top1 = top1[l];
      const size_t want = static_cast<size_t>(std::min<unsigned long long>(10, entries));
      const unsigned long long rank10 = entries - static_cast<unsigned long long>(want);
      o.top10 = top[10] > 0 ? top[want - 1] : value_of_rank_from_histogram(histogram, rank10);
      o.median = value_of_rank_from_histogram(histogram, (entries - 1) / 2);
      capture.attn_logits = o;
    }
  }, "statistics");
}

}  // namespace diffscope
