// Tests of the CUDA 16-bit magnitude order statistics (engine/cuda/magnitude_order.cu) against the host twin
// (engine/magnitude_order_host.cpp) on random inputs of sizes that are not multiples of a block, the outputs and the
// counters poisoned first. Needs a GPU: label cuda. Main thread only.
#include <catch2/catch.hpp>

#include "cuda_require.h"
#include "magnitude_order.h"

#include <cuda_runtime.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace diffscope;

namespace {

std::vector<double> on_gpu(const std::vector<uint16_t>& bits, Half16 type) {
  uint16_t* values = nullptr;
  unsigned long long* counts = nullptr;
  double* figures = nullptr;
  CUDA_REQUIRE(cudaMalloc(&values, bits.size() * sizeof(uint16_t)));
  CUDA_REQUIRE(cudaMalloc(&counts, kMagnitudePatterns * sizeof(unsigned long long)));
  CUDA_REQUIRE(cudaMalloc(&figures, 3 * sizeof(double)));
  CUDA_REQUIRE(cudaMemcpy(values, bits.data(), bits.size() * sizeof(uint16_t), cudaMemcpyHostToDevice));
  CUDA_REQUIRE(cudaMemset(counts, 0xFF, kMagnitudePatterns * sizeof(unsigned long long)));  // the kernel zeroes them
  CUDA_REQUIRE(cudaMemset(figures, 0xFF, 3 * sizeof(double)));  // NaN: a figure never written shows
  magnitude_order_cuda(values, static_cast<int64_t>(bits.size()), type, counts, figures, nullptr);
  std::vector<double> out(3);
  CUDA_REQUIRE(cudaMemcpy(out.data(), figures, 3 * sizeof(double), cudaMemcpyDeviceToHost));
  cudaFree(values);
  cudaFree(counts);
  cudaFree(figures);
  return out;
}

}  // namespace

TEST_CASE("CUDA magnitude order statistics equal the host twin", "[magnitude_order][cuda]") {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (Half16 type : {Half16::BF16, Half16::F16}) {
    for (int64_t n : {1, 7, 513, 100003, 3000001}) {
      INFO((type == Half16::BF16 ? "bf16" : "f16") << " n=" << n);
      // Hidden-state-like values (normal, scaled, a few large outliers) as patterns of the type.
      std::vector<uint16_t> bits(static_cast<size_t>(n));
      for (size_t i = 0; i < bits.size(); ++i) {
        float x = normal(rng) * 3.0f;
        if (i % 9973 == 5) x *= 500.0f;
        if (type == Half16::BF16) {
          uint32_t wide;
          std::memcpy(&wide, &x, sizeof wide);
          bits[i] = static_cast<uint16_t>(wide >> 16);  // truncation: any pattern is a value of the type
        } else {
          // A half pattern with the same sign, a clamped exponent and the top mantissa bits.
          int exponent;
          const float m = std::frexp(std::fabs(x), &exponent);  // |x| = m 2^exponent, m in [0.5, 1)
          const int e = std::min(std::max(exponent + 14, 1), 30);
          bits[i] = static_cast<uint16_t>((x < 0 ? 0x8000 : 0) | (e << 10) |
                                          (static_cast<int>((m * 2.0f - 1.0f) * 1024.0f) & 0x3FF));
        }
      }
      double want[3];
      magnitude_order_host(bits.data(), n, type, want);
      const std::vector<double> got = on_gpu(bits, type);
      for (int r = 0; r < 3; ++r) CHECK(got[static_cast<size_t>(r)] == want[r]);
    }
  }
}

TEST_CASE("CUDA magnitude order statistics refuse an empty input", "[magnitude_order][cuda]") {
  CHECK_THROWS(magnitude_order_cuda(nullptr, 0, Half16::BF16, nullptr, nullptr, nullptr));
}
