// The per-snapshot lambda summary against the direct walks it replaces (lambda_rows.h, LayerCapture::mean_lambda):
// V1 (one value a head), V2 (varying by row), differences at the tolerance, empty and missing lambda, a standard
// model. Test thread.
#include <catch2/catch.hpp>

#include <cmath>

#include "demo_snapshot.h"
#include "lambda_summary.h"
#include "lambda_snapshots.h"

using namespace diffscope;
using namespace diffscope::ui;
using namespace diffscope::ui::testing;

namespace {

// Same figures, NaN equal to NaN (an empty range's min / mean / max).
void check_same(const ValueRange& got, const ValueRange& want) {
  CHECK(got.count == want.count);
  CHECK(got.empty() == want.empty());
  for (const auto& [g, w] : {std::pair{got.min, want.min}, std::pair{got.mean, want.mean},
                             std::pair{got.max, want.max}}) {
    if (std::isnan(w)) CHECK(std::isnan(g));
    else CHECK(g == w);  // the same sums in the same order: bit-equal, not just close
  }
}

// Every figure of the summary equals the direct computation on the snapshot.
void check_matches_direct(const AttentionSnapshot& s) {
  const LambdaSummary sum = summarize_lambda(s);
  const bool diff = s.model.kind == AttentionKind::Differential;
  REQUIRE(sum.layers.size() == s.layers.size());
  CHECK(sum.varies_by_row == lambda_varies_by_row(s));
  for (int head : {-1, 0, 1, 2, 7}) {
    const std::vector<ValueRange> direct = lambda_ranges_by_layer(s, head), summed = sum.ranges_by_layer(head);
    REQUIRE(summed.size() == direct.size());
    for (size_t l = 0; l < direct.size(); ++l) check_same(summed[l], direct[l]);
  }
  for (size_t l = 0; l < s.layers.size(); ++l) {
    const LayerCapture& layer = s.layers[l];
    const int li = static_cast<int>(l);
    CHECK(sum.layer_varies_by_row(li) == (diff && lambda_varies_by_row(layer)));
    if (diff) {
      CHECK(sum.mean(li) == layer.mean_lambda());
      for (int head = 0; head < 3; ++head) {
        const double want = layer_lambda_range(layer, head).mean, got = sum.mean(li, head);
        if (std::isnan(want)) CHECK(std::isnan(got));
        else CHECK(got == want);
      }
      check_same(sum.range(li), layer_lambda_range(layer));
    } else {
      CHECK(std::isnan(sum.mean(li)));
    }
  }
  CHECK(sum.layer(static_cast<int>(s.layers.size())) == nullptr);
  CHECK(sum.layer(-1) == nullptr);
  CHECK_FALSE(sum.layer_varies_by_row(-1));
  CHECK(sum.range(static_cast<int>(s.layers.size())).empty());
}

}  // namespace

TEST_CASE("the lambda summary of V1 and V2 layers equals the direct walks") {
  const AttentionSnapshot s = with_lambdas({kV1, kV2});
  check_matches_direct(s);
  const LambdaSummary sum = summarize_lambda(s);
  CHECK(sum.differential);
  CHECK(sum.varies_by_row);
  CHECK_FALSE(sum.layer_varies_by_row(0));
  CHECK(sum.layer_varies_by_row(1));
  CHECK(sum.range(1, 0).min == 0.2f);
  CHECK(sum.range(1, 0).max == 0.8f);
  CHECK(sum.range(1, 1).count == 3);
  CHECK(sum.mean(1) == Approx(0.45));
  check_matches_direct(with_lambdas({kV1, kV1}));
}

TEST_CASE("the lambda summary says 'varies by row' exactly where the direct test does, at the tolerance") {
  // Rows on both sides of the first row by less than the tolerance each, more than it apart: not varying (the test
  // is against the first row). Then one row just past the tolerance above, and one below.
  const float base = 0.5f;
  const float step = 6e-7f;
  check_matches_direct(with_lambdas({Matrix{1, 3, {base, base - step, base + step}}}));
  CHECK_FALSE(summarize_lambda(with_lambdas({Matrix{1, 3, {base, base - step, base + step}}})).varies_by_row);
  check_matches_direct(with_lambdas({Matrix{1, 3, {base, base, base + 2e-6f}}}));
  check_matches_direct(with_lambdas({Matrix{1, 3, {base, base - 2e-6f, base}}}));
  CHECK(summarize_lambda(with_lambdas({Matrix{1, 3, {base, base - 2e-6f, base}}})).varies_by_row);
  // Values a float rounding away from the tolerance: the largest difference from the first row decides, in float.
  for (float d = 9.0e-7f; d < 1.1e-6f; d += 1.0e-8f) {
    check_matches_direct(with_lambdas({Matrix{2, 2, {0.25f, 0.25f + d, 0.75f, 0.75f - d}}}));
  }
}

TEST_CASE("the lambda summary of demo snapshots (V1, V2) and of a standard model equals the direct walks") {
  DemoSpec d;
  d.tokens = 40;
  d.layers = 3;
  check_matches_direct(make_demo_snapshot(d));  // V1
  d.lambda_per_row = true;
  const AttentionSnapshot v2 = make_demo_snapshot(d);
  check_matches_direct(v2);
  CHECK(summarize_lambda(v2).varies_by_row);
  for (const LayerLambdaSummary& l : summarize_lambda(v2).layers) {
    CHECK_FALSE(std::isnan(l.mean));
    CHECK_FALSE(std::isnan(l.all.min));
    CHECK_FALSE(std::isnan(l.all.max));
  }
  d.kind = AttentionKind::Standard;
  const AttentionSnapshot standard = make_demo_snapshot(d);
  check_matches_direct(standard);
  const LambdaSummary none = summarize_lambda(standard);
  CHECK_FALSE(none.differential);
  CHECK(none.layers.size() == 3);
  CHECK(none.range(0).empty());
}

TEST_CASE("empty lambda: nothing varies, ranges are empty, the mean is 0 as mean_lambda says") {
  const AttentionSnapshot s = with_lambdas({Matrix{}, kV2, Matrix{0, 0, {}}});
  check_matches_direct(s);
  const LambdaSummary sum = summarize_lambda(s);
  CHECK(sum.mean(0) == 0.0);
  CHECK(sum.range(0).empty());
  CHECK(sum.range(0, 0).empty());
  CHECK_FALSE(sum.layer_varies_by_row(0));
  check_matches_direct(AttentionSnapshot{});
  const LambdaSummary empty = summarize_lambda(with_lambdas({}));
  CHECK(empty.layers.empty());
  CHECK_FALSE(empty.varies_by_row);
}
