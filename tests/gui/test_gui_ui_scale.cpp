// The UI scale through the app (issue 11): --ui-scale 150 builds the font at 150% (23 px instead of 15) and says so in
// --state-json, with the statistics panel and colorbars scaled as much; a scale outside 75%..200% is refused at the
// command line. Runs the app headless on the tiny HF fixtures; needs a display: run under xvfb-run (skipped without
// one). Test thread.
#include <catch2/catch.hpp>

#include "gui_app_runner.h"
#include "temp_folder.h"

using namespace diffscope::testing;

namespace {

const std::string kModels = std::string(" --model ") + DIFFSCOPE_FIXTURES + "/hf/diffllama_gqa_tied --model-b " +
                            DIFFSCOPE_FIXTURES + "/hf/llama_gqa_tied";

}  // namespace

TEST_CASE("--ui-scale builds the UI font at the scale asked for; a scale out of range is refused") {
  if (!has_display()) return;
  const TempFolder out("diffscope_gui_ui_scale");
  nlohmann::json state;
  REQUIRE(run_app(out.path(), "default", kModels + " --prompt 'Paris is 4721.'", &state) == 0);
  CHECK(state["ui_scale"] == 1.0);
  CHECK(state["font_pixels"] == 15.0);
  const double stats_100 = state["scaled_px"]["stats_panel"], colorbar_100 = state["scaled_px"]["colorbar"];
  CHECK(stats_100 == Approx(300));  // settings' default, at 100%
  REQUIRE(run_app(out.path(), "scaled", kModels + " --prompt 'Paris is 4721.' --ui-scale 150", &state) == 0);
  CHECK(state["ui_scale"] == 1.5);
  CHECK(state["font_pixels"] == 23.0);  // 22.5 rounded to whole pixels
  // Fixed sizes scale with the font (23 / 15): the statistics panel's 300 px become 460 (they stayed 300 before),
  // and the colorbar's width grows with its bar, gaps and labels.
  CHECK(state["scaled_px"]["stats_panel"].get<double>() == Approx(300.0 * 23 / 15));
  CHECK(state["scaled_px"]["colorbar"].get<double>() == Approx(colorbar_100 * 23 / 15).epsilon(0.05));
  CHECK(state["A"]["result"] == "current");
  std::string output;
  nlohmann::json unused;
  CHECK(run_app(out.path(), "bad", kModels + " --ui-scale 300", &unused, &output) == 2);
  CHECK(output.find("--ui-scale takes a percentage from 75 to 200") != std::string::npos);
}
