// Order statistics from the log2 histogram of |attention logits| (logit_histogram.h). Any thread.
#include "logit_histogram.h"

#include <cmath>

#include "attention_scan.h"
#include "attention_scan_detail.h"

namespace diffscope {

double value_of_rank_from_histogram(const std::vector<unsigned long long>& histogram, unsigned long long rank) {
  unsigned long long seen = 0;
  for (size_t b = 0; b < histogram.size(); ++b) {
    seen += histogram[b];
    if (seen <= rank) continue;
    if (b == 0) return 0.0;  // below 2^kLogitMinLog2
    const double lower = scan_detail::logit_bin_lower_edge(static_cast<int>(b));
    if (b + 1 == histogram.size()) return lower;  // the top bin is open above
    return std::sqrt(lower * scan_detail::logit_bin_lower_edge(static_cast<int>(b) + 1));
  }
  return 0.0;
}

}  // namespace diffscope
