// Order statistics of |attention logits| from the streaming scan's histogram (attention_scan.h's bins), for the
// activation-outlier figures of layers whose logits are never held at once. Plain C++; any thread.
#pragma once

#include <vector>

namespace diffscope {

// The value of 0-based rank `rank` (ascending) among the counted entries, estimated as the geometric middle of the bin
// that holds it: within sqrt(65/64) - 1 = 0.78 % of the exact value (relative; the widest bins, at the bottom of each
// octave, span 1/64 of their lower edge) for bins inside the histogram's range;
// 0 for the bin below 2^-32; the lower edge for the top bin (open above). 0 when rank is past the count.
double value_of_rank_from_histogram(const std::vector<unsigned long long>& histogram, unsigned long long rank);

}  // namespace diffscope
