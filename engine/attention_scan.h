// One layer's per-row attention statistics, pooled overviews and logit-outlier data, computed by streaming over
// query-row x key tiles so that no (heads, T, T) tensor is ever held. Plain C++ interface with two implementations:
// attention_scan_host (plain loops over host memory, the reference twin) and attention_scan_cuda (fused CUDA kernels,
// engine/cuda/attention_scan.cu, device memory). Called by the thread that owns the model (or a test).
//
// Definitions (docs/statistics.md): for sub-head h (a softmax map), query row i and its keys j0(i) <= j <= i, where
// j0(i) = 0, or max(0, i - W + 1) for a layer with a sliding window W (HF masks the rest),
//   s_ij  = score as the explicit path computes it: round(round(q_i . k_j) * scale) where round is to the compute
//           dtype (no rounding in f32), i.e. at::matmul in that dtype followed by a multiply by the scale; with a
//           soft cap c > 0 (Gemma 2) then round(round(tanh(round(s / c))) * c), as HF's eager attention
//   p_ij  = exp(s_ij - lse_i),   lse_i = log sum_{j0(i)<=j<=i} exp(s_ij)
// Sub-head h reads KV head h / (H / KV). A Diff pair p combines sub-heads a1(p) = a1_offset + a1_stride * p and
// a2(p) = a2_offset + a2_stride * p: D_ij = p(a1)_ij - lambda[p][i] * p(a2)_ij (signed). Keys j > i and j < j0(i) do
// not exist for row i: they never enter a sum, a max, a histogram or an overview cell (p_i0 is 0 once j0(i) > 0).
#pragma once

#include <cstdint>

namespace diffscope {

enum class ScanDType { F32, BF16, F16 };

// Fixed bins of |s| for the median of |attention logits|: kLogitBinsPerOctave slices of equal width in each octave
// from 2^kLogitMinLog2 up, i.e. bin b >= 1 holds |s| in [2^E (1 + k/64), 2^E (1 + (k + 1)/64)) with
// E = kLogitMinLog2 + (b - 1) / 64, k = (b - 1) % 64 (the float's exponent and top 6 mantissa bits); bin 0 holds
// everything below 2^kLogitMinLog2 (zero included); the last bin also holds everything above its lower edge.
constexpr int kLogitBinsPerOctave = 64;
constexpr int kLogitMinLog2 = -32;
constexpr int kLogitOctaves = 64;
constexpr int kLogitBins = 1 + kLogitBinsPerOctave * kLogitOctaves;  // 4097

// The bin of |s| (a host/device-neutral formula; the CUDA kernel uses the same arithmetic).
int logit_bin(float abs_score);

struct AttentionScanInput {
  const void* q = nullptr;  // (H, T, d) rotated queries, contiguous, in `dtype`
  const void* k = nullptr;  // (KV, T, d) rotated keys, contiguous, in `dtype`
  ScanDType dtype = ScanDType::F32;
  int H = 0, KV = 0, T = 0, d = 0;
  float scale = 1.0f;
  // Gemma 2's attn_logit_softcapping c (0: none): scores become c tanh(s / c) before everything else (the histogram
  // and max |s| count the capped scores: what the softmax sees). The CUDA kernels apply it too, but layer_scan.h's
  // kCudaScanSoftcapVerified says whether a GPU has checked them.
  float softcap = 0.0f;
  // Diff pairs (num_pairs = 0 for a standard model). V1 (HF DiffLlama): a1 = p, a2 = p + H/2 -> (0, 1, H/2, 1);
  // V2: a1 = 2p, a2 = 2p + 1 -> (0, 2, 1, 2).
  int num_pairs = 0;
  int a1_offset = 0, a1_stride = 1, a2_offset = 0, a2_stride = 1;
  const float* lambda = nullptr;  // (num_pairs, T) float32: lambda of pair p at query row i
  // Overview: cell side in rows/keys (>= 1); the overview has C = ceil(T / overview_cell) cells a side; cell (r, c)
  // covers rows [r * cell, (r + 1) * cell) and keys [c * cell, (c + 1) * cell), clipped to T.
  int overview_cell = 1;
  // The layer's sliding window W (0: none, full causal attention): row i sees keys max(0, i - W + 1) .. i.
  int window = 0;
  // Incremental runs (text appended to a scanned prompt): only query rows [first_row, T) are scanned, each still
  // against all of its keys (0 .. i, or its window's band). Rows before it are not read from q (nor from lambda or
  // row_lse) and are written in no output: their row statistics and overview cell rows r < first_row / overview_cell
  // are left as they were (the caller keeps an earlier run's), and they add no histogram count.
  // Indexing stays absolute: row i is at index i of every (.., T) array, cell row r at r of every (C, C) plane.
  // 0 <= first_row < T, a multiple of 64 and of overview_cell (and of ScanRowsOutput::histogram_chunk_rows when that is
  // set): checked.
  int first_row = 0;
};

// Pass 1 (rows): everything that needs only one sub-head's row. Every array is written in full (rows >= first_row).
struct ScanRowsOutput {
  float* row_lse = nullptr;       // (H, T) lse_i
  float* row_entropy = nullptr;   // (H, T) -sum_j p_ij log p_ij (natural log, not normalized)
  float* row_max = nullptr;       // (H, T) max_j p_ij
  float* row_distance = nullptr;  // (H, T) sum_j p_ij (i - j)
  float* row_sink = nullptr;      // (H, T) p_i0 (0 when key 0 is outside row i's window)
  float* row_abs_max = nullptr;   // (H, T) max_j |s_ij|
  // (kLogitBins) counts of |s_ij| over every entry (j0(i) <= j <= i) of every sub-head, added to (the caller zeroes it once per
  // layer). 64-bit: 32 sub-heads at 32K tokens make 1.7e10 entries.
  unsigned long long* logit_histogram = nullptr;
  // 0: logit_histogram is the one histogram above. > 0 (a multiple of 64): it is (ceil(T / histogram_chunk_rows),
  // kLogitBins) row-major, and chunk c counts only the entries of query rows [c * chunk, (c + 1) * chunk), so that an
  // incremental run can replace the counts of the rows it rescans (the caller zeroes the chunks it wants counted;
  // chunks of rows before first_row are not touched).
  int histogram_chunk_rows = 0;
};

// Pass 2 (pairs and overviews), after pass 1: needs row_lse. Every array is written in full (rows >= first_row, cell
// rows >= first_row / overview_cell).
struct ScanPairsOutput {
  float* overview = nullptr;       // (H, C, C) max of p over the cell's causal entries; 0 for a cell with none
  float* diff_overview = nullptr;  // (num_pairs, C, C) the D entry of largest |D| in the cell, with its sign; 0 if none
  float* diff_entropy = nullptr;   // (num_pairs, T) entropy of D+ / sum_j D+_ij where D+ = max(D, 0); 0 if no D_ij > 0
  float* diff_max = nullptr;       // (num_pairs, T) max_j D+_ij / sum_j D+_ij; 0 if no D_ij > 0
};

// Host twin: every pointer is host memory.
void attention_scan_rows_host(const AttentionScanInput& in, const ScanRowsOutput& out);
void attention_scan_pairs_host(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out);

// CUDA kernels (engine/cuda/attention_scan.cu, linked only where DIFFSCOPE_CUDA_KERNELS is defined): every pointer is
// device memory; the calls are asynchronous on `stream` (a cudaStream_t; null = the legacy default stream). Throw
// std::runtime_error naming the CUDA error on a failed launch.
void attention_scan_rows_cuda(const AttentionScanInput& in, const ScanRowsOutput& out, void* stream);
void attention_scan_pairs_cuda(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out,
                               void* stream);

}  // namespace diffscope
