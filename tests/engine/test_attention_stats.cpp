// Tests of the attention statistics on hand-derived maps and against a naive loop. Device: $DIFFSCOPE_TEST_DEVICE.
// ATen before Catch: c10's logging header defines its own CHECK macro, which must not replace Catch's.
#include "torch_stats.h"
#include "layer_scan.h"
#undef CHECK
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "attention_stats.h"
#include "test_device.h"

using namespace diffscope;

namespace {

Matrix square(int64_t T, const std::vector<float>& values) { return Matrix{T, T, values}; }

// a_ij = 1 / (i + 1) for j <= i.
Matrix uniform_causal(int64_t T) {
  Matrix m{T, T, std::vector<float>(static_cast<size_t>(T * T), 0.0f)};
  for (int64_t i = 0; i < T; ++i)
    for (int64_t j = 0; j <= i; ++j) m.values[static_cast<size_t>(i * T + j)] = 1.0f / static_cast<float>(i + 1);
  return m;
}

// The definitions of REFERENCE.md section 6 written as plain loops, for unsigned maps.
HeadStats naive_stats(const Matrix& a, TokenSpan span) {
  const int64_t T = a.rows;
  HeadStats s;
  double entropy = 0, sink = 0, max_sum = 0, distance = 0;
  for (int64_t i = 0; i < T; ++i) {
    double h = 0, best = 0, dist = 0;
    for (int64_t j = 0; j <= i; ++j) {
      const double p = a.at(i, j);
      if (p > 0) h -= p * std::log(p);
      best = std::max(best, p);
      dist += p * std::abs(static_cast<double>(i - j));
    }
    if (i >= 1) entropy += h / std::log(static_cast<double>(i + 1));
    sink += a.at(i, 0);
    max_sum += best;
    distance += dist;
  }
  s.entropy = entropy / static_cast<double>(T - 1);
  s.sink_mass = sink / static_cast<double>(T);
  s.max_attention = max_sum / static_cast<double>(T);
  s.distance = distance / static_cast<double>(T);
  s.signal = 0;
  s.noise = 0;
  for (int64_t j = 0; j < T; ++j) (j >= span.begin && j < span.end ? s.signal : s.noise) += a.at(T - 1, j);
  return s;
}

}  // namespace

TEST_CASE("a uniform row has normalized entropy 1", "[stats]") {
  CaptureRequest request;
  request.span = TokenSpan{1, 3};
  const HeadStats s = head_statistics(uniform_causal(4), false, request);
  CHECK(s.entropy == Approx(1.0));
  CHECK(s.sink_mass == Approx((1.0 + 1.0 / 2 + 1.0 / 3 + 1.0 / 4) / 4));
  CHECK(s.max_attention == Approx((1.0 + 1.0 / 2 + 1.0 / 3 + 1.0 / 4) / 4));
  CHECK(s.distance == Approx((0 + 0.5 + 1.0 + 1.5) / 4));  // row i: sum_j |i - j| / (i + 1) = i / 2
  CHECK(s.signal == Approx(0.5));                            // last row, keys 1 and 2: 2 x 1/4
  CHECK(s.noise == Approx(0.5));
  CHECK(s.noise_abs == Approx(0.5));  // a softmax map has no negative entries
}

TEST_CASE("a one-hot row has entropy 0", "[stats]") {
  // Every query attends only to itself.
  const HeadStats s = head_statistics(square(3, {1, 0, 0, 0, 1, 0, 0, 0, 1}), false, CaptureRequest{});
  CHECK(s.entropy == Approx(0.0).margin(1e-7));
  CHECK(s.sink_mass == Approx(1.0 / 3));
  CHECK(s.max_attention == Approx(1.0));
  CHECK(s.distance == Approx(0.0).margin(1e-7));
  CHECK(std::isnan(s.signal));  // no span given
}

TEST_CASE("signed Diff maps: signed sums, positive part renormalized for entropy and max", "[stats]") {
  // Row 0: [0.6]; row 1: [0.5, -0.2] -> positive part [1, 0]: entropy 0.
  CaptureRequest request;
  request.span = TokenSpan{1, 2};
  const HeadStats s = head_statistics(square(2, {0.6f, 0.0f, 0.5f, -0.2f}), true, request);
  CHECK(s.entropy == Approx(0.0).margin(1e-7));
  CHECK(s.sink_mass == Approx((0.6 + 0.5) / 2));
  CHECK(s.max_attention == Approx(1.0));
  CHECK(s.distance == Approx((0.0 + 0.5 * 1) / 2));
  CHECK(s.signal == Approx(-0.2));
  CHECK(s.noise == Approx(0.5));
  CHECK(s.noise_abs == Approx(0.5));
  // Noise entries of both signs: row 2 is [0.4, -0.3, 0.1] with span {2}: signed noise 0.1, magnitude 0.7.
  const HeadStats mixed =
      head_statistics(square(3, {0.6f, 0.0f, 0.0f, 0.5f, -0.2f, 0.0f, 0.4f, -0.3f, 0.1f}), true,
                      [] { CaptureRequest r; r.span = TokenSpan{2, 3}; return r; }());
  CHECK(mixed.noise == Approx(0.1));
  CHECK(mixed.noise_abs == Approx(0.7));
  // Row 1: [0.3, 0.3] -> [0.5, 0.5]: entropy log 2 / log 2 = 1.
  CHECK(head_statistics(square(2, {0.6f, 0.0f, 0.3f, 0.3f}), true, request).entropy == Approx(1.0));
}

TEST_CASE("entries above the diagonal never count", "[stats]") {
  const HeadStats clean = head_statistics(uniform_causal(3), false, CaptureRequest{});
  Matrix dirty = uniform_causal(3);
  dirty.values[1] = 0.7f;  // (0, 1): a future key
  const HeadStats s = head_statistics(dirty, false, CaptureRequest{});
  CHECK(s.entropy == Approx(clean.entropy));
  CHECK(s.distance == Approx(clean.distance));
}

TEST_CASE("random softmax maps agree with a naive loop", "[stats]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  const int64_t T = 23;
  Matrix a{T, T, std::vector<float>(static_cast<size_t>(T * T), 0.0f)};
  for (int64_t i = 0; i < T; ++i) {
    float sum = 0;
    for (int64_t j = 0; j <= i; ++j) sum += (a.values[static_cast<size_t>(i * T + j)] = std::exp(4 * u(rng)));
    for (int64_t j = 0; j <= i; ++j) a.values[static_cast<size_t>(i * T + j)] /= sum;
  }
  CaptureRequest request;
  request.span = TokenSpan{5, 9};
  const HeadStats s = head_statistics(a, false, request);
  const HeadStats n = naive_stats(a, *request.span);
  CHECK(s.entropy == Approx(n.entropy).epsilon(1e-5));
  CHECK(s.sink_mass == Approx(n.sink_mass).epsilon(1e-5));
  CHECK(s.max_attention == Approx(n.max_attention).epsilon(1e-5));
  CHECK(s.distance == Approx(n.distance).epsilon(1e-5));
  CHECK(s.signal == Approx(n.signal).epsilon(1e-5));
  CHECK(s.noise == Approx(n.noise).epsilon(1e-5));
}

TEST_CASE("context region and query rows narrow signal and noise", "[stats]") {
  CaptureRequest request;
  request.span = TokenSpan{0, 1};
  request.context = TokenSpan{0, 2};
  request.query_rows = {2, 3};
  const HeadStats s = head_statistics(uniform_causal(4), false, request);
  CHECK(s.signal == Approx((1.0 / 3 + 1.0 / 4) / 2));  // key 0 of rows 2 and 3
  CHECK(s.noise == Approx((1.0 / 3 + 1.0 / 4) / 2));   // key 1 of rows 2 and 3
}

TEST_CASE("outlier figures: top-1, 10th largest and median of |x|", "[stats]") {
  std::vector<float> v = {-12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -11};
  const OutlierStats s = outlier_statistics(v);
  CHECK(s.top1 == 12);
  CHECK(s.top10 == 3);   // 12 11 10 9 8 7 6 5 4 3
  CHECK(s.median == 6);  // lower middle of 1..12, as torch.median
  CHECK(outlier_statistics(std::vector<float>{-2, 1}).top10 == 1);
}

TEST_CASE("magnitude order statistics of 16-bit tensors equal sorting |x|", "[stats]") {
  // On CUDA (DIFFSCOPE_TEST_DEVICE=cuda, kernels built) bf16 / f16 take the bit-pattern count of magnitude_order.h;
  // elsewhere both sides sort. Hidden-state-like values: normal, a few large, many ties after rounding.
  const at::Device device(test_device_name() == "cuda" ? at::kCUDA : at::kCPU);
  for (const at::ScalarType dtype : {at::kBFloat16, at::kHalf, at::kFloat}) {
    for (const int64_t n : {int64_t{1}, int64_t{5}, int64_t{12345}, int64_t{1} << 20}) {
      INFO(at::toString(dtype) << " n=" << n);
      at::manual_seed(n);
      at::Tensor x = (at::randn({n}) * 3).to(device, dtype);
      if (n > 100) x.slice(0, 0, n, 977).fill_(400.0);
      const at::Tensor got = magnitude_order_statistics(n % 5 == 0 ? x.view({-1, 5}) : x).cpu();
      const at::Tensor want = outlier_order_statistics(x.abs(), 0).cpu();
      for (int r = 0; r < 3; ++r) CHECK(got[r].item<double>() == want[r].item<double>());
    }
  }
}

TEST_CASE("the host loop and the ATen twin agree on random signed and unsigned maps", "[stats]") {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t N = 3, T = 17;
  std::vector<float> values(static_cast<size_t>(N * T * T));
  for (float& v : values) v = normal(rng);
  CaptureRequest request;
  request.span = TokenSpan{2, 6};
  request.context = TokenSpan{1, 12};
  request.query_rows = {9, 16};
  const SignalRegion region = signal_region(request, T);
  const at::Tensor maps = at::from_blob(values.data(), {N, T, T}, at::kFloat);
  for (bool signed_map : {true, false}) {
    // Unsigned maps must be softmax-like (non-negative): use |x| for them.
    const at::Tensor m = signed_map ? maps : maps.abs();
    const std::vector<HeadStats> host = head_statistics_host(m.contiguous().data_ptr<float>(), N, T, signed_map, region);
    const std::vector<HeadStats> aten = head_statistics_aten(m, signed_map, region);
    for (size_t n = 0; n < host.size(); ++n) {
      INFO("signed " << signed_map << " head " << n);
      CHECK(host[n].entropy == Approx(aten[n].entropy).epsilon(1e-5));
      CHECK(host[n].sink_mass == Approx(aten[n].sink_mass).epsilon(1e-5));
      CHECK(host[n].max_attention == Approx(aten[n].max_attention).epsilon(1e-5));
      CHECK(host[n].distance == Approx(aten[n].distance).epsilon(1e-5));
      CHECK(host[n].signal == Approx(aten[n].signal).epsilon(1e-5));
      CHECK(host[n].noise == Approx(aten[n].noise).epsilon(1e-5));
      CHECK(host[n].noise_abs == Approx(aten[n].noise_abs).epsilon(1e-5));
    }
  }
}

TEST_CASE("the CUDA refusal of sliding-window statistics says what is not supported and what to do", "[stats][window]") {
  CHECK(scan_refusal(false, 100, 10, 3).empty());  // the CPU scan applies any window
  CHECK(scan_refusal(true, 10, 10, 3).empty());    // a window of at least the prompt masks nothing
  CHECK(scan_refusal(true, 100, 0, 3).empty());    // a full-attention layer
  const std::string why = scan_refusal(true, 100, 10, 3);
  // Non-empty exactly where this build has the CUDA kernels and their band is not yet GPU-tested.
  if (!why.empty()) {
    CHECK(!kCudaScanBandVerified);
    CHECK_THAT(why, Catch::Contains("layer 3, window 10") && Catch::Contains("(100 tokens)") &&
                        Catch::Contains("--device cpu") && Catch::Contains("at most 10 tokens"));
  }
}
