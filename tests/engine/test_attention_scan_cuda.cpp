// Tests of the attention scan's CUDA kernels (engine/cuda/attention_scan.cu) against the host twin
// (engine/attention_scan_host.cpp) on random inputs, every output poisoned with NaN first. Needs a GPU: label cuda.
// Main thread only.
#include <catch2/catch.hpp>

#include "attention_scan.h"
#include "cuda_require.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace diffscope;

namespace {

// A device array filled with `fill` bytes (0xFF: every float is a NaN, so an element the kernel skips shows).
template <class T>
struct DeviceArray {
  T* ptr = nullptr;
  size_t count = 0;
  explicit DeviceArray(size_t n, int fill = 0xFF) : count(n) {
    CUDA_REQUIRE(cudaMalloc(&ptr, std::max<size_t>(n, 1) * sizeof(T)));
    CUDA_REQUIRE(cudaMemset(ptr, fill, std::max<size_t>(n, 1) * sizeof(T)));
  }
  ~DeviceArray() { cudaFree(ptr); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  void upload(const std::vector<T>& v) {
    REQUIRE(v.size() == count);
    CUDA_REQUIRE(cudaMemcpy(ptr, v.data(), count * sizeof(T), cudaMemcpyHostToDevice));
  }
  std::vector<T> download() const {
    std::vector<T> v(count);
    CUDA_REQUIRE(cudaMemcpy(v.data(), ptr, count * sizeof(T), cudaMemcpyDeviceToHost));
    return v;
  }
};

const char* dtype_name(ScanDType t) { return t == ScanDType::F32 ? "f32" : t == ScanDType::BF16 ? "bf16" : "f16"; }

struct Case {
  ScanDType dtype = ScanDType::F32;
  int H = 4, KV = 2, T = 7, d = 64;
  int num_pairs = 0, a1_offset = 0, a1_stride = 1, a2_offset = 0, a2_stride = 1;
  int cell = 1;
  float q_scale = 1.0f;  // q ~ N(0, q_scale^2): 3 gives peaked rows and logits up to ~20
  int window = 0;        // sliding window W (0: none): row i sees keys i - W < j <= i
  float softcap = 0;     // Gemma 2's soft cap c (0: none): scores c tanh(s / c)
  std::string name() const {
    std::ostringstream out;
    out << dtype_name(dtype) << " H=" << H << " KV=" << KV << " T=" << T << " d=" << d << " pairs=" << num_pairs
        << " (" << a1_offset << "," << a1_stride << "," << a2_offset << "," << a2_stride << ") cell=" << cell
        << " q_scale=" << q_scale << " window=" << window << " softcap=" << softcap;
    return out.str();
  }
};

enum class Mode { Standard, V1, V2 };

Case make_case(ScanDType dtype, Mode mode, int H, int KV, int T, int d, int cell, float q_scale) {
  Case c;
  c.dtype = dtype, c.H = H, c.KV = KV, c.T = T, c.d = d, c.cell = cell, c.q_scale = q_scale;
  if (mode == Mode::V1) c.num_pairs = H / 2, c.a1_offset = 0, c.a1_stride = 1, c.a2_offset = H / 2, c.a2_stride = 1;
  if (mode == Mode::V2) c.num_pairs = H / 2, c.a1_offset = 0, c.a1_stride = 2, c.a2_offset = 1, c.a2_stride = 2;
  return c;
}

uint16_t encode16(ScanDType dtype, float v) {
  if (dtype == ScanDType::BF16) return __bfloat16_as_ushort(__float2bfloat16_rn(v));
  return __half_as_ushort(__float2half_rn(v));
}

struct HostInputs {
  std::vector<float> q32, k32, lambda;
  std::vector<uint16_t> q16, k16;
  AttentionScanInput in;  // host pointers
};

HostInputs make_inputs(const Case& c, uint32_t seed, bool zero_q = false, float lambda_value = -1) {
  HostInputs x;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(0.2f, 0.9f);
  const size_t nq = static_cast<size_t>(c.H) * c.T * c.d, nk = static_cast<size_t>(c.KV) * c.T * c.d;
  if (c.dtype == ScanDType::F32) {
    for (size_t i = 0; i < nq; ++i) x.q32.push_back(zero_q ? 0.0f : c.q_scale * normal(rng));
    for (size_t i = 0; i < nk; ++i) x.k32.push_back(normal(rng));
  } else {
    for (size_t i = 0; i < nq; ++i) x.q16.push_back(encode16(c.dtype, zero_q ? 0.0f : c.q_scale * normal(rng)));
    for (size_t i = 0; i < nk; ++i) x.k16.push_back(encode16(c.dtype, normal(rng)));
  }
  for (size_t i = 0; i < static_cast<size_t>(c.num_pairs) * c.T; ++i)
    x.lambda.push_back(lambda_value >= 0 ? lambda_value : uniform(rng));
  AttentionScanInput& in = x.in;
  in.q = c.dtype == ScanDType::F32 ? static_cast<const void*>(x.q32.data()) : x.q16.data();
  in.k = c.dtype == ScanDType::F32 ? static_cast<const void*>(x.k32.data()) : x.k16.data();
  in.dtype = c.dtype;
  in.H = c.H, in.KV = c.KV, in.T = c.T, in.d = c.d;
  in.scale = 1.0f / std::sqrt(static_cast<float>(c.d));
  in.num_pairs = c.num_pairs;
  in.a1_offset = c.a1_offset, in.a1_stride = c.a1_stride, in.a2_offset = c.a2_offset, in.a2_stride = c.a2_stride;
  in.lambda = x.lambda.empty() ? nullptr : x.lambda.data();
  in.overview_cell = c.cell;
  in.window = c.window;
  in.softcap = c.softcap;
  return x;
}

struct Results {
  std::vector<float> lse, entropy, max_p, distance, sink, abs_max;
  std::vector<unsigned long long> histogram;
  std::vector<float> overview, diff_overview, diff_entropy, diff_max;
};

size_t cells(const Case& c) {
  const size_t C = (static_cast<size_t>(c.T) + c.cell - 1) / c.cell;
  return C * C;
}

// Incremental runs: rows [first_row, T) only (AttentionScanInput::first_row), and the histogram in chunks of `chunk`
// rows (ScanRowsOutput::histogram_chunk_rows; 0: one histogram). The default is the whole scan.
struct ScanOptions {
  int first_row = 0;
  int chunk = 0;
  bool whole() const { return first_row == 0 && chunk == 0; }
};

size_t histogram_size(const Case& c, const ScanOptions& opt) {
  return opt.chunk > 0 ? (static_cast<size_t>(c.T) + opt.chunk - 1) / opt.chunk * kLogitBins : kLogitBins;
}

// The histogram chunks before first_row's, which a scan must leave as they were (0 without chunks).
size_t untouched_chunks(const ScanOptions& opt) { return opt.chunk > 0 ? opt.first_row / opt.chunk : 0; }

// Query rows and lambda before first_row become NaN: the kernels must not read them (nor does the twin).
void poison_rows_before(const Case& c, HostInputs& x, int first_row) {
  const size_t before = static_cast<size_t>(first_row) * c.d;
  for (int h = 0; h < c.H; ++h)
    for (size_t e = 0; e < before; ++e) {
      const size_t at = static_cast<size_t>(h) * c.T * c.d + e;
      if (c.dtype == ScanDType::F32) x.q32[at] = NAN;
      else x.q16[at] = 0xffff;  // NaN in bf16 and in f16
    }
  for (int p = 0; p < c.num_pairs; ++p)
    for (int i = 0; i < first_row; ++i) x.lambda[static_cast<size_t>(p) * c.T + i] = NAN;
}

Results run_twin(const Case& c, const HostInputs& x, const ScanOptions& opt = {}) {
  Results r;
  AttentionScanInput in = x.in;
  in.first_row = opt.first_row;
  const size_t rows = static_cast<size_t>(c.H) * c.T;
  for (auto* v : {&r.lse, &r.entropy, &r.max_p, &r.distance, &r.sink, &r.abs_max}) v->assign(rows, NAN);
  r.histogram.assign(histogram_size(c, opt), 0);
  std::fill(r.histogram.begin(), r.histogram.begin() + untouched_chunks(opt) * kLogitBins, ~0ull);
  ScanRowsOutput rows_out{r.lse.data(), r.entropy.data(), r.max_p.data(), r.distance.data(), r.sink.data(),
                          r.abs_max.data(), r.histogram.data()};
  rows_out.histogram_chunk_rows = opt.chunk;
  attention_scan_rows_host(in, rows_out);
  r.overview.assign(c.H * cells(c), NAN);
  r.diff_overview.assign(c.num_pairs * cells(c), NAN);
  r.diff_entropy.assign(static_cast<size_t>(c.num_pairs) * c.T, NAN);
  r.diff_max.assign(static_cast<size_t>(c.num_pairs) * c.T, NAN);
  ScanPairsOutput p;
  p.overview = r.overview.data();
  p.diff_overview = r.diff_overview.data();
  p.diff_entropy = r.diff_entropy.data();
  p.diff_max = r.diff_max.data();
  attention_scan_pairs_host(in, r.lse.data(), p);
  return r;
}

// The poison of an incremental run's float outputs: a NaN (an element the scan should write and does not shows), with
// a payload no result has, and unlike 0xFF bytes changed by diff_overview's decoding (a rotation by one bit), so
// that decoding a cell row the scan must leave alone shows too.
constexpr uint32_t kIncrementalPoisonBits = 0x7fc0deadu;

void poison_incremental(DeviceArray<float>& a) {
  if (a.count == 0) return;
  float poison;
  std::memcpy(&poison, &kIncrementalPoisonBits, sizeof poison);
  a.upload(std::vector<float>(a.count, poison));
}

// Runs both kernels on device copies of the inputs; pass 2 reads `lse_for_pass2` (the twin's, so that pass 2 is
// compared on the same lse). `opt`: an incremental run: the float outputs start as kIncrementalPoisonBits instead of
// 0xFF bytes, the histogram chunks the scan counts zeroed and those before poisoned (0xFF bytes).
Results run_kernels(const Case& c, const HostInputs& x, const std::vector<float>& lse_for_pass2,
                    cudaStream_t stream = nullptr, const ScanOptions& opt = {}) {
  const size_t rows = static_cast<size_t>(c.H) * c.T;
  const bool f32 = c.dtype == ScanDType::F32;
  DeviceArray<float> q32(f32 ? x.q32.size() : 0), k32(f32 ? x.k32.size() : 0), lambda(x.lambda.size());
  DeviceArray<uint16_t> q16(f32 ? 0 : x.q16.size()), k16(f32 ? 0 : x.k16.size());
  if (f32) q32.upload(x.q32), k32.upload(x.k32);
  else q16.upload(x.q16), k16.upload(x.k16);
  if (!x.lambda.empty()) lambda.upload(x.lambda);
  AttentionScanInput in = x.in;
  in.q = f32 ? static_cast<const void*>(q32.ptr) : q16.ptr;
  in.k = f32 ? static_cast<const void*>(k32.ptr) : k16.ptr;
  in.lambda = c.num_pairs ? lambda.ptr : nullptr;
  in.first_row = opt.first_row;

  DeviceArray<float> lse(rows), entropy(rows), max_p(rows), distance(rows), sink(rows), abs_max(rows);
  if (!opt.whole())
    for (DeviceArray<float>* a : {&lse, &entropy, &max_p, &distance, &sink, &abs_max}) poison_incremental(*a);
  // Zeroed by the caller, as the interface says (with chunks: those of the scanned rows; the others poisoned).
  const size_t untouched_bins = untouched_chunks(opt) * kLogitBins;
  DeviceArray<unsigned long long> histogram(histogram_size(c, opt), untouched_bins > 0 ? 0xFF : 0);
  if (untouched_bins > 0)
    CUDA_REQUIRE(cudaMemset(histogram.ptr + untouched_bins, 0,
                            (histogram.count - untouched_bins) * sizeof(unsigned long long)));
  ScanRowsOutput rows_out{lse.ptr, entropy.ptr, max_p.ptr, distance.ptr, sink.ptr, abs_max.ptr, histogram.ptr};
  rows_out.histogram_chunk_rows = opt.chunk;
  attention_scan_rows_cuda(in, rows_out, stream);
  CUDA_REQUIRE(cudaStreamSynchronize(stream));

  DeviceArray<float> lse2(rows);
  lse2.upload(lse_for_pass2);
  DeviceArray<float> overview(c.H * cells(c)), diff_overview(c.num_pairs * cells(c));
  DeviceArray<float> diff_entropy(static_cast<size_t>(c.num_pairs) * c.T), diff_max(static_cast<size_t>(c.num_pairs) * c.T);
  if (!opt.whole())
    for (DeviceArray<float>* a : {&overview, &diff_overview, &diff_entropy, &diff_max}) poison_incremental(*a);
  ScanPairsOutput p;
  p.overview = overview.ptr;
  p.diff_overview = c.num_pairs ? diff_overview.ptr : nullptr;
  p.diff_entropy = c.num_pairs ? diff_entropy.ptr : nullptr;
  p.diff_max = c.num_pairs ? diff_max.ptr : nullptr;
  attention_scan_pairs_cuda(in, lse2.ptr, p, stream);
  CUDA_REQUIRE(cudaStreamSynchronize(stream));
  CUDA_REQUIRE(cudaGetLastError());

  Results r;
  r.lse = lse.download(), r.entropy = entropy.download(), r.max_p = max_p.download();
  r.distance = distance.download(), r.sink = sink.download(), r.abs_max = abs_max.download();
  r.histogram = histogram.download();
  r.overview = overview.download();
  if (c.num_pairs) {
    r.diff_overview = diff_overview.download();
    r.diff_entropy = diff_entropy.download(), r.diff_max = diff_max.download();
  }
  return r;
}

// ---- comparisons ----
// Each returns "" when it holds, else a description of the first failure (Catch prints it).

// |got - want| <= bound(i) for every element, and every element is finite (a NaN is a poisoned, unwritten element).
std::string within(const char* what, const std::vector<float>& got, const std::vector<float>& want,
                   const std::function<double(size_t)>& bound) {
  if (got.size() != want.size()) return std::string(what) + ": sizes differ";
  for (size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i]) || !(std::fabs(static_cast<double>(got[i]) - want[i]) <= bound(i))) {
      std::ostringstream out;
      out << what << "[" << i << "] = " << got[i] << ", twin " << want[i] << ", bound " << bound(i);
      return out.str();
    }
  }
  return "";
}

std::function<double(size_t)> relative(const std::vector<float>& want, double rel, double abs) {
  return [&want, rel, abs](size_t i) { return rel * std::fabs(want[i]) + abs; };
}

// For 16-bit tensor-core scores: every element within `loose`, at most 1% (+2) outside `tight`, and the sum of the
// differences, apart from the two largest (the count's "+2"), within 1e-4 of the twin's sum. The two set aside matter
// where a few elements carry the whole sum and max pooling meets tied entries: with a window of 1 every entry of a
// diagonal overview cell is p_ii = 1, so the cell keeps the largest exp(ds_ii) of its rows and one upward flip of a
// diagonal score is never averaged away. At T = 300, cell 64 (20 nonzero cells of 100) one f16 ulp at |s| in [4, 8)
// moves the sum by exp(2^-8) - 1 = 3.9e-3, i.e. 2.0e-4 of it: f16 W=1 seed 3104 on the H200 had two such flips
// (3.9e-3 + 9.8e-4: mean 0.200049 against 0.2; replayed on the host under a model of the tensor cores' truncating
// accumulation, which flags no other case).
std::string mostly_within(const char* what, const std::vector<float>& got, const std::vector<float>& want,
                          const std::function<double(size_t)>& tight, const std::function<double(size_t)>& loose) {
  std::string failure = within(what, got, want, loose);
  if (!failure.empty()) return failure;
  size_t outside = 0;
  double sum_diff = 0, sum_want = 0, sum_abs = 0;
  double largest[2] = {0, 0};  // the two differences of largest magnitude, signed
  for (size_t i = 0; i < got.size(); ++i) {
    const double diff = static_cast<double>(got[i]) - want[i];
    if (std::fabs(diff) > tight(i)) ++outside;
    sum_diff += diff, sum_want += want[i], sum_abs += std::fabs(want[i]);
    if (std::fabs(diff) > std::fabs(largest[0])) largest[1] = largest[0], largest[0] = diff;
    else if (std::fabs(diff) > std::fabs(largest[1])) largest[1] = diff;
  }
  const double rest = sum_diff - largest[0] - largest[1];
  std::ostringstream out;
  if (outside > 2 + got.size() / 100) out << what << ": " << outside << " of " << got.size() << " outside the tight bound";
  else if (std::fabs(rest) > 1e-4 * sum_abs + 1e-6 * got.size())
    out << what << ": mean " << (sum_want + sum_diff) / got.size() << ", twin " << sum_want / got.size()
        << " (apart from the two largest differences: " << rest / got.size() << " per element)";
  return out.str();
}

// Histograms: the same total; with `allowed` > 0, entries may have moved to a neighbouring bin, so the running sums
// differ by at most the number of moves.
std::string histogram_matches(const std::vector<unsigned long long>& got, const std::vector<unsigned long long>& want,
                              long long allowed) {
  long long running = 0, worst = 0;
  for (size_t b = 0; b < want.size(); ++b) {
    running += static_cast<long long>(got[b]) - static_cast<long long>(want[b]);
    worst = std::max(worst, std::abs(running));
    if (allowed == 0 && got[b] != want[b]) {
      std::ostringstream out;
      out << "histogram bin " << b << ": " << got[b] << ", twin " << want[b];
      return out.str();
    }
  }
  std::ostringstream out;
  if (running != 0) out << "histogram totals differ by " << running;
  else if (worst > allowed) out << "histogram running sums differ by " << worst << " (allowed " << allowed << ")";
  return out.str();
}

enum class Kernel { Exact, TensorCores };  // Exact: f32, or 16-bit through the SIMT path (DIFFSCOPE_SCAN_SIMT=1)

struct SimtOverride {  // DIFFSCOPE_SCAN_SIMT=1 while it lives
  explicit SimtOverride(bool on) : on(on) {
    if (on) setenv("DIFFSCOPE_SCAN_SIMT", "1", 1);
  }
  ~SimtOverride() {
    if (on) unsetenv("DIFFSCOPE_SCAN_SIMT");
  }
  bool on;
};

// ---- incremental runs ----

uint32_t bits_of(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}

// "" when everything a scan from opt.first_row must leave alone still holds its poison (kIncrementalPoisonBits): rows
// before first_row of every (.., T) array, cell rows before first_row / cell of every overview plane, and the
// histogram chunks before first_row's.
std::string untouched(const Case& c, const Results& r, const ScanOptions& opt) {
  const size_t C = (static_cast<size_t>(c.T) + c.cell - 1) / c.cell;
  auto poisoned = [](const char* what, const std::vector<float>& v, size_t rows, size_t row_length,
                     size_t first) -> std::string {
    for (size_t at = 0; at < v.size(); ++at)
      if (at / row_length % rows < first && bits_of(v[at]) != kIncrementalPoisonBits) {
        std::ostringstream out;
        out << what << "[plane " << at / (row_length * rows) << ", row " << at / row_length % rows << ", element "
            << at % row_length << "] = " << v[at] << ": written before first_row";
        return out.str();
      }
    return "";
  };
  const size_t F = opt.first_row;
  using Named = std::pair<const char*, const std::vector<float>*>;
  const Named row_arrays[] = {{"lse", &r.lse},         {"entropy", &r.entropy},           {"max", &r.max_p},
                              {"distance", &r.distance}, {"sink", &r.sink},               {"abs_max", &r.abs_max},
                              {"diff_entropy", &r.diff_entropy}, {"diff_max", &r.diff_max}};
  for (const auto& [what, v] : row_arrays) {
    const std::string failure = poisoned(what, *v, c.T, 1, F);
    if (!failure.empty()) return failure;
  }
  const Named cell_arrays[] = {{"overview", &r.overview}, {"diff_overview", &r.diff_overview}};
  for (const auto& [what, v] : cell_arrays) {
    const std::string failure = poisoned(what, *v, C, C, F / c.cell);
    if (!failure.empty()) return failure;
  }
  for (size_t b = 0; b < untouched_chunks(opt) * kLogitBins; ++b)
    if (r.histogram[b] != ~0ull)
      return "histogram chunk " + std::to_string(b / kLogitBins) + " written before first_row";
  return "";
}

// What a scan from opt.first_row writes: the rows from first_row on of every (.., T) array, the cell rows from
// first_row / cell on of every overview plane, the histogram chunks from first_row's on.
Results scanned_part(const Case& c, const Results& r, const ScanOptions& opt) {
  const size_t C = (static_cast<size_t>(c.T) + c.cell - 1) / c.cell;
  auto part = [](const std::vector<float>& v, size_t rows, size_t row_length, size_t first) {
    std::vector<float> out;
    for (size_t at = 0; at < v.size(); ++at)
      if (at / row_length % rows >= first) out.push_back(v[at]);
    return out;
  };
  const size_t F = opt.first_row;
  Results p;
  p.lse = part(r.lse, c.T, 1, F), p.entropy = part(r.entropy, c.T, 1, F), p.max_p = part(r.max_p, c.T, 1, F);
  p.distance = part(r.distance, c.T, 1, F), p.sink = part(r.sink, c.T, 1, F), p.abs_max = part(r.abs_max, c.T, 1, F);
  p.diff_entropy = part(r.diff_entropy, c.T, 1, F), p.diff_max = part(r.diff_max, c.T, 1, F);
  p.overview = part(r.overview, C, C, F / c.cell), p.diff_overview = part(r.diff_overview, C, C, F / c.cell);
  p.histogram.assign(r.histogram.begin() + untouched_chunks(opt) * kLogitBins, r.histogram.end());
  return p;
}

// Histograms of kLogitBins each (one, or the chunks of a chunked histogram), one by one with histogram_matches;
// `exact`: bin for bin, else entries may move to a neighbouring bin (4 + 1 in 10000 of the chunk's entries).
std::string histogram_chunks_match(const std::vector<unsigned long long>& got,
                                   const std::vector<unsigned long long>& want, bool exact) {
  if (got.size() != want.size() || want.size() % kLogitBins != 0) return "histogram sizes differ";
  for (size_t k = 0; k < want.size() / kLogitBins; ++k) {
    const std::vector<unsigned long long> g(got.begin() + k * kLogitBins, got.begin() + (k + 1) * kLogitBins);
    const std::vector<unsigned long long> w(want.begin() + k * kLogitBins, want.begin() + (k + 1) * kLogitBins);
    long long entries = 0;
    for (unsigned long long n : w) entries += static_cast<long long>(n);
    const std::string failure = histogram_matches(g, w, exact ? 0 : 4 + entries / 10000);
    if (!failure.empty()) return want.size() == kLogitBins ? failure : "chunk " + std::to_string(k) + ": " + failure;
  }
  return "";
}

// The kernels against the twin (`twin_all`: run with the same options). An incremental run (`opt`) must leave the
// poison where it scans nothing; the scanned part is compared as a whole scan is.
void compare(const Case& c, const HostInputs& x, const Results& twin_all, Kernel kernel, const ScanOptions& opt = {}) {
  const bool exact = kernel == Kernel::Exact;
  INFO(c.name() << (exact ? " [exact scores: f32 or SIMT]" : " [tensor cores]") << " first_row=" << opt.first_row
                << " histogram_chunk_rows=" << opt.chunk);
  Results dev_all;
  {
    SimtOverride simt(exact && c.dtype != ScanDType::F32);
    dev_all = run_kernels(c, x, twin_all.lse, nullptr, opt);
  }
  Results twin_part, dev_part;
  if (!opt.whole()) {
    CHECK(untouched(c, dev_all, opt) == "");
    twin_part = scanned_part(c, twin_all, opt);
    dev_part = scanned_part(c, dev_all, opt);
  }
  const Results& twin = opt.whole() ? twin_all : twin_part;
  const Results& dev = opt.whole() ? dev_all : dev_part;
  const size_t rows = twin.lse.size();
  const auto& amax = twin.abs_max;

  if (exact) {
    // The same scores bit for bit: only the kernel's fast exp2/log2 and float sums differ from the twin's double sums.
    CHECK(within("lse", dev.lse, twin.lse, relative(twin.lse, 1e-5, 2e-6)) == "");
    CHECK(within("entropy", dev.entropy, twin.entropy, relative(twin.entropy, 1e-5, 2e-6)) == "");
    CHECK(within("max", dev.max_p, twin.max_p, relative(twin.max_p, 1e-5, 1e-7)) == "");
    CHECK(within("distance", dev.distance, twin.distance, relative(twin.distance, 1e-5, 1e-5)) == "");
    CHECK(within("sink", dev.sink, twin.sink, relative(twin.sink, 1e-5, 1e-9)) == "");
    CHECK(within("abs_max", dev.abs_max, twin.abs_max, relative(twin.abs_max, 0, 0)) == "");
    CHECK(histogram_chunks_match(dev.histogram, twin.histogram, true) == "");
    CHECK(within("overview", dev.overview, twin.overview, relative(twin.overview, 1e-5, 1e-12)) == "");
  } else {
    // Tensor cores add the d products in another order than the twin's fmaf chain, so now and then the float
    // accumulator falls on the other side of a 16-bit rounding: a score moves by one ulp of the dtype, and the
    // second rounding (after * scale) by at most one more, so |ds| <= 2 u |s| with u = 2^-7 (bf16) or 2^-10 (f16)
    // relative. Then every log p of row i moves by at most delta_i = 4 u amax_i (ds and d lse), and p by a factor
    // exp(delta_i) - 1: that is the loose bound below, which holds for every element. Rows without such a flip
    // (almost all: a flip needs the accumulator within ~1e-6 of a rounding midpoint) match as tightly as the exact
    // kernel; the tight bound (1e-4) must hold for 99% of the elements, and array sums within 1e-4 apart from the two
    // largest differences (mostly_within says why two).
    const double u = c.dtype == ScanDType::BF16 ? 1.0 / 128 : 1.0 / 1024;
    auto delta = [&](size_t i) { return 4 * u * amax[i]; };
    auto factor = [&](size_t i) { return std::expm1(delta(i)); };
    CHECK(mostly_within("lse", dev.lse, twin.lse, relative(twin.lse, 1e-4, 1e-6),
                        [&](size_t i) { return 2 * u * amax[i] + 1e-5 * std::fabs(twin.lse[i]) + 1e-6; }) == "");
    CHECK(mostly_within("entropy", dev.entropy, twin.entropy, relative(twin.entropy, 1e-4, 2e-6),
                        [&](size_t i) { return factor(i) * amax[i] + delta(i) + 1e-5 * twin.entropy[i] + 2e-6; }) == "");
    CHECK(mostly_within("max", dev.max_p, twin.max_p, relative(twin.max_p, 1e-4, 1e-7),
                        [&](size_t i) { return (factor(i) + 1e-5) * twin.max_p[i] + 1e-7; }) == "");
    CHECK(mostly_within("distance", dev.distance, twin.distance, relative(twin.distance, 1e-4, 1e-5),
                        [&](size_t i) { return (2 * factor(i) + 1e-5) * twin.distance[i] + 1e-5; }) == "");
    CHECK(mostly_within("sink", dev.sink, twin.sink, relative(twin.sink, 1e-4, 1e-9),
                        [&](size_t i) { return (factor(i) + 1e-5) * twin.sink[i] + 1e-9; }) == "");
    CHECK(mostly_within("abs_max", dev.abs_max, twin.abs_max, relative(twin.abs_max, 0, 0),
                        [&](size_t i) { return 2 * u * amax[i]; }) == "");
    // Each moved score changes bin at most once (a bin is 1/64 octave, an ulp at most 1/128).
    CHECK(histogram_chunks_match(dev.histogram, twin.histogram, false) == "");
    const double global_amax = rows ? *std::max_element(amax.begin(), amax.end()) : 0.0;
    const double global_factor = std::expm1(4 * u * global_amax);
    CHECK(mostly_within("overview", dev.overview, twin.overview, relative(twin.overview, 1e-4, 1e-12),
                        [&](size_t i) { return (global_factor + 1e-5) * twin.overview[i] + 1e-12; }) == "");
  }

  if (c.num_pairs > 0) {
    // D = p(a1) - lambda p(a2) may cancel: bound its error by that of p(a1) + lambda p(a2), which the cell's
    // overviews of a1 and a2 bound from above. (C2: the cells of a plane that the scan wrote.)
    const size_t C2 = twin.overview.size() / c.H;
    const double u = c.dtype == ScanDType::BF16 ? 1.0 / 128 : c.dtype == ScanDType::F16 ? 1.0 / 1024 : 0.0;
    const double global_amax = rows ? *std::max_element(amax.begin(), amax.end()) : 0.0;
    const double factor = exact ? 1e-5 : std::expm1(4 * u * global_amax) + 1e-5;
    auto diff_bound = [&](double rel) {
      return [&, rel](size_t at) {
        const size_t pair = at / C2, cell = at % C2;
        const size_t a1 = c.a1_offset + c.a1_stride * pair, a2 = c.a2_offset + c.a2_stride * pair;
        return rel * (twin.overview[a1 * C2 + cell] + 0.9 * twin.overview[a2 * C2 + cell]) + 1e-7;
      };
    };
    if (exact) {
      CHECK(within("diff_overview", dev.diff_overview, twin.diff_overview, diff_bound(factor)) == "");
      CHECK(within("diff_entropy", dev.diff_entropy, twin.diff_entropy, relative(twin.diff_entropy, 1e-5, 2e-5)) == "");
      CHECK(within("diff_max", dev.diff_max, twin.diff_max, relative(twin.diff_max, 1e-5, 1e-6)) == "");
    } else {
      // A cell keeps its entry of largest |D|; when two entries of opposite sign have |D| within the bound, a moved
      // score can make the other one win, so the loose bound holds for |D| (max |D| moves no more than the entries)
      // while the signed values must match tightly in 99% of the cells.
      auto magnitudes = [](const std::vector<float>& v) {
        std::vector<float> m(v.size());
        for (size_t i = 0; i < v.size(); ++i) m[i] = std::fabs(v[i]);
        return m;
      };
      const std::vector<float> dev_magnitude = magnitudes(dev.diff_overview);
      const std::vector<float> twin_magnitude = magnitudes(twin.diff_overview);
      CHECK(mostly_within("|diff_overview|", dev_magnitude, twin_magnitude, diff_bound(1e-4), diff_bound(factor)) == "");
      CHECK(mostly_within("diff_overview", dev.diff_overview, twin.diff_overview, diff_bound(1e-4),
                          [](size_t) { return 1.0; }) == "");
      // D+'s normalized statistics have no simple per-row bound (the positive part can gain or lose entries); the
      // loose bound only catches garbage, the tight count and the means do the work.
      CHECK(mostly_within("diff_entropy", dev.diff_entropy, twin.diff_entropy, relative(twin.diff_entropy, 1e-4, 2e-5),
                          relative(twin.diff_entropy, 0.1, 0.05)) == "");
      CHECK(mostly_within("diff_max", dev.diff_max, twin.diff_max, relative(twin.diff_max, 1e-4, 1e-6),
                          relative(twin.diff_max, 0.1, 0.01)) == "");
    }
  }
}

// `opt`: an incremental run, with the query rows and lambda before first_row poisoned (NaN) for both.
void check_case(const Case& c, uint32_t seed, bool tensor_cores_only = false, const ScanOptions& opt = {}) {
  HostInputs x = make_inputs(c, seed);
  if (opt.first_row > 0) poison_rows_before(c, x, opt.first_row);
  const Results twin = run_twin(c, x, opt);
  if (c.dtype == ScanDType::F32) {
    compare(c, x, twin, Kernel::Exact, opt);
  } else {
    if (!tensor_cores_only) compare(c, x, twin, Kernel::Exact, opt);
    compare(c, x, twin, Kernel::TensorCores, opt);
  }
}

bool have_gpu() {
  int devices = 0;
  return cudaGetDeviceCount(&devices) == cudaSuccess && devices > 0;
}

}  // namespace

TEST_CASE("CUDA attention scan matches the twin: small T, every d, mode, dtype and kernel", "[attention_scan][cuda]") {
  REQUIRE(have_gpu());
  // Cells cycle through every pooling path: 1, 3, 12 (per entry), 8, 16, 32 (fixed groups), 40 (8 x 8 groups), 64,
  // 128 (one cell).
  const int cell_cycle[] = {1, 3, 8, 12, 16, 32, 40, 64, 128};
  uint32_t seed = 1;
  int n = 0;
  for (int T : {1, 5, 63, 64, 65, 130})
    for (int d : {32, 64, 128})
      for (Mode mode : {Mode::Standard, Mode::V1, Mode::V2})
        for (ScanDType dtype : {ScanDType::F32, ScanDType::BF16, ScanDType::F16}) {
          const int cell = cell_cycle[n++ % 9];
          check_case(make_case(dtype, mode, 4, 2, T, d, cell, n % 3 == 0 ? 3.0f : 1.0f), seed++);
        }
}

TEST_CASE("CUDA attention scan matches the twin: T = 1000 and 3001", "[attention_scan][cuda]") {
  REQUIRE(have_gpu());
  uint32_t seed = 500;
  const int cells_1000[] = {1, 4, 8, 32, 64};
  int n = 0;
  for (int d : {32, 64, 128})
    for (Mode mode : {Mode::Standard, Mode::V1, Mode::V2})
      for (ScanDType dtype : {ScanDType::F32, ScanDType::BF16, ScanDType::F16}) {
        const int cell = cells_1000[n++ % 5];
        check_case(make_case(dtype, mode, 4, 2, 1000, d, cell, 1.0f), seed++, /*tensor_cores_only=*/d != 64);
      }
  // The engine's overview at 3001 tokens: cell = ceil(3001 / 256) = 12 (per entry); also 16 and 128.
  check_case(make_case(ScanDType::F32, Mode::Standard, 4, 2, 3001, 64, 12, 1.0f), seed++);
  check_case(make_case(ScanDType::BF16, Mode::V1, 4, 2, 3001, 64, 16, 1.0f), seed++);
  check_case(make_case(ScanDType::F16, Mode::V2, 4, 2, 3001, 64, 128, 3.0f), seed++, /*tensor_cores_only=*/true);
}

TEST_CASE("CUDA attention scan matches the twin: d = 256, odd d, GQA 4:1, one sub-head", "[attention_scan][cuda]") {
  REQUIRE(have_gpu());
  uint32_t seed = 900;
  for (int T : {130, 300})
    for (Mode mode : {Mode::Standard, Mode::V1, Mode::V2})
      for (ScanDType dtype : {ScanDType::F32, ScanDType::BF16, ScanDType::F16})
        check_case(make_case(dtype, mode, 4, 2, T, 256, T == 130 ? 16 : 5, 1.0f), seed++);
  // d not a multiple of 8 (16-bit) or 4 (f32): the scalar tile loads; d = 80 (padded to 128) with vector loads.
  for (int d : {50, 80, 8})
    for (ScanDType dtype : {ScanDType::F32, ScanDType::BF16})
      check_case(make_case(dtype, Mode::V1, 4, 2, 200, d, 7, 1.0f), seed++);
  for (Mode mode : {Mode::Standard, Mode::V1, Mode::V2})
    check_case(make_case(ScanDType::BF16, mode, 8, 2, 333, 64, 24, 1.0f), seed++);
  check_case(make_case(ScanDType::F32, Mode::Standard, 1, 1, 77, 64, 3, 1.0f), seed++);
}

// Sliding windows (the band i - W < j <= i): windows below, at and above the 64-row block and 64-key tile, not
// multiples of them, 1 (each row sees itself only) and T - 1; prompts of one block to several; every mode, dtype and
// kernel, and each pooling path (cells 1, 3, 8, 16, 32, 64). Their pass on the H200 (session 7) is what
// engine/layer_scan.h's kCudaScanBandVerified records.
TEST_CASE("CUDA attention scan matches the twin: sliding windows shorter than the prompt", "[attention_scan][cuda][window]") {
  REQUIRE(have_gpu());
  auto windowed = [](Case c, int window) {
    c.window = window;
    return c;
  };
  const int cell_cycle[] = {1, 3, 8, 16, 32, 64};
  uint32_t seed = 3000;
  int n = 0;
  for (int T : {65, 130, 300})
    for (int window : {1, 7, 63, 64, 65, 100, 129})
      for (Mode mode : {Mode::Standard, Mode::V1, Mode::V2})
        for (ScanDType dtype : {ScanDType::F32, ScanDType::BF16, ScanDType::F16}) {
          if (window >= T) continue;
          const int cell = cell_cycle[n++ % 6];
          check_case(windowed(make_case(dtype, mode, 4, 2, T, 64, cell, n % 3 == 0 ? 3.0f : 1.0f), window), seed++);
        }
  // Longer prompts and other head dims: Gemma 3's 512-token window over 1000 and 3001 tokens (cell 12 per entry).
  for (int d : {32, 128, 256})
    check_case(windowed(make_case(ScanDType::BF16, Mode::Standard, 4, 2, 1000, d, 4, 1.0f), 512), seed++,
               /*tensor_cores_only=*/true);
  check_case(windowed(make_case(ScanDType::F32, Mode::Standard, 4, 2, 1000, 64, 8, 1.0f), 200), seed++);
  check_case(windowed(make_case(ScanDType::BF16, Mode::V1, 4, 2, 3001, 64, 12, 1.0f), 512), seed++);
  check_case(windowed(make_case(ScanDType::F32, Mode::Standard, 8, 2, 3001, 64, 12, 3.0f), 1024), seed++);
  check_case(windowed(make_case(ScanDType::F32, Mode::Standard, 4, 2, 300, 50, 7, 1.0f), 33), seed++);  // scalar loads
}

// Gemma 2's soft cap: scores c tanh(s / c), each step rounded to the dtype as ATen does (the kernels' tanhf against
// the twin's std::tanh may differ by an ulp of float, which the 16-bit roundings mostly absorb; f32 compares at the
// twin's tolerance). Caps that saturate most scores (0.5), bite on the large ones (2, with q_scale 3: logits to ~20)
// and barely touch them (50). Their pass on a GPU is what engine/layer_scan.h's kCudaScanSoftcapVerified records.
TEST_CASE("CUDA attention scan matches the twin: soft-capped scores (Gemma 2)", "[attention_scan][cuda][softcap]") {
  REQUIRE(have_gpu());
  auto capped = [](Case c, float softcap, int window) {
    c.softcap = softcap;
    c.window = window;
    return c;
  };
  uint32_t seed = 4000;
  int n = 0;
  for (int T : {5, 65, 300})
    for (float softcap : {0.5f, 2.0f, 50.0f})
      for (Mode mode : {Mode::Standard, Mode::V1})
        for (ScanDType dtype : {ScanDType::F32, ScanDType::BF16, ScanDType::F16}) {
          const int cell = n % 2 == 0 ? 8 : 3;
          check_case(capped(make_case(dtype, mode, 4, 2, T, 64, cell, 3.0f), softcap, ++n % 4 == 0 ? 33 : 0),
                     seed++);
        }
}

TEST_CASE("CUDA attention scan: q = 0 in a window of 40 gives uniform rows over min(i + 1, 40) keys (hand-derived)",
          "[attention_scan][cuda][window]") {
  REQUIRE(have_gpu());
  Case c = make_case(ScanDType::F32, Mode::Standard, 2, 1, 200, 64, 16, 1.0f);
  c.window = 40;
  const HostInputs x = make_inputs(c, 8, /*zero_q=*/true);
  std::vector<float> lse(static_cast<size_t>(c.H) * c.T);
  for (int h = 0; h < c.H; ++h)
    for (int i = 0; i < c.T; ++i) lse[static_cast<size_t>(h) * c.T + i] = std::log(std::min(i + 1.0f, 40.0f));
  const Results r = run_kernels(c, x, lse);
  for (int h = 0; h < c.H; ++h)
    for (int i = 0; i < c.T; ++i) {
      INFO("head " << h << " row " << i);
      const double keys = std::min(i + 1, 40);
      const size_t at = static_cast<size_t>(h) * c.T + i;
      CHECK(r.lse[at] == Approx(std::log(keys)).epsilon(1e-5).margin(1e-6));
      CHECK(r.entropy[at] == Approx(std::log(keys)).epsilon(1e-5).margin(1e-6));
      CHECK(r.max_p[at] == Approx(1.0 / keys).epsilon(1e-5));
      CHECK(r.distance[at] == Approx((keys - 1) / 2.0).epsilon(1e-5).margin(1e-5));
      CHECK(r.sink[at] == Approx(i < 40 ? 1.0 / keys : 0.0).epsilon(1e-5).margin(1e-7));
    }
  // Every score is 0: bin 0 holds every entry inside the band, and no other bin holds any.
  const unsigned long long entries = 2ull * (40 * 41 / 2 + (200 - 40) * 40);
  CHECK(r.histogram[0] == entries);
  CHECK(std::accumulate(r.histogram.begin(), r.histogram.end(), 0ull) == entries);
  // Overview cells of 16: 1/40 wherever a row of the cell row sees a key of the cell column (rows >= 40 see 40
  // keys), else 0: cell row 12 (rows 192..199) sees keys 153..199, cell columns 9..12.
  const int C = 13;
  for (int h = 0; h < c.H; ++h)
    for (int col = 0; col < C; ++col) {
      INFO("head " << h << " cell (12, " << col << ")");
      const float got = r.overview[(static_cast<size_t>(h) * C + 12) * C + col];
      if (col < 9) CHECK(got == 0.0f);
      else CHECK(got == Approx(1.0 / 40).epsilon(1e-5));
    }
}

TEST_CASE("CUDA attention scan: q = 0 gives uniform rows (hand-derived), on a stream", "[attention_scan][cuda]") {
  REQUIRE(have_gpu());
  cudaStream_t stream = nullptr;
  CUDA_REQUIRE(cudaStreamCreate(&stream));
  for (ScanDType dtype : {ScanDType::F32, ScanDType::BF16})
    for (float lambda : {0.5f, 1.5f}) {
      const Case c = make_case(dtype, Mode::V1, 4, 2, 200, 64, 16, 1.0f);
      INFO(c.name() << " lambda " << lambda);
      const HostInputs x = make_inputs(c, 7, /*zero_q=*/true, lambda);
      std::vector<float> lse(static_cast<size_t>(c.H) * c.T);
      for (int h = 0; h < c.H; ++h)
        for (int i = 0; i < c.T; ++i) lse[static_cast<size_t>(h) * c.T + i] = std::log(i + 1.0f);
      const Results r = run_kernels(c, x, lse, stream);
      const int T = c.T, C = (T + 15) / 16;
      for (int h = 0; h < c.H; ++h)
        for (int i = 0; i < T; ++i) {
          const size_t at = static_cast<size_t>(h) * T + i;
          CHECK(r.lse[at] == Approx(std::log(i + 1.0)).epsilon(1e-5).margin(1e-6));
          CHECK(r.entropy[at] == Approx(std::log(i + 1.0)).epsilon(1e-5).margin(1e-6));
          CHECK(r.max_p[at] == Approx(1.0 / (i + 1)).epsilon(1e-5));
          CHECK(r.distance[at] == Approx(i / 2.0).epsilon(1e-5).margin(1e-5));
          CHECK(r.sink[at] == Approx(1.0 / (i + 1)).epsilon(1e-5));
          CHECK(r.abs_max[at] == 0.0f);
        }
      const unsigned long long entries = static_cast<unsigned long long>(c.H) * T * (T + 1) / 2;
      // Every score is 0: bin 0 holds every causal entry, and no other bin holds any.
      CHECK(r.histogram[0] == entries);
      CHECK(std::accumulate(r.histogram.begin(), r.histogram.end(), 0ull) == entries);
      for (int h = 0; h < c.H; ++h)
        for (int row = 0; row < C; ++row)
          for (int col = 0; col < C; ++col) {
            const float got = r.overview[(static_cast<size_t>(h) * C + row) * C + col];
            const int first_row = std::max(row, col) * 16;
            if (col > row) CHECK(got == 0.0f);
            else CHECK(got == Approx(1.0 / (first_row + 1)).epsilon(1e-5));
          }
      for (int p = 0; p < c.num_pairs; ++p) {
        for (int i = 0; i < T; ++i) {
          const size_t at = static_cast<size_t>(p) * T + i;
          CHECK(r.diff_entropy[at] == Approx(lambda < 1 ? std::log(i + 1.0) : 0.0).epsilon(1e-5).margin(2e-5));
          CHECK(r.diff_max[at] == Approx(lambda < 1 ? 1.0 / (i + 1) : 0.0).epsilon(1e-5).margin(1e-7));
        }
        for (int row = 0; row < C; ++row)
          for (int col = 0; col < C; ++col) {
            const float got = r.diff_overview[(static_cast<size_t>(p) * C + row) * C + col];
            const int first_row = std::max(row, col) * 16;
            if (col > row) CHECK(got == 0.0f);
            else CHECK(got == Approx((1.0 - lambda) / (first_row + 1)).epsilon(1e-5));
          }
      }
    }
  CUDA_REQUIRE(cudaStreamDestroy(stream));
}

TEST_CASE("CUDA attention scan rejects bad inputs", "[attention_scan][cuda]") {
  REQUIRE(have_gpu());
  const Case c = make_case(ScanDType::F32, Mode::V1, 4, 2, 300, 64, 8, 1.0f);
  const HostInputs x = make_inputs(c, 42);
  // Pairs that leave a sub-head out are for the twin only; so are d > 256 and H not a multiple of KV.
  AttentionScanInput in = x.in;
  DeviceArray<float> rows(static_cast<size_t>(c.H) * c.T), cells(c.H * 64 * 64), pairs_rows(c.T * 2);
  DeviceArray<unsigned long long> histogram(1, 0);
  ScanPairsOutput p;
  p.overview = cells.ptr, p.diff_overview = cells.ptr, p.diff_entropy = pairs_rows.ptr, p.diff_max = pairs_rows.ptr;
  in.num_pairs = 1;
  CHECK_THROWS_AS(attention_scan_pairs_cuda(in, rows.ptr, p, nullptr), std::invalid_argument);
  in = x.in;
  in.d = 300;
  const ScanRowsOutput out{rows.ptr, rows.ptr, rows.ptr, rows.ptr, rows.ptr, rows.ptr, histogram.ptr};
  CHECK_THROWS_AS(attention_scan_rows_cuda(in, out, nullptr), std::invalid_argument);
}

// Incremental runs (docs/attention-scan.md, "Incremental runs"): first_row F scans rows [F, T) only, the histogram in
// chunks of rows. Against the twin with the same options on poisoned device buffers (kIncrementalPoisonBits; the
// histogram chunks before F's 0xFF bytes), with the query rows and lambda before F poisoned too (NaN); what the scan
// must leave alone must still hold the poison. Every pooling path (cells 3 and 12 per entry, 8/16/32 fixed groups,
// 40 the 8 x 8 groups, 64 and 128 one flush per tile), f32 and 16-bit through SIMT (d = 256 SIMT: blocks of 32 rows)
// and tensor cores, Diff and standard, windows, T up to 3001.
TEST_CASE("CUDA attention scan with first_row and chunked histograms matches the twin; rows before stay untouched",
          "[attention_scan][cuda][first_row]") {
  REQUIRE(have_gpu());
  struct Incremental {
    ScanDType dtype;
    Mode mode;
    int T, d, cell, window;
    ScanOptions opt;
    float q_scale;
  };
  const ScanDType F32 = ScanDType::F32, BF16 = ScanDType::BF16, F16 = ScanDType::F16;
  const Incremental cases[] = {
      {F32, Mode::Standard, 1000, 64, 8, 0, {64, 64}, 1.0f},
      {BF16, Mode::V1, 1000, 64, 16, 0, {128, 128}, 1.0f},
      {F16, Mode::V2, 1000, 64, 32, 0, {384, 128}, 3.0f},
      {BF16, Mode::Standard, 1000, 64, 64, 200, {512, 256}, 1.0f},
      {F32, Mode::V1, 1000, 64, 128, 100, {896, 128}, 1.0f},
      {BF16, Mode::V2, 1000, 128, 128, 0, {256, 0}, 1.0f},
      {BF16, Mode::V1, 1000, 32, 12, 0, {192, 64}, 1.0f},
      {F32, Mode::V2, 1000, 64, 3, 65, {192, 192}, 1.0f},
      {F32, Mode::Standard, 1000, 64, 40, 0, {640, 128}, 3.0f},
      {BF16, Mode::Standard, 1000, 64, 16, 0, {0, 64}, 1.0f},  // chunks alone
      {F32, Mode::V1, 300, 256, 8, 0, {128, 64}, 1.0f},        // SIMT d = 256: 32-row blocks
      {BF16, Mode::Standard, 300, 256, 16, 33, {64, 64}, 1.0f},
      {F16, Mode::V1, 130, 64, 64, 0, {64, 64}, 1.0f},         // one partial row tile left
      {BF16, Mode::V1, 3001, 64, 16, 0, {2048, 512}, 1.0f},
      {F32, Mode::Standard, 3001, 64, 64, 0, {1024, 0}, 1.0f},
      {BF16, Mode::Standard, 3001, 64, 32, 512, {2944, 64}, 1.0f},  // the last 57 rows
      {F16, Mode::V2, 3001, 64, 8, 0, {64, 64}, 3.0f},
  };
  uint32_t seed = 6000;
  for (const Incremental& k : cases) {
    Case c = make_case(k.dtype, k.mode, 4, 2, k.T, k.d, k.cell, k.q_scale);
    c.window = k.window;
    check_case(c, seed++, /*tensor_cores_only=*/k.T > 1000, k.opt);
  }
  // Every first row of a 1000-token prompt in steps of 128, with a window, chunks of 128.
  for (int first_row = 0; first_row < 1000; first_row += 128) {
    Case c = make_case(BF16, Mode::V1, 4, 2, 1000, 64, 64, 1.0f);
    c.window = 300;
    check_case(c, seed++, /*tensor_cores_only=*/true, {first_row, 128});
  }
}

TEST_CASE("CUDA attention scan: q = 0 from first_row 128, histogram chunks of 64 rows (hand-derived)",
          "[attention_scan][cuda][first_row]") {
  REQUIRE(have_gpu());
  for (ScanDType dtype : {ScanDType::F32, ScanDType::BF16}) {
    const Case c = make_case(dtype, Mode::V1, 2, 1, 300, 64, 16, 1.0f);
    INFO(c.name());
    HostInputs x = make_inputs(c, 9, /*zero_q=*/true, /*lambda_value=*/0.5f);
    poison_rows_before(c, x, 128);
    std::vector<float> lse(static_cast<size_t>(c.H) * c.T, NAN);
    for (int h = 0; h < c.H; ++h)
      for (int i = 128; i < c.T; ++i) lse[static_cast<size_t>(h) * c.T + i] = std::log(i + 1.0f);
    const ScanOptions opt{128, 64};
    const Results r = run_kernels(c, x, lse, nullptr, opt);
    CHECK(untouched(c, r, opt) == "");
    for (int h = 0; h < c.H; ++h)
      for (int i = 128; i < c.T; ++i) {
        INFO("head " << h << " row " << i);
        const size_t at = static_cast<size_t>(h) * c.T + i;
        CHECK(r.lse[at] == Approx(std::log(i + 1.0)).epsilon(1e-5).margin(1e-6));
        CHECK(r.max_p[at] == Approx(1.0 / (i + 1)).epsilon(1e-5));
        CHECK(r.sink[at] == Approx(1.0 / (i + 1)).epsilon(1e-5));
      }
    // Chunk k: rows 64k .. 64k + 63 (up to 299), every score 0 (bin 0), 2 sub-heads x (i + 1) keys per row.
    unsigned long long entries = 0;
    for (int k = 2; k < 5; ++k) {
      unsigned long long want = 0;
      for (int i = 64 * k; i < std::min(64 * (k + 1), c.T); ++i) want += 2ull * (i + 1);
      INFO("chunk " << k);
      CHECK(r.histogram[static_cast<size_t>(k) * kLogitBins] == want);
      entries += want;
    }
    // The chunks from first_row's on count the causal entries of rows 128..299 and nothing else.
    const auto scanned = r.histogram.begin() + 2 * static_cast<std::ptrdiff_t>(kLogitBins);
    CHECK(std::accumulate(scanned, r.histogram.end(), 0ull) == entries);
    // Cell rows 8.. (rows 128..): cell (row, col <= row) holds 1 / (the cell's first row that sees it + 1); D's
    // (1 - lambda) times that.
    const int C = 19;
    for (int h = 0; h < c.H; ++h)
      for (int row = 8; row < C; ++row)
        for (int col = 0; col < C; ++col) {
          const float got = r.overview[(static_cast<size_t>(h) * C + row) * C + col];
          const float got_d = r.diff_overview[(static_cast<size_t>(row)) * C + col];  // the one pair
          if (col > row) {
            CHECK(got == 0.0f);
            CHECK(got_d == 0.0f);
          } else {
            CHECK(got == Approx(1.0 / (std::max(row, col) * 16 + 1)).epsilon(1e-5));
            CHECK(got_d == Approx(0.5 / (std::max(row, col) * 16 + 1)).epsilon(1e-5));
          }
        }
  }
}

TEST_CASE("CUDA attention scan rejects bad first_row and histogram_chunk_rows", "[attention_scan][cuda][first_row]") {
  REQUIRE(have_gpu());
  const Case c = make_case(ScanDType::F32, Mode::V1, 4, 2, 300, 64, 8, 1.0f);
  const HostInputs x = make_inputs(c, 43);
  DeviceArray<float> rows(static_cast<size_t>(c.H) * c.T), cells(c.H * 64 * 64), pairs_rows(c.T * 2);
  DeviceArray<unsigned long long> histogram(5 * kLogitBins, 0);
  ScanRowsOutput out{rows.ptr, rows.ptr, rows.ptr, rows.ptr, rows.ptr, rows.ptr, histogram.ptr};
  ScanPairsOutput p;
  p.overview = cells.ptr, p.diff_overview = cells.ptr, p.diff_entropy = pairs_rows.ptr, p.diff_max = pairs_rows.ptr;
  AttentionScanInput in = x.in;  // host pointers: the checks come before any work
  for (int first_row : {-64, 32, 300, 320}) {
    INFO("first_row " << first_row);
    in.first_row = first_row;
    CHECK_THROWS_WITH(attention_scan_rows_cuda(in, out, nullptr), Catch::Contains("first_row"));
    CHECK_THROWS_WITH(attention_scan_pairs_cuda(in, rows.ptr, p, nullptr), Catch::Contains("first_row"));
  }
  in.first_row = 64;
  in.overview_cell = 48;
  CHECK_THROWS_WITH(attention_scan_pairs_cuda(in, rows.ptr, p, nullptr),
                    Catch::Contains("first_row (64) must be a multiple of overview_cell (48)"));
  in.overview_cell = 8;
  out.histogram_chunk_rows = 128;
  CHECK_THROWS_WITH(attention_scan_rows_cuda(in, out, nullptr),
                    Catch::Contains("first_row (64) must be a multiple of histogram_chunk_rows (128)"));
  out.histogram_chunk_rows = 96;
  CHECK_THROWS_WITH(attention_scan_rows_cuda(in, out, nullptr),
                    Catch::Contains("histogram_chunk_rows (96) must be 0 or a positive multiple of 64"));
}
