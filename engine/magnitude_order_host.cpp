// The host twin of magnitude_order.h: count the patterns of |x|, then walk the running counts to the three ranks.
// Any thread.
#include "magnitude_order.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace diffscope {

double half16_value(uint16_t bits, Half16 type) {
  if (type == Half16::BF16) {  // bf16 is the top half of a float32
    const uint32_t wide = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &wide, sizeof f);
    return f;
  }
  // IEEE half: 1 sign, 5 exponent, 10 mantissa bits.
  const int sign = bits >> 15, exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF;
  double magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(mantissa, -24);  // subnormal: mantissa * 2^-24
  } else if (exponent == 0x1F) {
    magnitude = mantissa == 0 ? INFINITY : NAN;
  } else {
    magnitude = std::ldexp(1024 + mantissa, exponent - 25);  // (1 + m / 1024) 2^(e - 15)
  }
  return sign ? -magnitude : magnitude;
}

void magnitude_order_host(const uint16_t* values, int64_t n, Half16 type, double* figures) {
  std::vector<unsigned long long> counts(kMagnitudePatterns, 0);
  for (int64_t i = 0; i < n; ++i) ++counts[values[i] & 0x7FFF];
  const unsigned long long N = static_cast<unsigned long long>(n);
  const unsigned long long ranks[3] = {N - 1, N - std::min<unsigned long long>(10, N), (N - 1) / 2};
  for (int r = 0; r < 3; ++r) {
    unsigned long long below = 0;  // values with a smaller pattern
    for (int b = 0; b < kMagnitudePatterns; ++b) {
      if (ranks[r] < below + counts[static_cast<size_t>(b)]) {
        figures[r] = half16_value(static_cast<uint16_t>(b), type);
        break;
      }
      below += counts[static_cast<size_t>(b)];
    }
  }
}

}  // namespace diffscope
