// The long demo (ui/demo_long.h): its windows and overviews, pooled from a few entries per cell, equal a naive
// max-|value| pooling of every entry of the same formula; its A rows are softmax rows (sum 1) and D's rows sum to
// 1 - lambda. Test thread.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "demo_long.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

// Every causal entry of the cell, the largest |value| (the negative one on ties), 0 for none.
Matrix naive_pooled(const LongDemoHead& h, MapKind kind, int64_t T, const MapWindow& w) {
  const int64_t r1 = w.row_end < 0 ? T : w.row_end, c1 = w.col_end < 0 ? T : w.col_end;
  Matrix m;
  m.rows = (r1 - w.row_begin + w.pool - 1) / w.pool;
  m.cols = (c1 - w.col_begin + w.pool - 1) / w.pool;
  for (int64_t a = 0; a < m.rows; ++a) {
    for (int64_t b = 0; b < m.cols; ++b) {
      double best = 0;
      bool any = false;
      for (int64_t i = w.row_begin + a * w.pool; i < std::min(r1, w.row_begin + (a + 1) * w.pool); ++i) {
        for (int64_t j = w.col_begin + b * w.pool; j < std::min(c1, w.col_begin + (b + 1) * w.pool) && j <= i; ++j) {
          const double v = long_demo_value(h, kind, T, i, j);
          if (!any || std::fabs(v) > std::fabs(best) || (std::fabs(v) == std::fabs(best) && v < best)) best = v;
          any = true;
        }
      }
      m.values.push_back(static_cast<float>(best));
    }
  }
  return m;
}

int64_t differing(const Matrix& a, const Matrix& b) {
  if (a.rows != b.rows || a.cols != b.cols) return -1;
  int64_t n = 0;
  for (size_t k = 0; k < a.values.size(); ++k) n += a.values[k] != b.values[k] ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("long demo windows equal a naive pooling of the formula, for every map kind and many cell shapes") {
  for (const AttentionKind kind : {AttentionKind::Differential, AttentionKind::Standard}) {
    DemoSpec spec;
    spec.kind = kind;
    spec.layers = 2;
    spec.heads = 3;
    spec.tokens = 301;  // spike key 100, spike rows from 226
    spec.seed = 5;
    const AttentionSnapshot snap = make_long_demo_snapshot(spec);
    REQUIRE(snap.store);
    REQUIRE(snap.tokens.size() == 301);
    const bool diff = kind == AttentionKind::Differential;
    const std::vector<MapKind> kinds =
        diff ? std::vector<MapKind>{MapKind::A1, MapKind::A2, MapKind::Diff} : std::vector<MapKind>{MapKind::Standard};
    // The head parameters are not exposed: the test reads them back through pool 1 windows, entry by entry, against
    // the formula of each candidate head and asks the store for the rest. Instead it checks the store against itself
    // at pool 1 (every entry) and the pooled windows against a naive pooling of those entries.
    std::mt19937 rng(3);
    for (int layer = 0; layer < spec.layers; ++layer) {
      for (int head = 0; head < spec.heads; ++head) {
        for (MapKind k : kinds) {
          MapWindow whole;
          whole.layer = layer;
          whole.head = head;
          whole.kind = k;
          const Matrix entries = snap.store->window(whole);  // pool 1: the map itself
          REQUIRE(entries.rows == 301);
          for (int trial = 0; trial < 12; ++trial) {
            MapWindow w = whole;
            std::uniform_int_distribution<int64_t> pos(0, 300), pool(1, 40);
            w.row_begin = pos(rng);
            w.row_end = std::min<int64_t>(301, w.row_begin + 1 + pos(rng));
            w.col_begin = pos(rng);
            w.col_end = std::min<int64_t>(301, w.col_begin + 1 + pos(rng));
            w.pool = pool(rng);
            const Matrix got = snap.store->window(w);
            // The naive pooling of the pool-1 entries.
            Matrix want;
            want.rows = got.rows;
            want.cols = got.cols;
            for (int64_t a = 0; a < got.rows; ++a) {
              for (int64_t b = 0; b < got.cols; ++b) {
                float best = 0;
                bool any = false;
                for (int64_t i = w.row_begin + a * w.pool; i < std::min(w.row_end, w.row_begin + (a + 1) * w.pool); ++i)
                  for (int64_t j = w.col_begin + b * w.pool;
                       j < std::min(w.col_end, w.col_begin + (b + 1) * w.pool) && j <= i; ++j) {
                    const float v = entries.at(i, j);
                    if (!any || std::fabs(v) > std::fabs(best) || (std::fabs(v) == std::fabs(best) && v < best)) best = v;
                    any = true;
                  }
                want.values.push_back(best);
              }
            }
            INFO("layer " << layer << " head " << head << " kind " << map_kind_name(k) << " rows " << w.row_begin
                          << ":" << w.row_end << " cols " << w.col_begin << ":" << w.col_end << " pool " << w.pool);
            CHECK(differing(got, want) == 0);
          }
          // The overview is the whole map pooled at its cell.
          MapWindow ov = whole;
          ov.pool = snap.layers[static_cast<size_t>(layer)].overview.cell;
          CHECK(differing(snap.layers[static_cast<size_t>(layer)].overview.maps(k)[static_cast<size_t>(head)],
                          snap.store->window(ov)) == 0);
          // Rows: A, A1, A2 sum to 1; D to 1 - lambda.
          const double lambda = diff ? snap.layers[static_cast<size_t>(layer)].lambda.at(head, 0) : 0.0;
          for (int64_t i : {0, 1, 150, 226, 300}) {
            double sum = 0;
            for (int64_t j = 0; j <= i; ++j) sum += entries.at(i, j);
            CHECK(sum == Approx(k == MapKind::Diff ? 1.0 - lambda : 1.0).margin(1e-5));
          }
        }
      }
    }
  }
}

TEST_CASE("long demo pooling equals a naive pooling for heads whose candidates fall on bumps, key 0 and the spike") {
  const int64_t T = 97;  // spike key 32, spike rows from 73
  LongDemoHead h;
  h.alpha = 0.8;
  h.period = 3;
  h.bump = 2.0;
  h.sink = 20;
  h.spike = 150;
  h.sink2 = 200;
  h.lambda = 0.7;
  // The formula by hand at a few entries: row 5, key 2 (d = 3, a bump): w = 4^-0.8 * 3; key 0 adds the sink.
  double z = 0;
  for (int64_t d = 0; d <= 5; ++d) z += std::pow(1.0 + d, -0.8) * (d > 0 && d % 3 == 0 ? 3.0 : 1.0);
  CHECK(long_demo_value(h, MapKind::A1, T, 5, 2) == Approx(std::pow(4.0, -0.8) * 3.0 / (z + 20)));
  CHECK(long_demo_value(h, MapKind::A1, T, 5, 0) == Approx((std::pow(6.0, -0.8) + 20) / (z + 20)));
  CHECK(long_demo_value(h, MapKind::A1, T, 5, 6) == 0.0);  // above the diagonal
  CHECK(long_demo_value(h, MapKind::Diff, T, 80, 0) < 0);  // A2's stronger sink: D is negative on key 0

  std::mt19937 rng(11);
  for (const int64_t period : {0, 1, 2, 3, 7}) {
    h.period = period;
    for (MapKind k : {MapKind::Standard, MapKind::A1, MapKind::A2, MapKind::Diff}) {
      for (int trial = 0; trial < 60; ++trial) {
        std::uniform_int_distribution<int64_t> pos(0, T - 1), pool(1, 35);
        MapWindow w;
        w.kind = k;
        w.row_begin = pos(rng);
        w.row_end = std::min<int64_t>(T, w.row_begin + 1 + pos(rng));
        w.col_begin = pos(rng) / (trial % 3 == 0 ? 8 : 1);  // often key 0 or near it
        w.col_end = std::min<int64_t>(T, w.col_begin + 1 + pos(rng));
        w.pool = pool(rng);
        INFO("period " << period << " kind " << map_kind_name(k) << " rows " << w.row_begin << ":" << w.row_end
                       << " cols " << w.col_begin << ":" << w.col_end << " pool " << w.pool);
        CHECK(differing(long_demo_window(h, k, T, w), naive_pooled(h, k, T, w)) == 0);
      }
    }
  }
}
