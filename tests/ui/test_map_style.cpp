// Colour scales of shown maps and the colour sampling the shader mirrors. Expected colours are matplotlib's table
// entries (viridis 0 = #440154, 255 = #fde725). Test thread.
#include <catch2/catch.hpp>

#include "map_style.h"

using namespace diffscope;
using namespace diffscope::ui;

TEST_CASE("softmax maps use the sequential colormap from vmin to vmax") {
  DisplaySettings d;
  d.hide_sink = false;
  const Matrix m{2, 2, {1.0f, 0.0f, 0.25f, 0.75f}};
  const ColorScale s = scale_for(m, false, d);
  CHECK(s.vmin == 0.25f);  // the causal entries are 1, 0.25, 0.75; the masked 0 is not visible
  CHECK(s.vmax == 1.0f);
  CHECK_FALSE(s.diverging);
  CHECK(colormap_for(false, d) == Colormap::Viridis);
  CHECK(shaded_color(Colormap::Viridis, s, 0.25f) == std::array<uint8_t, 3>{68, 1, 84});
  CHECK(shaded_color(Colormap::Viridis, s, 1.0f) == std::array<uint8_t, 3>{253, 231, 37});
}

TEST_CASE("hiding the sink leaves key 0 out of the scale") {
  DisplaySettings d;
  d.hide_sink = true;
  const Matrix m{2, 2, {1.0f, 0.0f, 0.9f, 0.1f}};
  const ColorScale s = scale_for(m, false, d);
  CHECK(s.vmin == 0.1f);
  CHECK(s.vmax == 0.1f);
}

TEST_CASE("signed maps are diverging around zero") {
  DisplaySettings d;
  d.hide_sink = false;
  const Matrix m{2, 2, {0.5f, 0.0f, -0.25f, 0.1f}};
  const ColorScale s = scale_for(m, true, d);
  CHECK(s.diverging);
  CHECK(s.vmin == -0.5f);
  CHECK(s.vmax == 0.5f);
  CHECK(colormap_for(true, d) == Colormap::RdBu);
  // 0 sits at t = 0.5: the middle entry of the table.
  CHECK(shaded_color(Colormap::RdBu, s, 0.0f) == colormap_sample(Colormap::RdBu, 0.5f));
}

TEST_CASE("union of scales covers both ranges") {
  ColorScale a, b;
  a.vmin = 0.1f;
  a.vmax = 0.5f;
  b.vmin = 0.0f;
  b.vmax = 0.3f;
  const ColorScale u = union_scale(a, b);
  CHECK(u.vmin == 0.0f);
  CHECK(u.vmax == 0.5f);
}

TEST_CASE("log scale starts at the floor") {
  DisplaySettings d;
  d.hide_sink = false;
  d.mode = ColorScale::Mode::Log;
  d.log_floor = 1e-3f;
  const Matrix m{2, 2, {1.0f, 0.0f, 0.0f, 1.0f}};
  const ColorScale s = scale_for(m, false, d);
  CHECK(s.vmin == 1e-3f);
  CHECK(s.mode == ColorScale::Mode::Log);
}
