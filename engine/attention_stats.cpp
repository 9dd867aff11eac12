// Attention statistics (REFERENCE.md section 6): a fused host loop for maps on the CPU and its twin in ATen ops for
// maps on a GPU, checked against each other by the tests. Called by the thread that owns the model (or a test).
#include "attention_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "cuda_stream.h"
#include "deferred_host.h"
#include "errors.h"
#include "magnitude_order.h"
#include "stage_profile.h"
#include "torch_stats.h"

namespace diffscope {
namespace {


// A 0/1 vector marking the keys of [begin, end), clipped to the prompt.
std::vector<float> key_mask(int64_t begin, int64_t end, int64_t T) {
  std::vector<float> m(static_cast<size_t>(T), 0.0f);
  for (int64_t j = std::max<int64_t>(begin, 0); j < std::min<int64_t>(end, T); ++j) m[static_cast<size_t>(j)] = 1.0f;
  return m;
}

}  // namespace

at::Tensor to_device(const std::vector<float>& v, const at::TensorOptions& options) {
  const at::Tensor host = at::from_blob(const_cast<float*>(v.data()), {static_cast<int64_t>(v.size())}, at::kFloat);
  return to_device_async(host, options.device()).to(options.dtype().toScalarType());
}

SignalRegion signal_region(const CaptureRequest& request, int64_t T) {
  SignalRegion region;
  if (!request.span) return region;
  std::vector<int64_t> rows = request.query_rows;
  if (rows.empty()) rows.push_back(T - 1);
  region.query_weight.assign(static_cast<size_t>(T), 0.0f);
  for (int64_t r : rows) {
    if (r < 0 || r >= T) {
      throw InputError("query row " + std::to_string(r) + " is outside the prompt's " + std::to_string(T) +
                       " tokens");
    }
    region.query_weight[static_cast<size_t>(r)] += 1.0f / static_cast<float>(rows.size());
  }
  region.span = key_mask(request.span->begin, request.span->end, T);
  const std::vector<float> context =
      request.context ? key_mask(request.context->begin, request.context->end, T)
                      : std::vector<float>(static_cast<size_t>(T), 1.0f);
  region.outside.resize(static_cast<size_t>(T));
  for (size_t j = 0; j < region.outside.size(); ++j) region.outside[j] = context[j] * (1.0f - region.span[j]);
  return region;
}

std::vector<HeadStats> head_statistics_host(const float* maps, int64_t N, int64_t T, bool signed_map,
                                            const SignalRegion& region) {
  std::vector<HeadStats> out(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) {  // one pass per row over the keys it sees (j <= i)
    double entropy = 0, sink = 0, max_sum = 0, distance = 0, signal = 0, noise = 0, noise_abs = 0;
    for (int64_t i = 0; i < T; ++i) {
      const float* row = maps + (n * T + i) * T;
      double positive_sum = 0, row_distance = 0;
      for (int64_t j = 0; j <= i; ++j) {
        row_distance += static_cast<double>(row[j]) * static_cast<double>(i - j);
        if (row[j] > 0) positive_sum += row[j];
      }
      // Entropy-like statistics read the row as a distribution: itself, or its positive part renormalized.
      const double scale = signed_map ? (positive_sum > 0 ? 1.0 / positive_sum : 0.0) : 1.0;
      double h = 0, best = signed_map ? 0.0 : -INFINITY;
      for (int64_t j = 0; j <= i; ++j) {
        const double p = (signed_map ? std::max(0.0f, row[j]) : row[j]) * scale;
        if (p > 0) h -= p * std::log(p);
        best = std::max(best, p);
      }
      if (i >= 1) entropy += h / std::log(static_cast<double>(i + 1));
      sink += row[0];
      max_sum += best;
      distance += row_distance;
      if (!region.query_weight.empty() && region.query_weight[static_cast<size_t>(i)] != 0) {
        double in_span = 0, outside = 0, outside_abs = 0;
        for (int64_t j = 0; j <= i; ++j) {
          in_span += static_cast<double>(row[j]) * region.span[static_cast<size_t>(j)];
          outside += static_cast<double>(row[j]) * region.outside[static_cast<size_t>(j)];
          outside_abs += std::fabs(static_cast<double>(row[j])) * region.outside[static_cast<size_t>(j)];
        }
        signal += region.query_weight[static_cast<size_t>(i)] * in_span;
        noise += region.query_weight[static_cast<size_t>(i)] * outside;
        noise_abs += region.query_weight[static_cast<size_t>(i)] * outside_abs;
      }
    }
    HeadStats& s = out[static_cast<size_t>(n)];
    s.entropy = T > 1 ? entropy / static_cast<double>(T - 1) : std::nan("");
    s.sink_mass = sink / static_cast<double>(T);
    s.max_attention = max_sum / static_cast<double>(T);
    s.distance = distance / static_cast<double>(T);
    if (!region.query_weight.empty()) {
      s.signal = signal;
      s.noise = noise;
      s.noise_abs = noise_abs;
    }
  }
  return out;
}

at::Tensor rollout_step(const at::Tensor& mean_map, const at::Tensor& so_far) {
  const at::Tensor sums = mean_map.sum(-1, /*keepdim=*/true);
  const at::Tensor normalized = at::where(sums.abs() > 1e-6, mean_map / sums, at::zeros_like(mean_map));
  const at::Tensor mixed = 0.5 * normalized + 0.5 * at::eye(mean_map.size(0), mean_map.options());
  return so_far.defined() ? mixed.matmul(so_far) : mixed;
}

at::Tensor signal_noise_of_rows(const at::Tensor& rows, const at::Tensor& weight, const SignalRegion& region) {
  const auto opts = rows.options();
  return signal_noise_of_rows(rows, weight, to_device(region.span, opts), to_device(region.outside, opts));
}

at::Tensor signal_noise_of_rows(const at::Tensor& rows, const at::Tensor& weight, const at::Tensor& span,
                                const at::Tensor& outside) {
  return at::stack({(rows.matmul(span) * weight).sum(-1), (rows.matmul(outside) * weight).sum(-1),
                    (rows.abs().matmul(outside) * weight).sum(-1)}, -1);
}

std::vector<HeadStats> head_statistics_aten(const at::Tensor& maps_in, bool signed_map, const SignalRegion& region) {
  const at::Tensor maps = maps_in.to(at::kFloat).tril();  // (N, T, T); keys after the query never count
  const int64_t N = maps.size(0), T = maps.size(1);
  const auto opts = maps.options();
  at::Tensor probs = maps;
  if (signed_map) {
    at::Tensor positive = maps.clamp_min(0.0);
    probs = positive / positive.sum(-1, /*keepdim=*/true).clamp_min(1e-30);  // a row with no positive entry stays 0
  }
  at::Tensor row_entropy = -at::xlogy(probs, probs).sum(-1);                 // (N, T); 0 log 0 = 0
  at::Tensor entropy;
  if (T > 1) {
    at::Tensor norm = at::arange(2, T + 1, opts).log();                      // log(i + 1), i >= 1
    entropy = (row_entropy.slice(1, 1, T) / norm).mean(1);
  } else {
    entropy = at::full({N}, std::nan(""), opts);
  }
  at::Tensor sink = maps.select(2, 0).mean(1);
  at::Tensor max_attention = std::get<0>(probs.max(-1)).mean(1);
  at::Tensor idx = at::arange(T, opts);
  at::Tensor distance = (maps * (idx.unsqueeze(1) - idx.unsqueeze(0)).abs()).sum(-1).mean(1);
  at::Tensor signal = at::full({N}, std::nan(""), opts);
  at::Tensor noise = at::full({N}, std::nan(""), opts);
  at::Tensor noise_abs = at::full({N}, std::nan(""), opts);
  if (!region.query_weight.empty()) {
    // Only the query rows matter: pick them first, so |maps| never copies the whole (N, T, T) tensor.
    const at::Tensor q = to_device(region.query_weight, opts);
    const at::Tensor rows = q.nonzero().squeeze(1);
    const at::Tensor table = signal_noise_of_rows(maps.index_select(1, rows), q.index_select(0, rows), region);
    signal = table.select(1, 0);
    noise = table.select(1, 1);
    noise_abs = table.select(1, 2);
  }
  at::Tensor table = at::stack({entropy, sink, max_attention, distance, signal, noise, noise_abs}, 1)
                         .to(at::kDouble).cpu().contiguous();                  // (N, 7)
  std::vector<HeadStats> out(static_cast<size_t>(N));
  const double* v = table.data_ptr<double>();
  for (int64_t n = 0; n < N; ++n, v += 7) {
    out[static_cast<size_t>(n)] = HeadStats{v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
  }
  return out;
}

std::vector<HeadStats> head_statistics(const at::Tensor& maps, bool signed_map, const CaptureRequest& request) {
  const SignalRegion region = signal_region(request, maps.size(1));
  if (maps.is_cpu()) {
    // On the CPU one fused pass over each row beats a dozen ATen passes over (N, T, T) several times over.
    const at::Tensor host = maps.to(at::kFloat).contiguous();
    return head_statistics_host(host.data_ptr<float>(), host.size(0), host.size(1), signed_map, region);
  }
  return head_statistics_aten(maps, signed_map, region);
}

at::Tensor outlier_order_statistics(const at::Tensor& abs_values, int64_t excluded) {
  // Order statistics by selection (O(n)) rather than sorting: the attention logits of a layer have H * T * T entries.
  // Excluded entries hold -1, below every |value|, so they occupy the first `excluded` ranks.
  const int64_t n = abs_values.numel(), kept = n - excluded;
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  if (kept <= 0) return at::full({3}, std::nan(""), f64.device(abs_values.device()));
  const int64_t k10 = n - std::min<int64_t>(10, kept);  // 0-based rank of the 10th largest
  const int64_t k_median = excluded + (kept - 1) / 2;    // the lower middle value, as torch.median
  if (abs_values.is_cpu()) {
    const at::Tensor flat = abs_values.reshape({-1}).to(at::kFloat).contiguous();
    // std::nth_element on a copy: LibTorch 1.13's CPU kthvalue is many times slower on one long row.
    std::vector<float> v(flat.data_ptr<float>(), flat.data_ptr<float>() + n);
    const double top1 = *std::max_element(v.begin(), v.end());
    std::nth_element(v.begin(), v.begin() + k10, v.end());
    const double top10 = v[static_cast<size_t>(k10)];
    // After the first selection everything left of k10 is <= v[k10] and everything right of it is >=.
    if (k_median < k10) std::nth_element(v.begin(), v.begin() + k_median, v.begin() + k10);
    if (k_median > k10) std::nth_element(v.begin() + k10 + 1, v.begin() + k_median, v.end());
    return at::tensor(std::vector<double>{top1, top10, static_cast<double>(v[static_cast<size_t>(k_median)])}, f64);
  }
  // On a GPU one radix sort, in the values' own dtype (16-bit keys sort in half the passes; the order is the same):
  // kthvalue over one long row works as a single slice, while a sort spreads over the whole GPU.
  const at::Tensor sorted = std::get<0>(abs_values.reshape({-1}).sort());
  return at::stack({sorted[n - 1], sorted[k10], sorted[k_median]}).to(at::kDouble);
}

at::Tensor magnitude_order_statistics(const at::Tensor& values) {
#ifdef DIFFSCOPE_CUDA_KERNELS
  const bool bf16 = values.scalar_type() == at::kBFloat16;
  if (values.is_cuda() && (bf16 || values.scalar_type() == at::kHalf) && values.numel() > 0 && !epilogue_baseline()) {
    const at::Tensor flat = values.contiguous();
    const at::Tensor counts = at::empty({kMagnitudePatterns}, values.options().dtype(at::kLong));
    const at::Tensor figures = at::empty({3}, values.options().dtype(at::kDouble));
    magnitude_order_cuda(static_cast<const uint16_t*>(flat.data_ptr()), flat.numel(), bf16 ? Half16::BF16 : Half16::F16,
                         reinterpret_cast<unsigned long long*>(counts.data_ptr<int64_t>()), figures.data_ptr<double>(),
                         current_cuda_stream(values.device()));
    return figures;
  }
#endif
  return outlier_order_statistics(values.abs(), 0);
}

at::Tensor kept_magnitude_order_statistics(const at::Tensor& rows, int64_t first, int64_t chunk_rows,
                                           const at::Tensor& prior_counts, const at::Tensor& prior_abs,
                                           at::Tensor& counts, at::Tensor& magnitudes) {
#ifdef DIFFSCOPE_CUDA_KERNELS
  const int64_t T = first + rows.size(0), width = rows.size(1);
  const bool bf16 = rows.scalar_type() == at::kBFloat16;
  if (rows.is_cuda() && (bf16 || rows.scalar_type() == at::kHalf) && !epilogue_baseline()) {
    const int64_t chunks = (T + chunk_rows - 1) / chunk_rows;
    counts = at::zeros({chunks, kMagnitudePatterns}, rows.options().dtype(at::kLong));
    if (first > 0) counts.slice(0, 0, first / chunk_rows).copy_(prior_counts.slice(0, 0, first / chunk_rows));
    const at::Tensor flat = rows.contiguous();
    const auto* values = static_cast<const uint16_t*>(flat.data_ptr());
    void* stream = current_cuda_stream(rows.device());
    for (int64_t c = first / chunk_rows; c < chunks; ++c) {  // first is a multiple of chunk_rows
      const int64_t r0 = c * chunk_rows - first, r1 = std::min(T, (c + 1) * chunk_rows) - first;
      magnitude_count_cuda(values + r0 * width, (r1 - r0) * width,
                           reinterpret_cast<unsigned long long*>(counts[c].data_ptr<int64_t>()), stream);
    }
    const at::Tensor total = counts.sum(0);
    const at::Tensor figures = at::empty({3}, rows.options().dtype(at::kDouble));
    magnitude_select_cuda(reinterpret_cast<const unsigned long long*>(total.data_ptr<int64_t>()), T * width,
                          bf16 ? Half16::BF16 : Half16::F16, figures.data_ptr<double>(), stream);
    return figures;
  }
#endif
  (void)chunk_rows, (void)prior_counts;
  const at::Tensor fresh = rows.abs();
  magnitudes = first > 0 ? at::cat({prior_abs.slice(0, 0, first), fresh}) : fresh;
  return outlier_order_statistics(magnitudes, 0);
}

OutlierStats outlier_stats_of(const at::Tensor& host_figures) {
  return outlier_stats_of_values(host_figures.data_ptr<double>());
}

OutlierStats outlier_stats_of_values(const double* v) {
  OutlierStats s;
  if (std::isnan(v[0])) return s;
  s.top1 = v[0];
  s.top10 = v[1];
  s.median = v[2];
  return s;
}

OutlierStats outlier_statistics_of_abs(const at::Tensor& abs_values, int64_t excluded) {
  return outlier_stats_of(outlier_order_statistics(abs_values, excluded).cpu());
}

OutlierStats outlier_statistics(const at::Tensor& values) { return outlier_statistics_of_abs(values.abs(), 0); }

namespace {
at::Device test_device() {
  const char* env = std::getenv("DIFFSCOPE_TEST_DEVICE");
  return env && std::string(env) == "cuda" ? at::Device(at::kCUDA) : at::Device(at::kCPU);
}
}  // namespace

HeadStats head_statistics(const Matrix& map, bool signed_map, const CaptureRequest& request) {
  if (map.rows != map.cols || map.empty()) throw InputError("an attention map must be square and non-empty");
  at::Tensor t = at::from_blob(const_cast<float*>(map.values.data()), {1, map.rows, map.cols}, at::kFloat)
                     .to(test_device());
  return head_statistics(t, signed_map, request).front();
}

OutlierStats outlier_statistics(const std::vector<float>& values) {
  at::Tensor t = at::from_blob(const_cast<float*>(values.data()), {static_cast<int64_t>(values.size())}, at::kFloat)
                     .to(test_device());
  return outlier_statistics(t);
}

}  // namespace diffscope
