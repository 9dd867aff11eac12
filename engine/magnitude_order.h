// Exact order statistics of |x| over millions of 16-bit floats (bf16 or f16) without sorting them: a 16-bit float
// takes one of 65536 bit patterns, so counting the patterns of |x| and reading ranks off the running counts gives
// the same values a sort would. Plain C++ interface: magnitude_order_host (loops, the twin) and
// magnitude_order_cuda (engine/cuda/magnitude_order.cu, device memory). Called by the thread that owns the model
// (or a test).
#pragma once

#include <cstdint>

namespace diffscope {

enum class Half16 { BF16, F16 };

// |x| clears the sign bit, leaving 2^15 patterns; non-negative floats order like their patterns (infinity above every
// finite value and the NaN patterns above infinity, where sorts put NaN), so ranks of |x| are ranks of patterns.
constexpr int kMagnitudePatterns = 1 << 15;

// figures[0..2] = the largest |x|, the 10th largest (the smallest when n < 10) and the median (the lower of the two
// middle values, as torch.median) of `values` (n >= 1 patterns of `type`), as doubles.
void magnitude_order_host(const uint16_t* values, int64_t n, Half16 type, double* figures);

// The same on the GPU, asynchronous on `stream` (a cudaStream_t; null: the default stream). values and figures are
// device pointers; `scratch` holds kMagnitudePatterns 64-bit counters (device memory, any contents).
void magnitude_order_cuda(const uint16_t* values, int64_t n, Half16 type, unsigned long long* scratch,
                          double* figures, void* stream);

// The two steps of magnitude_order_cuda, for counts kept between runs (an incremental run counts only its new rows,
// run_cache_state.h): magnitude_count_cuda adds the counts of |values|' patterns to `counts` (kMagnitudePatterns
// 64-bit counters, not zeroed); magnitude_select_cuda writes the three figures of the n values those counts describe.
void magnitude_count_cuda(const uint16_t* values, int64_t n, unsigned long long* counts, void* stream);
void magnitude_select_cuda(const unsigned long long* counts, int64_t n, Half16 type, double* figures, void* stream);

// The value of pattern `bits` of `type` as a double (host and device alike compute it from the bits).
double half16_value(uint16_t bits, Half16 type);

}  // namespace diffscope
