// Tests of the attention scan's host twin (engine/attention_scan_host.cpp) against a naive explicit computation written
// here (full score matrix, softmax, D, pooling, histogram). Plain C++, main thread; label core.
#include <catch2/catch.hpp>

#include "attention_scan.h"
#include "attention_scan_detail.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace diffscope;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// The poison of outputs a scan must not write: a NaN whose payload no computation gives, compared bit for bit; and a
// count no histogram reaches.
constexpr uint32_t kPoisonBits = 0x7fc0deadu;
const float kPoison = [] {
  float f;
  std::memcpy(&f, &kPoisonBits, sizeof f);
  return f;
}();
constexpr unsigned long long kPoisonCount = 0xdeadbeefdeadbeefull;

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// What a scan covers: rows [first_row, T); a histogram chunked by `chunk` rows (0: one histogram).
struct ScanOptions {
  int first_row = 0;
  int chunk = 0;
};

// ---- an independent 16-bit rounding: keep `bits` significant bits with nearbyint (ties to even) ----
float round_significant(float x, int bits) {
  if (x == 0.0f || !std::isfinite(x)) return x;
  int exponent = 0;
  const long double fraction = std::frexp(static_cast<long double>(x), &exponent);  // [0.5, 1)
  return static_cast<float>(std::ldexp(std::nearbyint(std::ldexp(fraction, bits)), exponent - bits));
}

// Half precision: 11 significant bits, and below 2^-14 a fixed step of 2^-24.
float round_f16(float x) {
  if (std::fabs(x) < std::ldexp(1.0f, -14)) return static_cast<float>(std::ldexp(std::nearbyint(std::ldexp(x, 24)), -24));
  return round_significant(x, 11);
}

float round_as(ScanDType dtype, float x) {
  if (dtype == ScanDType::BF16) return round_significant(x, 8);
  if (dtype == ScanDType::F16) return round_f16(x);
  return x;
}

uint16_t top16(float x) {  // the bf16/f16 encoding of a value that is already representable
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return static_cast<uint16_t>(u >> 16);
}

uint16_t f16_bits(float x) {  // encoding of a representable half value, by arithmetic
  uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  const double a = std::fabs(static_cast<double>(x));
  if (a == 0) return sign;
  if (a < std::ldexp(1.0, -14)) return static_cast<uint16_t>(sign | static_cast<uint16_t>(std::ldexp(a, 24)));
  int exponent = 0;
  const double fraction = std::frexp(a, &exponent);  // a = fraction 2^exponent, fraction in [0.5, 1)
  const uint16_t mantissa = static_cast<uint16_t>(std::ldexp(fraction, 11)) & 0x3ff;
  return static_cast<uint16_t>(sign | ((exponent - 1 + 15) << 10) | mantissa);
}

// ---- inputs ----

struct Case {
  ScanDType dtype = ScanDType::F32;
  int H = 4, KV = 2, T = 7, d = 8;
  int num_pairs = 0, a1_offset = 0, a1_stride = 1, a2_offset = 0, a2_stride = 1;
  int cell = 1;
  int window = 0;  // sliding window W (0: none): row i sees keys max(0, i - W + 1) .. i
  float softcap = 0;  // Gemma 2's soft cap c (0: none): scores c tanh(s / c)
  std::string name() const {
    std::ostringstream out;
    out << (dtype == ScanDType::F32 ? "f32" : dtype == ScanDType::BF16 ? "bf16" : "f16") << " H=" << H << " KV=" << KV
        << " T=" << T << " d=" << d << " pairs=" << num_pairs << " (" << a1_offset << "," << a1_stride << ","
        << a2_offset << "," << a2_stride << ") cell=" << cell << " window=" << window << " softcap=" << softcap;
    return out.str();
  }
};

Case standard(ScanDType dtype, int H, int KV, int T, int d, int cell) { return {dtype, H, KV, T, d, 0, 0, 1, 0, 1, cell}; }
Case diff_v1(ScanDType dtype, int H, int KV, int T, int d, int cell) {
  return {dtype, H, KV, T, d, H / 2, 0, 1, H / 2, 1, cell};
}
Case diff_v2(ScanDType dtype, int H, int KV, int T, int d, int cell) {
  return {dtype, H, KV, T, d, H / 2, 0, 2, 1, 2, cell};
}

struct Inputs {
  std::vector<float> q, k;          // values (already representable in the dtype)
  std::vector<uint16_t> q16, k16;   // their 16-bit encodings
  std::vector<float> lambda;
  AttentionScanInput in;
};

Inputs make_inputs(const Case& c, uint32_t seed, bool zero_q = false, float lambda_value = -1) {
  Inputs x;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(0.2f, 0.9f);
  const size_t nq = static_cast<size_t>(c.H) * c.T * c.d, nk = static_cast<size_t>(c.KV) * c.T * c.d;
  x.q.resize(nq);
  x.k.resize(nk);
  for (float& v : x.q) v = zero_q ? 0.0f : round_as(c.dtype, normal(rng));
  for (float& v : x.k) v = round_as(c.dtype, normal(rng));
  if (c.dtype != ScanDType::F32) {
    auto encode = [&](float v) { return c.dtype == ScanDType::BF16 ? top16(v) : f16_bits(v); };
    for (float v : x.q) x.q16.push_back(encode(v));
    for (float v : x.k) x.k16.push_back(encode(v));
  }
  x.lambda.resize(static_cast<size_t>(c.num_pairs) * c.T);
  for (float& v : x.lambda) v = lambda_value >= 0 ? lambda_value : uniform(rng);
  AttentionScanInput& in = x.in;
  in.q = c.dtype == ScanDType::F32 ? static_cast<const void*>(x.q.data()) : x.q16.data();
  in.k = c.dtype == ScanDType::F32 ? static_cast<const void*>(x.k.data()) : x.k16.data();
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

// ---- the naive computation ----

struct Naive {
  int H, T, C, pairs, window;
  // Row i's first key: HF masks key j for query i unless i - W < j <= i.
  int lo(int i) const {
    int j = 0;
    while (window > 0 && !(i - window < j)) ++j;
    return j;
  }
  std::vector<double> s;  // (H, T, T), causal part filled
  std::vector<double> lse, entropy, max_p, distance, sink, abs_max;
  std::vector<unsigned long long> histogram = std::vector<unsigned long long>(kLogitBins, 0);
  std::vector<float> overview, diff_overview;
  std::vector<double> diff_entropy, diff_max;
  double& S(int h, int i, int j) { return s[(static_cast<size_t>(h) * T + i) * T + j]; }
};

Naive naive(const Case& c, const Inputs& x) {
  Naive n;
  n.H = c.H, n.T = c.T, n.pairs = c.num_pairs, n.window = c.window;
  n.C = (c.T + c.cell - 1) / c.cell;
  const int T = c.T, d = c.d, group = c.H / c.KV;
  n.s.assign(static_cast<size_t>(c.H) * T * T, 0.0);
  for (int h = 0; h < c.H; ++h)
    for (int i = 0; i < T; ++i)
      for (int j = n.lo(i); j <= i; ++j) {
        float dot = 0.0f;  // float accumulation in index order (the explicit path's float accumulator)
        for (int t = 0; t < d; ++t)
          dot = std::fma(x.q[(static_cast<size_t>(h) * T + i) * d + t], x.k[(static_cast<size_t>(h / group) * T + j) * d + t], dot);
        double score = round_as(c.dtype, round_as(c.dtype, dot) * x.in.scale);
        if (c.softcap > 0) {  // HF's eager Gemma 2: s / c, tanh, times c, each rounded to the dtype
          const float ratio = round_as(c.dtype, static_cast<float>(score) / c.softcap);
          const float capped = round_as(c.dtype, static_cast<float>(std::tanh(static_cast<double>(ratio))));
          score = round_as(c.dtype, capped * c.softcap);
        }
        n.S(h, i, j) = score;
      }
  // Softmax rows and their statistics, straight from the definitions.
  std::vector<double> p(static_cast<size_t>(c.H) * T * T, 0.0);
  auto P = [&](int h, int i, int j) -> double& { return p[(static_cast<size_t>(h) * T + i) * T + j]; };
  for (int h = 0; h < c.H; ++h)
    for (int i = 0; i < T; ++i) {
      double m = -INFINITY, sum = 0, abs_max = 0;
      for (int j = n.lo(i); j <= i; ++j) m = std::max(m, n.S(h, i, j));
      for (int j = n.lo(i); j <= i; ++j) sum += std::exp(n.S(h, i, j) - m);
      double entropy = 0, max_p = 0, distance = 0;
      for (int j = n.lo(i); j <= i; ++j) {
        const double pj = std::exp(n.S(h, i, j) - m) / sum;
        P(h, i, j) = pj;
        if (pj > 0) entropy -= pj * std::log(pj);
        max_p = std::max(max_p, pj);
        distance += pj * (i - j);
        abs_max = std::max(abs_max, std::fabs(n.S(h, i, j)));
        n.histogram[logit_bin(static_cast<float>(std::fabs(n.S(h, i, j))))] += 1;
      }
      n.lse.push_back(m + std::log(sum));
      n.entropy.push_back(entropy);
      n.max_p.push_back(max_p);
      n.distance.push_back(distance);
      n.sink.push_back(n.lo(i) == 0 ? P(h, i, 0) : 0.0);  // key 0 outside the window: 0
      n.abs_max.push_back(abs_max);
    }
  // Overviews: max of p over each cell's causal entries.
  const int C = n.C, cell = c.cell;
  n.overview.assign(static_cast<size_t>(c.H) * C * C, 0.0f);
  for (int h = 0; h < c.H; ++h)
    for (int i = 0; i < T; ++i)
      for (int j = n.lo(i); j <= i; ++j) {
        float& o = n.overview[(static_cast<size_t>(h) * C + i / cell) * C + j / cell];
        o = std::max(o, static_cast<float>(P(h, i, j)));
      }
  // Diff pairs.
  n.diff_overview.assign(static_cast<size_t>(c.num_pairs) * C * C, 0.0f);
  std::vector<double> best(n.diff_overview.size(), 0.0);
  for (int pr = 0; pr < c.num_pairs; ++pr) {
    const int a1 = c.a1_offset + c.a1_stride * pr, a2 = c.a2_offset + c.a2_stride * pr;
    for (int i = 0; i < T; ++i) {
      const double lambda = x.lambda[static_cast<size_t>(pr) * T + i];
      std::vector<double> D(i + 1, 0.0);
      double positive = 0;
      for (int j = n.lo(i); j <= i; ++j) {
        D[j] = P(a1, i, j) - lambda * P(a2, i, j);
        if (D[j] > 0) positive += D[j];
        const size_t at = (static_cast<size_t>(pr) * C + i / cell) * C + j / cell;
        if (std::fabs(D[j]) > std::fabs(best[at]) || (std::fabs(D[j]) == std::fabs(best[at]) && D[j] < 0)) best[at] = D[j];
      }
      double entropy = 0, max_q = 0;
      for (int j = n.lo(i); j <= i && positive > 0; ++j)
        if (D[j] > 0) {
          const double q = D[j] / positive;
          entropy -= q * std::log(q);
          max_q = std::max(max_q, q);
        }
      n.diff_entropy.push_back(entropy);
      n.diff_max.push_back(max_q);
    }
  }
  for (size_t at = 0; at < best.size(); ++at) n.diff_overview[at] = static_cast<float>(best[at]);
  return n;
}

// ---- comparisons: an empty string when every element is written and within tolerance ----

template <class Ref>
std::string compare(const char* what, const std::vector<float>& got, const Ref& want, double rel, double abs) {
  if (got.size() != want.size()) return std::string(what) + ": size differs";
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = got[i], w = static_cast<double>(want[i]);
    if (!std::isfinite(g) || std::fabs(g - w) > rel * std::fabs(w) + abs) {
      std::ostringstream out;
      out << what << "[" << i << "] = " << g << ", expected " << w;
      return out.str();
    }
  }
  return "";
}

struct Outputs {
  std::vector<float> lse, entropy, max_p, distance, sink, abs_max;
  std::vector<unsigned long long> histogram = std::vector<unsigned long long>(kLogitBins, 0);
  std::vector<float> overview, diff_overview, diff_entropy, diff_max;
};

// Runs both passes of the twin with every output poisoned first (kPoison, a NaN; the histogram zeroed, or with
// `opt.chunk`, its chunks from first_row's on zeroed and those before poisoned with kPoisonCount). With
// `opt.first_row` the inputs' own first_row is replaced.
Outputs run_twin(const Case& c, const Inputs& x, const ScanOptions& opt = {}) {
  Outputs o;
  const size_t rows = static_cast<size_t>(c.H) * c.T, C = (c.T + c.cell - 1) / c.cell;
  AttentionScanInput in = x.in;
  in.first_row = opt.first_row;
  for (auto* v : {&o.lse, &o.entropy, &o.max_p, &o.distance, &o.sink, &o.abs_max}) v->assign(rows, kPoison);
  if (opt.chunk > 0) {
    const size_t chunks = (c.T + opt.chunk - 1) / opt.chunk, poisoned = opt.first_row / opt.chunk;
    o.histogram.assign(chunks * kLogitBins, 0);
    std::fill(o.histogram.begin(), o.histogram.begin() + poisoned * kLogitBins, kPoisonCount);
  }
  ScanRowsOutput r;
  r.row_lse = o.lse.data(), r.row_entropy = o.entropy.data(), r.row_max = o.max_p.data();
  r.row_distance = o.distance.data(), r.row_sink = o.sink.data(), r.row_abs_max = o.abs_max.data();
  r.logit_histogram = o.histogram.data();
  r.histogram_chunk_rows = opt.chunk;
  attention_scan_rows_host(in, r);

  o.overview.assign(c.H * C * C, kPoison);
  o.diff_overview.assign(c.num_pairs * C * C, kPoison);
  o.diff_entropy.assign(static_cast<size_t>(c.num_pairs) * c.T, kPoison);
  o.diff_max.assign(static_cast<size_t>(c.num_pairs) * c.T, kPoison);
  ScanPairsOutput p;
  p.overview = o.overview.data();
  p.diff_overview = c.num_pairs ? o.diff_overview.data() : nullptr;
  p.diff_entropy = c.num_pairs ? o.diff_entropy.data() : nullptr;
  p.diff_max = c.num_pairs ? o.diff_max.data() : nullptr;
  attention_scan_pairs_host(in, o.lse.data(), p);
  return o;
}

void check_case(const Case& c, uint32_t seed) {
  INFO(c.name() << " seed=" << seed);
  const Inputs x = make_inputs(c, seed);
  Naive n = naive(c, x);
  const Outputs o = run_twin(c, x);
  // Row statistics: the twin rounds to float once at the end (double sums); 1e-5 relative covers that and the
  // float lse that pass 2 reads.
  CHECK(compare("lse", o.lse, n.lse, 1e-6, 1e-6) == "");
  CHECK(compare("entropy", o.entropy, n.entropy, 1e-5, 1e-6) == "");
  CHECK(compare("max", o.max_p, n.max_p, 1e-6, 1e-7) == "");
  CHECK(compare("distance", o.distance, n.distance, 1e-5, 1e-5) == "");
  CHECK(compare("sink", o.sink, n.sink, 1e-6, 1e-7) == "");
  CHECK(compare("abs_max", o.abs_max, n.abs_max, 0, 0) == "");  // the same float scores
  CHECK(o.histogram == n.histogram);
  CHECK(compare("overview", o.overview, n.overview, 1e-5, 1e-7) == "");
  CHECK(compare("diff_overview", o.diff_overview, n.diff_overview, 1e-5, 1e-7) == "");
  CHECK(compare("diff_entropy", o.diff_entropy, n.diff_entropy, 1e-5, 1e-5) == "");
  CHECK(compare("diff_max", o.diff_max, n.diff_max, 1e-5, 1e-6) == "");
}

// ---- incremental runs: first_row and chunked histograms ----

// A copy of x whose query rows before `first_row` (and lambda there) are NaN: a scan from first_row must not use them.
Inputs with_rows_poisoned(const Case& c, const Inputs& x, int first_row) {
  Inputs y = x;
  const size_t before = static_cast<size_t>(first_row) * c.d;
  for (int h = 0; h < c.H; ++h)
    for (size_t e = 0; e < before; ++e) {
      const size_t at = static_cast<size_t>(h) * c.T * c.d + e;
      y.q[at] = kNaN;
      if (!y.q16.empty()) y.q16[at] = 0xffff;  // a NaN in bf16 and in f16
    }
  for (int p = 0; p < c.num_pairs; ++p)
    for (int i = 0; i < first_row; ++i) y.lambda[static_cast<size_t>(p) * c.T + i] = kNaN;
  y.in.q = c.dtype == ScanDType::F32 ? static_cast<const void*>(y.q.data()) : y.q16.data();
  y.in.k = c.dtype == ScanDType::F32 ? static_cast<const void*>(y.k.data()) : y.k16.data();
  y.in.lambda = y.lambda.empty() ? nullptr : y.lambda.data();
  return y;
}

// The naive histogram of rows [row_begin, row_end) alone.
std::vector<unsigned long long> naive_histogram(Naive& n, int row_begin, int row_end) {
  std::vector<unsigned long long> histogram(kLogitBins, 0);
  for (int h = 0; h < n.H; ++h)
    for (int i = row_begin; i < row_end; ++i)
      for (int j = n.lo(i); j <= i; ++j) histogram[logit_bin(static_cast<float>(std::fabs(n.S(h, i, j))))] += 1;
  return histogram;
}

// Chunk k of a chunked histogram.
std::vector<unsigned long long> chunk_of(const std::vector<unsigned long long>& histogram, int k) {
  return std::vector<unsigned long long>(histogram.begin() + static_cast<std::ptrdiff_t>(k) * kLogitBins,
                                         histogram.begin() + static_cast<std::ptrdiff_t>(k + 1) * kLogitBins);
}

// "" when, in every plane of `got` (planes of `rows` rows of `row_length` values), the rows from `first_row` on hold
// `full`'s values bit for bit (which a scan of every row wrote) and the rows before it still hold the poison.
std::string rows_match(const char* what, const std::vector<float>& got, const std::vector<float>& full, size_t rows,
                       size_t row_length, size_t first_row) {
  if (got.size() != full.size()) return std::string(what) + ": size differs";
  for (size_t at = 0; at < got.size(); ++at) {
    const size_t row = at / row_length % rows;
    const char* failure = row < first_row ? (same_bits(got[at], kPoison) ? nullptr : ": written before first_row")
                          : same_bits(full[at], kPoison) ? ": the full scan left it unwritten"
                          : same_bits(got[at], full[at]) ? nullptr
                                                         : ": differs from the full scan's";
    if (failure != nullptr) {
      std::ostringstream out;
      out << what << "[plane " << at / (row_length * rows) << ", row " << row << ", element " << at % row_length
          << "] = " << got[at] << failure << " (full scan: " << full[at] << ")";
      return out.str();
    }
  }
  return "";
}

// The twin from first_row F (each F in {64, 128, 192, 256} below T that is a multiple of the cell; inputs before F
// poisoned) against its own full scan: bit for bit in every row >= F and cell row >= F / cell, the poison before;
// histograms (one, and chunks of the largest of 64, 128, 256 rows that divides F) against the naive computation's
// counts of the same rows. Also the full scan's histogram in chunks of `whole_chunks`.
void check_first_row_case(const Case& c, uint32_t seed, std::initializer_list<int> whole_chunks = {64, 128, 256}) {
  INFO(c.name() << " seed=" << seed);
  const Inputs x = make_inputs(c, seed);
  Naive n = naive(c, x);
  const Outputs full = run_twin(c, x);
  REQUIRE(full.histogram == n.histogram);
  const size_t C = (c.T + c.cell - 1) / c.cell;

  // Chunked histograms of the whole scan: chunk k counts rows [k chunk, (k + 1) chunk) only; the chunks add up to the
  // one histogram, and the other outputs do not change.
  for (int chunk : whole_chunks) {
    INFO("first_row 0, histogram_chunk_rows " << chunk);
    const Outputs o = run_twin(c, x, {0, chunk});
    const int chunks = (c.T + chunk - 1) / chunk;
    REQUIRE(o.histogram.size() == static_cast<size_t>(chunks) * kLogitBins);
    std::vector<unsigned long long> sum(kLogitBins, 0);
    for (int k = 0; k < chunks; ++k) {
      INFO("chunk " << k);
      const std::vector<unsigned long long> part = chunk_of(o.histogram, k);
      CHECK(part == naive_histogram(n, k * chunk, std::min(c.T, (k + 1) * chunk)));
      for (int b = 0; b < kLogitBins; ++b) sum[b] += part[b];
    }
    CHECK(sum == full.histogram);
    CHECK(rows_match("lse", o.lse, full.lse, c.T, 1, 0) == "");
    CHECK(rows_match("overview", o.overview, full.overview, C, C, 0) == "");
  }

  for (int first_row : {64, 128, 192, 256}) {
    if (first_row >= c.T || first_row % c.cell != 0) continue;
    const Inputs y = with_rows_poisoned(c, x, first_row);
    const int largest_chunk = first_row % 256 == 0 ? 256 : first_row % 128 == 0 ? 128 : 64;
    for (int chunk : {0, largest_chunk}) {
      INFO("first_row " << first_row << ", histogram_chunk_rows " << chunk);
      const Outputs o = run_twin(c, y, {first_row, chunk});
      const size_t F = first_row;
      CHECK(rows_match("lse", o.lse, full.lse, c.T, 1, F) == "");
      CHECK(rows_match("entropy", o.entropy, full.entropy, c.T, 1, F) == "");
      CHECK(rows_match("max", o.max_p, full.max_p, c.T, 1, F) == "");
      CHECK(rows_match("distance", o.distance, full.distance, c.T, 1, F) == "");
      CHECK(rows_match("sink", o.sink, full.sink, c.T, 1, F) == "");
      CHECK(rows_match("abs_max", o.abs_max, full.abs_max, c.T, 1, F) == "");
      CHECK(rows_match("diff_entropy", o.diff_entropy, full.diff_entropy, c.T, 1, F) == "");
      CHECK(rows_match("diff_max", o.diff_max, full.diff_max, c.T, 1, F) == "");
      CHECK(rows_match("overview", o.overview, full.overview, C, C, F / c.cell) == "");
      CHECK(rows_match("diff_overview", o.diff_overview, full.diff_overview, C, C, F / c.cell) == "");
      if (chunk == 0) {
        CHECK(o.histogram == naive_histogram(n, first_row, c.T));
      } else {
        const int chunks = (c.T + chunk - 1) / chunk;
        for (int k = 0; k < chunks; ++k) {
          INFO("chunk " << k);
          if (k < first_row / chunk)
            CHECK(chunk_of(o.histogram, k) == std::vector<unsigned long long>(kLogitBins, kPoisonCount));
          else
            CHECK(chunk_of(o.histogram, k) == naive_histogram(n, k * chunk, std::min(c.T, (k + 1) * chunk)));
        }
      }
    }
  }
}

}  // namespace

// The bins' edges, written independently of the engine: octave E from -32, slice k of 64 equal slices.
long double logit_edge(int b) {
  return std::ldexp(1.0L + static_cast<long double>((b - 1) % 64) / 64, -32 + (b - 1) / 64);
}

TEST_CASE("logit bins: every |s| lands in [2^E (1 + k/64), 2^E (1 + (k+1)/64)), E = -32 + (b-1)/64, k = (b-1)%64",
          "[attention_scan]") {
  CHECK(logit_bin(0.0f) == 0);
  CHECK(logit_bin(-0.0f) == 0);
  CHECK(logit_bin(std::ldexp(1.0f, -33)) == 0);
  CHECK(logit_bin(std::nextafter(std::ldexp(1.0f, -32), 0.0f)) == 0);
  CHECK(logit_bin(std::ldexp(1.0f, -32)) == 1);
  CHECK(logit_bin(1.0f) == 1 + 32 * 64);
  CHECK(logit_bin(1.015625f) == 2 + 32 * 64);       // 1 + 1/64: the second slice of [1, 2)
  CHECK(logit_bin(std::nextafter(1.015625f, 0.0f)) == 1 + 32 * 64);
  CHECK(logit_bin(1.5f) == 1 + 32 * 64 + 32);
  CHECK(logit_bin(std::nextafter(1.0f, 0.0f)) == 32 * 64);
  CHECK(logit_bin(std::nextafter(std::ldexp(1.0f, 32), 0.0f)) == kLogitBins - 1);
  CHECK(logit_bin(std::ldexp(1.0f, 32)) == kLogitBins - 1);
  CHECK(logit_bin(1e30f) == kLogitBins - 1);
  CHECK(logit_bin(std::numeric_limits<float>::infinity()) == kLogitBins - 1);
  CHECK(logit_bin(std::numeric_limits<float>::quiet_NaN()) == kLogitBins - 1);
  CHECK(logit_bin(std::numeric_limits<float>::denorm_min()) == 0);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> log2_magnitude(-34.0f, 34.0f);
  int failures = 0;
  for (int n = 0; n < 200000; ++n) {
    const float a = std::exp2(log2_magnitude(rng));
    const int b = logit_bin(a);
    const long double v = a;
    bool ok;
    if (b == 0)
      ok = v < std::exp2(-32.0L);
    else if (b == kLogitBins - 1)
      ok = v >= logit_edge(b);
    else
      ok = v >= logit_edge(b) && v < logit_edge(b + 1);
    if (!ok && ++failures <= 5) FAIL_CHECK("|s| = " << a << " got bin " << b);
  }
  // Values on and next to each edge inside [1, 2) and [2^-20, 2^-19).
  for (int octave : {0, -20})
    for (int k = 1; k < 64; ++k) {
      const int b = 1 + (32 + octave) * 64 + k;  // the bin whose lower edge is 2^octave (1 + k/64)
      const float edge = static_cast<float>(logit_edge(b));
      CHECK(logit_bin(edge) == b);
      CHECK(logit_bin(std::nextafter(edge, 0.0f)) == b - 1);
      CHECK(scan_detail::logit_bin_lower_edge(b) == static_cast<double>(logit_edge(b)));
    }
}

TEST_CASE("16-bit rounding of scores: the twin's bit-level converters agree with arithmetic rounding",
          "[attention_scan]") {
  // A score matrix that exercises rounding: one query, keys chosen so that the dot product is a given value, d = 1.
  for (ScanDType dtype : {ScanDType::BF16, ScanDType::F16}) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> log2_magnitude(-20.0f, 15.0f);
    for (int n = 0; n < 2000; ++n) {
      const float value = std::exp2(log2_magnitude(rng)) * (n % 2 ? -1.0f : 1.0f);
      // q = 1, k = round(value): the score is round(round(k) * scale) for scale 1/3 (rounding twice).
      const float k = round_as(dtype, value);
      const uint16_t q_bits = dtype == ScanDType::BF16 ? top16(1.0f) : f16_bits(1.0f);
      const uint16_t k_bits = dtype == ScanDType::BF16 ? top16(k) : f16_bits(k);
      AttentionScanInput in;
      in.q = &q_bits, in.k = &k_bits, in.dtype = dtype;
      in.H = in.KV = in.T = in.d = 1;
      in.scale = 1.0f / 3.0f;
      float lse = kNaN, entropy = kNaN, max_p = kNaN, distance = kNaN, sink = kNaN, abs_max = kNaN;
      std::vector<unsigned long long> histogram(kLogitBins, 0);
      attention_scan_rows_host(in, {&lse, &entropy, &max_p, &distance, &sink, &abs_max, histogram.data()});
      const float want = std::fabs(round_as(dtype, k * in.scale));
      INFO("value " << value << " k " << k);
      CHECK(abs_max == want);
      CHECK(lse == round_as(dtype, k * in.scale));
    }
  }
}

TEST_CASE("attention scan twin matches a naive computation on random inputs", "[attention_scan]") {
  uint32_t seed = 1;
  for (ScanDType dtype : {ScanDType::F32, ScanDType::BF16})
    for (int d : {8, 64})
      for (int T : {1, 2, 7, 77, 200})
        for (int cell : {1, 3, 16}) {
          check_case(standard(dtype, 4, 2, T, d, cell), seed++);
          check_case(standard(dtype, 4, 4, T, d, cell), seed++);
          check_case(standard(dtype, 6, 3, T, d, cell), seed++);
          check_case(diff_v1(dtype, 4, 2, T, d, cell), seed++);
          check_case(diff_v2(dtype, 4, 2, T, d, cell), seed++);
        }
}

TEST_CASE("attention scan twin with a sliding window matches a naive band-masked computation", "[attention_scan]") {
  uint32_t seed = 2000;
  auto windowed = [](Case c, int window) {
    c.window = window;
    return c;
  };
  for (ScanDType dtype : {ScanDType::F32, ScanDType::BF16})
    for (int T : {1, 7, 77, 200})
      for (int window : {1, 2, 5, 64, 300})  // 300: longer than every prompt here (masks nothing)
        for (int cell : {1, 3, 16}) {
          check_case(windowed(standard(dtype, 4, 2, T, 8, cell), window), seed++);
          check_case(windowed(diff_v1(dtype, 4, 2, T, 8, cell), window), seed++);
          check_case(windowed(diff_v2(dtype, 4, 2, T, 64, cell), window), seed++);
        }
}

TEST_CASE("attention scan twin with Gemma 2's soft cap matches a naive capped computation", "[attention_scan]") {
  uint32_t seed = 3000;
  auto capped = [](Case c, float softcap, int window) {
    c.softcap = softcap;
    c.window = window;
    return c;
  };
  for (ScanDType dtype : {ScanDType::F32, ScanDType::BF16})
    for (int T : {1, 7, 77})
      for (float softcap : {0.5f, 2.0f, 50.0f})  // 0.5: most scores saturate near +-0.5; 50: almost linear
        for (int cell : {1, 3}) {
          check_case(capped(standard(dtype, 4, 2, T, 8, cell), softcap, 0), seed++);
          check_case(capped(standard(dtype, 4, 2, T, 64, cell), softcap, 5), seed++);
          check_case(capped(diff_v1(dtype, 4, 2, T, 8, cell), softcap, 0), seed++);
        }
}

TEST_CASE("attention scan twin: soft-capped scores never exceed the cap (hand-derived)", "[attention_scan]") {
  // q = k = 4 (one dimension): the raw score 16 at scale 1 becomes 2 tanh(8) = 1.9999997 with a cap of 2, and
  // every row is uniform over its keys, so max |s| is the capped score and lse_i = capped + log(i + 1).
  Case c = standard(ScanDType::F32, 1, 1, 5, 1, 1);
  c.softcap = 2.0f;
  Inputs x = make_inputs(c, 1);
  for (float& v : x.q) v = 4.0f;
  for (float& v : x.k) v = 4.0f;
  x.in.scale = 1.0f;
  std::vector<float> rows(6 * 5, NAN);
  std::vector<unsigned long long> histogram(kLogitBins, 0);
  ScanRowsOutput out{rows.data(), rows.data() + 5, rows.data() + 10, rows.data() + 15, rows.data() + 20,
                     rows.data() + 25, histogram.data()};
  attention_scan_rows_host(x.in, out);
  const float capped = 2.0f * static_cast<float>(std::tanh(8.0));  // tanh in double, rounded to float (the twin's)
  for (int i = 0; i < 5; ++i) {
    CHECK(rows[25 + i] == capped);                                                   // max |s|
    CHECK(rows[i] == Approx(capped + std::log(static_cast<double>(i + 1))).epsilon(1e-6));  // lse
  }
  CHECK(histogram[static_cast<size_t>(logit_bin(capped))] == 15);  // 1 + 2 + 3 + 4 + 5 entries, all capped
}

TEST_CASE("attention scan twin: q = 0 in a window of 4 gives uniform rows over min(i + 1, 4) keys (hand-derived)",
          "[attention_scan]") {
  Case c = standard(ScanDType::F32, 2, 1, 10, 8, 3);
  c.window = 4;
  const Inputs x = make_inputs(c, 98, /*zero_q=*/true);
  const Outputs o = run_twin(c, x);
  for (int h = 0; h < c.H; ++h)
    for (int i = 0; i < c.T; ++i) {
      INFO("head " << h << " row " << i);
      const double n = std::min(i + 1, 4);  // keys i - 3 .. i
      const size_t at = static_cast<size_t>(h) * c.T + i;
      CHECK(o.lse[at] == Approx(std::log(n)).margin(1e-6));
      CHECK(o.entropy[at] == Approx(std::log(n)).margin(1e-6));
      CHECK(o.max_p[at] == Approx(1.0 / n));
      CHECK(o.distance[at] == Approx((n - 1) / 2.0).margin(1e-6));  // mean of 0 .. n - 1
      CHECK(o.sink[at] == Approx(i < 4 ? 1.0 / n : 0.0));
    }
  // Row 9 (cell row 3) sees keys 6..9: cells 2 and 3 hold 1/4; cells 0 and 1 are outside its band.
  const size_t C = 4;
  CHECK(o.overview[3 * C + 0] == 0.0f);
  CHECK(o.overview[3 * C + 1] == 0.0f);
  CHECK(o.overview[3 * C + 2] == Approx(0.25));
  CHECK(o.overview[3 * C + 3] == Approx(0.25));
  // Every score is 0: the histogram's bin 0 holds every entry inside the band, 2 heads x (1 + 2 + 3 + 4 x 7), and no
  // other bin holds any.
  const unsigned long long entries = 2u * (1 + 2 + 3 + 4 * 7);
  CHECK(o.histogram[0] == entries);
  CHECK(std::accumulate(o.histogram.begin(), o.histogram.end(), 0ull) == entries);
}

TEST_CASE("attention scan twin: f16 inputs", "[attention_scan]") {
  uint32_t seed = 1000;
  for (int T : {1, 7, 77}) check_case(diff_v1(ScanDType::F16, 4, 2, T, 64, 3), seed++);
}

TEST_CASE("attention scan twin: q = 0 gives uniform rows (hand-derived)", "[attention_scan]") {
  for (ScanDType dtype : {ScanDType::F32, ScanDType::BF16})
    for (float lambda : {0.5f, 1.5f}) {
      const Case c = diff_v1(dtype, 4, 2, 10, 8, 3);
      INFO(c.name() << " lambda " << lambda);
      const Inputs x = make_inputs(c, 99, /*zero_q=*/true, lambda);
      const Outputs o = run_twin(c, x);
      const int T = c.T, C = 4, cell = 3;
      for (int h = 0; h < c.H; ++h)
        for (int i = 0; i < T; ++i) {
          const size_t at = static_cast<size_t>(h) * T + i;
          CHECK(o.lse[at] == Approx(std::log(i + 1.0)).margin(1e-6));
          CHECK(o.entropy[at] == Approx(std::log(i + 1.0)).margin(1e-6));
          CHECK(o.max_p[at] == Approx(1.0 / (i + 1)));
          CHECK(o.distance[at] == Approx(i / 2.0).margin(1e-6));
          CHECK(o.sink[at] == Approx(1.0 / (i + 1)));
          CHECK(o.abs_max[at] == 0.0f);
        }
      // Every score is 0: bin 0 holds every causal entry, and no other bin holds any.
      const unsigned long long entries = static_cast<unsigned long long>(c.H) * T * (T + 1) / 2;
      CHECK(o.histogram[0] == entries);
      CHECK(std::accumulate(o.histogram.begin(), o.histogram.end(), 0ull) == entries);
      // Cell (r, col) with col <= r: its largest p is at its first row that sees a key of the cell.
      for (int h = 0; h < c.H; ++h)
        for (int r = 0; r < C; ++r)
          for (int col = 0; col < C; ++col) {
            const float got = o.overview[(static_cast<size_t>(h) * C + r) * C + col];
            const int first_row = std::max(r * cell, col * cell);
            if (col > r) CHECK(got == 0.0f);
            else CHECK(got == Approx(1.0 / (first_row + 1)));
          }
      // D = (1 - lambda) / (i + 1) everywhere: with lambda < 1 its positive part is the uniform row; with lambda > 1
      // it has none (entropy and max 0) and the overview holds the negative entry of largest magnitude.
      for (int p = 0; p < c.num_pairs; ++p) {
        for (int i = 0; i < T; ++i) {
          const size_t at = static_cast<size_t>(p) * T + i;
          CHECK(o.diff_entropy[at] == Approx(lambda < 1 ? std::log(i + 1.0) : 0.0).margin(1e-6));
          CHECK(o.diff_max[at] == Approx(lambda < 1 ? 1.0 / (i + 1) : 0.0).margin(1e-7));
        }
        for (int r = 0; r < C; ++r)
          for (int col = 0; col < C; ++col) {
            const float got = o.diff_overview[(static_cast<size_t>(p) * C + r) * C + col];
            const int first_row = std::max(r * cell, col * cell);
            if (col > r) CHECK(got == 0.0f);
            else CHECK(got == Approx((1.0 - lambda) / (first_row + 1)));
          }
      }
    }
}

TEST_CASE("attention scan twin rejects bad inputs", "[attention_scan]") {
  const Inputs x = make_inputs(standard(ScanDType::F32, 4, 2, 5, 8, 1), 3);
  std::vector<float> rows(20);
  std::vector<unsigned long long> histogram(kLogitBins);
  const ScanRowsOutput out{rows.data(), rows.data(), rows.data(), rows.data(), rows.data(), rows.data(),
                           histogram.data()};
  AttentionScanInput in = x.in;
  in.KV = 3;
  CHECK_THROWS_AS(attention_scan_rows_host(in, out), std::invalid_argument);
  in = x.in;
  in.d = 257;
  CHECK_THROWS_AS(attention_scan_rows_host(in, out), std::invalid_argument);
  in = x.in;
  in.T = 0;
  CHECK_THROWS_AS(attention_scan_rows_host(in, out), std::invalid_argument);
  ScanRowsOutput missing = out;
  missing.logit_histogram = nullptr;
  CHECK_THROWS_AS(attention_scan_rows_host(x.in, missing), std::invalid_argument);
}

TEST_CASE("attention scan twin with first_row: rows >= first_row as the full scan, the rest untouched; "
          "chunked histograms",
          "[attention_scan][first_row]") {
  const int cell_cycle[] = {1, 8, 16, 32, 64};
  uint32_t seed = 5000;
  int n = 0;
  for (ScanDType dtype : {ScanDType::F32, ScanDType::BF16})
    for (int T : {200, 300, 333})  // not multiples of 64: the last row tile is partial
      for (int window : {0, 100})    // 100: the band of a row tile reaches back past first_row
        for (int mode = 0; mode < 3; ++mode) {
          const int d = n % 9 == 0 ? 64 : 8;
          const int cell = cell_cycle[n % 5];
          Case c = mode == 0 ? standard(dtype, 4, 2, T, d, cell)
                   : mode == 1 ? diff_v1(dtype, 4, 2, T, d, cell)
                               : diff_v2(dtype, 4, 2, T, d, cell);
          c.window = window;
          check_first_row_case(c, seed++, {64 << (n % 3)});  // whole-scan chunks of 64, 128, 256 in turn
          ++n;
        }
  // Cells that divide some first rows only (3, 12, 48 and 96 divide 192, neither 64 nor 128), GQA 2:1 with a small
  // window, and f16.
  for (int cell : {3, 12, 48, 96}) check_first_row_case(diff_v1(ScanDType::BF16, 4, 2, 333, 8, cell), seed++);
  Case small_window = standard(ScanDType::F32, 6, 3, 300, 8, 3);
  small_window.window = 5;
  check_first_row_case(small_window, seed++);
  check_first_row_case(diff_v2(ScanDType::F16, 4, 2, 300, 8, 32), seed++);
}

TEST_CASE("attention scan twin: q = 0 from first_row 128, histogram chunks of 64 rows (hand-derived)",
          "[attention_scan][first_row]") {
  const Case c = standard(ScanDType::F32, 2, 1, 300, 8, 16);
  const Inputs x = with_rows_poisoned(c, make_inputs(c, 97, /*zero_q=*/true), 128);
  const Outputs o = run_twin(c, x, {128, 64});
  for (int h = 0; h < c.H; ++h)
    for (int i = 0; i < c.T; ++i) {
      INFO("head " << h << " row " << i);
      const size_t at = static_cast<size_t>(h) * c.T + i;
      if (i < 128) {
        CHECK(same_bits(o.lse[at], kPoison));
        CHECK(same_bits(o.sink[at], kPoison));
      } else {
        CHECK(o.lse[at] == Approx(std::log(i + 1.0)).margin(1e-6));
        CHECK(o.sink[at] == Approx(1.0 / (i + 1)));
      }
    }
  // Chunk k (rows 64k .. 64k + 63, up to 299): every score is 0, bin 0, 2 heads x (i + 1) entries per row.
  unsigned long long entries = 0;
  for (int k = 0; k < 5; ++k) {
    unsigned long long want = 0;
    for (int i = 64 * k; i < std::min(64 * (k + 1), 300); ++i) want += 2ull * (i + 1);
    INFO("chunk " << k);
    if (k < 2) {
      CHECK(o.histogram[static_cast<size_t>(k) * kLogitBins] == kPoisonCount);
    } else {
      CHECK(o.histogram[static_cast<size_t>(k) * kLogitBins] == want);
      CHECK(o.histogram[static_cast<size_t>(k) * kLogitBins + 1] == 0);
      entries += want;
    }
  }
  // The chunks from first_row's on count the causal entries of rows 128..299 and nothing else.
  const auto scanned = o.histogram.begin() + 2 * static_cast<std::ptrdiff_t>(kLogitBins);
  CHECK(std::accumulate(scanned, o.histogram.end(), 0ull) == entries);
  // Cell rows 8.. (rows 128..): cell (r, col <= r) holds 1 / (first row of the cell that sees it + 1).
  const int C = 19;
  for (int h = 0; h < c.H; ++h)
    for (int r = 0; r < C; ++r)
      for (int col = 0; col < C; ++col) {
        const float got = o.overview[(static_cast<size_t>(h) * C + r) * C + col];
        if (r < 8) CHECK(same_bits(got, kPoison));
        else if (col > r) CHECK(got == 0.0f);
        else CHECK(got == Approx(1.0 / (std::max(r, col) * 16 + 1)));
      }
}

TEST_CASE("attention scan twin rejects bad first_row and histogram_chunk_rows, saying why",
          "[attention_scan][first_row]") {
  const Case c = diff_v1(ScanDType::F32, 4, 2, 256, 8, 16);
  const Inputs x = make_inputs(c, 4);
  std::vector<float> rows(static_cast<size_t>(c.H) * c.T), cells(static_cast<size_t>(c.H) * 16 * 16 * 3);
  std::vector<unsigned long long> histogram(4 * kLogitBins);
  auto rows_with = [&](int first_row, int chunk, int cell) {
    AttentionScanInput in = x.in;
    in.first_row = first_row;
    in.overview_cell = cell;
    ScanRowsOutput out{rows.data(), rows.data(), rows.data(), rows.data(), rows.data(), rows.data(), histogram.data()};
    out.histogram_chunk_rows = chunk;
    attention_scan_rows_host(in, out);
  };
  auto pairs_with = [&](int first_row, int cell) {
    AttentionScanInput in = x.in;
    in.first_row = first_row;
    in.overview_cell = cell;
    ScanPairsOutput out;
    out.overview = out.diff_overview = cells.data();
    out.diff_entropy = out.diff_max = rows.data();
    attention_scan_pairs_host(in, rows.data(), out);
  };
  using Catch::Contains;
  CHECK_THROWS_WITH(rows_with(-64, 0, 16), Contains("first_row (-64) must be in [0, T) (T = 256)"));
  CHECK_THROWS_WITH(rows_with(256, 0, 16), Contains("first_row (256) must be in [0, T) (T = 256)"));
  CHECK_THROWS_WITH(rows_with(32, 0, 16), Contains("first_row (32) must be a multiple of 64"));
  CHECK_THROWS_WITH(rows_with(100, 0, 1), Contains("first_row (100) must be a multiple of 64"));
  CHECK_THROWS_WITH(rows_with(64, 0, 3), Contains("first_row (64) must be a multiple of overview_cell (3)"));
  CHECK_THROWS_WITH(rows_with(64, 0, 128), Contains("first_row (64) must be a multiple of overview_cell (128)"));
  const char* chunk_rule = ") must be 0 or a positive multiple of 64";
  CHECK_THROWS_WITH(rows_with(0, 100, 16), Contains(std::string("histogram_chunk_rows (100") + chunk_rule));
  CHECK_THROWS_WITH(rows_with(0, 32, 16), Contains(std::string("histogram_chunk_rows (32") + chunk_rule));
  CHECK_THROWS_WITH(rows_with(0, -64, 16), Contains(std::string("histogram_chunk_rows (-64") + chunk_rule));
  CHECK_THROWS_WITH(rows_with(64, 128, 16),
                    Contains("first_row (64) must be a multiple of histogram_chunk_rows (128)"));
  CHECK_THROWS_WITH(pairs_with(-64, 16), Contains("first_row (-64) must be in [0, T)"));
  CHECK_THROWS_WITH(pairs_with(256, 16), Contains("first_row (256) must be in [0, T)"));
  CHECK_THROWS_WITH(pairs_with(96, 16), Contains("first_row (96) must be a multiple of 64"));
  CHECK_THROWS_WITH(pairs_with(64, 3), Contains("first_row (64) must be a multiple of overview_cell (3)"));
  CHECK_THROWS_AS(rows_with(32, 0, 16), std::invalid_argument);
  CHECK_THROWS_AS(pairs_with(32, 16), std::invalid_argument);
  CHECK_NOTHROW(rows_with(192, 64, 16));
  CHECK_NOTHROW(rows_with(128, 128, 64));
  CHECK_NOTHROW(rows_with(192, 0, 3));
  CHECK_NOTHROW(pairs_with(192, 16));
}
