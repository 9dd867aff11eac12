// The UI scale's steps (Ctrl+= / Ctrl+-), limits, font size and --ui-scale parsing (ui/ui_scale.h). Test thread.
#include <catch2/catch.hpp>

#include <cmath>

#include "ui_scale.h"

using namespace diffscope::ui;

TEST_CASE("UI scale steps up and down through the fixed steps and stays at the ends") {
  CHECK(step_ui_scale(1.0f, +1) == 1.1f);
  CHECK(step_ui_scale(1.1f, +1) == 1.25f);
  CHECK(step_ui_scale(1.25f, +1) == 1.5f);
  CHECK(step_ui_scale(1.0f, -1) == 0.9f);
  CHECK(step_ui_scale(0.9f, -1) == 0.75f);
  CHECK(step_ui_scale(0.75f, -1) == 0.75f);
  CHECK(step_ui_scale(2.0f, +1) == 2.0f);
  // Between steps (a hand-edited settings.json): the nearest step in that direction.
  CHECK(step_ui_scale(1.3f, +1) == 1.5f);
  CHECK(step_ui_scale(1.3f, -1) == 1.25f);
  // A float read back from JSON a hair off its step still moves one step.
  CHECK(step_ui_scale(1.1000001f, -1) == 1.0f);
  CHECK(step_ui_scale(1.0f, 0) == 1.0f);
}

TEST_CASE("UI scale limits and the font's pixel height") {
  CHECK(clamp_ui_scale(5.0f) == kMaxUiScale);
  CHECK(clamp_ui_scale(0.1f) == kMinUiScale);
  CHECK(clamp_ui_scale(std::nanf("")) == 1.0f);
  CHECK(ui_font_pixels(1.0f, 1.0f) == 15.0f);
  CHECK(ui_font_pixels(1.5f, 1.0f) == 23.0f);  // 22.5 rounded: whole pixels
  CHECK(ui_font_pixels(2.0f, 2.0f) == 60.0f);  // times the monitor's content scale
  CHECK(ui_font_pixels(1.0f, 0.5f) == 15.0f);  // content scales below 1 are not applied (as before)
}

TEST_CASE("--ui-scale takes a percentage or a factor within 75%..200%") {
  CHECK(parse_ui_scale("150") == 1.5f);
  CHECK(parse_ui_scale("150%") == 1.5f);
  CHECK(parse_ui_scale("1.5") == 1.5f);
  CHECK(parse_ui_scale("75") == 0.75f);
  CHECK(parse_ui_scale("2") == 2.0f);
  CHECK_FALSE(parse_ui_scale("250"));
  CHECK_FALSE(parse_ui_scale("50%"));
  CHECK_FALSE(parse_ui_scale("big"));
  CHECK_FALSE(parse_ui_scale("150px"));
  CHECK_FALSE(parse_ui_scale(""));
  CHECK_FALSE(parse_ui_scale("%"));
  CHECK_FALSE(parse_ui_scale("nan"));
}

TEST_CASE("the side panel grows with the UI scale, within 45% of the window") {
  CHECK(sidebar_width(1600, 15) == 1600 * 0.24f);  // 100%: as before
  CHECK(sidebar_width(800, 15) == 220);
  CHECK(sidebar_width(3000, 15) == 480);
  CHECK(sidebar_width(1600, 22.5f) == Approx(1600 * 0.24f * 1.5f));  // 150%: 576 px
  CHECK(sidebar_width(800, 30) == 360);   // 200% in a small window: 45% of it, not 440
  CHECK(sidebar_width(400, 30) == 220);   // never narrower than at 100%
}

TEST_CASE("the statistics panel's height is kept at 100% and shown scaled, within its limits") {
  // settings.json's 300 px default: 225 px at 75%, 450 px at 150%, 600 px at 200% (it stayed 300 px before).
  CHECK(stats_panel_pixels(300, 0.75f, 2000) == Approx(225));
  CHECK(stats_panel_pixels(300, 1.0f, 2000) == Approx(300));
  CHECK(stats_panel_pixels(300, 1.5f, 2000) == Approx(450));
  CHECK(stats_panel_pixels(300, 2.0f, 2000) == Approx(600));
  // At least 120 px (scaled); at most what leaves the maps 200 px (scaled); the lower limit wins in a tiny window.
  CHECK(stats_panel_pixels(50, 1.5f, 2000) == Approx(180));
  CHECK(stats_panel_pixels(900, 1.5f, 1000) == Approx(700));
  CHECK(stats_panel_pixels(300, 2.0f, 300) == Approx(240));
  CHECK(scaled_pixels(160, 1.25f) == Approx(200));
}
