// Benchmark of the attention scan's CUDA kernels (engine/cuda/attention_scan.cu) on a Llama-3.2-1B-shaped layer
// (H = 32 sub-heads, KV = 8, d = 64), Diff V1 pairs and standard, bf16 and f32, T = 1K..32K; also a 1 GiB
// device-to-device copy as the bandwidth ceiling. Not a test: run by hand on a GPU machine. Main thread only.
//
//   bench_attention_scan [--min-t N] [--max-t N] [--runs N] [--dtype bf16|f32|all] [--mode diff|standard|all] [--simt]
//
// Each row: median over --runs (>= 5) timed runs, after two warm-ups, alternating between two input sets so that
// neither sits in L2 from the previous run. Times are CUDA events around each pass on one stream.
#include "attention_scan.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

using namespace diffscope;

namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

// Pseudo-random N(0, 1)-ish values (a sum of four hashed uniforms, rescaled), written in place in the dtype.
__device__ float hashed_normal(unsigned long long index, unsigned seed) {
  float sum = 0.0f;
  for (int n = 0; n < 4; ++n) {
    unsigned long long x = index * 4 + n + (static_cast<unsigned long long>(seed) << 40);
    x ^= x >> 33, x *= 0xff51afd7ed558ccdull, x ^= x >> 33, x *= 0xc4ceb9fe1a85ec53ull, x ^= x >> 33;
    sum += static_cast<float>(x >> 40) * (1.0f / 16777216.0f);
  }
  return (sum - 2.0f) * 1.7320508f;  // variance of a sum of 4 uniforms is 1/3
}

__global__ void fill_random(void* data, unsigned long long count, int bf16, unsigned seed) {
  for (unsigned long long i = blockIdx.x * 256ull + threadIdx.x; i < count; i += gridDim.x * 256ull) {
    const float v = hashed_normal(i, seed);
    if (bf16) {
      unsigned bits = __float_as_uint(v);
      bits += 0x7fffu + ((bits >> 16) & 1u);
      static_cast<unsigned short*>(data)[i] = static_cast<unsigned short>(bits >> 16);
    } else {
      static_cast<float*>(data)[i] = v;
    }
  }
}

__global__ void fill_value(float* data, unsigned long long count, float value) {
  for (unsigned long long i = blockIdx.x * 256ull + threadIdx.x; i < count; i += gridDim.x * 256ull) data[i] = value;
}

template <class T>
T* device_alloc(size_t count) {
  void* p = nullptr;
  check(cudaMalloc(&p, std::max<size_t>(count, 1) * sizeof(T)), "cudaMalloc");
  return static_cast<T*>(p);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

struct Options {
  int min_t = 1024, max_t = 32768, runs = 7;
  bool bf16 = true, f32 = true, diff = true, standard = true;
};

void bench_copy(int runs) {
  const size_t bytes = size_t(1) << 30;
  char* a = device_alloc<char>(bytes);
  char* b = device_alloc<char>(bytes);
  check(cudaMemset(a, 1, bytes), "cudaMemset");
  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "cudaEventCreate");
  check(cudaEventCreate(&stop), "cudaEventCreate");
  std::vector<double> ms;
  for (int r = 0; r < runs + 2; ++r) {
    check(cudaEventRecord(start), "cudaEventRecord");
    check(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice), "cudaMemcpyAsync");
    check(cudaEventRecord(stop), "cudaEventRecord");
    check(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float t = 0;
    check(cudaEventElapsedTime(&t, start, stop), "cudaEventElapsedTime");
    if (r >= 2) ms.push_back(t);
  }
  const double t = median(ms);
  std::printf("cudaMemcpy device-to-device, 1 GiB: %.3f ms median, %.0f GB/s counting bytes read + written\n", t,
              2.0 * bytes / (t * 1e-3) / 1e9);
  cudaFree(a), cudaFree(b);
  cudaEventDestroy(start), cudaEventDestroy(stop);
}

void bench_layer(ScanDType dtype, bool diff, int T, int runs) {
  const int H = 32, KV = 8, d = 64, pairs = diff ? H / 2 : 0;
  const size_t element = dtype == ScanDType::F32 ? 4 : 2;
  const size_t nq = size_t(H) * T * d, nk = size_t(KV) * T * d;
  void* q[2];
  void* k[2];
  for (int set = 0; set < 2; ++set) {
    q[set] = device_alloc<char>(nq * element);
    k[set] = device_alloc<char>(nk * element);
    fill_random<<<1024, 256>>>(q[set], nq, dtype != ScanDType::F32, 2 * set + 1);
    fill_random<<<1024, 256>>>(k[set], nk, dtype != ScanDType::F32, 2 * set + 2);
  }
  float* lambda = device_alloc<float>(size_t(std::max(pairs, 1)) * T);
  fill_value<<<256, 256>>>(lambda, size_t(std::max(pairs, 1)) * T, 0.5f);
  check(cudaGetLastError(), "fill launch");

  const int cell = (T + 255) / 256;  // the engine's default overview: at most 256 cells a side
  const size_t C = (T + cell - 1) / cell;
  const size_t rows = size_t(H) * T;
  float* row_out = device_alloc<float>(6 * rows);
  unsigned long long* histogram = device_alloc<unsigned long long>(kLogitBins);
  float* overview = device_alloc<float>(H * C * C);
  float* diff_overview = device_alloc<float>(std::max(pairs, 1) * C * C);
  float* diff_rows = device_alloc<float>(2 * size_t(std::max(pairs, 1)) * T);

  AttentionScanInput in;
  in.dtype = dtype;
  in.H = H, in.KV = KV, in.T = T, in.d = d;
  in.scale = 0.125f;
  in.num_pairs = pairs;
  in.a1_offset = 0, in.a1_stride = 1, in.a2_offset = H / 2, in.a2_stride = 1;
  in.lambda = diff ? lambda : nullptr;
  in.overview_cell = cell;
  ScanRowsOutput r{row_out, row_out + rows, row_out + 2 * rows, row_out + 3 * rows, row_out + 4 * rows,
                   row_out + 5 * rows, histogram};
  ScanPairsOutput p;
  p.overview = overview;
  p.diff_overview = diff ? diff_overview : nullptr;
  p.diff_entropy = diff ? diff_rows : nullptr;
  p.diff_max = diff ? diff_rows + size_t(pairs) * T : nullptr;

  cudaEvent_t e0, e1, e2;
  check(cudaEventCreate(&e0), "cudaEventCreate");
  check(cudaEventCreate(&e1), "cudaEventCreate");
  check(cudaEventCreate(&e2), "cudaEventCreate");
  std::vector<double> pass1, pass2, total;
  for (int run = 0; run < runs + 2; ++run) {
    const int set = run % 2;
    in.q = q[set], in.k = k[set];
    check(cudaMemsetAsync(histogram, 0, kLogitBins * sizeof(unsigned long long)), "cudaMemsetAsync");
    check(cudaEventRecord(e0), "cudaEventRecord");
    attention_scan_rows_cuda(in, r, nullptr);
    check(cudaEventRecord(e1), "cudaEventRecord");
    attention_scan_pairs_cuda(in, r.row_lse, p, nullptr);
    check(cudaEventRecord(e2), "cudaEventRecord");
    check(cudaEventSynchronize(e2), "cudaEventSynchronize");
    float t1 = 0, t2 = 0;
    check(cudaEventElapsedTime(&t1, e0, e1), "cudaEventElapsedTime");
    check(cudaEventElapsedTime(&t2, e1, e2), "cudaEventElapsedTime");
    if (run >= 2) pass1.push_back(t1), pass2.push_back(t2), total.push_back(t1 + t2);
  }
  const double entries = double(H) * T * (T + 1) / 2;  // causal entries of every sub-head
  const double t1 = median(pass1), t2 = median(pass2), t = median(total);
  std::printf("%-5s %-8s %6d %5d %10.3f %10.3f %10.3f %12.3g %12.3g %12.3g\n",
              dtype == ScanDType::F32 ? "f32" : "bf16", diff ? "diff-v1" : "standard", T, cell, t1, t2, t,
              entries / (t1 * 1e-3), entries / (t2 * 1e-3), entries / (t * 1e-3));
  std::fflush(stdout);

  for (int set = 0; set < 2; ++set) cudaFree(q[set]), cudaFree(k[set]);
  for (void* ptr : {static_cast<void*>(lambda), static_cast<void*>(row_out), static_cast<void*>(histogram),
                    static_cast<void*>(overview), static_cast<void*>(diff_overview), static_cast<void*>(diff_rows)})
    cudaFree(ptr);
  cudaEventDestroy(e0), cudaEventDestroy(e1), cudaEventDestroy(e2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--min-t") o.min_t = std::stoi(value());
    else if (a == "--max-t") o.max_t = std::stoi(value());
    else if (a == "--runs") o.runs = std::max(5, std::stoi(value()));
    else if (a == "--dtype") {
      const std::string v = value();
      o.bf16 = v == "bf16" || v == "all", o.f32 = v == "f32" || v == "all";
    } else if (a == "--mode") {
      const std::string v = value();
      o.diff = v == "diff" || v == "all", o.standard = v == "standard" || v == "all";
    } else if (a == "--simt") {
      setenv("DIFFSCOPE_SCAN_SIMT", "1", 1);  // bf16 through the v1 SIMT kernels
    } else {
      std::printf("usage: %s [--min-t N] [--max-t N] [--runs N>=5] [--dtype bf16|f32|all] [--mode diff|standard|all] "
                  "[--simt]\n", argv[0]);
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  try {
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    std::printf("# %s, %d SMs; H=32 KV=8 d=64; kernels: %s\n", prop.name, prop.multiProcessorCount,
                std::getenv("DIFFSCOPE_SCAN_SIMT") ? "SIMT (v1) for every dtype" : "bf16 tensor cores (v2), f32 SIMT");
    bench_copy(o.runs);
    std::printf("%-5s %-8s %6s %5s %10s %10s %10s %12s %12s %12s\n", "dtype", "model", "T", "cell", "pass1 ms",
                "pass2 ms", "total ms", "p1 entries/s", "p2 entries/s", "entries/s");
    for (ScanDType dtype : {ScanDType::BF16, ScanDType::F32}) {
      if ((dtype == ScanDType::BF16 && !o.bf16) || (dtype == ScanDType::F32 && !o.f32)) continue;
      for (bool diff : {true, false}) {
        if ((diff && !o.diff) || (!diff && !o.standard)) continue;
        for (int T = 1024; T <= 32768; T *= 2)
          if (T >= o.min_t && T <= o.max_t) bench_layer(dtype, diff, T, o.runs);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_attention_scan: %s\n", e.what());
    return 1;
  }
  return 0;
}
