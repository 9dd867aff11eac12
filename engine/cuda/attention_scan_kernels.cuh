// The attention scan's CUDA kernels and their launchers, shared by attention_scan.cu (the entry points) and the
// variant files generated from attention_scan_variant.cu.in (one per dtype and tile kind, so that nvcc compiles them
// side by side: in one file they were a build's longest step). Everything is internal to each file that includes it.
// Thread: as attention_scan.cu. What the kernels do: the comment at the top of attention_scan.cu.
#pragma once

// to the chunk of its rows (a 64-row block never straddles a chunk, a multiple of 64).
#include "attention_scan.h"
#include "attention_scan_detail.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace diffscope {

using namespace scan_detail;

namespace {

void check_cuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string("attention scan (CUDA): ") + what + ": " + cudaGetErrorName(status) + ": " +
                             cudaGetErrorString(status));
}

constexpr unsigned kFullMask = 0xffffffffu;
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;
// The running max before a thread has seen any entry of a row: finite, so that rescaling by 2^(m_old - m_new) gives
// 0 rather than NaN and (m_new - m_old) * l stays 0 * finite.
constexpr float kEmptyMax = -1e30f;

// ---- tile geometry ----
// A block holds WARPS * 16 query rows (each warp 16, as mma.sync's m16 tile) and walks key tiles of NT * 8 keys. Shared
// rows are padded (16-bit: +8 elements, float: +4) so that a warp's fragment loads hit distinct banks and every row
// starts 16-byte aligned for vector stores.
template <ScanDType DT, bool kMma, int DP, int WARPS, int NT>
struct Tile {
  static_assert(!kMma || DT != ScanDType::F32, "tensor cores take 16-bit inputs only");
  static_assert(DP % 32 == 0 && DP <= 256, "padded head dimension");
  using Elem = std::conditional_t<kMma, uint16_t, float>;
  static constexpr int kRows = 16 * WARPS;
  static constexpr int kKeys = 8 * NT;
  static constexpr int kThreads = 32 * WARPS;
  static constexpr int kStride = kMma ? DP + 8 : DP + 4;
  static constexpr size_t kQBytes = sizeof(Elem) * kRows * kStride;
  static constexpr size_t kKBytes = sizeof(Elem) * kKeys * kStride;
  // Key tiles a block holds at once (for_key_tiles): two on tensor cores up to d = 64, where the second buffer still
  // leaves room for the blocks per SM that the register budgets are sized for on an H200 (rows_min_blocks,
  // pairs_min_blocks); one elsewhere, where it would cost a block per SM.
  static constexpr int kKeyBuffers = kMma && DP <= 64 ? 2 : 1;
};

// ---- small device helpers ----

__device__ __forceinline__ float fast_exp2(float x) {  // 2^x, about 2 ulp; 0 for very negative x
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

__device__ __forceinline__ float fast_log2(float x) {
  float y;
  asm("lg2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// Rounds two floats to the dtype (nearest, ties to even) with one packed conversion: cvt.rn.bf16x2.f32 (or f16x2)
// runs on the ALU pipe, while one F2F per value would queue on the quarter-rate pipe that exp2 also needs.
template <ScanDType DT>
__device__ __forceinline__ void round_pair_to_dtype(float& a, float& b) {
  if constexpr (DT == ScanDType::BF16) {
    const __nv_bfloat162 packed = __floats2bfloat162_rn(a, b);
    a = __low2float(packed), b = __high2float(packed);
  } else if constexpr (DT == ScanDType::F16) {
    const __half2 packed = __floats2half2_rn(a, b);
    a = __low2float(packed), b = __high2float(packed);
  }
}

// The explicit path's scores from two float dot products: round to the dtype, times the scale, round again.
template <ScanDType DT>
__device__ __forceinline__ void finish_score_pair(float& a, float& b, float scale) {
  round_pair_to_dtype<DT>(a, b);
  a *= scale, b *= scale;
  round_pair_to_dtype<DT>(a, b);
}

template <ScanDType DT>
__device__ __forceinline__ float decode16(uint16_t bits) {
  if constexpr (DT == ScanDType::BF16) return __uint_as_float(static_cast<uint32_t>(bits) << 16);
  return __half2float(__ushort_as_half(bits));
}

// D's overview key: bits(|D|) << 1 | sign, i.e. the float's bits rotated left by one. Larger |D| gives a larger key;
// at equal |D| the negative entry wins. decode_diff_keys rotates back.
__device__ __forceinline__ unsigned diff_key(float D) {
  const unsigned bits = __float_as_uint(D);
  return __funnelshift_l(bits, bits, 1);
}

// ---- tile loads ----
// Rows [row0, row0 + rows) of head `head` of a (heads, T, d) tensor into shared memory (row stride STRIDE), as float
// (SIMT) or as raw 16-bit values (tensor cores); zero past T and past d, so padded rows and columns add nothing.
template <ScanDType DT, bool kMma, int DP, int STRIDE, int THREADS>
__device__ __forceinline__ void load_rows(std::conditional_t<kMma, uint16_t, float>* dst, const void* src, int head,
                                          int row0, int rows, int T, int d, bool vec) {
  using Src = std::conditional_t<DT == ScanDType::F32, float, uint16_t>;
  const Src* base = static_cast<const Src*>(src) + static_cast<size_t>(head) * T * d;
  if (vec) {  // 16-byte chunks: d is a multiple of the chunk and the tensor is 16-byte aligned
    constexpr int kChunk = 16 / sizeof(Src);
    constexpr int kChunksPerRow = DP / kChunk;
    for (int index = threadIdx.x; index < rows * kChunksPerRow; index += THREADS) {
      const int r = index / kChunksPerRow;
      const int col = (index % kChunksPerRow) * kChunk;
      const int row = row0 + r;
      uint4 raw = make_uint4(0, 0, 0, 0);
      if (row < T && col < d) raw = *reinterpret_cast<const uint4*>(base + static_cast<size_t>(row) * d + col);
      if constexpr (kMma) {
        *reinterpret_cast<uint4*>(dst + r * STRIDE + col) = raw;
      } else if constexpr (DT == ScanDType::F32) {
        *reinterpret_cast<uint4*>(dst + r * STRIDE + col) = raw;
      } else {
        const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
        float4 lo, hi;
        lo.x = decode16<DT>(words[0] & 0xffffu), lo.y = decode16<DT>(words[0] >> 16);
        lo.z = decode16<DT>(words[1] & 0xffffu), lo.w = decode16<DT>(words[1] >> 16);
        hi.x = decode16<DT>(words[2] & 0xffffu), hi.y = decode16<DT>(words[2] >> 16);
        hi.z = decode16<DT>(words[3] & 0xffffu), hi.w = decode16<DT>(words[3] >> 16);
        *reinterpret_cast<float4*>(dst + r * STRIDE + col) = lo;
        *reinterpret_cast<float4*>(dst + r * STRIDE + col + 4) = hi;
      }
    }
  } else {
    for (int index = threadIdx.x; index < rows * DP; index += THREADS) {
      const int r = index / DP;
      const int col = index % DP;
      const int row = row0 + r;
      const bool inside = row < T && col < d;
      if constexpr (kMma) {
        dst[r * STRIDE + col] = inside ? base[static_cast<size_t>(row) * d + col] : uint16_t(0);
      } else if constexpr (DT == ScanDType::F32) {
        dst[r * STRIDE + col] = inside ? base[static_cast<size_t>(row) * d + col] : 0.0f;
      } else {
        dst[r * STRIDE + col] = inside ? decode16<DT>(base[static_cast<size_t>(row) * d + col]) : 0.0f;
      }
    }
  }
}

// cp.async (sm_80 and newer, as every kernel here): copies that land in shared memory while the threads go on, so a
// key tile's loads overlap the previous tile's work. `commit` closes the group of copies a thread has started, and
// `wait_all` waits for all of the thread's groups; a barrier after it makes every thread's copies visible.
__device__ __forceinline__ void cp_async_commit() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;" ::: "memory");
#endif
}

__device__ __forceinline__ void cp_async_wait_all() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group 0;" ::: "memory");
#endif
}

// As load_rows, but on tensor cores with 16-byte chunks the copies are started (cp.async, zero-filled past T and d)
// and land later: cp_async_commit, cp_async_wait_all and a barrier before the rows are read. Elsewhere it is load_rows.
template <ScanDType DT, bool kMma, int DP, int STRIDE, int THREADS>
__device__ __forceinline__ void start_loading_rows(std::conditional_t<kMma, uint16_t, float>* dst, const void* src,
                                                   int head, int row0, int rows, int T, int d, bool vec) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  if constexpr (kMma) {
    if (vec) {
      const uint16_t* base = static_cast<const uint16_t*>(src) + static_cast<size_t>(head) * T * d;
      constexpr int kChunksPerRow = DP / 8;  // 8 16-bit values per 16 bytes
      for (int index = threadIdx.x; index < rows * kChunksPerRow; index += THREADS) {
        const int r = index / kChunksPerRow;
        const int col = (index % kChunksPerRow) * 8;
        const int row = row0 + r;
        const bool inside = row < T && col < d;
        const uint16_t* from = inside ? base + static_cast<size_t>(row) * d + col : base;  // 0 bytes read outside
        const unsigned to = static_cast<unsigned>(__cvta_generic_to_shared(dst + r * STRIDE + col));
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(to), "l"(from), "r"(inside ? 16 : 0)
                     : "memory");
      }
      return;
    }
  }
#endif
  load_rows<DT, kMma, DP, STRIDE, THREADS>(dst, src, head, row0, rows, T, d, vec);
}

// Walks key tiles [first, end) through BUFFERS shared-memory buffers: load(kt, buffer) starts tile kt's copy into a
// buffer, work(kt, buffer) uses the tile. With two buffers, tile kt + 1's copy is in flight during tile kt's work,
// and one barrier per tile orders both: when every thread has passed tile kt's barrier, every thread has finished
// tile kt - 1, whose buffer kt + 1's copy then overwrites. With one buffer, a second barrier after the work frees it.
// The first barrier also publishes what the block wrote to shared memory before the walk (its Q rows, histogram).
template <int BUFFERS, class Load, class Work>
__device__ __forceinline__ void for_key_tiles(int first, int end, Load&& load, Work&& work) {
  static_assert(BUFFERS == 1 || BUFFERS == 2, "one or two key-tile buffers");
  if (first < end) {
    load(first, 0);
    cp_async_commit();
  }
  int buffer = 0;
  for (int kt = first; kt < end; ++kt) {
    cp_async_wait_all();
    __syncthreads();
    if constexpr (BUFFERS == 2) {
      if (kt + 1 < end) {
        load(kt + 1, buffer ^ 1);
        cp_async_commit();
      }
      work(kt, buffer);
      buffer ^= 1;
    } else {
      work(kt, 0);
      if (kt + 1 < end) {
        __syncthreads();
        load(kt + 1, 0);
        cp_async_commit();
      }
    }
  }
}

// Multiplies a bf16 Q tile in shared memory by `scale`, an exact power of two (the host checks): q * 2^k is exact in
// bf16 (float's exponent range) for every |q| >= 2^-120, and the tensor cores' fp32 dot product of scaled queries is
// the unscaled one times 2^k exactly (products and sums scale without rounding), so round(q' . k) equals the explicit
// path's round(round(q . k) * scale) and the per-score multiply and second rounding disappear (about 2.5 of pass 1's
// ~38 instructions per score). Called by every thread after the tile's loads are visible (a barrier before).
template <int ELEMENTS, int THREADS>
__device__ __forceinline__ void prescale_queries(uint16_t* tile, float scale) {
  for (int i = threadIdx.x; i < ELEMENTS; i += THREADS) {
    const float v = __uint_as_float(static_cast<uint32_t>(tile[i]) << 16) * scale;
    tile[i] = static_cast<uint16_t>(__float_as_uint(v) >> 16);  // exact: v has bf16's 8 significant bits
  }
}

// ---- score tiles ----
// acc[t][q] = the dot product of the warp's query row g + 8 * (q >> 1) with the tile's key 8t + 2c + (q & 1). `qs` is
// the warp's first query row in shared memory, `ks` the tile's first key.

// v1: sequential fmaf over the dimensions, in index order (the host twin's chain).
template <int NT, int STRIDE>
__device__ __forceinline__ void scores_simt(const float* qs, const float* ks, float (&acc)[NT][4], int g, int c,
                                            int dim4) {
#pragma unroll
  for (int t = 0; t < NT; ++t)
#pragma unroll
    for (int q = 0; q < 4; ++q) acc[t][q] = 0.0f;
  const float* qa = qs + g * STRIDE;
  const float* qb = qa + 8 * STRIDE;
#pragma unroll 2
  for (int kk = 0; kk < dim4; kk += 4) {
    const float4 a = *reinterpret_cast<const float4*>(qa + kk);
    const float4 b = *reinterpret_cast<const float4*>(qb + kk);
#pragma unroll
    for (int t = 0; t < NT; ++t) {
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const float4 k = *reinterpret_cast<const float4*>(ks + (8 * t + 2 * c + e) * STRIDE + kk);
        float x = acc[t][e], y = acc[t][2 + e];
        x = fmaf(a.x, k.x, x), y = fmaf(b.x, k.x, y);
        x = fmaf(a.y, k.y, x), y = fmaf(b.y, k.y, y);
        x = fmaf(a.z, k.z, x), y = fmaf(b.z, k.z, y);
        x = fmaf(a.w, k.w, x), y = fmaf(b.w, k.w, y);
        acc[t][e] = x, acc[t][2 + e] = y;
      }
    }
  }
}

// v2: mma.sync m16n8k16, A = 16 query rows x 16 dims (row major), B = 16 dims x 8 keys (column major, i.e. K's rows),
// fp32 accumulators whose layout is exactly acc[t][q] above.
// d += a * b, or with kFirst d = a * b: a zero C operand (the register RZ in the machine code) starts the
// accumulators, where zeroing them first took about 1.3 instructions per score (session 8's profile).
template <ScanDType DT, bool kFirst = false>
__device__ __forceinline__ void mma_16816(float (&d)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                          uint32_t b0, uint32_t b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  if constexpr (kFirst && DT == ScanDType::BF16) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%10,%10,%10};"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1), "f"(0.0f));
  } else if constexpr (kFirst) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%10,%10,%10};"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1), "f"(0.0f));
  } else if constexpr (DT == ScanDType::BF16) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  } else {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  }
#else
  __trap();  // built only for sm_80 and newer; the host side never launches this elsewhere
#endif
}

// Four 8x8 16-bit matrices from shared memory in mma.sync's fragment layout; lane L gives the address of row L % 8 of
// matrix L / 8, and receives in register i its pair (row L / 4, columns 2 (L % 4), +1) of matrix i.
__device__ __forceinline__ void load_matrices_x4(uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3,
                                                 const uint16_t* row_address) {
  const unsigned address = static_cast<unsigned>(__cvta_generic_to_shared(row_address));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
               : "r"(address));
}

// One 16-dimension step of scores_mma: the A fragment of dimensions kk..kk+15, then two n-tiles per B load.
template <ScanDType DT, int NT, int STRIDE, bool kFirst>
__device__ __forceinline__ void scores_mma_step(const uint16_t* a_row, const uint16_t* b_row, float (&acc)[NT][4],
                                                int kk) {
  uint32_t a0, a1, a2, a3;
  load_matrices_x4(a0, a1, a2, a3, a_row + kk);
#pragma unroll
  for (int t = 0; t < NT; t += 2) {
    uint32_t b0, b1, c0, c1;
    load_matrices_x4(b0, b1, c0, c1, b_row + 8 * t * STRIDE + kk);
    mma_16816<DT, kFirst>(acc[t], a0, a1, a2, a3, b0, b1);
    mma_16816<DT, kFirst>(acc[t + 1], a0, a1, a2, a3, c0, c1);
  }
}

template <ScanDType DT, int NT, int STRIDE>
__device__ __forceinline__ void scores_mma(const uint16_t* qs, const uint16_t* ks, float (&acc)[NT][4], int lane,
                                           int dim16) {
  static_assert(NT % 2 == 0, "B fragments are loaded two n-tiles at a time");
  // A (16 rows x 16 dims): matrices (rows 0-7, dims 0-7), (rows 8-15, dims 0-7), (rows 0-7, dims 8-15),
  // (rows 8-15, dims 8-15) give a0..a3.
  const uint16_t* a_row = qs + ((lane & 7) + 8 * ((lane >> 3) & 1)) * STRIDE + 8 * (lane >> 4);
  // B for n-tiles t and t + 1 (keys 8t..8t+15 x 16 dims): matrices (keys 8t.., dims 0-7), (keys 8t.., dims 8-15),
  // (keys 8t+8.., dims 0-7), (keys 8t+8.., dims 8-15) give b0, b1 of tile t and b0, b1 of tile t + 1.
  const uint16_t* b_row = ks + ((lane & 7) + 8 * (lane >> 4)) * STRIDE + 8 * ((lane >> 3) & 1);
  scores_mma_step<DT, NT, STRIDE, true>(a_row, b_row, acc, 0);  // dim16 >= 16: d >= 1
#pragma unroll 2
  for (int kk = 16; kk < dim16; kk += 16) scores_mma_step<DT, NT, STRIDE, false>(a_row, b_row, acc, kk);
}

// Gemma 2's soft cap on two scores, as at::tanh(s / c) * c in the dtype: divide, round, tanh, round, times c, round.
// tanh in double, rounded to float, as the host twin does: float tanh differs between libraries by an ulp, double
// tanh rounded to float agrees but for values within 2^-29 of a float midpoint (slower; only soft-capped models pay).
template <ScanDType DT>
__device__ __forceinline__ void soft_cap_pair(float& a, float& b, float softcap) {
  a = __fdiv_rn(a, softcap), b = __fdiv_rn(b, softcap);
  round_pair_to_dtype<DT>(a, b);
  a = static_cast<float>(tanh(static_cast<double>(a))), b = static_cast<float>(tanh(static_cast<double>(b)));
  round_pair_to_dtype<DT>(a, b);
  a *= softcap, b *= softcap;
  round_pair_to_dtype<DT>(a, b);
}

// `q_prescaled`: the Q tile already holds q * scale (prescale_queries), so the dot product is the scaled score and one
// rounding finishes it. `softcap` > 0 (uniform): then Gemma 2's soft cap.
template <ScanDType DT, bool kMma, int DP, int NT, int STRIDE>
__device__ __forceinline__ void tile_scores(const std::conditional_t<kMma, uint16_t, float>* qs,
                                            const std::conditional_t<kMma, uint16_t, float>* ks, float (&acc)[NT][4],
                                            int g, int c, int d, float scale, bool q_prescaled, float softcap) {
  bool finished = false;
  if constexpr (kMma) {
    scores_mma<DT, NT, STRIDE>(qs, ks, acc, (g << 2) | c, (d + 15) & ~15);
    if constexpr (DT == ScanDType::BF16) {
      if (q_prescaled) {
#pragma unroll
        for (int t = 0; t < NT; ++t) {
          round_pair_to_dtype<DT>(acc[t][0], acc[t][1]);
          round_pair_to_dtype<DT>(acc[t][2], acc[t][3]);
        }
        finished = true;
      }
    }
  } else {
    scores_simt<NT, STRIDE>(qs, ks, acc, g, c, (d + 3) & ~3);
  }
  if (!finished) {
#pragma unroll
    for (int t = 0; t < NT; ++t) {
      finish_score_pair<DT>(acc[t][0], acc[t][1], scale);
      finish_score_pair<DT>(acc[t][2], acc[t][3], scale);
    }
  }
  if (softcap > 0.0f) {
#pragma unroll
    for (int t = 0; t < NT; ++t) {
      soft_cap_pair<DT>(acc[t][0], acc[t][1], softcap);
      soft_cap_pair<DT>(acc[t][2], acc[t][3], softcap);
    }
  }
}

// Whether entry (t, q) of a thread's fragment is causal, inside T and inside the row's window: with j = kb + 8t +
// (q & 1), kb = k0 + 2c, and i = row[q >> 1]: j <= i < T and (window W > 0) i - W < j. A `full` tile (full_tile)
// skips the test.
struct Causal {
  int row[2];
  int kb;
  int T;
  int window;  // 0: none
  bool full;
  __device__ __forceinline__ bool operator()(int t, int q) const {
    const int j = kb + 8 * t + (q & 1), i = row[q >> 1];
    return full || (j <= i && i < T && (window == 0 || j > i - window));
  }
};

// The first key tile that rows [r0, ...) need: the one holding row r0's first key (0 without a window).
__device__ __forceinline__ int first_key_tile(int r0, int window, int keys_per_tile) {
  return window > 0 && r0 - window + 1 > 0 ? (r0 - window + 1) / keys_per_tile : 0;
}

// Whether every entry of key tile [k0, k0 + keys) is seen by every row of [r0, r0 + rows): all keys at or before the
// first row, all rows inside T, and (window W > 0) every key after the last row's lower edge.
__device__ __forceinline__ bool full_tile(int k0, int keys, int r0, int rows, int T, int window) {
  return k0 + keys - 1 <= r0 && r0 + rows <= T && (window == 0 || k0 > r0 + rows - 1 - window);
}

// ---- pass 1 ----

struct RowsArgs {
  const void* q;
  const void* k;
  int H, T, d, group;
  float scale;
  bool vec;
  int row_tiles;  // blocks along x: the row tiles of rows [first_row, T)
  int first_row;  // the first scanned row (a multiple of 64); block x starts at first_row + (row_tiles - 1 - x) * rows
  int window;  // sliding window W (0: none)
  bool q_prescaled;  // bf16 tensor cores with a power-of-two scale: Q tiles are scaled once (prescale_queries)
  float softcap;     // Gemma 2's soft cap (0: none)
  int histogram_chunk_rows;  // 0: one histogram; else the block adds to the chunk of its rows (one chunk: see there)
  float* lse;
  float* entropy;
  float* max_p;
  float* distance;
  float* sink;
  float* abs_max;
  unsigned long long* histogram;
};

// One thread's running reduction of one row over the keys it has seen.
struct RowState {
  float m = kEmptyMax;  // running max of s
  float l = 0.0f;       // sum 2^x, x = (s - m) log2(e)
  float u2 = 0.0f;      // sum 2^x x (<= 0); -u2 ln2 / l = sum p (m - s)
  float w = 0.0f;       // sum 2^x (i - j)
  float abs_max = 0.0f;
  float s0 = -INFINITY;  // s_i0, held by the lane that owns key 0

  // The same quantities after the running max moves to m_new (>= m).
  __device__ __forceinline__ void rescale(float m_new) {
    const float shift = (m - m_new) * kLog2e;  // <= 0
    const float alpha = fast_exp2(shift);
    u2 = alpha * fmaf(shift, l, u2);
    l *= alpha;
    w *= alpha;
    m = m_new;
  }

  __device__ __forceinline__ void merge(const RowState& o) {
    const float m_new = fmaxf(m, o.m);
    const float shift_a = (m - m_new) * kLog2e, shift_b = (o.m - m_new) * kLog2e;
    const float alpha_a = fast_exp2(shift_a), alpha_b = fast_exp2(shift_b);
    u2 = alpha_a * fmaf(shift_a, l, u2) + alpha_b * fmaf(shift_b, o.l, o.u2);
    l = alpha_a * l + alpha_b * o.l;
    w = alpha_a * w + alpha_b * o.w;
    m = m_new;
    abs_max = fmaxf(abs_max, o.abs_max);
    s0 = fmaxf(s0, o.s0);
  }

  __device__ __forceinline__ RowState shuffled(int lane_xor) const {
    RowState o;
    o.m = __shfl_xor_sync(kFullMask, m, lane_xor);
    o.l = __shfl_xor_sync(kFullMask, l, lane_xor);
    o.u2 = __shfl_xor_sync(kFullMask, u2, lane_xor);
    o.w = __shfl_xor_sync(kFullMask, w, lane_xor);
    o.abs_max = __shfl_xor_sync(kFullMask, abs_max, lane_xor);
    o.s0 = __shfl_xor_sync(kFullMask, s0, lane_xor);
    return o;
  }
};

// Adds one score tile to a thread's two row states and to the block's histogram.
template <int NT, bool kFull>
__device__ __forceinline__ void rows_tile(const float (&s)[NT][4], RowState (&state)[2], const Causal& causal,
                                          int k0, int c, uint32_t* histogram) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float tile_max = kEmptyMax;
#pragma unroll
    for (int t = 0; t < NT; ++t)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const float v = s[t][2 * r + e];
        if (kFull || causal(t, 2 * r + e)) {
          state[r].abs_max = fmaxf(state[r].abs_max, fabsf(v));
#ifndef DIFFSCOPE_SCAN_EXPERIMENT_NO_HISTOGRAM  // measurement only (docs/attention-scan.md): what the histogram costs
          atomicAdd(&histogram[logit_bin_of_bits(__float_as_uint(v))], 1u);
#endif
          tile_max = fmaxf(tile_max, v);
        }
      }
    if (tile_max > state[r].m) state[r].rescale(tile_max);
    const float neg_m2 = -state[r].m * kLog2e;
    // i - j = (i - k0 - 2c) - (8t + e): the sum of e_ij (i - j) is base * sum e - sum e (8t + e).
    float l_tile = 0.0f, offset_sum = 0.0f;
#pragma unroll
    for (int t = 0; t < NT; ++t)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const bool valid = kFull || causal(t, 2 * r + e);
        const float x = valid ? fmaf(s[t][2 * r + e], kLog2e, neg_m2) : 0.0f;
        const float p = valid ? fast_exp2(x) : 0.0f;
        l_tile += p;
        state[r].u2 = fmaf(p, x, state[r].u2);
        offset_sum = fmaf(p, static_cast<float>(8 * t + e), offset_sum);
      }
    const float base = static_cast<float>(causal.row[r] - k0 - 2 * c);
    state[r].l += l_tile;
    state[r].w += fmaf(base, l_tile, -offset_sum);
  }
}

// Blocks per SM that the tensor-core kernels' register budgets are sized for (ptxas caps registers to fit them), as
// many as shared memory allows for the padded head dimension, measured on an H200 at d = 64 (docs/attention-scan.md):
// pass 2 with 4 blocks (128 registers, a small spill) beat 3 blocks (168 registers, none) by 13%. SIMT: no cap.
constexpr int rows_min_blocks(bool mma, int dp) { return !mma ? 1 : dp <= 64 ? 5 : dp <= 128 ? 4 : 2; }
constexpr int pairs_min_blocks(bool mma, int dp) { return !mma ? 1 : dp <= 64 ? 4 : dp <= 128 ? 3 : 1; }

template <ScanDType DT, bool kMma, int DP, int WARPS, int NT>
__global__ void __launch_bounds__(32 * WARPS, rows_min_blocks(kMma, DP)) scan_rows_kernel(const __grid_constant__ RowsArgs args) {
  using Cfg = Tile<DT, kMma, DP, WARPS, NT>;
  using Elem = typename Cfg::Elem;
  extern __shared__ __align__(16) unsigned char smem[];
  Elem* q_tile = reinterpret_cast<Elem*>(smem);
  Elem* k_tiles = reinterpret_cast<Elem*>(smem + Cfg::kQBytes);  // Cfg::kKeyBuffers of them
  uint32_t* histogram = reinterpret_cast<uint32_t*>(smem + Cfg::kQBytes + Cfg::kKeyBuffers * Cfg::kKBytes);

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, c = lane & 3;
  const int head = blockIdx.y;
  // Longest rows first; rows before first_row are not scanned.
  const int r0 = args.first_row + (args.row_tiles - 1 - static_cast<int>(blockIdx.x)) * Cfg::kRows;
  const int T = args.T;

  for (int b = threadIdx.x; b < kLogitBins; b += Cfg::kThreads) histogram[b] = 0;
  load_rows<DT, kMma, DP, Cfg::kStride, Cfg::kThreads>(q_tile, args.q, head, r0, Cfg::kRows, T, args.d, args.vec);
  if constexpr (kMma && DT == ScanDType::BF16) {
    if (args.q_prescaled) {
      __syncthreads();
      prescale_queries<Cfg::kRows * Cfg::kStride, Cfg::kThreads>(q_tile, args.scale);
    }
  }

  RowState state[2];
  Causal causal;
  causal.row[0] = r0 + warp * 16 + g;
  causal.row[1] = causal.row[0] + 8;
  causal.T = T;
  causal.window = args.window;
  const int key_tiles = (min(r0 + Cfg::kRows, T) - 1) / Cfg::kKeys + 1;
  const int kv_head = head / args.group;
  const auto load_keys = [&](int kt, int buffer) {
    start_loading_rows<DT, kMma, DP, Cfg::kStride, Cfg::kThreads>(k_tiles + buffer * Cfg::kKeys * Cfg::kStride, args.k,
                                                                  kv_head, kt * Cfg::kKeys, Cfg::kKeys, T, args.d,
                                                                  args.vec);
  };
  const auto scan_keys = [&](int kt, int buffer) {
    const int k0 = kt * Cfg::kKeys;
    float s[NT][4];
    tile_scores<DT, kMma, DP, NT, Cfg::kStride>(q_tile + warp * 16 * Cfg::kStride,
                                               k_tiles + buffer * Cfg::kKeys * Cfg::kStride, s, g, c, args.d,
                                               args.scale, args.q_prescaled, args.softcap);
    causal.kb = k0 + 2 * c;
    causal.full = full_tile(k0, Cfg::kKeys, r0, Cfg::kRows, T, args.window);
    if (causal.full)
      rows_tile<NT, true>(s, state, causal, k0, c, histogram);
    else
      rows_tile<NT, false>(s, state, causal, k0, c, histogram);
    if (k0 == 0 && c == 0) {  // key 0: causal for every row, inside the window of rows i < W only
#pragma unroll
      for (int r = 0; r < 2; ++r)
        if (args.window == 0 || causal.row[r] < args.window) state[r].s0 = s[0][2 * r];
    }
  };
  for_key_tiles<Cfg::kKeyBuffers>(first_key_tile(r0, args.window, Cfg::kKeys), key_tiles, load_keys, scan_keys);

  // The four lanes of a quad hold the same rows over different keys.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    state[r].merge(state[r].shuffled(1));
    state[r].merge(state[r].shuffled(2));
    const int i = causal.row[r];
    if (c == 0 && i < T) {
      const size_t at = static_cast<size_t>(head) * T + i;
      const float log_l = logf(state[r].l);
      const float lse = state[r].m + log_l;
      args.lse[at] = lse;
      args.entropy[at] = log_l - state[r].u2 * kLn2 / state[r].l;
      args.max_p[at] = 1.0f / state[r].l;
      args.distance[at] = state[r].w / state[r].l;
      args.sink[at] = expf(state[r].s0 - lse);  // s0 = -inf (sink 0) where key 0 is outside the window
      args.abs_max[at] = state[r].abs_max;
    }
  }

  // The block's rows lie in one histogram chunk: r0 is a multiple of kRows (32 or 64; first_row is a multiple of 64)
  // and the chunk a multiple of 64.
  unsigned long long* global_histogram = args.histogram + histogram_offset(args.histogram_chunk_rows, r0);
  __syncthreads();
  for (int b = threadIdx.x; b < kLogitBins; b += Cfg::kThreads)
    if (histogram[b] != 0) atomicAdd(&global_histogram[b], static_cast<unsigned long long>(histogram[b]));
}

// ---- pass 2 ----

struct PairsArgs {
  const void* q;
  const void* k;
  int H, T, d, group;
  float scale;
  bool vec;
  int row_tiles;  // as RowsArgs::row_tiles
  int first_row;  // as RowsArgs::first_row
  int window;  // sliding window W (0: none)
  bool q_prescaled;  // as RowsArgs::q_prescaled
  float softcap;     // as RowsArgs::softcap
  int cell;
  float cell_inverse;  // 1.0f / cell
  long long C;
  int a1_offset, a1_stride, a2_offset, a2_stride;
  const float* lse;
  const float* lambda;
  unsigned* overview;   // float bits (p >= 0 orders like its bits)
  unsigned* diff_keys;  // diff_overview's memory, holding keys until decode_diff_keys
  float* diff_entropy;
  float* diff_max;
};

// n / divisor for 0 <= n < 2^24 through the float reciprocal (inverse = 1.0f / divisor): the float quotient is off
// by at most one, and one integer step corrects it. Cheaper than the integer division sequence in per-tile code.
__device__ __forceinline__ int divide(int n, int divisor, float inverse) {
  int q = __float2int_rz(__int2float_rn(n) * inverse);
  if (q * divisor > n) --q;
  else if ((q + 1) * divisor <= n) ++q;
  return q;
}

// The overview cells a warp's 16 rows fall in; fixed for the whole block.
struct WarpCells {
  int row0;      // the warp's first row
  int cell_row[2];  // the cell rows of its rows row0..row0+7 and row0+8..row0+15
  bool one_row;  // all 16 rows in one cell row
};

// The cells of 8 G keys (G = 1, 2, 4: cells of 8, 16, 32, the overviews of 1K-8K-token prompts) divide the tile's
// 8 NT keys, and a tile starts at a multiple of 8 NT, so key group t always lies in cell column col0 + t / G: each
// row group's cells are merged and flushed at places fixed at compile time, with no per-group test.
template <int NT, int G, class Value, class Flush>
__device__ __forceinline__ void pool_fixed_groups(const WarpCells& cells, int col0, Value value, Flush flush) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    if (r == 1 && cells.one_row) break;
#pragma unroll
    for (int column = 0; column < NT / G; ++column) {
      unsigned v = 0;
#pragma unroll
      for (int t = column * G; t < (column + 1) * G; ++t) {
        v = max(v, max(value(t, 2 * r), value(t, 2 * r + 1)));
        if (cells.one_row) v = max(v, max(value(t, 2), value(t, 3)));
      }
      flush(cells.cell_row[r], col0 + column, v);
    }
  }
}

// Max-pools value(t, q) (an unsigned order key; 0 for entries that are not causal, which is also every cell's initial
// value, so zeros are never written) over a warp's fragment into `map` (C x C cells). Five ways, chosen uniformly:
//  - cell % (8 NT) == 0 (cells of 64, 128, ...: long prompts): the whole tile lies in one cell column, so each row
//    group is one reduction and one atomic, with no per-group cell test;
//  - cells of 8, 16 and 32 keys: pool_fixed_groups (session 9; before, they took the next way, whose test per key
//    group, uniform but compiled to a branch each, cost about 3 instructions per D entry);
//  - cell % 8 == 0: every 8 rows x 8 keys group (r, t) lies in one cell; each thread merges the groups of one cell
//    (consecutive t, and both r when the rows share a cell row), then one warp reduction and one atomic per cell;
//  - the fragment lies in one cell: one warp reduction, one atomic;
//  - otherwise (small or odd cells): each thread merges runs of its own entries in one cell, one atomic per run.
template <int NT, class Value>
__device__ __forceinline__ void pool_max(unsigned* map, const PairsArgs& args, const WarpCells& cells,
                                         const Causal& causal, int k0, int col0, int lane, int c, Value value) {
  const long long C = args.C;
  const int cell = args.cell;
  auto flush = [&](int row, int col, unsigned v) {
    v = __reduce_max_sync(kFullMask, v);
    if (lane == 0 && v != 0) atomicMax(map + row * C + col, v);
  };
  if (cell % (8 * NT) == 0) {  // the tile's keys (k0 is a multiple of 8 NT) lie in one cell column: one flush per row
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      if (r == 1 && cells.one_row) break;
      unsigned v = 0;
#pragma unroll
      for (int t = 0; t < NT; ++t) {
        v = max(v, max(value(t, 2 * r), value(t, 2 * r + 1)));
        if (cells.one_row) v = max(v, max(value(t, 2), value(t, 3)));
      }
      flush(cells.cell_row[r], col0, v);
    }
  } else if (cell == 8) {
    pool_fixed_groups<NT, 1>(cells, col0, value, flush);
  } else if (cell == 16 && NT % 2 == 0) {
    pool_fixed_groups<NT, 2>(cells, col0, value, flush);
  } else if (cell == 32 && NT % 4 == 0) {
    pool_fixed_groups<NT, 4>(cells, col0, value, flush);
  } else if (cell % 8 == 0) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      if (r == 1 && cells.one_row) break;
      unsigned run = 0;
      int col = col0, next_edge = (col0 + 1) * cell;
#pragma unroll
      for (int t = 0; t < NT; ++t) {
        if (k0 + 8 * t >= next_edge) {  // uniform: a key group starts a new cell column
          flush(cells.cell_row[r], col, run);
          run = 0, ++col, next_edge += cell;
        }
        unsigned v = max(value(t, 2 * r), value(t, 2 * r + 1));
        if (cells.one_row) v = max(v, max(value(t, 2), value(t, 3)));
        run = max(run, v);
      }
      flush(cells.cell_row[r], col, run);
    }
  } else if (cells.one_row && col0 == divide(k0 + 8 * NT - 1, cell, args.cell_inverse)) {
    unsigned v = 0;
#pragma unroll
    for (int t = 0; t < NT; ++t)
#pragma unroll
      for (int q = 0; q < 4; ++q) v = max(v, value(t, q));
    flush(cells.cell_row[0], col0, v);
  } else {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const int i = causal.row[r];
      if (i >= causal.T) continue;
      unsigned* row_cells = map + divide(i, cell, args.cell_inverse) * C;
      unsigned run = 0;
      int run_col = -1;
#pragma unroll
      for (int t = 0; t < NT; ++t)
#pragma unroll
        for (int e = 0; e < 2; ++e) {  // ascending keys
          const int j = k0 + 2 * c + 8 * t + e;
          if (j > i || (causal.window > 0 && j <= i - causal.window)) continue;  // not seen by row i
          const int col = divide(j, cell, args.cell_inverse);
          const unsigned v = value(t, 2 * r + e);
          if (col != run_col) {
            if (run != 0) atomicMax(row_cells + run_col, run);
            run = v;
            run_col = col;
          } else {
            run = max(run, v);
          }
        }
      if (run != 0) atomicMax(row_cells + run_col, run);
    }
  }
}

// Per-thread running sums of D+ over a row: sum, sum x log2 x, max.
struct PositivePart {
  float sum = 0.0f, xlog2x = 0.0f, max = 0.0f;
};

// One score tile of pass 2: probabilities, overviews, and (paired) D's row sums and overview.
template <int NT, bool kPaired, bool kFull>
__device__ __forceinline__ void pairs_tile(float (&s_a)[NT][4], float (&s_b)[NT][4], const Causal& causal,
                                           const PairsArgs& args, const WarpCells& cells, int k0, int lane, int c,
                                           const float (&lse2_a)[2], const float (&lse2_b)[2], const float (&lambda)[2],
                                           PositivePart (&positive)[2], unsigned* overview_a, unsigned* overview_b,
                                           unsigned* diff_keys) {
  Causal tile = causal;
  tile.full = kFull;

  // Scores become probabilities in place; entries that are not causal become 0.
#pragma unroll
  for (int t = 0; t < NT; ++t)
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const bool valid = kFull || tile(t, q);
      s_a[t][q] = valid ? fast_exp2(fmaf(s_a[t][q], kLog2e, -lse2_a[q >> 1])) : 0.0f;
      if constexpr (kPaired) s_b[t][q] = valid ? fast_exp2(fmaf(s_b[t][q], kLog2e, -lse2_b[q >> 1])) : 0.0f;
    }

  const int col0 = divide(k0, args.cell, args.cell_inverse);
  pool_max<NT>(overview_a, args, cells, tile, k0, col0, lane, c,
               [&](int t, int q) { return __float_as_uint(s_a[t][q]); });
  if constexpr (kPaired) {
    pool_max<NT>(overview_b, args, cells, tile, k0, col0, lane, c,
                 [&](int t, int q) { return __float_as_uint(s_b[t][q]); });
    // D = p1 - lambda p2 (0 where not causal); the positive part's sums for the row statistics.
#pragma unroll
    for (int t = 0; t < NT; ++t)
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        const float D = fmaf(-lambda[q >> 1], s_b[t][q], s_a[t][q]);
        const float x = fmaxf(D, 0.0f);
        PositivePart& part = positive[q >> 1];
        part.sum += x;
        part.xlog2x = fmaf(x, fast_log2(fmaxf(x, 1e-30f)), part.xlog2x);  // 0 log 0 = 0
        part.max = fmaxf(part.max, x);
      }
    pool_max<NT>(diff_keys, args, cells, tile, k0, col0, lane, c,
                 [&](int t, int q) { return diff_key(fmaf(-lambda[q >> 1], s_b[t][q], s_a[t][q])); });
  }
}

template <ScanDType DT, bool kMma, int DP, int WARPS, int NT, bool kPaired>
__global__ void __launch_bounds__(32 * WARPS, pairs_min_blocks(kMma, DP)) scan_pairs_kernel(const __grid_constant__ PairsArgs args) {
  using Cfg = Tile<DT, kMma, DP, WARPS, NT>;
  using Elem = typename Cfg::Elem;
  extern __shared__ __align__(16) unsigned char smem[];
  // Q rows of sub-head a (and b), then per key-tile buffer the keys of a (and b).
  constexpr int kHeadsPerBlock = kPaired ? 2 : 1;
  Elem* q_a = reinterpret_cast<Elem*>(smem);
  Elem* q_b = reinterpret_cast<Elem*>(smem + Cfg::kQBytes);  // paired only
  unsigned char* key_buffers = smem + kHeadsPerBlock * Cfg::kQBytes;
  const auto k_a = [&](int buffer) { return reinterpret_cast<Elem*>(key_buffers + buffer * kHeadsPerBlock * Cfg::kKBytes); };
  const auto k_b = [&](int buffer) { return reinterpret_cast<Elem*>(key_buffers + (buffer * kHeadsPerBlock + 1) * Cfg::kKBytes); };

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, c = lane & 3;
  const int pair = blockIdx.y;
  const int head_a = kPaired ? args.a1_offset + args.a1_stride * pair : pair;
  const int head_b = kPaired ? args.a2_offset + args.a2_stride * pair : pair;
  const int kv_a = head_a / args.group, kv_b = head_b / args.group;
  const bool shared_k = kv_a == kv_b;  // V2 pairs of one KV group read the same keys
  const int r0 = args.first_row + (args.row_tiles - 1 - static_cast<int>(blockIdx.x)) * Cfg::kRows;
  const int T = args.T;
  const int warp_row0 = r0 + warp * 16;

  load_rows<DT, kMma, DP, Cfg::kStride, Cfg::kThreads>(q_a, args.q, head_a, r0, Cfg::kRows, T, args.d, args.vec);
  if (kPaired)
    load_rows<DT, kMma, DP, Cfg::kStride, Cfg::kThreads>(q_b, args.q, head_b, r0, Cfg::kRows, T, args.d, args.vec);
  if constexpr (kMma && DT == ScanDType::BF16) {
    if (args.q_prescaled) {
      __syncthreads();
      prescale_queries<Cfg::kRows * Cfg::kStride, Cfg::kThreads>(q_a, args.scale);
      if (kPaired) prescale_queries<Cfg::kRows * Cfg::kStride, Cfg::kThreads>(q_b, args.scale);
    }
  }

  Causal causal;
  causal.row[0] = warp_row0 + g;
  causal.row[1] = causal.row[0] + 8;
  causal.T = T;
  causal.window = args.window;
  WarpCells cells;
  cells.row0 = warp_row0;
  cells.cell_row[0] = warp_row0 / args.cell;
  cells.cell_row[1] = (warp_row0 + 8) / args.cell;
  cells.one_row = cells.cell_row[0] == (warp_row0 + 15) / args.cell;
  float lse2_a[2], lse2_b[2], lambda[2];  // lse in log2 units; rows past T read nothing
  PositivePart positive[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int i = causal.row[r];
    const bool inside = i < T;
    lse2_a[r] = inside ? args.lse[static_cast<size_t>(head_a) * T + i] * kLog2e : 0.0f;
    lse2_b[r] = kPaired && inside ? args.lse[static_cast<size_t>(head_b) * T + i] * kLog2e : 0.0f;
    lambda[r] = kPaired && inside ? args.lambda[static_cast<size_t>(pair) * T + i] : 0.0f;
  }
  unsigned* overview_a = args.overview + head_a * args.C * args.C;
  unsigned* overview_b = args.overview + head_b * args.C * args.C;
  unsigned* diff_keys = kPaired ? args.diff_keys + pair * args.C * args.C : nullptr;

  const int key_tiles = (min(r0 + Cfg::kRows, T) - 1) / Cfg::kKeys + 1;
  const auto load_keys = [&](int kt, int buffer) {
    const int k0 = kt * Cfg::kKeys;
    start_loading_rows<DT, kMma, DP, Cfg::kStride, Cfg::kThreads>(k_a(buffer), args.k, kv_a, k0, Cfg::kKeys, T,
                                                                  args.d, args.vec);
    if (kPaired && !shared_k)
      start_loading_rows<DT, kMma, DP, Cfg::kStride, Cfg::kThreads>(k_b(buffer), args.k, kv_b, k0, Cfg::kKeys, T,
                                                                    args.d, args.vec);
  };
  const auto scan_keys = [&](int kt, int buffer) {
    const int k0 = kt * Cfg::kKeys;
    causal.kb = k0 + 2 * c;
    causal.full = full_tile(k0, Cfg::kKeys, r0, Cfg::kRows, T, args.window);

    float s_a[NT][4], s_b[NT][4];
    tile_scores<DT, kMma, DP, NT, Cfg::kStride>(q_a + warp * 16 * Cfg::kStride, k_a(buffer), s_a, g, c, args.d,
                                               args.scale, args.q_prescaled, args.softcap);
    if constexpr (kPaired)
      tile_scores<DT, kMma, DP, NT, Cfg::kStride>(q_b + warp * 16 * Cfg::kStride, shared_k ? k_a(buffer) : k_b(buffer),
                                                 s_b, g, c, args.d, args.scale, args.q_prescaled, args.softcap);
    if (causal.full)
      pairs_tile<NT, kPaired, true>(s_a, s_b, causal, args, cells, k0, lane, c, lse2_a, lse2_b, lambda, positive,
                                    overview_a, overview_b, diff_keys);
    else
      pairs_tile<NT, kPaired, false>(s_a, s_b, causal, args, cells, k0, lane, c, lse2_a, lse2_b, lambda, positive,
                                     overview_a, overview_b, diff_keys);
  };
  for_key_tiles<Cfg::kKeyBuffers>(first_key_tile(r0, args.window, Cfg::kKeys), key_tiles, load_keys, scan_keys);

  if constexpr (kPaired) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      PositivePart& part = positive[r];
      for (int lane_xor = 1; lane_xor <= 2; lane_xor *= 2) {
        part.sum += __shfl_xor_sync(kFullMask, part.sum, lane_xor);
        part.xlog2x += __shfl_xor_sync(kFullMask, part.xlog2x, lane_xor);
        part.max = fmaxf(part.max, __shfl_xor_sync(kFullMask, part.max, lane_xor));
      }
      const int i = causal.row[r];
      if (c == 0 && i < T) {
        const size_t at = static_cast<size_t>(pair) * T + i;
        args.diff_entropy[at] = part.sum > 0.0f ? logf(part.sum) - part.xlog2x * kLn2 / part.sum : 0.0f;
        args.diff_max[at] = part.sum > 0.0f ? part.max / part.sum : 0.0f;
      }
    }
  }
}

// ---- host side ----

bool use_simt_for_16bit() {
  const char* value = std::getenv("DIFFSCOPE_SCAN_SIMT");
  return value != nullptr && std::strcmp(value, "") != 0 && std::strcmp(value, "0") != 0;
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

// Whether the kernels fold the scale into the bf16 Q tiles (prescale_queries): bf16 on tensor cores and a scale that
// is an exact power of two (1/sqrt(d) for d = 64 or 256; 1/sqrt(128) is not). DIFFSCOPE_SCAN_NO_PRESCALE=1 turns it
// off (the benchmark compares both).
bool prescale_queries_for(const AttentionScanInput& in) {
  const char* off = std::getenv("DIFFSCOPE_SCAN_NO_PRESCALE");
  if (off != nullptr && std::strcmp(off, "") != 0 && std::strcmp(off, "0") != 0) return false;
  int exponent = 0;
  return in.dtype == ScanDType::BF16 && !use_simt_for_16bit() && in.scale > 0.0f &&
         std::frexp(in.scale, &exponent) == 0.5f && exponent > -60 && exponent < 60;
}

bool vector_loads(const AttentionScanInput& in) {
  const int chunk = in.dtype == ScanDType::F32 ? 4 : 8;
  return in.d % chunk == 0 && aligned16(in.q) && aligned16(in.k);
}

template <class Kernel>
void prepare_kernel(Kernel kernel, size_t smem_bytes) {
  int device = 0, limit = 0;
  check_cuda(cudaGetDevice(&device), "cudaGetDevice");
  check_cuda(cudaDeviceGetAttribute(&limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
             "cudaDeviceGetAttribute(MaxSharedMemoryPerBlockOptin)");
  if (smem_bytes > static_cast<size_t>(limit))
    throw std::runtime_error("attention scan (CUDA): this head dimension needs " + std::to_string(smem_bytes) +
                             " bytes of shared memory per block; the device allows " + std::to_string(limit));
  check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem_bytes)),
             "cudaFuncSetAttribute(MaxDynamicSharedMemorySize)");
}

struct RowsLaunch {
  const RowsArgs& args;
  cudaStream_t stream;
  template <ScanDType DT, bool kMma, int DP, int WARPS, int NT>
  void run() const {
    using Cfg = Tile<DT, kMma, DP, WARPS, NT>;
    const size_t smem = Cfg::kQBytes + Cfg::kKeyBuffers * Cfg::kKBytes + sizeof(uint32_t) * kLogitBins;
    auto kernel = scan_rows_kernel<DT, kMma, DP, WARPS, NT>;
    prepare_kernel(kernel, smem);
    RowsArgs a = args;
    a.row_tiles = (a.T - a.first_row + Cfg::kRows - 1) / Cfg::kRows;
    kernel<<<dim3(a.row_tiles, a.H), Cfg::kThreads, smem, stream>>>(a);
    check_cuda(cudaGetLastError(), "scan_rows_kernel launch");
  }
};

struct PairsLaunch {
  const PairsArgs& args;
  bool paired;
  cudaStream_t stream;
  template <ScanDType DT, bool kMma, int DP, int WARPS, int NT>
  void run() const {
    using Cfg = Tile<DT, kMma, DP, WARPS, NT>;
    const size_t smem = (paired ? 2 : 1) * (Cfg::kQBytes + Cfg::kKeyBuffers * Cfg::kKBytes);
    PairsArgs a = args;
    a.row_tiles = (a.T - a.first_row + Cfg::kRows - 1) / Cfg::kRows;
    if (paired) {
      auto kernel = scan_pairs_kernel<DT, kMma, DP, WARPS, NT, true>;
      prepare_kernel(kernel, smem);
      const int pairs = (a.H) / 2;
      kernel<<<dim3(a.row_tiles, pairs), Cfg::kThreads, smem, stream>>>(a);
    } else {
      auto kernel = scan_pairs_kernel<DT, kMma, DP, WARPS, NT, false>;
      prepare_kernel(kernel, smem);
      kernel<<<dim3(a.row_tiles, a.H), Cfg::kThreads, smem, stream>>>(a);
    }
    check_cuda(cudaGetLastError(), "scan_pairs_kernel launch");
  }
};

// Padded head dimension and block shape per d. Float tiles of d = 256 take half the rows and keys so that the paired
// pass fits in an A100's 163 KB of shared memory.
template <ScanDType DT, bool kMma, class Launch>
void by_dimension(int d, const Launch& launch) {
  if (d <= 32) {
    launch.template run<DT, kMma, 32, 4, 8>();
  } else if (d <= 64) {
    launch.template run<DT, kMma, 64, 4, 8>();
  } else if (d <= 128) {
    launch.template run<DT, kMma, 128, 4, 8>();
  } else if constexpr (kMma) {
    launch.template run<DT, kMma, 256, 4, 8>();
  } else {
    launch.template run<DT, kMma, 256, 2, 4>();
  }
}

// What both passes' arguments take from the input alike.
template <class Args>
void set_common_args(Args& args, const AttentionScanInput& in) {
  args.q = in.q;
  args.k = in.k;
  args.H = in.H;
  args.T = in.T;
  args.d = in.d;
  args.group = in.H / in.KV;
  args.scale = in.scale;
  args.vec = vector_loads(in);
  args.first_row = in.first_row;
  args.window = in.window < in.T ? in.window : 0;  // a window of at least T masks nothing
  args.q_prescaled = prescale_queries_for(in);
  args.softcap = in.softcap;
}

RowsArgs rows_args(const AttentionScanInput& in, const ScanRowsOutput& out) {
  RowsArgs args{};
  set_common_args(args, in);
  args.histogram_chunk_rows = out.histogram_chunk_rows;
  args.lse = out.row_lse;
  args.entropy = out.row_entropy;
  args.max_p = out.row_max;
  args.distance = out.row_distance;
  args.sink = out.row_sink;
  args.abs_max = out.row_abs_max;
  args.histogram = out.logit_histogram;
  return args;
}

PairsArgs pairs_args(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out) {
  PairsArgs args{};
  set_common_args(args, in);
  args.cell = in.overview_cell;
  args.cell_inverse = 1.0f / static_cast<float>(in.overview_cell);
  args.C = overview_cells(in);
  args.a1_offset = in.a1_offset;
  args.a1_stride = in.a1_stride;
  args.a2_offset = in.a2_offset;
  args.a2_stride = in.a2_stride;
  args.lse = row_lse;
  args.lambda = in.lambda;
  args.overview = reinterpret_cast<unsigned*>(out.overview);
  args.diff_keys = reinterpret_cast<unsigned*>(out.diff_overview);
  args.diff_entropy = out.diff_entropy;
  args.diff_max = out.diff_max;
  return args;
}

// Pass 1 and pass 2's main kernel for one dtype and tile kind (instantiated by one variant file each).
template <ScanDType DT, bool kMma>
void launch_rows(const AttentionScanInput& in, const ScanRowsOutput& out, void* stream) {
  const RowsArgs args = rows_args(in, out);
  by_dimension<DT, kMma>(in.d, RowsLaunch{args, static_cast<cudaStream_t>(stream)});
}

template <ScanDType DT, bool kMma>
void launch_pairs(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out, void* stream) {
  const PairsArgs args = pairs_args(in, row_lse, out);
  by_dimension<DT, kMma>(in.d, PairsLaunch{args, in.num_pairs > 0, static_cast<cudaStream_t>(stream)});
}

}  // namespace
}  // namespace diffscope
