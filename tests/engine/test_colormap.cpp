// Tests of engine/colormap: table endpoints, names, value -> position mapping in every mode, auto_scale. Main thread.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "colormap.h"

using diffscope::ColorScale;
using diffscope::Colormap;
using diffscope::Matrix;
using Rgb = std::array<uint8_t, 3>;

namespace {

ColorScale scale_of(ColorScale::Mode mode, float vmin, float vmax, bool diverging = false) {
  ColorScale scale;
  scale.mode = mode;
  scale.vmin = vmin;
  scale.vmax = vmax;
  scale.diverging = diverging;
  return scale;
}

Matrix matrix_of(int64_t rows, int64_t cols, std::vector<float> values) {
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.values = std::move(values);
  return m;
}

}  // namespace

TEST_CASE("tables start and end at matplotlib's endpoint colours", "[colormap]") {
  // Endpoints as generated from matplotlib 3.6.3 into engine/colormap_data.inc.
  CHECK(diffscope::colormap_sample(Colormap::Viridis, 0.0f) == Rgb{68, 1, 84});
  CHECK(diffscope::colormap_sample(Colormap::Viridis, 1.0f) == Rgb{253, 231, 37});
  CHECK(diffscope::colormap_sample(Colormap::Magma, 0.0f) == Rgb{0, 0, 4});
  CHECK(diffscope::colormap_sample(Colormap::Magma, 1.0f) == Rgb{252, 253, 191});
  CHECK(diffscope::colormap_sample(Colormap::RdBu, 0.0f) == Rgb{5, 48, 97});    // dark blue: most negative
  CHECK(diffscope::colormap_sample(Colormap::RdBu, 1.0f) == Rgb{103, 0, 31});   // dark red: most positive
}

TEST_CASE("colormap_sample clamps t and colormap_table is the same data", "[colormap]") {
  for (Colormap c : {Colormap::Viridis, Colormap::Magma, Colormap::RdBu}) {
    const uint8_t* table = diffscope::colormap_table(c);
    CHECK(diffscope::colormap_sample(c, -3.0f) == Rgb{table[0], table[1], table[2]});
    CHECK(diffscope::colormap_sample(c, std::numeric_limits<float>::quiet_NaN()) == Rgb{table[0], table[1], table[2]});
    const uint8_t* last = table + 3 * 255;
    CHECK(diffscope::colormap_sample(c, 7.0f) == Rgb{last[0], last[1], last[2]});
    const uint8_t* entry100 = table + 3 * 100;
    CHECK(diffscope::colormap_sample(c, 100.0f / 255.0f) == Rgb{entry100[0], entry100[1], entry100[2]});
  }
}

TEST_CASE("RdBu_r is near white at its centre", "[colormap]") {
  const Rgb centre = diffscope::colormap_sample(Colormap::RdBu, 0.5f);
  for (uint8_t channel : centre) CHECK(channel >= 240);
  // The two middle entries straddle white: one a touch blue, one a touch red.
  const uint8_t* table = diffscope::colormap_table(Colormap::RdBu);
  CHECK(table[3 * 127 + 2] >= table[3 * 127 + 0]);
  CHECK(table[3 * 128 + 0] >= table[3 * 128 + 2]);
}

TEST_CASE("colormap names round-trip", "[colormap]") {
  for (Colormap c : {Colormap::Viridis, Colormap::Magma, Colormap::RdBu}) {
    Colormap parsed = Colormap::Magma == c ? Colormap::Viridis : Colormap::Magma;
    REQUIRE(diffscope::colormap_from_name(diffscope::colormap_name(c), &parsed));
    CHECK(parsed == c);
  }
  Colormap parsed = Colormap::Viridis;
  CHECK(diffscope::colormap_from_name("RdBu_r", &parsed));
  CHECK(parsed == Colormap::RdBu);
  CHECK_FALSE(diffscope::colormap_from_name("jet", &parsed));
  CHECK(parsed == Colormap::RdBu);
}

TEST_CASE("linear positions", "[colormap]") {
  const ColorScale s = scale_of(ColorScale::Mode::Linear, 0.0f, 2.0f);
  CHECK(diffscope::color_scale_position(s, 0.5f) == Approx(0.25f));
  CHECK(diffscope::color_scale_position(s, 2.0f) == Approx(1.0f));
  CHECK(diffscope::color_scale_position(s, 3.0f) == 1.0f);
  CHECK(diffscope::color_scale_position(s, -1.0f) == 0.0f);
}

TEST_CASE("log positions", "[colormap]") {
  ColorScale s = scale_of(ColorScale::Mode::Log, 0.001f, 1.0f);
  CHECK(diffscope::color_scale_position(s, 0.01f) == Approx(1.0f / 3.0f));   // -2 in [-3, 0]
  CHECK(diffscope::color_scale_position(s, 1.0f) == Approx(1.0f));
  CHECK(diffscope::color_scale_position(s, 0.0f) == 0.0f);                   // below the floor and vmin
  s.vmin = 0.0f;                                                            // lower end becomes the floor 1e-4
  CHECK(diffscope::color_scale_position(s, 0.01f) == Approx(0.5f));          // -2 in [-4, 0]
  CHECK(diffscope::color_scale_position(s, 0.0f) == 0.0f);
}

TEST_CASE("gamma positions", "[colormap]") {
  ColorScale s = scale_of(ColorScale::Mode::Gamma, 0.0f, 1.0f);
  s.gamma = 0.5f;
  CHECK(diffscope::color_scale_position(s, 0.25f) == Approx(0.5f));
  s.vmax = 2.0f;
  CHECK(diffscope::color_scale_position(s, 0.5f) == Approx(0.5f));   // linear 0.25, sqrt 0.5
}

TEST_CASE("diverging positions are symmetric around 0.5", "[colormap]") {
  ColorScale linear = scale_of(ColorScale::Mode::Linear, -2.0f, 1.0f, true);  // limit m = 2
  CHECK(diffscope::color_scale_position(linear, 0.0f) == Approx(0.5f));
  CHECK(diffscope::color_scale_position(linear, 1.0f) == Approx(0.75f));
  CHECK(diffscope::color_scale_position(linear, -1.0f) == Approx(0.25f));
  CHECK(diffscope::color_scale_position(linear, 2.0f) == Approx(1.0f));
  CHECK(diffscope::color_scale_position(linear, -5.0f) == 0.0f);

  ColorScale gamma = scale_of(ColorScale::Mode::Gamma, -2.0f, 2.0f, true);
  gamma.gamma = 0.5f;
  CHECK(diffscope::color_scale_position(gamma, 0.5f) == Approx(0.75f));   // |v|/m = 0.25, sqrt 0.5
  CHECK(diffscope::color_scale_position(gamma, -0.5f) == Approx(0.25f));

  ColorScale log_scale = scale_of(ColorScale::Mode::Log, -1.0f, 1.0f, true);
  log_scale.log_floor = 0.01f;
  CHECK(diffscope::color_scale_position(log_scale, 0.1f) == Approx(0.75f));     // log10 0.1 = -1 in [-2, 0]
  CHECK(diffscope::color_scale_position(log_scale, -0.1f) == Approx(0.25f));
  CHECK(diffscope::color_scale_position(log_scale, 0.001f) == Approx(0.5f));    // under the floor: drawn as zero

  for (const ColorScale* s : {&linear, &gamma, &log_scale}) {
    for (float v : {0.03f, 0.3f, 0.7f, 1.5f}) {
      INFO("mode " << static_cast<int>(s->mode) << ", v = " << v);
      CHECK(diffscope::color_scale_position(*s, v) + diffscope::color_scale_position(*s, -v) == Approx(1.0f));
    }
  }
}

TEST_CASE("degenerate scales and NaN", "[colormap]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (ColorScale::Mode mode : {ColorScale::Mode::Linear, ColorScale::Mode::Log, ColorScale::Mode::Gamma}) {
    INFO("mode " << static_cast<int>(mode));
    CHECK(diffscope::color_scale_position(scale_of(mode, 0.3f, 0.3f), 0.3f) == 0.0f);
    CHECK(diffscope::color_scale_position(scale_of(mode, 0.0f, 0.0f, true), 0.0f) == 0.5f);
    CHECK(diffscope::color_scale_position(scale_of(mode, 0.0f, 1.0f), nan) == 0.0f);
    CHECK(diffscope::color_scale_position(scale_of(mode, -1.0f, 1.0f, true), nan) == 0.0f);
    CHECK(diffscope::color_scale_position(scale_of(mode, nan, 1.0f), 0.5f) == 0.0f);
  }
}

TEST_CASE("auto_scale uses visible causal entries and can skip the sink column", "[colormap]") {
  // Upper triangle (masked) holds 100s that must never count; column 0 holds the big sink values.
  const Matrix map = matrix_of(3, 3, {5.0f, 100.0f, 100.0f,
                                      4.0f, 0.2f, 100.0f,
                                      3.0f, 0.1f, 0.6f});
  const ColorScale with_sink = diffscope::auto_scale(map, false, false);
  CHECK(with_sink.vmin == 0.1f);
  CHECK(with_sink.vmax == 5.0f);
  CHECK_FALSE(with_sink.diverging);
  CHECK(with_sink.mode == ColorScale::Mode::Linear);

  const ColorScale without_sink = diffscope::auto_scale(map, false, true);
  CHECK(without_sink.vmin == 0.1f);
  CHECK(without_sink.vmax == 0.6f);
}

TEST_CASE("auto_scale of a signed map is diverging and symmetric", "[colormap]") {
  const Matrix diff = matrix_of(3, 3, {0.9f, -7.0f, 7.0f,
                                       -0.5f, 0.2f, 7.0f,
                                       0.3f, -0.3f, 0.1f});
  const ColorScale s = diffscope::auto_scale(diff, true, false);
  CHECK(s.diverging);
  CHECK(s.vmin == -0.9f);
  CHECK(s.vmax == 0.9f);
  const ColorScale skipped = diffscope::auto_scale(diff, true, true);
  CHECK(skipped.vmin == -0.3f);
  CHECK(skipped.vmax == 0.3f);
}

TEST_CASE("auto_scale edge cases", "[colormap]") {
  // A 1 x 1 map has only the sink: skipping it would leave nothing, so it is used.
  const ColorScale single = diffscope::auto_scale(matrix_of(1, 1, {0.7f}), false, true);
  CHECK(single.vmin == 0.7f);
  CHECK(single.vmax == 0.7f);

  const ColorScale empty = diffscope::auto_scale(Matrix{}, false, true);
  CHECK(empty.vmin == 0.0f);
  CHECK(empty.vmax == 1.0f);
  const ColorScale empty_signed = diffscope::auto_scale(Matrix{}, true, false);
  CHECK(empty_signed.vmin == -1.0f);
  CHECK(empty_signed.vmax == 1.0f);

  const float nan = std::numeric_limits<float>::quiet_NaN();
  const ColorScale with_nan = diffscope::auto_scale(matrix_of(2, 2, {nan, 0.0f, 0.25f, 0.5f}), false, false);
  CHECK(with_nan.vmin == 0.25f);
  CHECK(with_nan.vmax == 0.5f);
}
