// The attention scan's fused CUDA kernels (engine/attention_scan.h): per-row softmax statistics, logit histogram,
// pooled overviews and Diff D+ statistics of one layer, streamed over (query rows x keys) tiles so that no (H, T, T)
// tensor exists. Host functions are called by the thread that owns the model (or a test); they only enqueue work on
// the caller's stream.
//
// Versions (each stays callable; each is checked against the host twin, engine/attention_scan_host.cpp, by
// tests/engine/test_attention_scan_cuda.cpp on random inputs with poisoned outputs):
//   v1  SIMT fp32. Q and K tiles are decoded to float in shared memory; every score is one thread's sequential fmaf
//       chain over d, the same chain the host twin runs, so f32 scores (and 16-bit ones) are bit-identical to the
//       twin's: histograms and abs maxima compare exactly, statistics within 1e-5 (fast exp2/log2).
//       Used for f32 always, and for bf16/f16 when the environment sets DIFFSCOPE_SCAN_SIMT=1 (the test runs both).
//   v2  Tensor cores for bf16/f16: mma.sync m16n8k16 on 16-bit Q/K tiles (fragments by ldmatrix.x4), fp32
//       accumulation, then the same rounding to the dtype, * scale, rounding again (packed cvt.rn.bf16x2/f16x2). The
//       accumulation order differs from the twin's, so now and then a score lands on the other side of a 16-bit
//       rounding (one ulp): the test bounds that (see there). Tuning after the first H200 measurements (ncu: ALU
//       pipe busiest, issue slots ~60%): branch-free histogram bin, packed conversions instead of one F2F per value,
//       per-tile full/edge specialization of pass 2, warp-uniform cell runs for pooling, register caps per block
//       count. Measured figures: docs/attention-scan.md.
// Both versions share everything after the score tile: v1 computes exactly the fragment that mma.sync gives a
// thread (rows g and g + 8 of its warp's 16, keys 8t + 2c + {0, 1}; g = lane / 4, c = lane % 4).
//
// Sliding windows (AttentionScanInput::window W > 0): row i sees keys i - W < j <= i. Both passes start their key-tile
// loop at the tile holding the block's first row's first key, and test entries below the band's lower edge as they
// test those past the diagonal (Causal); a tile is `full` only when every entry lies inside every row's band.
// Pass 1 (scan_rows_kernel), one block per (64 query rows, sub-head): for each key tile up to the diagonal, an online
// (flash-style) row reduction per thread over its own keys: running max m, l = sum e, u2 = sum e * x, w = sum e (i - j)
// with e = 2^x, x = (s - m) log2(e), rescaled when m grows; plus max |s|, s_i0, and a per-block shared histogram of |s|
// added to the global one with 64-bit atomics at the end. The four lanes of a row merge their states at the end.
// Pass 2 (scan_pairs_kernel), one block per (64 query rows, Diff pair) or (64 rows, sub-head) for a standard model:
// recomputes the scores, p = 2^((s - lse) log2(e)), D = p1 - lambda p2, per-row D+ sums, max-pooled overviews
// (atomicMax on float bits for p >= 0; on the key rotl(bits(D), 1) = bits(|D|) << 1 | sign for D, decoded in place
// afterwards).
// Incremental runs (AttentionScanInput::first_row F > 0, a multiple of 64 and of the cell): both grids cover only the
// row tiles of rows [F, T) (r0 starts at F), so rows before F are neither read nor written; pass 2 zeroes and decodes
// only the cell rows from F / cell on. ScanRowsOutput::histogram_chunk_rows > 0: each block adds its shared histogram
//
// The kernels and their launchers are in attention_scan_kernels.cuh; each dtype and tile kind is instantiated in its
// own file, generated from attention_scan_variant.cu.in (attention_scan_variants.h), so that nvcc compiles them side
// by side. This file holds the entry points and the overview-cell kernels.
#include "attention_scan_kernels.cuh"
#include "attention_scan_variants.h"

namespace diffscope {
namespace {

// diff_overview holds keys rotl(bits(D), 1) after pass 2's main kernel; rotate them back into floats in place. Plane
// blockIdx.y: `count` values from keys + blockIdx.y * pitch (one plane of count = pairs * C * C values when every row
// is scanned; with first_row > 0, each pair's cell rows from first_row / cell on).
__global__ void decode_diff_keys(unsigned* keys, long long pitch, long long count) {
  keys += blockIdx.y * pitch;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    keys[i] = __funnelshift_r(keys[i], keys[i], 1);
}

// Zeroes `count` values from map + blockIdx.y * pitch: the cell rows of the scanned rows in every plane, when
// first_row > 0 leaves the rows above them as they were (one cudaMemsetAsync covers the planes otherwise).
__global__ void zero_cell_rows(unsigned* map, long long pitch, long long count) {
  map += blockIdx.y * pitch;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    map[i] = 0;
}

// Launches one of the two kernels above over `planes` planes of `pitch` values each, `count` values per plane from
// `map` on (grid y is the plane: at most 65535, far above any head count).
void launch_cell_rows(void (*kernel)(unsigned*, long long, long long), unsigned* map, int planes, long long pitch,
                      long long count, cudaStream_t stream, const char* what) {
  const int threads = 256;
  const int blocks = static_cast<int>(std::min<long long>((count + threads - 1) / threads, 4096));
  kernel<<<dim3(blocks, planes), threads, 0, stream>>>(map, pitch, count);
  check_cuda(cudaGetLastError(), what);
}
// The kernels work pair by pair in pass 2, so a Diff model's pairs must name every sub-head exactly once.
void check_pairs_cover_heads(const AttentionScanInput& in) {
  if (in.num_pairs == 0) return;
  scan_require(2 * in.num_pairs == in.H, "the CUDA scan needs Diff pairs that cover every sub-head once (2 * pairs = H)");
  std::string seen(static_cast<size_t>(in.H), '\0');
  for (int p = 0; p < in.num_pairs; ++p) {
    for (int head : {scan_pair_head(in.a1_offset, in.a1_stride, p), scan_pair_head(in.a2_offset, in.a2_stride, p)}) {
      scan_require(seen[head] == '\0', "the CUDA scan needs Diff pairs that name each sub-head once");
      seen[head] = 1;
    }
  }
}
// Pass 1 or pass 2 in the variant file of the input's dtype and tile kind (tensor cores for 16-bit values unless
// DIFFSCOPE_SCAN_SIMT is set).
void rows_variant(const AttentionScanInput& in, const ScanRowsOutput& out, void* stream) {
  using namespace scan_variants;
  const bool simt = use_simt_for_16bit();
  switch (in.dtype) {
    case ScanDType::F32: return rows_f32(in, out, stream);
    case ScanDType::BF16: return simt ? rows_bf16_simt(in, out, stream) : rows_bf16_mma(in, out, stream);
    case ScanDType::F16: return simt ? rows_f16_simt(in, out, stream) : rows_f16_mma(in, out, stream);
  }
  throw std::invalid_argument("attention scan: unknown dtype");
}

void pairs_variant(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out, void* stream) {
  using namespace scan_variants;
  const bool simt = use_simt_for_16bit();
  switch (in.dtype) {
    case ScanDType::F32: return pairs_f32(in, row_lse, out, stream);
    case ScanDType::BF16:
      return simt ? pairs_bf16_simt(in, row_lse, out, stream) : pairs_bf16_mma(in, row_lse, out, stream);
    case ScanDType::F16:
      return simt ? pairs_f16_simt(in, row_lse, out, stream) : pairs_f16_mma(in, row_lse, out, stream);
  }
  throw std::invalid_argument("attention scan: unknown dtype");
}

}  // namespace

void attention_scan_rows_cuda(const AttentionScanInput& in, const ScanRowsOutput& out, void* stream) {
  check_scan_input(in);
  check_rows_output(in, out);
  rows_variant(in, out, stream);
}

void attention_scan_pairs_cuda(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out,
                               void* stream) {
  check_scan_input(in);
  check_pairs_output(in, row_lse, out);
  check_pairs_cover_heads(in);
  const cudaStream_t s = static_cast<cudaStream_t>(stream);
  const long long C = overview_cells(in);
  // The cells to zero and (D) decode in every plane: all, or with first_row > 0 those from the first scanned row's
  // cell row on (first_row is a multiple of the cell); the blocks write no others, and the cells above keep what the
  // caller left there.
  const long long skip = static_cast<long long>(in.first_row / in.overview_cell) * C;  // cells before, per plane
  unsigned* overview = reinterpret_cast<unsigned*>(out.overview);
  unsigned* diff_keys = reinterpret_cast<unsigned*>(out.diff_overview);

  // Cells start at 0 (the value of a cell without causal entries, and key 0 for D); the kernel only raises them.
  if (in.first_row == 0) {
    check_cuda(cudaMemsetAsync(out.overview, 0, sizeof(float) * in.H * C * C, s), "cudaMemsetAsync(overview)");
    if (in.num_pairs > 0)
      check_cuda(cudaMemsetAsync(out.diff_overview, 0, sizeof(float) * in.num_pairs * C * C, s),
                 "cudaMemsetAsync(diff_overview)");
  } else {
    launch_cell_rows(zero_cell_rows, overview + skip, in.H, C * C, C * C - skip, s, "zero_cell_rows launch");
    if (in.num_pairs > 0)
      launch_cell_rows(zero_cell_rows, diff_keys + skip, in.num_pairs, C * C, C * C - skip, s, "zero_cell_rows launch");
  }
  pairs_variant(in, row_lse, out, stream);
  if (in.num_pairs > 0) {
    if (in.first_row == 0) {
      launch_cell_rows(decode_diff_keys, diff_keys, 1, 0, in.num_pairs * C * C, s, "decode_diff_keys launch");
    } else {
      launch_cell_rows(decode_diff_keys, diff_keys + skip, in.num_pairs, C * C, C * C - skip, s,
                       "decode_diff_keys launch");
    }
  }
}

}  // namespace diffscope
