// The colorbar's ticks and width (ui/colorbar_layout.h): every label the "%.3g" format can give fits in the width
// reserved beside the map, at every UI scale step, also for a font whose characters differ in width; the width that
// was reserved before (for "-0.0000") cut "-1.23e-05" and "-0.000123" (issue 11). Test thread.
#include <catch2/catch.hpp>

#include <string>

#include "colorbar_layout.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

// A monospace font of 7 px at 100%, scaled; and one whose 'e', '-' and '+' are wider than its digits.
struct FakeFont {
  float scale = 1;
  bool proportional = false;
};
float fake_width(const std::string& text, const void* context) {
  const FakeFont& f = *static_cast<const FakeFont*>(context);
  float w = 0;
  for (const char c : text) w += (f.proportional && (c == 'e' || c == '-' || c == '+') ? 9.0f : 7.0f) * f.scale;
  return w;
}

}  // namespace

TEST_CASE("colorbar labels are %.3g and the ticks keep a text line apart") {
  CHECK(colorbar_label(0.0536f) == "0.0536");
  CHECK(colorbar_label(-1.23e-5f) == "-1.23e-05");
  CHECK(colorbar_label(-0.000123f) == "-0.000123");
  ColorScale diverging;
  diverging.diverging = true;
  diverging.vmin = -0.5f;
  diverging.vmax = 0.25f;
  const std::vector<ColorbarTick> ticks = colorbar_ticks(diverging, 200, 15);
  REQUIRE(ticks.size() == 3);
  CHECK(ticks[0].label == "0.5");
  CHECK(ticks[0].tick_y == Approx(0));
  CHECK(ticks[0].label_y == Approx(0));  // kept within the bar, not half above it
  CHECK(ticks[1].tick_y == Approx(100));
  CHECK(ticks[1].label_y == Approx(92.5));
  CHECK(ticks[2].label == "-0.5");
  CHECK(ticks[2].label_y == Approx(185));
  CHECK(colorbar_ticks(diverging, 20, 15).size() == 2);  // 0 is too close to the top tick on a short bar
}

TEST_CASE("every colorbar label fits in the width reserved for it, at every UI scale") {
  const float values[] = {1.0f, 0.0536f, -0.0536f, -1.23e-5f, -0.000123f, -9.99e-38f, 3.4e38f, -888.0f, 0.0f};
  for (const bool proportional : {false, true}) {
    for (const float scale : {0.75f, 0.9f, 1.0f, 1.1f, 1.25f, 1.5f, 1.75f, 2.0f}) {
      const FakeFont font{scale, proportional};
      const ColorbarMetrics m = colorbar_metrics(scale);
      const float width = colorbar_width(m, fake_width, &font);
      for (const float v : values) {
        const std::string label = colorbar_label(v);
        INFO("label " << label << " at " << scale * 100 << "%, proportional " << proportional);
        CHECK(m.space_before + colorbar_label_x(m) + fake_width(label, &font) + m.margin <= width);
      }
      // The width reserved before this fix: 14 + the width of "-0.0000" + 14 (less 6 before the bar), in which a
      // label started 19 px after the bar's left edge.
      const float before = 14 + fake_width("-0.0000", &font) + 14;
      CHECK(6 + 19 + fake_width("-1.23e-05", &font) > before);
    }
  }
  CHECK(colorbar_metrics(2.0f).bar_width == Approx(28));
}
