// Order statistics of |attention logits| from the streaming scan's log2 histogram (attention_scan.h's bins), for the
// activation-outlier figures of layers whose logits are never held at once. Plain C++; any thread.
#pragma once

#include <vector>

namespace diffscope {

// The value of 0-based rank `rank` (ascending) among the counted entries, estimated as the geometric middle of the bin
// that holds it: within 2^(1/128) - 1 = 0.55 % of the exact value (relative) for bins inside the histogram's range;
// 0 for the bin below 2^-32; the lower edge for the top bin (open above). 0 when rank is past the count.
double value_of_rank_from_histogram(const std::vector<unsigned long long>& histogram, unsigned long long rank);

}  // namespace diffscope
