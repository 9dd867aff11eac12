// Order statistics from the log2 histogram of |attention logits| (logit_histogram.h). Any thread.
#include "logit_histogram.h"

#include <cmath>

#include "attention_scan.h"

namespace diffscope {

double value_of_rank_from_histogram(const std::vector<unsigned long long>& histogram, unsigned long long rank) {
  unsigned long long seen = 0;
  for (size_t b = 0; b < histogram.size(); ++b) {
    seen += histogram[b];
    if (seen <= rank) continue;
    if (b == 0) return 0.0;  // below 2^kLogitMinLog2
    const double lower = kLogitMinLog2 + static_cast<double>(b - 1) / kLogitBinsPerOctave;
    if (b + 1 == histogram.size()) return std::exp2(lower);  // the top bin is open above
    return std::exp2(lower + 0.5 / kLogitBinsPerOctave);
  }
  return 0.0;
}

}  // namespace diffscope
