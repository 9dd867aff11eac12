// Tests of the host twin of the 16-bit magnitude order statistics (engine/magnitude_order.h) against sorting |x|, and
// of the pattern values against hand-known bit patterns. No LibTorch. Main thread only.
#include <catch2/catch.hpp>

#include "magnitude_order.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace diffscope;

namespace {

// [largest, 10th largest (smallest when fewer than 10), lower median] of |x| by sorting the values themselves; NaN
// sorts above everything, as torch.sort puts it last.
std::vector<double> by_sorting(const std::vector<uint16_t>& bits, Half16 type) {
  std::vector<double> v;
  for (uint16_t b : bits) v.push_back(std::fabs(half16_value(b, type)));
  std::sort(v.begin(), v.end(), [](double a, double b) { return std::isnan(b) ? !std::isnan(a) : a < b; });
  const size_t n = v.size();
  return {v[n - 1], v[n - std::min<size_t>(10, n)], v[(n - 1) / 2]};
}

void check_same(const std::vector<double>& got, const std::vector<double>& want) {
  for (size_t r = 0; r < 3; ++r) {
    INFO("figure " << r);
    if (std::isnan(want[r])) {
      CHECK(std::isnan(got[r]));
    } else {
      CHECK(got[r] == want[r]);
    }
  }
}

}  // namespace

TEST_CASE("16-bit patterns have their IEEE / bfloat16 values", "[magnitude_order]") {
  CHECK(half16_value(0x3F80, Half16::BF16) == 1.0);
  CHECK(half16_value(0xC040, Half16::BF16) == -3.0);
  CHECK(half16_value(0x7F80, Half16::BF16) == INFINITY);
  CHECK(std::isnan(half16_value(0x7FC0, Half16::BF16)));
  CHECK(half16_value(0x3C00, Half16::F16) == 1.0);
  CHECK(half16_value(0xC200, Half16::F16) == -3.0);
  CHECK(half16_value(0x7BFF, Half16::F16) == 65504.0);           // the largest finite half
  CHECK(half16_value(0x0001, Half16::F16) == std::ldexp(1.0, -24));  // the smallest subnormal
  CHECK(half16_value(0x0400, Half16::F16) == std::ldexp(1.0, -14));  // the smallest normal
  CHECK(half16_value(0x7C00, Half16::F16) == INFINITY);
  CHECK(std::isnan(half16_value(0x7E00, Half16::F16)));
}

TEST_CASE("a hand-made case: three values", "[magnitude_order]") {
  // bf16 1, -3, 2: |x| sorted 1 2 3; fewer than 10, so the "10th largest" is the smallest; lower median 2.
  const std::vector<uint16_t> bits = {0x3F80, 0xC040, 0x4000};
  double figures[3];
  magnitude_order_host(bits.data(), 3, Half16::BF16, figures);
  CHECK(figures[0] == 3.0);
  CHECK(figures[1] == 1.0);
  CHECK(figures[2] == 2.0);
}

TEST_CASE("random patterns: the ranks equal sorting's", "[magnitude_order]") {
  std::mt19937 rng(7);
  for (Half16 type : {Half16::BF16, Half16::F16}) {
    for (int64_t n : {1, 2, 9, 10, 11, 1000, 4099}) {
      for (int trial = 0; trial < 3; ++trial) {
        INFO((type == Half16::BF16 ? "bf16" : "f16") << " n=" << n << " trial " << trial);
        std::vector<uint16_t> bits(static_cast<size_t>(n));
        // Trial 0: any pattern (infinities and NaN included); 1: a narrow band of values, so ties abound; 2: signs
        // flipped at random on a few patterns.
        std::uniform_int_distribution<int> any(0, 0xFFFF), band(0x3F00, 0x3F0F), few(0, 3);
        for (uint16_t& b : bits) {
          b = static_cast<uint16_t>(trial == 0 ? any(rng) : trial == 1 ? band(rng) : 0x4000 + few(rng));
          if (trial == 2 && any(rng) % 2) b |= 0x8000;
        }
        double figures[3];
        magnitude_order_host(bits.data(), n, type, figures);
        check_same({figures[0], figures[1], figures[2]}, by_sorting(bits, type));
      }
    }
  }
}
