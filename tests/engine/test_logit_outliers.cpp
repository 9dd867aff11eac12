// Tests of the histogram estimate of |attention logit| order statistics (logit_histogram.h): against an exact sort of
// random values spread over many octaves, and on hand-made histograms. Test thread.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "attention_scan.h"
#include "logit_histogram.h"

using namespace diffscope;

TEST_CASE("the histogram's median is within 0.78 % of the exact one", "[outliers]") {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 20; ++trial) {
    // Logit-like magnitudes: lognormal around e^(trial/4 - 2), so the median falls in many different bins.
    std::lognormal_distribution<double> draw(trial / 4.0 - 2.0, 1.5);
    const size_t n = 1001 + 37 * static_cast<size_t>(trial);
    std::vector<float> values(n);
    std::vector<unsigned long long> histogram(kLogitBins, 0);
    for (float& v : values) {
      v = static_cast<float>(draw(rng));
      ++histogram[static_cast<size_t>(logit_bin(v))];
    }
    std::sort(values.begin(), values.end());
    for (size_t rank : {(n - 1) / 2, n / 10, n - 10}) {
      const double exact = values[rank];
      const double estimate = value_of_rank_from_histogram(histogram, rank);
      INFO("trial " << trial << " rank " << rank << ": exact " << exact << ", estimate " << estimate);
      // The widest bin, [2^E, 2^E (1 + 1/64)), bounds the geometric middle's error by sqrt(65/64) - 1.
      CHECK(std::fabs(estimate - exact) <= (std::sqrt(65.0 / 64) - 1) * exact * 1.0000001);
    }
  }
}

TEST_CASE("hand-made histograms: the bottom bin is 0, the top bin its lower edge, past the count 0", "[outliers]") {
  std::vector<unsigned long long> histogram(kLogitBins, 0);
  histogram[0] = 3;                                   // three values below 2^-32 (zeros)
  histogram[1 + 32 * kLogitBinsPerOctave] = 2;        // two values in [1, 1 + 1/64)
  histogram[kLogitBins - 1] = 1;                      // one value of 2^32 or more
  CHECK(value_of_rank_from_histogram(histogram, 0) == 0.0);
  CHECK(value_of_rank_from_histogram(histogram, 2) == 0.0);
  CHECK(value_of_rank_from_histogram(histogram, 3) == Approx(std::sqrt(65.0 / 64)));  // geometric middle of the bin
  CHECK(value_of_rank_from_histogram(histogram, 4) == Approx(std::sqrt(65.0 / 64)));
  CHECK(value_of_rank_from_histogram(histogram, 5) == Approx(std::ldexp(127.0 / 64, 31)));  // the top bin's lower edge
  CHECK(value_of_rank_from_histogram(histogram, 6) == 0.0);
  CHECK(logit_bin(1.0f) == 1 + 32 * kLogitBinsPerOctave);
}
