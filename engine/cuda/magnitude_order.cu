// magnitude_order.h on the GPU: each block counts |x|'s 2^15 patterns in shared memory and adds its non-zero counts
// to a global count; then one block turns the counts into running sums and picks the three ranks. Called by the
// thread that owns the model (or a test).
#include "magnitude_order.h"

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace diffscope {
namespace {

constexpr int kCountThreads = 512;
constexpr int kSelectThreads = 1024;
constexpr int kPatternsPerThread = kMagnitudePatterns / kSelectThreads;  // 32 consecutive patterns per thread
constexpr size_t kCountSharedBytes = kMagnitudePatterns * sizeof(unsigned);  // 128 KiB: one block per SM

void check_cuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string("magnitude order statistics (CUDA): ") + what + ": " +
                             cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
  }
}

// Per-block 32-bit counters: a block reads at most n / gridDim.x + blockDim.x values, far below 2^32.
__global__ void __launch_bounds__(kCountThreads) count_patterns(const uint16_t* values, long long n,
                                                                unsigned long long* counts) {
  extern __shared__ unsigned block_counts[];
  for (int b = threadIdx.x; b < kMagnitudePatterns; b += blockDim.x) block_counts[b] = 0;
  __syncthreads();
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    atomicAdd(block_counts + (values[i] & 0x7FFF), 1u);
  }
  __syncthreads();
  for (int b = threadIdx.x; b < kMagnitudePatterns; b += blockDim.x) {
    if (block_counts[b] != 0) atomicAdd(counts + b, static_cast<unsigned long long>(block_counts[b]));
  }
}

__device__ double pattern_value(unsigned bits, Half16 type) {
  if (type == Half16::BF16) return __uint_as_float(bits << 16);
  return __half2float(__ushort_as_half(static_cast<unsigned short>(bits)));
}

// One block: thread t sums patterns [32 t, 32 t + 32), a block-wide scan gives each thread the count below its
// patterns, and the thread whose patterns hold a rank writes that pattern's value.
__global__ void __launch_bounds__(kSelectThreads) select_ranks(const unsigned long long* counts, unsigned long long n,
                                                               Half16 type, double* figures) {
  __shared__ unsigned long long sums[kSelectThreads];
  const int t = threadIdx.x;
  const unsigned long long* mine = counts + t * kPatternsPerThread;
  unsigned long long local = 0;
  for (int k = 0; k < kPatternsPerThread; ++k) local += mine[k];
  sums[t] = local;
  __syncthreads();
  for (int offset = 1; offset < kSelectThreads; offset <<= 1) {  // inclusive scan
    const unsigned long long add = t >= offset ? sums[t - offset] : 0;
    __syncthreads();
    sums[t] += add;
    __syncthreads();
  }
  unsigned long long below = sums[t] - local;
  const unsigned long long ranks[3] = {n - 1, n - (n < 10 ? n : 10), (n - 1) / 2};
  for (int k = 0; k < kPatternsPerThread; ++k) {
    const unsigned long long c = mine[k];
    for (int r = 0; r < 3; ++r) {
      if (ranks[r] >= below && ranks[r] < below + c) figures[r] = pattern_value(t * kPatternsPerThread + k, type);
    }
    below += c;
  }
}

}  // namespace

void magnitude_count_cuda(const uint16_t* values, int64_t n, unsigned long long* counts, void* stream) {
  if (n < 1) return;
  const cudaStream_t s = static_cast<cudaStream_t>(stream);
  int device = 0, sms = 0;
  check_cuda(cudaGetDevice(&device), "cudaGetDevice");
  check_cuda(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute");
  check_cuda(cudaFuncSetAttribute(count_patterns, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(kCountSharedBytes)),
             "cudaFuncSetAttribute(MaxDynamicSharedMemorySize)");
  const long long blocks = std::min<long long>(sms, (n + kCountThreads - 1) / kCountThreads);
  count_patterns<<<static_cast<unsigned>(blocks), kCountThreads, kCountSharedBytes, s>>>(values, n, counts);
  check_cuda(cudaGetLastError(), "count_patterns launch");
}

void magnitude_select_cuda(const unsigned long long* counts, int64_t n, Half16 type, double* figures, void* stream) {
  if (n < 1) throw std::invalid_argument("magnitude order statistics: no values");
  select_ranks<<<1, kSelectThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      counts, static_cast<unsigned long long>(n), type, figures);
  check_cuda(cudaGetLastError(), "select_ranks launch");
}

void magnitude_order_cuda(const uint16_t* values, int64_t n, Half16 type, unsigned long long* scratch,
                          double* figures, void* stream) {
  if (n < 1) throw std::invalid_argument("magnitude order statistics: no values");
  check_cuda(cudaMemsetAsync(scratch, 0, kMagnitudePatterns * sizeof(unsigned long long),
                             static_cast<cudaStream_t>(stream)),
             "cudaMemsetAsync");
  magnitude_count_cuda(values, n, scratch, stream);
  magnitude_select_cuda(scratch, n, type, figures, stream);
}

}  // namespace diffscope
