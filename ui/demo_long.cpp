// Long demo snapshots: maps as formulas, pooled from a few entries per cell (demo_long.h). Any thread.
//
// Why a cell needs only a few entries. Off key 0 and the spike key, an entry is w(d) * c(i) with d = i - j and c(i) a
// per-row factor: 1 / Z(i) for A, A1 and A2, 1 / Z1(i) - lambda / Z2(i) for D. Split the distances into two classes,
// the multiples of `period` (bumped) and the rest: inside a class w falls as d grows. So in one row the entry of
// largest |value| among the ordinary keys sits at the smallest distance of the range or at its smallest bumped
// distance. Across the rows of a cell whose keys all precede its rows, c(i) > 0 falls as i grows (Z grows; for D see
// demo_long.h), and the smallest distance grows with i, so the first row wins for the first candidate, and for the
// bumped one the first row that reaches the smallest bumped distance. Key 0 and the spike key are checked entry by
// entry; a candidate that lands on one of them sends its cell (or row) to the plain loop.
#include "demo_long.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

namespace diffscope::ui {

namespace {

constexpr int kStatRows = 64;

double distance_weight(const LongDemoHead& h, int64_t d) {
  const double smooth = std::pow(1.0 + static_cast<double>(d), -h.alpha);
  return h.period > 0 && d > 0 && d % h.period == 0 ? smooth * (1.0 + h.bump) : smooth;
}

int64_t spike_key_of(int64_t T) { return T / 3; }
int64_t spike_row_of(int64_t T) { return T * 3 / 4 + 1; }

// A head with its rows' normalizers, shared by every map of the head.
struct HeadTables {
  LongDemoHead p;
  int64_t T = 0;
  std::vector<double> w;       // w(d) for d in [0, T): a table, as the statistics read every entry of their rows
  std::vector<double> z1, z2;  // Z(i) of A (or A1), and of A2

  HeadTables(const LongDemoHead& head, int64_t tokens, bool diff) : p(head), T(tokens) {
    w.resize(static_cast<size_t>(T));
    z1.resize(static_cast<size_t>(T));
    if (diff) z2.resize(static_cast<size_t>(T));
    double w_sum = 0;
    const int64_t spike_row = spike_row_of(T);
    for (int64_t i = 0; i < T; ++i) {
      w[static_cast<size_t>(i)] = distance_weight(p, i);
      w_sum += w[static_cast<size_t>(i)];  // adds w(d = i): the sum over d in [0, i]
      z1[static_cast<size_t>(i)] = w_sum + p.sink + (i >= spike_row ? p.spike : 0.0);
      if (diff) z2[static_cast<size_t>(i)] = w_sum + p.sink2;
    }
  }

  bool special(int64_t i, int64_t j) const { return j == 0 || (j == spike_key_of(T) && i >= spike_row_of(T)); }

  double value(MapKind kind, int64_t i, int64_t j) const {
    if (j > i || j < 0 || i >= T) return 0.0;
    const double wd = w[static_cast<size_t>(i - j)];
    const double a1 = (wd + (j == 0 ? p.sink : 0.0) + (j == spike_key_of(T) && i >= spike_row_of(T) ? p.spike : 0.0)) /
                      z1[static_cast<size_t>(i)];
    if (kind == MapKind::Standard || kind == MapKind::A1) return a1;
    const double a2 = (wd + (j == 0 ? p.sink2 : 0.0)) / z2[static_cast<size_t>(i)];
    return kind == MapKind::A2 ? a2 : a1 - p.lambda * a2;
  }
};

// The entry of largest |value| seen so far (the negative one on equal magnitudes, as the engine's pooling).
struct Extreme {
  double v = 0;
  bool any = false;
  void see(double x) {
    if (!any || std::fabs(x) > std::fabs(v) || (std::fabs(x) == std::fabs(v) && x < v)) v = x;
    any = true;
  }
};

// The smallest bumped distance in [lo, hi], or -1.
int64_t first_bump(const LongDemoHead& p, int64_t lo, int64_t hi) {
  if (p.period <= 0) return -1;
  const int64_t m = std::max<int64_t>(1, (std::max<int64_t>(lo, 1) + p.period - 1) / p.period) * p.period;
  return m <= hi ? m : -1;
}

// Row i over keys [k0, k1] (inclusive, causal): the ordinary candidates, the special entries, or every key.
void pool_row(const HeadTables& h, MapKind kind, int64_t i, int64_t k0, int64_t k1, Extreme& out) {
  const int64_t d_lo = i - k1, d_hi = i - k0;
  const int64_t bump = first_bump(h.p, d_lo, d_hi);
  if (h.special(i, k1) || (bump >= 0 && h.special(i, i - bump))) {
    for (int64_t j = k0; j <= k1; ++j) out.see(h.value(kind, i, j));
    return;
  }
  out.see(h.value(kind, i, k1));
  if (bump >= 0) out.see(h.value(kind, i, i - bump));
  if (k0 == 0) out.see(h.value(kind, i, 0));
  const int64_t s = spike_key_of(h.T);
  if (i >= spike_row_of(h.T) && k0 <= s && s <= k1) out.see(h.value(kind, i, s));
}

// Cell of rows [r0, r1) and keys [c0, c1): the max-|value| entry among its causal ones, 0 when it has none.
double pool_cell(const HeadTables& h, MapKind kind, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  Extreme out;
  if (c1 - 1 <= r0) {  // every key precedes every row: the first rows hold the ordinary candidates
    const int64_t bump = first_bump(h.p, r0 - (c1 - 1), (r1 - 1) - c0);
    const int64_t bump_row = bump >= 0 ? std::max(r0, bump + c0) : -1;
    if (!h.special(r0, c1 - 1) && (bump < 0 || !h.special(bump_row, bump_row - bump))) {
      out.see(h.value(kind, r0, c1 - 1));
      if (bump >= 0) out.see(h.value(kind, bump_row, bump_row - bump));
      const int64_t s = spike_key_of(h.T);
      for (int64_t i = r0; i < r1; ++i) {
        if (c0 == 0) out.see(h.value(kind, i, 0));
        if (i >= spike_row_of(h.T) && c0 <= s && s < c1) out.see(h.value(kind, i, s));
      }
      return out.v;
    }
  }
  for (int64_t i = r0; i < r1; ++i) {
    const int64_t k1 = std::min(c1 - 1, i);
    if (k1 >= c0) pool_row(h, kind, i, c0, k1, out);
  }
  return out.any ? out.v : 0.0;
}

Matrix pooled(const HeadTables& h, MapKind kind, int64_t r0, int64_t r1, int64_t c0, int64_t c1, int64_t pool) {
  Matrix m;
  m.rows = (r1 - r0 + pool - 1) / pool;
  m.cols = (c1 - c0 + pool - 1) / pool;
  m.values.resize(static_cast<size_t>(m.rows * m.cols));
  for (int64_t a = 0; a < m.rows; ++a) {
    const int64_t ra = r0 + a * pool, rb = std::min(r1, ra + pool);
    for (int64_t b = 0; b < m.cols; ++b) {
      const int64_t ca = c0 + b * pool, cb = std::min(c1, ca + pool);
      m.values[static_cast<size_t>(a * m.cols + b)] = static_cast<float>(pool_cell(h, kind, ra, rb, ca, cb));
    }
  }
  return m;
}

class LongDemoStore : public MapStore {
 public:
  LongDemoStore(std::vector<std::vector<HeadTables>> heads, int64_t tokens, bool diff)
      : heads_(std::move(heads)), tokens_(tokens), diff_(diff) {}

  Matrix window(const MapWindow& w) const override {
    if (w.layer < 0 || w.layer >= static_cast<int>(heads_.size())) throw std::invalid_argument("no such layer");
    if ((w.kind == MapKind::Standard) == diff_) throw std::invalid_argument("this model has no such map");
    const auto& layer = heads_[static_cast<size_t>(w.layer)];
    if (w.head == kMeanOfHeads) {
      throw std::invalid_argument("the long demo pools single heads only: its mean of heads would need every entry");
    }
    if (w.head < 0 || w.head >= static_cast<int>(layer.size())) throw std::invalid_argument("no such head");
    const int64_t r1 = w.row_end < 0 ? tokens_ : w.row_end, c1 = w.col_end < 0 ? tokens_ : w.col_end;
    if (w.row_begin < 0 || w.col_begin < 0 || r1 > tokens_ || c1 > tokens_ || r1 <= w.row_begin ||
        c1 <= w.col_begin || w.pool < 1) {
      throw std::invalid_argument("window outside the map");
    }
    return pooled(layer[static_cast<size_t>(w.head)], w.kind, w.row_begin, r1, w.col_begin, c1, w.pool);
  }
  int64_t tokens() const override { return tokens_; }
  int64_t device_bytes() const override { return 0; }

  const HeadTables& head(int layer, int h) const { return heads_[static_cast<size_t>(layer)][static_cast<size_t>(h)]; }

 private:
  std::vector<std::vector<HeadTables>> heads_;
  int64_t tokens_;
  bool diff_;
};

// HeadStats over kStatRows evenly spaced rows (each exact), with demo_snapshot's definitions: entropy and max of the
// positive part renormalized, sink and distance signed.
HeadStats sampled_stats(const HeadTables& h, MapKind kind) {
  double entropy = 0, sink = 0, max_att = 0, distance = 0;
  int entropy_rows = 0;
  const int rows = static_cast<int>(std::min<int64_t>(kStatRows, h.T));
  for (int k = 0; k < rows; ++k) {
    const int64_t i = (2 * static_cast<int64_t>(k) + 1) * h.T / (2 * rows);
    double pos_sum = 0;
    for (int64_t j = 0; j <= i; ++j) pos_sum += std::max(0.0, h.value(kind, i, j));
    double ent = 0, row_max = 0;
    for (int64_t j = 0; j <= i; ++j) {
      const double a = h.value(kind, i, j);
      const double q = pos_sum > 0 ? std::max(0.0, a) / pos_sum : 0.0;
      if (q > 0) ent -= q * std::log(q);
      row_max = std::max(row_max, q);
      distance += a * static_cast<double>(i - j);
    }
    if (i >= 1) {
      entropy += ent / std::log(static_cast<double>(i + 1));
      ++entropy_rows;
    }
    sink += h.value(kind, i, 0);
    max_att += row_max;
  }
  HeadStats s;
  s.entropy = entropy_rows > 0 ? entropy / entropy_rows : 0.0;
  s.sink_mass = sink / rows;
  s.max_attention = max_att / rows;
  s.distance = distance / rows;
  return s;
}

}  // namespace

double long_demo_value(const LongDemoHead& head, MapKind kind, int64_t tokens, int64_t i, int64_t j) {
  return HeadTables(head, tokens, kind != MapKind::Standard).value(kind, i, j);
}

Matrix long_demo_window(const LongDemoHead& head, MapKind kind, int64_t tokens, const MapWindow& w) {
  const HeadTables h(head, tokens, kind != MapKind::Standard);
  return pooled(h, kind, w.row_begin, w.row_end < 0 ? tokens : w.row_end, w.col_begin,
                w.col_end < 0 ? tokens : w.col_end, w.pool);
}

AttentionSnapshot make_long_demo_snapshot(const DemoSpec& spec) {
  const bool diff = spec.kind == AttentionKind::Differential;
  const int64_t T = std::max<int64_t>(1, spec.tokens);
  AttentionSnapshot s;
  const std::string filler = "The magic number of Paris is 4721. The grass is green and the sky is blue. ";
  for (int64_t i = 0; i < T; ++i) {
    const char c = filler[static_cast<size_t>(i) % filler.size()];
    s.tokens.push_back({static_cast<unsigned char>(c), std::string(1, c), i, i + 1, std::string()});  // no vocabulary
  }
  s.model.kind = spec.kind;
  s.model.model_type = diff ? "diffllama" : "llama";
  s.model.attention_variant = diff ? "diff-v1" : "standard";
  s.model.name = diff ? "demo-diff" : "demo-standard";
  s.model.num_layers = spec.layers;
  s.model.num_heads = spec.heads;
  s.model.num_sub_heads = diff ? 2 * spec.heads : spec.heads;
  s.model.device = "cpu";
  s.request.maps = CaptureRequest::Maps::None;

  std::mt19937 rng(spec.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<std::vector<HeadTables>> heads(static_cast<size_t>(spec.layers));
  std::vector<double> lambdas;
  for (int l = 0; l < spec.layers; ++l) {
    const double lambda = std::min(0.95, 0.8 - 0.6 * std::exp(-0.3 * l) + 0.1 * (unit(rng) - 0.5));
    lambdas.push_back(lambda);
    for (int h = 0; h < spec.heads; ++h) {
      LongDemoHead p;
      p.alpha = 0.9 + 0.9 * unit(rng);
      p.period = unit(rng) < 0.3 ? 0 : 5 + static_cast<int64_t>(40 * unit(rng));
      p.bump = 1.0 + 3.0 * unit(rng);
      p.sink = 3.0 + 7.0 * unit(rng);
      p.spike = diff || h % 2 == 0 ? 10.0 + 30.0 * unit(rng) : 0.0;
      p.sink2 = p.sink + p.spike + 5.0 + 20.0 * unit(rng);  // >= sink + spike: see demo_long.h
      p.lambda = diff ? lambda : 0.0;
      heads[static_cast<size_t>(l)].emplace_back(p, T, diff);
    }
  }
  auto store = std::make_shared<LongDemoStore>(std::move(heads), T, diff);

  const std::vector<MapKind> kinds = diff ? std::vector<MapKind>{MapKind::A1, MapKind::A2, MapKind::Diff}
                                          : std::vector<MapKind>{MapKind::Standard};
  const int64_t cell = MapOverview::cell_for(T, 256);
  s.layers.resize(static_cast<size_t>(spec.layers));
  for (int l = 0; l < spec.layers; ++l) {
    LayerCapture& layer = s.layers[static_cast<size_t>(l)];
    layer.overview.cell = cell;
    for (MapKind kind : kinds) {
      layer.overview.maps(kind).resize(static_cast<size_t>(spec.heads));
      layer.stats(kind).resize(static_cast<size_t>(spec.heads));
    }
    if (diff) {
      layer.lambda.rows = spec.heads;
      layer.lambda.cols = T;
      layer.lambda.values.assign(static_cast<size_t>(spec.heads * T),
                                 static_cast<float>(lambdas[static_cast<size_t>(l)]));
      layer.lambda_init = 0.8 - 0.6 * std::exp(-0.3 * l);
    }
    layer.attn_logits = OutlierStats{diff ? 6.0 + l : 12.0 + 3 * l, diff ? 5.0 + l : 10.0 + 3 * l, 1.0};
    layer.hidden_states = OutlierStats{diff ? 20.0 + 4 * l : 40.0 + 10 * l, 15.0, 0.8};
  }
  // Overviews and statistics of every map, spread over the machine's threads (each job writes its own slots).
  struct Job {
    int layer, head;
    MapKind kind;
  };
  std::vector<Job> jobs;
  for (int l = 0; l < spec.layers; ++l)
    for (int h = 0; h < spec.heads; ++h)
      for (MapKind kind : kinds) jobs.push_back({l, h, kind});
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k = next++; k < jobs.size(); k = next++) {
      const Job& job = jobs[k];
      LayerCapture& layer = s.layers[static_cast<size_t>(job.layer)];
      const HeadTables& h = store->head(job.layer, job.head);
      layer.overview.maps(job.kind)[static_cast<size_t>(job.head)] = pooled(h, job.kind, 0, T, 0, T, cell);
      layer.stats(job.kind)[static_cast<size_t>(job.head)] = sampled_stats(h, job.kind);
    }
  };
  std::vector<std::thread> threads;
  const unsigned n = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  for (unsigned t = 1; t < n; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  s.store = std::move(store);
  return s;
}

}  // namespace diffscope::ui
