// A layer's statistics, overviews and logit outliers from the streaming scan of attention_scan.h: the scan's per-row
// figures become HeadStats here, and the few query rows of signal/noise are recomputed exactly. Called by the thread
// that owns the model.
#include "layer_scan.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "attention_scan.h"
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
                           const HeadLayout& layout, int64_t cell) {
  const int64_t H = layout.H, T = q.size(1), P = layout.differential ? H / 2 : 0;
  const int64_t C = (T + cell - 1) / cell;
  const auto f32 = q.options().dtype(at::kFloat);
  ScanResult t;
  t.rows = at::empty({6, H, T}, f32);
  at::Tensor histogram = at::zeros({kLogitBins}, f32.dtype(at::kLong));
  t.overview = at::empty({H, C, C}, f32);
  t.diff_overview = at::empty({P, C, C}, f32);
  t.diff_rows = at::empty({2, P, T}, f32);
  at::Tensor candidates = at::empty({kCandidateCapacity}, f32);
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
  in.num_pairs = static_cast<int>(P);
  in.a1_offset = layout.a1_offset;
  in.a1_stride = layout.a1_stride;
  in.a2_offset = layout.a2_offset;
  in.a2_stride = layout.a2_stride;
  in.lambda = P > 0 ? lambda.data_ptr<float>() : nullptr;
  in.overview_cell = static_cast<int>(cell);

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
  const at::Tensor row_max_abs = t.rows[5].reshape({-1});
  pass2.candidate_threshold = row_max_abs.numel() >= 10 ? std::get<0>(row_max_abs.topk(10)).min().item<float>() : 0.0f;
  attention_scan_pairs_cuda(in, t.rows[0].data_ptr<float>(), pass2, nullptr);

  const at::Tensor counts = histogram.cpu();
  t.histogram.assign(reinterpret_cast<const unsigned long long*>(counts.data_ptr<int64_t>()),
                     reinterpret_cast<const unsigned long long*>(counts.data_ptr<int64_t>()) + kLogitBins);
  const int64_t found = candidate_count.item<int64_t>();
  if (found <= kCandidateCapacity) {
    const at::Tensor top = std::get<0>(candidates.slice(0, 0, found).topk(std::min<int64_t>(10, found))).cpu();
    t.top_abs.assign(top.data_ptr<float>(), top.data_ptr<float>() + top.numel());
  }
  return t;
}
#endif

// Mean over rows of per-row figures, with entropy normalized by log(i + 1) over rows i >= 1.
// Means over rows of per-row figures, on their device in float64, for N maps at once: entropy (N, T) normalized by
// log(i + 1) over rows i >= 1, sink, max and distance (N, T). Only the (N, 4) result goes to the host.
std::vector<HeadStats> row_means(const at::Tensor& entropy, const at::Tensor& sink, const at::Tensor& max_attention,
                                 const at::Tensor& distance) {
  const int64_t N = entropy.size(0), T = entropy.size(1);
  const auto f64 = entropy.options().dtype(at::kDouble);
  const at::Tensor normalized_entropy =
      T > 1 ? (entropy.slice(1, 1, T).to(at::kDouble) / at::arange(2, T + 1, f64).log()).mean(1)
            : at::full({N}, std::nan(""), f64);
  const at::Tensor table = at::stack({normalized_entropy, sink.to(at::kDouble).mean(1),
                                      max_attention.to(at::kDouble).mean(1), distance.to(at::kDouble).mean(1)}, 1)
                               .cpu().contiguous();  // (N, 4)
  std::vector<HeadStats> out(static_cast<size_t>(N));
  const double* v = table.data_ptr<double>();
  for (int64_t n = 0; n < N; ++n, v += 4) {
    out[static_cast<size_t>(n)].entropy = v[0];
    out[static_cast<size_t>(n)].sink_mass = v[1];
    out[static_cast<size_t>(n)].max_attention = v[2];
    out[static_cast<size_t>(n)].distance = v[3];
  }
  return out;
}

// The planes `planes` of a (N, C, C) host float tensor as Matrices (every plane when `planes` is empty).
std::vector<Matrix> overview_matrices(const at::Tensor& pooled, std::vector<int64_t> planes = {}) {
  if (planes.empty()) {
    for (int64_t n = 0; n < pooled.size(0); ++n) planes.push_back(n);
  }
  const int64_t C = pooled.size(1);
  std::vector<Matrix> out;
  out.reserve(planes.size());
  for (int64_t n : planes) {
    const float* v = pooled.data_ptr<float>() + n * C * C;
    out.push_back(Matrix{C, C, std::vector<float>(v, v + C * C)});
  }
  return out;
}

// signal, noise and |noise| of each map in `maps` (N, R, T) for the query rows R of `region` (weights in row order).
void signal_noise(const at::Tensor& maps, const SignalRegion& region, const at::Tensor& weights,
                  std::vector<HeadStats>& stats) {
  const at::Tensor table = signal_noise_of_rows(maps, weights, region).to(at::kDouble).cpu().contiguous();  // (N, 3)
  const double* v = table.data_ptr<double>();
  for (size_t n = 0; n < stats.size(); ++n, v += 3) {
    stats[n].signal = v[0];
    stats[n].noise = v[1];
    stats[n].noise_abs = v[2];
  }
}

}  // namespace

void scan_layer(const LayerQK& layer, const HeadLayout& layout, const CaptureRequest& request, LayerCapture& capture) {
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
#ifdef DIFFSCOPE_CUDA_KERNELS
  if (q.is_cuda()) scan = scan_layer_cuda(q, k, lambda, layout, cell);
#endif
  if (!scan.rows.defined()) {  // the CPU, or a GPU in a build without the kernels (then on copies: correct, slow)
    scan = scan_layer_cpu(q.cpu(), k.cpu(), lambda.defined() ? lambda.cpu() : lambda, layout, cell);
  }
  stage.emplace("statistics: overviews to the host", q.device());
  if (overviews) {
    const at::Tensor pooled = scan.overview.cpu().contiguous();
    capture.overview.cell = cell;
    if (!layout.differential) {
      capture.overview.attn = overview_matrices(pooled);
    } else {
      capture.overview.attn1 = overview_matrices(pooled, layout.a1_heads());
      capture.overview.attn2 = overview_matrices(pooled, layout.a2_heads());
      capture.overview.diff = overview_matrices(scan.diff_overview.cpu().contiguous());
    }
  }
  if (!stats) return;

  stage.emplace("statistics: per-head means", q.device());
  // Per-row figures become per-head means where they are (a 32K-token layer has 6.3 million of them).
  const at::Tensor& rows = scan.rows;  // (6, H, T): lse, entropy, max, distance, sink, max |s|
  if (!layout.differential) {
    capture.stats_attn = row_means(rows[1], rows[4], rows[2], rows[3]);
  } else {
    const at::Tensor a1 = at::tensor(layout.a1_heads()).to(rows.device());
    const at::Tensor a2 = at::tensor(layout.a2_heads()).to(rows.device());
    auto of = [&](int quantity, const at::Tensor& heads) { return rows[quantity].index_select(0, heads); };
    capture.stats_attn1 = row_means(of(1, a1), of(4, a1), of(2, a1), of(3, a1));
    capture.stats_attn2 = row_means(of(1, a2), of(4, a2), of(2, a2), of(3, a2));
    // Sink and distance are linear in the map: D's are A1's minus lambda times A2's, row by row.
    const at::Tensor lambda_rows = lambda.to(rows.device()).to(at::kDouble);  // (P, T)
    const at::Tensor sink = of(4, a1).to(at::kDouble) - lambda_rows * of(4, a2).to(at::kDouble);
    const at::Tensor distance = of(3, a1).to(at::kDouble) - lambda_rows * of(3, a2).to(at::kDouble);
    capture.stats_diff = row_means(scan.diff_rows[0], sink, scan.diff_rows[1], distance);
  }

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
    const at::Tensor row_index = at::tensor(query_rows, at::TensorOptions().dtype(at::kLong)).to(device);
    const at::Tensor w = at::tensor(weights, at::TensorOptions().dtype(at::kFloat)).to(device);
    const std::vector<at::Tensor> maps = all_heads_rows(layer, layout, row_index);
    if (!layout.differential) {
      signal_noise(maps[0], region, w, capture.stats_attn);
    } else {
      signal_noise(maps[0], region, w, capture.stats_attn1);
      signal_noise(maps[1], region, w, capture.stats_attn2);
      signal_noise(maps[2], region, w, capture.stats_diff);
    }
  }

  // Attention-logit outliers over the H T (T + 1) / 2 causal entries: top-1 exact (row maxima), the 10th largest
  // exact from the candidates (unless more than the buffer's capacity tie at the top), the median from the histogram.
  stage.emplace("statistics: logit outliers", q.device());
  const unsigned long long entries = static_cast<unsigned long long>(H) * T * (T + 1) / 2;
  OutlierStats o;
  o.top1 = scan.rows[5].max().item<double>();
  const size_t want = static_cast<size_t>(std::min<unsigned long long>(10, entries));
  o.top10 = scan.top_abs.size() == want
                ? scan.top_abs.back()
                : value_of_rank_from_histogram(scan.histogram, entries - static_cast<unsigned long long>(want));
  o.median = value_of_rank_from_histogram(scan.histogram, (entries - 1) / 2);
  capture.attn_logits = o;
}

}  // namespace diffscope
