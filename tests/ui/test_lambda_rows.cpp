// lambda by query row (Diff V2): variation, one head's series, min/mean/max and the screen rows a strip lines up with,
// against hand-derived cases. Test thread.
#include <catch2/catch.hpp>

#include <cmath>

#include "lambda_rows.h"
#include "lambda_snapshots.h"

using namespace diffscope;
using namespace diffscope::ui;
using namespace diffscope::ui::testing;

TEST_CASE("lambda varies by row only when some head's rows differ") {
  const AttentionSnapshot s = with_lambdas({kV1, kV2});
  CHECK_FALSE(lambda_varies_by_row(s.layers[0]));
  CHECK(lambda_varies_by_row(s.layers[1]));
  CHECK(lambda_varies_by_row(s));
  CHECK_FALSE(lambda_varies_by_row(with_lambdas({kV1, kV1})));
  // Differences below the tolerance are V1's float noise, not variation.
  LayerCapture close;
  close.lambda = Matrix{1, 2, {0.3f, 0.3000005f}};
  CHECK_FALSE(lambda_varies_by_row(close));
  CHECK(lambda_varies_by_row(close, 1e-7));
  // A standard model has no lambda, even if a matrix were left in it.
  AttentionSnapshot standard = with_lambdas({kV2});
  standard.model.kind = AttentionKind::Standard;
  CHECK_FALSE(lambda_varies_by_row(standard));
  CHECK_FALSE(lambda_varies_by_row(LayerCapture{}));
}

TEST_CASE("one head's lambda by row") {
  const AttentionSnapshot s = with_lambdas({kV1, kV2});
  CHECK(head_lambda_rows(s, 1, 0) == std::vector<float>{0.2f, 0.5f, 0.8f});
  CHECK(head_lambda_rows(s, 1, 1) == std::vector<float>{0.4f, 0.4f, 0.4f});
  CHECK(head_lambda_rows(s, 0, 1) == std::vector<float>{0.3f, 0.3f, 0.3f});
  CHECK(head_lambda_rows(s, 2, 0).empty());
  CHECK(head_lambda_rows(s, 1, 2).empty());
  CHECK(head_lambda_rows(s, -1, 0).empty());
  AttentionSnapshot standard = s;
  standard.model.kind = AttentionKind::Standard;
  CHECK(head_lambda_rows(standard, 1, 0).empty());
}

TEST_CASE("min, mean and max of lambda over a layer or one head") {
  LayerCapture layer;
  layer.lambda = kV2;
  // All heads and rows: (0.2 + 0.5 + 0.8 + 0.4 + 0.4 + 0.4) / 6 = 2.7 / 6 = 0.45.
  const ValueRange all = layer_lambda_range(layer);
  CHECK(all.count == 6);
  CHECK(all.min == Approx(0.2));
  CHECK(all.mean == Approx(0.45));
  CHECK(all.max == Approx(0.8));
  CHECK(all.varies());
  const ValueRange h0 = layer_lambda_range(layer, 0);  // (0.2 + 0.5 + 0.8) / 3
  CHECK(h0.count == 3);
  CHECK(h0.min == Approx(0.2));
  CHECK(h0.mean == Approx(0.5));
  CHECK(h0.max == Approx(0.8));
  const ValueRange h1 = layer_lambda_range(layer, 1);
  CHECK(h1.mean == Approx(0.4));
  CHECK_FALSE(h1.varies());
  CHECK(layer_lambda_range(layer, 2).empty());
  const ValueRange none = layer_lambda_range(LayerCapture{});
  CHECK(none.empty());
  CHECK(std::isnan(none.mean));
  CHECK_FALSE(none.varies());

  const ValueRange r = value_range({1.0f, -2.0f, 4.0f});
  CHECK(r.min == -2.0);
  CHECK(r.mean == Approx(1.0));
  CHECK(r.max == 4.0);
  CHECK(value_range({}).empty());
}

TEST_CASE("lambda ranges by layer, for the statistics panel") {
  const AttentionSnapshot s = with_lambdas({kV1, kV2});
  const std::vector<ValueRange> all = lambda_ranges_by_layer(s);
  REQUIRE(all.size() == 2);
  CHECK(all[0].min == Approx(0.3));
  CHECK(all[0].max == Approx(0.3));
  CHECK(all[1].mean == Approx(0.45));
  const std::vector<ValueRange> head0 = lambda_ranges_by_layer(s, 0);
  CHECK(head0[1].mean == Approx(0.5));
  CHECK(head0[1].max == Approx(0.8));
  AttentionSnapshot standard = s;
  standard.model.kind = AttentionKind::Standard;
  const std::vector<ValueRange> none = lambda_ranges_by_layer(standard);
  REQUIRE(none.size() == 2);
  CHECK(none[0].empty());
}

TEST_CASE("the lambda axis is [0, 1] unless values leave it") {
  double lo = -9, hi = -9;
  lambda_axis(ValueRange{0.2, 0.45, 0.8, 6}, &lo, &hi);
  CHECK(lo == 0.0);
  CHECK(hi == 1.0);
  lambda_axis(ValueRange{-0.1, 0.5, 1.3, 4}, &lo, &hi);  // V1's lambda may leave (0, 1)
  CHECK(lo == -0.1);
  CHECK(hi == 1.3);
  lambda_axis(ValueRange{}, &lo, &hi);
  CHECK(lo == 0.0);
  CHECK(hi == 1.0);
}

TEST_CASE("visible row bands follow the map's zoom and pan") {
  SECTION("a 4 x 4 map fitted into 100 x 100 pixels: four rows of 25 pixels") {
    const auto bands = visible_row_bands(fit_viewport(4, 4), 4, 4, 100, 100);
    REQUIRE(bands.size() == 4);
    for (int r = 0; r < 4; ++r) {
      CHECK(bands[static_cast<size_t>(r)].row == r);
      CHECK(bands[static_cast<size_t>(r)].y0 == Approx(25.0 * r));
      CHECK(bands[static_cast<size_t>(r)].y1 == Approx(25.0 * (r + 1)));
    }
  }
  SECTION("zoom 2 about the centre: rows 1 and 2, 50 pixels each") {
    MapViewport v = fit_viewport(4, 4);
    v.zoom = 2;
    const auto bands = visible_row_bands(v, 4, 4, 100, 100);
    REQUIRE(bands.size() == 2);
    CHECK(bands[0].row == 1);
    CHECK(bands[0].y0 == Approx(0));
    CHECK(bands[0].y1 == Approx(50));
    CHECK(bands[1].row == 2);
    CHECK(bands[1].y1 == Approx(100));
  }
  SECTION("zoom 2 panned up half a row: rows 0..2, the outer ones clipped") {
    MapViewport v = fit_viewport(4, 4);
    v.zoom = 2;
    v.center_y = 1.5;  // cells 0.5 .. 2.5 visible; row r spans (r - 1.5) * 50 + 50 .. + 50
    const auto bands = visible_row_bands(v, 4, 4, 100, 100);
    REQUIRE(bands.size() == 3);
    CHECK(bands[0].row == 0);
    CHECK(bands[0].y0 == Approx(0));   // -25 clipped
    CHECK(bands[0].y1 == Approx(25));
    CHECK(bands[1].y0 == Approx(25));
    CHECK(bands[1].y1 == Approx(75));
    CHECK(bands[2].row == 2);
    CHECK(bands[2].y0 == Approx(75));
    CHECK(bands[2].y1 == Approx(100));  // 125 clipped
  }
  SECTION("empty maps and widgets have no rows") {
    CHECK(visible_row_bands(fit_viewport(0, 0), 0, 0, 100, 100).empty());
    CHECK(visible_row_bands(fit_viewport(4, 4), 4, 4, 0, 100).empty());
  }
}
