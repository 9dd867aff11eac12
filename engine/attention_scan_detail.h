// Internals shared by the attention scan's host twin (attention_scan_host.cpp) and its CUDA kernels
// (cuda/attention_scan.cu): the |s| -> histogram bin mapping and the input checks. Any thread; no state.
#pragma once

#include "attention_scan.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#if defined(__CUDACC__)
#define DIFFSCOPE_HOST_DEVICE __host__ __device__
#else
#define DIFFSCOPE_HOST_DEVICE
#endif

namespace diffscope {
namespace scan_detail {

// Biased float exponent of the first bin's lower edge.
constexpr int kLogitFirstExponent = 127 + kLogitMinLog2;
// Bits of a float below its top kLogitBinsPerOctave mantissa slices (64 bins per octave: the top 6 mantissa bits).
constexpr int kLogitDroppedBits = 23 - 6;
static_assert(kLogitBinsPerOctave == 1 << (23 - kLogitDroppedBits), "bins per octave are the top mantissa bits");

// The bin of the float whose bits (sign ignored) are `bits`: its exponent and top 6 mantissa bits, i.e. bin b >= 1
// holds [2^E (1 + k/64), 2^E (1 + (k+1)/64)) with E = kLogitMinLog2 + (b - 1) / 64 and k = (b - 1) % 64, slices of
// equal width inside each octave (relative width 1/64 .. 1/127). A function of the bits alone, so the host twin and
// the GPU agree exactly, and cheap: the GPU runs it for every score (a shift, an add with clamp, no table; the
// log-spaced bins of sessions 3-7 took about 14 instructions per score). NaN and infinity land in the last bin with
// everything else past 2^32; zero and subnormals in bin 0.
DIFFSCOPE_HOST_DEVICE inline int logit_bin_of_bits(uint32_t bits) {
  const int bin = static_cast<int>((bits & 0x7fffffffu) >> kLogitDroppedBits) -
                  (kLogitFirstExponent << (23 - kLogitDroppedBits)) + 1;
#if defined(__CUDA_ARCH__)
  return __vimin_s32_relu(bin, kLogitBins - 1);  // max(min(bin, last), 0) in one instruction on sm_90
#else
  return bin < 0 ? 0 : bin > kLogitBins - 1 ? kLogitBins - 1 : bin;
#endif
}

// The lower edge of bin b >= 1 (see logit_bin_of_bits), exactly.
inline double logit_bin_lower_edge(int b) {
  const int octave = (b - 1) / kLogitBinsPerOctave, slice = (b - 1) % kLogitBinsPerOctave;
  return std::ldexp(1.0 + static_cast<double>(slice) / kLogitBinsPerOctave, kLogitMinLog2 + octave);
}

// ---- input checks (host side of both implementations) ----

inline void scan_require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("attention scan: ") + what);
}

inline void scan_require(bool ok, const std::string& what) { scan_require(ok, what.c_str()); }

// first_row and histogram_chunk_rows are multiples of the kernels' 64-row blocks (AttentionScanInput::first_row), so
// that a block's rows are all scanned or all not, and all in one histogram chunk.
constexpr int kScanRowMultiple = 64;

inline int scan_pair_head(int offset, int stride, int pair) { return offset + stride * pair; }

inline void check_scan_input(const AttentionScanInput& in) {
  scan_require(in.q != nullptr && in.k != nullptr, "q and k must be set");
  scan_require(in.H >= 1 && in.KV >= 1 && in.H % in.KV == 0, "H must be a positive multiple of KV");
  scan_require(in.T >= 1, "T must be at least 1");
  scan_require(in.d >= 1 && in.d <= 256, "d must be in [1, 256]");
  scan_require(in.overview_cell >= 1, "overview_cell must be at least 1");
  scan_require(in.num_pairs >= 0, "num_pairs must not be negative");
  scan_require(in.window >= 0, "window must not be negative");
  scan_require(in.softcap >= 0, "softcap must not be negative");
  scan_require(in.first_row >= 0 && in.first_row < in.T,
               "first_row (" + std::to_string(in.first_row) + ") must be in [0, T) (T = " + std::to_string(in.T) + ")");
  scan_require(in.first_row % kScanRowMultiple == 0,
               "first_row (" + std::to_string(in.first_row) + ") must be a multiple of " +
                   std::to_string(kScanRowMultiple));
  scan_require(in.first_row % in.overview_cell == 0, "first_row (" + std::to_string(in.first_row) +
                                                         ") must be a multiple of overview_cell (" +
                                                         std::to_string(in.overview_cell) + ")");
  if (in.num_pairs > 0) {
    scan_require(in.lambda != nullptr, "lambda must be set for a Diff model");
    for (int p = 0; p < in.num_pairs; ++p) {
      const int a1 = scan_pair_head(in.a1_offset, in.a1_stride, p);
      const int a2 = scan_pair_head(in.a2_offset, in.a2_stride, p);
      scan_require(a1 >= 0 && a1 < in.H && a2 >= 0 && a2 < in.H, "a Diff pair names a sub-head outside [0, H)");
    }
  }
}

inline void check_rows_output(const AttentionScanInput& in, const ScanRowsOutput& out) {
  scan_require(out.row_lse && out.row_entropy && out.row_max && out.row_distance && out.row_sink && out.row_abs_max &&
                   out.logit_histogram,
               "every pass-1 output must be set");
  const int chunk = out.histogram_chunk_rows;
  scan_require(chunk >= 0 && chunk % kScanRowMultiple == 0,
               "histogram_chunk_rows (" + std::to_string(chunk) + ") must be 0 or a positive multiple of " +
                   std::to_string(kScanRowMultiple));
  scan_require(chunk == 0 || in.first_row % chunk == 0, "first_row (" + std::to_string(in.first_row) +
                                                            ") must be a multiple of histogram_chunk_rows (" +
                                                            std::to_string(chunk) + ")");
}

// The histogram of query row i: logit_histogram itself, or its chunk of row i (ScanRowsOutput::histogram_chunk_rows).
DIFFSCOPE_HOST_DEVICE inline int64_t histogram_offset(int chunk_rows, int i) {
  return chunk_rows > 0 ? static_cast<int64_t>(i / chunk_rows) * kLogitBins : 0;
}

inline void check_pairs_output(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out) {
  scan_require(row_lse != nullptr, "pass 2 needs row_lse");
  scan_require(out.overview != nullptr, "overview must be set");
  if (in.num_pairs > 0)
    scan_require(out.diff_overview && out.diff_entropy && out.diff_max, "every Diff output must be set");
}

// The first key query row i sees: 0, or i - W + 1 inside a sliding window W.
DIFFSCOPE_HOST_DEVICE inline int first_key(int i, int window) {
  return window > 0 && i - window + 1 > 0 ? i - window + 1 : 0;
}

// The overview's cells a side: C = ceil(T / cell).
inline int64_t overview_cells(const AttentionScanInput& in) {
  return (static_cast<int64_t>(in.T) + in.overview_cell - 1) / in.overview_cell;
}

}  // namespace scan_detail
}  // namespace diffscope
