// The streaming attention scan on the CPU (scan_cpu.h): BLAS scores for a block of rows, then one fused pass per row,
// heads split between threads. Called by the thread that owns the model; it starts and joins its own workers.
#include "scan_cpu.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

#include "attention_scan.h"

namespace diffscope {
namespace {

// The first key row i sees: 0, or i - W + 1 inside a sliding window W > 0.
int64_t first_key(int64_t i, int64_t window) { return window > 0 ? std::max<int64_t>(0, i - window + 1) : 0; }

// What one thread counts over its heads: a histogram of |s| per chunk of query rows; `at` is the current row's chunk.
struct Tally {
  explicit Tally(int64_t chunks) : histogram(static_cast<size_t>(chunks * kLogitBins), 0) {}
  std::vector<unsigned long long> histogram;
  unsigned long long* at = nullptr;

  void add(float magnitude) { ++at[logit_bin(magnitude)]; }
};

// Where one row's results go, and the scratch it needs.
struct RowTargets {
  float* rows;            // (6, H, T)
  int64_t H, T;
  float* overview;        // this sub-head's (C, C) plane
  int64_t C, cell;
};

// Pass 1 and the sub-head part of pass 2 for row i of one sub-head, over its keys j0 <= j <= i: scores[j - kb] is key
// j's score. Leaves exp(s_j - m) in e[j] and returns l = sum_j e_j (p_j = e_j / l).
double scan_row(const float* scores, int64_t kb, int64_t i, int64_t j0, int64_t h, const RowTargets& t,
                std::vector<float>& e, Tally& tally) {
  float m = -INFINITY, abs_max = 0;
  for (int64_t j = j0; j <= i; ++j) {
    m = std::max(m, scores[j - kb]);
    const float magnitude = std::fabs(scores[j - kb]);
    abs_max = std::max(abs_max, magnitude);
    tally.add(magnitude);
  }
  double l = 0, gap = 0, distance = 0;
  for (int64_t j = j0; j <= i; ++j) {
    const float ej = std::exp(scores[j - kb] - m);
    e[static_cast<size_t>(j)] = ej;
    l += ej;
    gap += static_cast<double>(ej) * (static_cast<double>(m) - scores[j - kb]);
    distance += static_cast<double>(ej) * static_cast<double>(i - j);
  }
  const int64_t at = h * t.T + i, plane = t.H * t.T;
  t.rows[at] = static_cast<float>(m + std::log(l));
  t.rows[plane + at] = static_cast<float>(std::log(l) + gap / l);  // -sum p log p
  t.rows[2 * plane + at] = static_cast<float>(1.0 / l);
  t.rows[3 * plane + at] = static_cast<float>(distance / l);
  t.rows[4 * plane + at] = j0 == 0 ? static_cast<float>(e[0] / l) : 0.0f;  // key 0 outside the window: 0
  t.rows[5 * plane + at] = abs_max;
  const float inv_l = static_cast<float>(1.0 / l);
  float* cells = t.overview + (i / t.cell) * t.C;
  for (int64_t j = j0; j <= i; ++j) {
    float& c = cells[j / t.cell];
    c = std::max(c, e[static_cast<size_t>(j)] * inv_l);
  }
  return l;
}

}  // namespace

ScanResult scan_layer_cpu(const at::Tensor& q, const at::Tensor& k, const at::Tensor& lambda, const HeadLayout& layout,
                          int64_t cell, int64_t window, int64_t first_row, int64_t chunk_rows) {
  const int64_t H = layout.H, T = q.size(1), P = layout.differential ? H / 2 : 0;
  const int64_t C = (T + cell - 1) / cell;
  const int64_t chunk = chunk_rows > 0 ? chunk_rows : std::max<int64_t>(T, 1);
  const int64_t chunks = (T + chunk - 1) / chunk;
  if (first_row < 0 || first_row >= T || first_row % cell != 0 || first_row % chunk != 0) {
    throw std::invalid_argument("scan_layer_cpu: first row " + std::to_string(first_row) + " is not a multiple of " +
                                "the cell and chunk inside " + std::to_string(T) + " rows");
  }
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  ScanResult out;
  out.rows = at::zeros({6, H, T}, f32);
  out.overview = at::zeros({H, C, C}, f32);
  out.diff_overview = at::zeros({P, C, C}, f32);
  out.diff_rows = at::zeros({2, P, T}, f32);
  const at::Tensor keys = k.repeat_interleave(layout.H / layout.KV, 0);  // (H, T, d)
  const float* lambda_data = P > 0 ? lambda.data_ptr<float>() : nullptr;

  // Units of work: a sub-head (standard) or a pair of sub-heads (Diff); threads take interleaved units.
  const int64_t units = P > 0 ? P : H;
  const int64_t threads = std::max<int64_t>(1, std::min<int64_t>(units, std::thread::hardware_concurrency()));
  std::vector<Tally> tallies(static_cast<size_t>(threads), Tally(chunks));
  const int64_t block = rows_per_block(H, T, int64_t{1} << 24);  // 64 MiB of scores
  for (int64_t r0 = first_row; r0 < T; r0 += block) {
    const int64_t r1 = std::min(r0 + block, T), B = r1 - r0;
    const int64_t kb = first_key(r0, window), width = r1 - kb;  // the keys rows [r0, r1) can see: [kb, r1)
    // (H, B, width) scores of rows [r0, r1) over those keys, exactly as the explicit forward forms them.
    const at::Tensor scores = soft_capped(at::matmul(q.slice(1, r0, r1), keys.slice(1, kb, r1).transpose(1, 2)) *
                                              layout.scale,
                                          layout.softcap)
                                  .to(at::kFloat)
                                  .contiguous();
    const float* S = scores.data_ptr<float>();
    auto work = [&](int64_t thread) {
      Tally& tally = tallies[static_cast<size_t>(thread)];
      std::vector<float> e1(static_cast<size_t>(T)), e2(static_cast<size_t>(T));
      for (int64_t u = thread; u < units; u += threads) {
        const int64_t h1 = P > 0 ? layout.a1(static_cast<int>(u)) : u;
        const int64_t h2 = P > 0 ? layout.a2(static_cast<int>(u)) : -1;
        const RowTargets t1{out.rows.data_ptr<float>(), H, T, out.overview.data_ptr<float>() + h1 * C * C, C, cell};
        RowTargets t2 = t1;
        if (h2 >= 0) t2.overview = out.overview.data_ptr<float>() + h2 * C * C;
        for (int64_t i = r0; i < r1; ++i) {
          const int64_t j0 = first_key(i, window);
          tally.at = tally.histogram.data() + (i / chunk) * kLogitBins;
          const double l1 = scan_row(S + (h1 * B + (i - r0)) * width, kb, i, j0, h1, t1, e1, tally);
          if (h2 < 0) continue;
          const double l2 = scan_row(S + (h2 * B + (i - r0)) * width, kb, i, j0, h2, t2, e2, tally);
          // D = p1 - lambda p2: its positive part renormalized (entropy, max) and its signed overview.
          const float w1 = static_cast<float>(1.0 / l1);
          const float w2 = static_cast<float>(lambda_data[u * T + i] / l2);
          double positive_sum = 0, positive_xlogx = 0;
          float positive_max = 0;
          float* cells = out.diff_overview.data_ptr<float>() + u * C * C + (i / cell) * C;
          for (int64_t j = j0; j <= i; ++j) {
            const float D = e1[static_cast<size_t>(j)] * w1 - e2[static_cast<size_t>(j)] * w2;
            if (D > 0) {
              positive_sum += D;
              positive_xlogx += static_cast<double>(D) * std::log(static_cast<double>(D));
              positive_max = std::max(positive_max, D);
            }
            float& c = cells[j / cell];
            if (std::fabs(D) > std::fabs(c) || (std::fabs(D) == std::fabs(c) && D < c)) c = D;
          }
          float* diff_rows = out.diff_rows.data_ptr<float>();
          if (positive_sum > 0) {
            diff_rows[u * T + i] = static_cast<float>(std::log(positive_sum) - positive_xlogx / positive_sum);
            diff_rows[(P + u) * T + i] = static_cast<float>(positive_max / positive_sum);
          }
        }
      }
    };
    std::vector<std::thread> pool;
    for (int64_t t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
    for (std::thread& t : pool) t.join();
  }

  out.histogram = at::zeros({chunks, kLogitBins}, at::TensorOptions().dtype(at::kLong));
  auto* counts = reinterpret_cast<unsigned long long*>(out.histogram.data_ptr<int64_t>());
  for (const Tally& tally : tallies) {
    for (size_t b = 0; b < tally.histogram.size(); ++b) counts[b] += tally.histogram[b];
  }
  return out;
}

}  // namespace diffscope
