// Internals shared by the attention scan's host twin (attention_scan_host.cpp) and its CUDA kernels
// (cuda/attention_scan.cu): the exact |s| -> histogram bin mapping and the input checks. Any thread; no state.
#pragma once

#include "attention_scan.h"

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

// Bin edges inside one octave, as float mantissas: kLogitMantissaEdges[k] is the smallest 23-bit mantissa M with
// 1 + M / 2^23 >= 2^(k / 64), i.e. ceil((2^(k/64) - 1) * 2^23). With these integers the bin of a float depends only on
// its bits, so the host twin and the GPU agree exactly (a log2 would differ by an ulp near edges, and the GPU's fast
// log2 by more). Computed with 60-digit decimal arithmetic; tests/engine/test_attention_scan.cpp checks them against
// exp2l. Neighbouring edges are at least 91346 apart.
constexpr uint32_t kLogitMantissaEdges[kLogitBinsPerOctave] = {
    0,       91346,   183687,  277033,  371396,  466786,  563215,  660694,  759234,  858848,  959546,  1061341, 1164244,
    1268268, 1373424, 1479726, 1587185, 1695814, 1805626, 1916634, 2028851, 2142290, 2256964, 2372886, 2490071, 2608532,
    2728283, 2849338, 2971711, 3095417, 3220470, 3346885, 3474676, 3603858, 3734448, 3866459, 3999908, 4134810, 4271181,
    4409037, 4548395, 4689269, 4831678, 4975637, 5121165, 5268276, 5416990, 5567323, 5719293, 5872918, 6028216, 6185205,
    6343903, 6504330, 6666503, 6830443, 6996167, 7163697, 7333050, 7504248, 7677310, 7852256, 8029107, 8207885};

// The lookup table the bin function reads: the mantissa's top 7 bits pick one of 128 slices of width 2^16. A slice
// holds at most one edge (edges are >= 91346 > 65536 apart), so an entry stores the bin at the slice's start (bits
// 24..29) and the next edge above it (bits 0..23; 2^23 = "none"): bin = base + (M >= next edge).
constexpr int kLogitTableSize = 128;

DIFFSCOPE_HOST_DEVICE inline uint32_t logit_table_entry(int slice, const uint32_t* edges) {
  const uint32_t start = static_cast<uint32_t>(slice) << 16;
  int base = 0;
  for (int k = 1; k < kLogitBinsPerOctave; ++k)
    if (edges[k] <= start) base = k;
  const uint32_t next = base + 1 < kLogitBinsPerOctave ? edges[base + 1] : (1u << 23);
  return (static_cast<uint32_t>(base) << 24) | next;
}

// Biased float exponent of the first bin's lower edge.
constexpr int kLogitFirstExponent = 127 + kLogitMinLog2;

// The bin of the float whose bits (sign ignored) are `bits`, given the 128-entry table. NaN and infinity land in the
// last bin with everything else past 2^32; zero and subnormals in bin 0. Branch-free (the GPU runs it for every
// score): in_octave <= 63, so below the first octave the sum is <= 0 and past the last it is >= kLogitBins, and one
// clamp gives both ends.
DIFFSCOPE_HOST_DEVICE inline int logit_bin_of_bits(uint32_t bits, const uint32_t* table) {
  bits &= 0x7fffffffu;
  const int exponent = static_cast<int>(bits >> 23);
  const uint32_t mantissa = bits & 0x7fffffu;
  const uint32_t entry = table[mantissa >> 16];
  const int in_octave = static_cast<int>(entry >> 24) + (mantissa >= (entry & 0xffffffu) ? 1 : 0);
  const int bin = 1 + (exponent - kLogitFirstExponent) * kLogitBinsPerOctave + in_octave;
#if defined(__CUDA_ARCH__)
  return __vimin_s32_relu(bin, kLogitBins - 1);  // max(min(bin, last), 0) in one instruction on sm_90
#else
  return bin < 0 ? 0 : bin > kLogitBins - 1 ? kLogitBins - 1 : bin;
#endif
}

// ---- input checks (host side of both implementations) ----

inline void scan_require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("attention scan: ") + what);
}

inline int scan_pair_head(int offset, int stride, int pair) { return offset + stride * pair; }

inline void check_scan_input(const AttentionScanInput& in) {
  scan_require(in.q != nullptr && in.k != nullptr, "q and k must be set");
  scan_require(in.H >= 1 && in.KV >= 1 && in.H % in.KV == 0, "H must be a positive multiple of KV");
  scan_require(in.T >= 1, "T must be at least 1");
  scan_require(in.d >= 1 && in.d <= 256, "d must be in [1, 256]");
  scan_require(in.overview_cell >= 1, "overview_cell must be at least 1");
  scan_require(in.num_pairs >= 0, "num_pairs must not be negative");
  scan_require(in.window >= 0, "window must not be negative");
  if (in.num_pairs > 0) {
    scan_require(in.lambda != nullptr, "lambda must be set for a Diff model");
    for (int p = 0; p < in.num_pairs; ++p) {
      const int a1 = scan_pair_head(in.a1_offset, in.a1_stride, p);
      const int a2 = scan_pair_head(in.a2_offset, in.a2_stride, p);
      scan_require(a1 >= 0 && a1 < in.H && a2 >= 0 && a2 < in.H, "a Diff pair names a sub-head outside [0, H)");
    }
  }
}

inline void check_rows_output(const ScanRowsOutput& out) {
  scan_require(out.row_lse && out.row_entropy && out.row_max && out.row_distance && out.row_sink && out.row_abs_max &&
                   out.logit_histogram,
               "every pass-1 output must be set");
}

inline void check_pairs_output(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out) {
  scan_require(row_lse != nullptr, "pass 2 needs row_lse");
  scan_require(out.overview != nullptr, "overview must be set");
  if (in.num_pairs > 0)
    scan_require(out.diff_overview && out.diff_entropy && out.diff_max, "every Diff output must be set");
  scan_require(out.candidate_count != nullptr, "candidate_count must be set");
  scan_require(out.candidate_capacity >= 0, "candidate_capacity must not be negative");
  scan_require(out.candidate_capacity == 0 || out.candidates != nullptr, "candidates must be set");
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
