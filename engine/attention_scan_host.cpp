// The attention scan's host twin: plain loops over host memory that define what the CUDA kernels
// (cuda/attention_scan.cu) must produce, kept simple enough to be checked by eye. Any thread (no shared state).
#include "attention_scan.h"
#include "attention_scan_detail.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <vector>

namespace diffscope {

using namespace scan_detail;

namespace {

// ---- 16-bit float formats, bit level ----

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

float bf16_to_float(uint16_t h) { return bits_float(static_cast<uint32_t>(h) << 16); }

// Round to nearest, ties to even: add just under half of the dropped part's unit, plus one when the kept part is odd.
uint16_t float_to_bf16(float f) {
  const uint32_t u = float_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);  // NaN stays NaN
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

float f16_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return bits_float(sign | 0x7f800000u | (mantissa << 13));  // inf, NaN
  return bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

// Round `value` (an integer) right by `shift` bits to nearest, ties to even.
uint32_t shift_round_even(uint32_t value, int shift) {
  const uint32_t kept = value >> shift;
  const uint32_t rest = value & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  return kept + ((rest > half || (rest == half && (kept & 1u))) ? 1u : 0u);
}

uint16_t float_to_f16(float f) {
  const uint32_t u = float_bits(f);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t magnitude = u & 0x7fffffffu;
  if (magnitude > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);  // NaN
  if (magnitude >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520 rounds to infinity
  const int exponent = static_cast<int>(magnitude >> 23);
  const uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;  // with the implicit bit
  if (exponent < 113) {  // below 2^-14: a subnormal half, in units of 2^-24 = mantissa * 2^(exponent - 126)
    const int shift = 126 - exponent;
    if (shift > 24) return static_cast<uint16_t>(sign);  // below 2^-25 (or exactly it: ties to even 0)
    return static_cast<uint16_t>(sign | shift_round_even(mantissa, shift));  // 0x400 (2^-14) encodes itself
  }
  // Normal: keep 10 of 23 mantissa bits; a carry into the exponent field is the correct rounding up.
  const uint32_t biased = (static_cast<uint32_t>(exponent - 112) << 10) | ((magnitude & 0x7fffffu) >> 13);
  const uint32_t rest = magnitude & 0x1fffu;
  const uint32_t rounded = biased + ((rest > 0x1000u || (rest == 0x1000u && (biased & 1u))) ? 1u : 0u);
  return static_cast<uint16_t>(sign | rounded);
}

float round_to_dtype(ScanDType dtype, float value) {
  switch (dtype) {
    case ScanDType::BF16: return bf16_to_float(float_to_bf16(value));
    case ScanDType::F16: return f16_to_float(float_to_f16(value));
    case ScanDType::F32: break;
  }
  return value;
}

std::vector<float> decode(const void* data, ScanDType dtype, size_t count) {
  std::vector<float> out(count);
  if (dtype == ScanDType::F32) {
    std::memcpy(out.data(), data, count * sizeof(float));
    return out;
  }
  const uint16_t* bits = static_cast<const uint16_t*>(data);
  for (size_t i = 0; i < count; ++i)
    out[i] = dtype == ScanDType::BF16 ? bf16_to_float(bits[i]) : f16_to_float(bits[i]);
  return out;
}

// ---- the dot product: float, accumulated in index order with fused multiply-adds ----
// The CUDA kernel's SIMT path does exactly this, so f32 scores (and 16-bit ones from SIMT) agree bit for bit and
// histogram counts and abs maxima can be compared exactly. Where the processor has FMA, the same correctly
// rounded operation runs in hardware instead of libm's software fmaf.

float dot_portable(const float* a, const float* b, int n) {
  float acc = 0.0f;
  for (int i = 0; i < n; ++i) acc = std::fma(a[i], b[i], acc);
  return acc;
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("fma"))) float dot_fma_instruction(const float* a, const float* b, int n) {
  float acc = 0.0f;
  for (int i = 0; i < n; ++i) acc = __builtin_fmaf(a[i], b[i], acc);
  return acc;
}

float dot(const float* a, const float* b, int n) {
  static const bool has_fma = __builtin_cpu_supports("fma");
  return has_fma ? dot_fma_instruction(a, b, n) : dot_portable(a, b, n);
}
#else
float dot(const float* a, const float* b, int n) { return dot_portable(a, b, n); }
#endif

// The queries of rows [first_row, T) of every head, decoded to float at their absolute places (rows before first_row
// are not read and stay 0).
std::vector<float> decode_queries(const AttentionScanInput& in) {
  const size_t d = static_cast<size_t>(in.d), head = static_cast<size_t>(in.T) * d;
  const size_t skip = static_cast<size_t>(in.first_row) * d, count = head - skip;
  const size_t element = in.dtype == ScanDType::F32 ? sizeof(float) : sizeof(uint16_t);
  std::vector<float> q(static_cast<size_t>(in.H) * head, 0.0f);
  for (int h = 0; h < in.H; ++h) {
    const size_t at = static_cast<size_t>(h) * head + skip;
    const std::vector<float> rows = decode(static_cast<const unsigned char*>(in.q) + at * element, in.dtype, count);
    std::copy(rows.begin(), rows.end(), q.begin() + static_cast<std::ptrdiff_t>(at));
  }
  return q;
}

// Scores as the explicit path computes them: the matmul's float accumulator rounded to the dtype, times the scale in
// float, rounded again (no rounding in f32).
struct Scorer {
  const AttentionScanInput& in;
  std::vector<float> q, k;
  int group;

  explicit Scorer(const AttentionScanInput& input)
      : in(input),
        q(decode_queries(input)),
        k(decode(input.k, input.dtype, static_cast<size_t>(input.KV) * input.T * input.d)),
        group(input.H / input.KV) {}

  // s[j] for first_key(i) <= j <= i of sub-head h's row i (the others are left as they were).
  void row(int h, int i, std::vector<float>& s) const {
    const size_t d = static_cast<size_t>(in.d);
    const float* qi = &q[(static_cast<size_t>(h) * in.T + i) * d];
    const float* k0 = &k[static_cast<size_t>(h / group) * in.T * d];
    for (int j = first_key(i, in.window); j <= i; ++j) {
      const float product = round_to_dtype(in.dtype, dot(qi, k0 + j * d, in.d));
      s[j] = round_to_dtype(in.dtype, product * in.scale);
      if (in.softcap > 0) {  // as at::tanh(s / c) * c: each step rounds to the dtype; tanh in double, then rounded to
        // float, so that the CUDA kernels' tanh gives the same float (float tanhf differs between libraries by an ulp)
        const float ratio = round_to_dtype(in.dtype, s[j] / in.softcap);
        const float capped = round_to_dtype(in.dtype, static_cast<float>(std::tanh(static_cast<double>(ratio))));
        s[j] = round_to_dtype(in.dtype, capped * in.softcap);
      }
    }
  }
};

}  // namespace

int logit_bin(float abs_score) { return logit_bin_of_bits(float_bits(abs_score)); }

void attention_scan_rows_host(const AttentionScanInput& in, const ScanRowsOutput& out) {
  check_scan_input(in);
  check_rows_output(in, out);
  const Scorer scorer(in);
  std::vector<float> s(in.T);
  for (int h = 0; h < in.H; ++h) {
    for (int i = in.first_row; i < in.T; ++i) {
      scorer.row(h, i, s);
      const int j0 = first_key(i, in.window);
      float m = -std::numeric_limits<float>::infinity();
      float abs_max = 0.0f;
      unsigned long long* histogram = out.logit_histogram + histogram_offset(out.histogram_chunk_rows, i);
      for (int j = j0; j <= i; ++j) {
        m = std::max(m, s[j]);
        abs_max = std::max(abs_max, std::fabs(s[j]));
        histogram[logit_bin(std::fabs(s[j]))] += 1;
      }
      // With e_j = exp(s_j - m) and l = sum e_j: p_j = e_j / l and -sum p log p = log l + sum p_j (m - s_j).
      double l = 0, weighted_gap = 0, weighted_distance = 0;
      for (int j = j0; j <= i; ++j) {
        const double e = std::exp(static_cast<double>(s[j]) - m);
        l += e;
        weighted_gap += e * (static_cast<double>(m) - s[j]);
        weighted_distance += e * static_cast<double>(i - j);
      }
      const size_t at = static_cast<size_t>(h) * in.T + i;
      out.row_lse[at] = static_cast<float>(m + std::log(l));
      out.row_entropy[at] = static_cast<float>(std::log(l) + weighted_gap / l);
      out.row_max[at] = static_cast<float>(1.0 / l);  // p at the row's maximum: exp(m - lse)
      out.row_distance[at] = static_cast<float>(weighted_distance / l);
      out.row_sink[at] = j0 == 0 ? static_cast<float>(std::exp(static_cast<double>(s[0]) - m) / l) : 0.0f;
      out.row_abs_max[at] = abs_max;
    }
  }
}

void attention_scan_pairs_host(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out) {
  check_scan_input(in);
  check_pairs_output(in, row_lse, out);
  const Scorer scorer(in);
  const int64_t C = overview_cells(in);
  const int cell = in.overview_cell;
  // Cells start at 0, in the cell rows of the scanned rows only (first_row is a multiple of the cell).
  const int64_t first_cell = static_cast<int64_t>(in.first_row / cell) * C;
  for (int h = 0; h < in.H; ++h) std::fill(out.overview + h * C * C + first_cell, out.overview + (h + 1) * C * C, 0.0f);
  for (int p = 0; p < in.num_pairs; ++p)
    std::fill(out.diff_overview + p * C * C + first_cell, out.diff_overview + (p + 1) * C * C, 0.0f);
  std::vector<float> s(in.T), s2(in.T);

  // Every sub-head: its overview.
  for (int h = 0; h < in.H; ++h) {
    float* overview = out.overview + h * C * C;
    for (int i = in.first_row; i < in.T; ++i) {
      scorer.row(h, i, s);
      const double lse = row_lse[static_cast<size_t>(h) * in.T + i];
      for (int j = first_key(i, in.window); j <= i; ++j) {
        float& cell_max = overview[(i / cell) * C + j / cell];
        cell_max = std::max(cell_max, static_cast<float>(std::exp(static_cast<double>(s[j]) - lse)));
      }
    }
  }

  // Every Diff pair: D = p(a1) - lambda p(a2), its positive part's entropy and max, and its overview.
  for (int p = 0; p < in.num_pairs; ++p) {
    const int a1 = scan_pair_head(in.a1_offset, in.a1_stride, p);
    const int a2 = scan_pair_head(in.a2_offset, in.a2_stride, p);
    float* overview = out.diff_overview + p * C * C;
    for (int i = in.first_row; i < in.T; ++i) {
      scorer.row(a1, i, s);
      scorer.row(a2, i, s2);
      const double lse1 = row_lse[static_cast<size_t>(a1) * in.T + i];
      const double lse2 = row_lse[static_cast<size_t>(a2) * in.T + i];
      const double lambda = in.lambda[static_cast<size_t>(p) * in.T + i];
      double positive_sum = 0, positive_xlogx = 0, positive_max = 0;
      for (int j = first_key(i, in.window); j <= i; ++j) {
        const double D = std::exp(static_cast<double>(s[j]) - lse1) - lambda * std::exp(static_cast<double>(s2[j]) - lse2);
        if (D > 0) {
          positive_sum += D;
          positive_xlogx += D * std::log(D);
          positive_max = std::max(positive_max, D);
        }
        // Largest |D| wins; on equal magnitude the negative entry wins (the kernel's key order).
        const float value = static_cast<float>(D);
        float& kept = overview[(i / cell) * C + j / cell];
        if (std::fabs(value) > std::fabs(kept) || (std::fabs(value) == std::fabs(kept) && value < 0 && !(kept < 0)))
          kept = value;
      }
      const size_t at = static_cast<size_t>(p) * in.T + i;
      out.diff_entropy[at] =
          positive_sum > 0 ? static_cast<float>(std::log(positive_sum) - positive_xlogx / positive_sum) : 0.0f;
      out.diff_max[at] = positive_sum > 0 ? static_cast<float>(positive_max / positive_sum) : 0.0f;
    }
  }
}

}  // namespace diffscope
