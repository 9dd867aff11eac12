// A layer's statistics, overviews and logit outliers from the streaming scan of attention_scan.h: the scan's per-row
// figures become HeadStats here, and the few query rows of signal/noise are recomputed exactly. Called by the thread
// that owns the model.
#include "layer_scan.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include <ATen/Parallel.h>

#include "attention_scan.h"
#include "deferred_host.h"
#include "errors.h"
#include "logit_histogram.h"
#include "scan_cpu.h"
#include "stage_profile.h"
#include "torch_stats.h"

namespace diffscope {
namespace {

#ifdef DIFFSCOPE_CUDA_KERNELS
constexpr int64_t kCandidateCapacity = 1 << 16;

ScanDType scan_dtype(at::ScalarType t) {
  if (t == at::kBFloat16) return ScanDType::BF16;
  if (t == at::kHalf) return ScanDType::F16;
  return ScanDType::F32;
}

// Both passes of attention_scan.h by the CUDA kernels, on CUDA tensors.
ScanResult scan_layer_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& lambda,
                           const HeadLayout& layout, int64_t cell, int64_t window) {
  const int64_t H = layout.H, T = q.size(1), P = layout.differential ? H / 2 : 0;
  const int64_t C = (T + cell - 1) / cell;
  const auto f32 = q.options().dtype(at::kFloat);
  ScanResult t;
  t.rows = at::empty({6, H, T}, f32);
  at::Tensor histogram = at::zeros({kLogitBins}, f32.dtype(at::kLong));
  t.overview = at::empty({H, C, C}, f32);
  t.diff_overview = at::empty({P, C, C}, f32);
  t.diff_rows = at::empty({2, P, T}, f32);
  at::Tensor candidates = at::full({kCandidateCapacity}, -1.0f, f32);  // below every |s|: unfilled slots sort last
  at::Tensor candidate_count = at::zeros({1}, f32.dtype(at::kLong));

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

  float* rows = t.rows.data_ptr<float>();
  ScanRowsOutput pass1;
  pass1.row_lse = rows;
  pass1.row_entropy = rows + H * T;
  pass1.row_max = rows + 2 * H * T;
  pass1.row_distance = rows + 3 * H * T;
  pass1.row_sink = rows + 4 * H * T;
  pass1.row_abs_max = rows + 5 * H * T;
  pass1.logit_histogram = reinterpret_cast<unsigned long long*>(histogram.data_ptr<int64_t>());
  attention_scan_rows_cuda(in, pass1, nullptr);

  ScanPairsOutput pass2;
  pass2.overview = t.overview.data_ptr<float>();
  pass2.diff_overview = P > 0 ? t.diff_overview.data_ptr<float>() : nullptr;
  pass2.diff_entropy = P > 0 ? t.diff_rows.data_ptr<float>() : nullptr;
  pass2.diff_max = P > 0 ? t.diff_rows.data_ptr<float>() + P * T : nullptr;
  pass2.candidates = candidates.data_ptr<float>();
  pass2.candidate_count = reinterpret_cast<unsigned long long*>(candidate_count.data_ptr<int64_t>());
  pass2.candidate_capacity = kCandidateCapacity;
  // Every entry among the 10 largest |s| is at least the 10th largest row maximum (ten rows, ten distinct entries).
  // The threshold stays on the device: pass 2 reads it there, so nothing waits for pass 1.
  const at::Tensor row_max_abs = t.rows[5].reshape({-1});
  const at::Tensor threshold = row_max_abs.numel() >= 10 ? std::get<0>(row_max_abs.topk(10)).min().contiguous()
                                                         : at::zeros({}, f32);
  pass2.candidate_threshold_device = threshold.data_ptr<float>();
  attention_scan_pairs_cuda(in, t.rows[0].data_ptr<float>(), pass2, nullptr);

  t.histogram_device = histogram;
  t.top_abs_device = std::get<0>(candidates.topk(10));
  t.candidate_count_device = candidate_count;
  t.candidate_capacity = kCandidateCapacity;
  return t;
}
#endif

// Means over rows of per-row figures, on their device in float64, for N maps at once: entropy (N, T) normalized by
// the log of the row's number of keys, min(i + 1, W) (W: the sliding window, else T), over the rows with at least two
// keys; sink, max and distance (N, T). Returns the (N, 4) table, still on that device.
at::Tensor row_means(const at::Tensor& entropy, const at::Tensor& sink, const at::Tensor& max_attention,
                     const at::Tensor& distance, int64_t window) {
  const int64_t N = entropy.size(0), T = entropy.size(1);
  const int64_t W = window > 0 ? window : T;
  const auto f64 = entropy.options().dtype(at::kDouble);
  const at::Tensor normalized_entropy =
      T > 1 && W > 1
          ? (entropy.slice(1, 1, T).to(at::kDouble) / at::arange(2, T + 1, f64).clamp_max(static_cast<double>(W)).log())
                .mean(1)
          : at::full({N}, std::nan(""), f64);
  return at::stack({normalized_entropy, sink.to(at::kDouble).mean(1), max_attention.to(at::kDouble).mean(1),
                    distance.to(at::kDouble).mean(1)}, 1);
}

// One HeadStats per listed row of a host (N, 4) table of row_means (every row when `rows` is empty).
std::vector<HeadStats> stats_from_means(const at::Tensor& host, std::vector<int64_t> rows = {}) {
  if (rows.empty()) {
    for (int64_t n = 0; n < host.size(0); ++n) rows.push_back(n);
  }
  std::vector<HeadStats> stats(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const double* v = host.data_ptr<double>() + rows[i] * 4;
    stats[i].entropy = v[0];
    stats[i].sink_mass = v[1];
    stats[i].max_attention = v[2];
    stats[i].distance = v[3];
  }
  return stats;
}

// The planes `planes` of a (N, C, C) host float tensor as Matrices (every plane when `planes` is empty). The planes
// are made and filled on ATen's threads: a long prompt's overviews are hundreds of MiB per run, and one thread
// touching fresh memory page by page was a visible part of a run (docs/benchmarks.md).
std::vector<Matrix> overview_matrices(const at::Tensor& pooled, std::vector<int64_t> planes = {}) {
  if (planes.empty()) {
    for (int64_t n = 0; n < pooled.size(0); ++n) planes.push_back(n);
  }
  const int64_t C = pooled.size(1);
  std::vector<Matrix> out(planes.size());
  const float* base = pooled.data_ptr<float>();
  at::parallel_for(0, static_cast<int64_t>(planes.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float* v = base + planes[static_cast<size_t>(i)] * C * C;
      out[static_cast<size_t>(i)] = Matrix{C, C, std::vector<float>(v, v + C * C)};
    }
  });
  return out;
}

// Copies signal, noise and |noise| from rows [first, first + stats.size()) of a host (N, 3) table into `stats`.
void add_signal_noise(const at::Tensor& host, int64_t first, std::vector<HeadStats>& stats) {
  const double* v = host.data_ptr<double>() + first * 3;
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

void scan_layer(const LayerQK& layer, const HeadLayout& layout, const CaptureRequest& request, LayerCapture& capture,
                DeferredHost& deferred) {
  const bool stats = request.statistics;
  const bool overviews = request.overviews;
  if (!stats && !overviews) return;
  const int64_t H = layout.H, T = layer.q.size(1), P = layout.differential ? H / 2 : 0;
  const int64_t cell = overviews ? MapOverview::cell_for(T, request.overview_size) : T;
  at::Tensor q = layer.q.contiguous(), k = layer.k.contiguous();
  at::Tensor lambda = P > 0 ? layer.lambda.to(at::kFloat).contiguous() : at::Tensor();
  ScanResult scan;
  std::optional<ScopedStage> stage;
  stage.emplace("statistics: scan", q.device());
  const int64_t window = layer.window > 0 && layer.window < T ? layer.window : 0;  // 0: every row sees all its keys
#ifdef DIFFSCOPE_CUDA_KERNELS
  if (q.is_cuda()) {
    const std::string refusal = scan_refusal(true, T, window, -1, layout.softcap);
    if (!refusal.empty()) throw InputError(refusal);
    scan = scan_layer_cuda(q, k, lambda, layout, cell, window);
  }
#endif
  if (!scan.rows.defined()) {  // the CPU, or a GPU in a build without the kernels (then on copies: correct, slow)
    scan = scan_layer_cpu(q.cpu(), k.cpu(), lambda.defined() ? lambda.cpu() : lambda, layout, cell, window);
  }
  stage.emplace("statistics: overviews queued to the host", q.device());
  if (overviews) {
    capture.overview.cell = cell;
    const at::Tensor pooled = deferred.to_host(scan.overview);
    const at::Tensor diff_pooled = P > 0 ? deferred.to_host(scan.diff_overview) : at::Tensor();
    deferred.then([&capture, pooled, diff_pooled, layout] {
      if (!layout.differential) {
        capture.overview.attn = overview_matrices(pooled);
      } else {
        capture.overview.attn1 = overview_matrices(pooled, layout.a1_heads());
        capture.overview.attn2 = overview_matrices(pooled, layout.a2_heads());
        capture.overview.diff = overview_matrices(diff_pooled);
      }
    });
  }
  if (!stats) return;

  stage.emplace("statistics: per-head means", q.device());
  // Per-row figures become per-head means where they are (a 32K-token layer has 6.3 million of them).
  // Few, large operations: at 1K tokens a run is bound by the host launching them, not by the GPU.
  const at::Tensor& rows = scan.rows;  // (6, H, T): lse, entropy, max, distance, sink, max |s|
  const at::Tensor sub_head_means = deferred.to_host(row_means(rows[1], rows[4], rows[2], rows[3], window));  // (H, 4)
  at::Tensor diff_means;
  if (layout.differential) {
    auto a1 = [&](int quantity) { return pair_sub_heads(rows[quantity], layout, false); };
    auto a2 = [&](int quantity) { return pair_sub_heads(rows[quantity], layout, true); };
    // Sink and distance are linear in the map: D's are A1's minus lambda times A2's, row by row.
    const at::Tensor lambda_rows = lambda.to(rows.device()).to(at::kDouble);  // (P, T)
    const at::Tensor sink = a1(4).to(at::kDouble) - lambda_rows * a2(4).to(at::kDouble);
    const at::Tensor distance = a1(3).to(at::kDouble) - lambda_rows * a2(3).to(at::kDouble);
    diff_means = deferred.to_host(row_means(scan.diff_rows[0], sink, scan.diff_rows[1], distance, window));  // (P, 4)
  }
  deferred.then([&capture, sub_head_means, diff_means, layout] {
    if (!layout.differential) {
      capture.stats_attn = stats_from_means(sub_head_means);
    } else {
      capture.stats_attn1 = stats_from_means(sub_head_means, layout.a1_heads());
      capture.stats_attn2 = stats_from_means(sub_head_means, layout.a2_heads());
      capture.stats_diff = stats_from_means(diff_means);
    }
  });

  stage.emplace("statistics: signal and noise rows", q.device());
  // Signal and noise need only the query rows: recompute those rows of every map exactly.
  const SignalRegion region = signal_region(request, T);
  if (!region.query_weight.empty()) {
    std::vector<int64_t> query_rows;
    std::vector<float> weights;
    for (int64_t i = 0; i < T; ++i) {
      if (region.query_weight[static_cast<size_t>(i)] != 0) {
        query_rows.push_back(i);
        weights.push_back(region.query_weight[static_cast<size_t>(i)]);
      }
    }
    const at::Device device = layer.q.device();
    const at::Tensor row_index = to_device_async(at::tensor(query_rows, at::TensorOptions().dtype(at::kLong)), device);
    const at::Tensor w = to_device_async(at::tensor(weights, at::TensorOptions().dtype(at::kFloat)), device);
    const std::vector<at::Tensor> maps = all_heads_rows(layer, layout, row_index);  // A, or A1, A2 and D
    const at::Tensor table = deferred.to_host(
        signal_noise_of_rows(maps.size() == 1 ? maps[0] : at::cat(maps), w, region).to(at::kDouble));  // (N, 3)
    deferred.then([&capture, table, P, layout] {
      if (!layout.differential) {
        add_signal_noise(table, 0, capture.stats_attn);
      } else {
        add_signal_noise(table, 0, capture.stats_attn1);
        add_signal_noise(table, P, capture.stats_attn2);
        add_signal_noise(table, 2 * P, capture.stats_diff);
      }
    });
  }

  // Attention-logit outliers over the H sum_i min(i + 1, W) entries (H T (T + 1) / 2 without a window): top-1 exact
  // (row maxima), the 10th largest exact from the candidates (unless more than the buffer's capacity tie at the top),
  // the median from the histogram.
  stage.emplace("statistics: logit outliers", q.device());
  const unsigned long long W = static_cast<unsigned long long>(window > 0 ? window : T);
  const unsigned long long entries =
      static_cast<unsigned long long>(H) * (W * (W + 1) / 2 + (static_cast<unsigned long long>(T) - W) * W);
  const at::Tensor top1 = deferred.to_host(scan.rows[5].max().to(at::kDouble));
  at::Tensor histogram, top, count;
  if (scan.histogram_device.defined()) {
    histogram = deferred.to_host(scan.histogram_device);
    top = deferred.to_host(scan.top_abs_device);
    count = deferred.to_host(scan.candidate_count_device);
  }
  deferred.then([&capture, entries, top1, histogram, top, count, capacity = scan.candidate_capacity,
                 counts = std::move(scan.histogram), top_abs = std::move(scan.top_abs)]() mutable {
    if (histogram.defined()) {  // the CUDA kernels' outputs, now on the host
      const auto* c = reinterpret_cast<const unsigned long long*>(histogram.data_ptr<int64_t>());
      counts.assign(c, c + kLogitBins);
      const int64_t found = count.data_ptr<int64_t>()[0];
      if (found <= capacity) {
        const float* v = top.data_ptr<float>();
        top_abs.assign(v, v + std::min<int64_t>(found, top.numel()));
      }
    }
    OutlierStats o;
    o.top1 = top1.data_ptr<double>()[0];
    const size_t want = static_cast<size_t>(std::min<unsigned long long>(10, entries));
    const unsigned long long rank10 = entries - static_cast<unsigned long long>(want);
    o.top10 = top_abs.size() == want ? top_abs.back() : value_of_rank_from_histogram(counts, rank10);
    o.median = value_of_rank_from_histogram(counts, (entries - 1) / 2);
    capture.attn_logits = o;
  });
}

}  // namespace diffscope
