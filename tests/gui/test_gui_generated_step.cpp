// Runs the app headless on the bundled pair with a prompt long enough for overviews and windows (about 770 tokens,
// past the dense-maps budget), continues it by 8 generated tokens and picks the last one with the prompt panel's
// "generated step" (`--step generated-step=8`), and checks what a user sees: the UI pins that token, and its row and
// column are outlined on the maps drawn from fetched windows (issue 10: the generated-step row on windows). Needs a
// display: run under xvfb-run. Test thread.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>
#include "gui_app_runner.h"
#include "png_pixels.h"
#include "temp_folder.h"

namespace fs = std::filesystem;
using namespace diffscope;

namespace {

// Pixels whose three channels all exceed 150 in the decomposition's first map column (A1, viridis: no colour of the
// colormap has all three that light) right of the sidebar and above the statistics panel: the overlay's white
// outlines and labels' text.
int light_pixels(const std::string& png) {
  const int n = testing::count_png_pixels(png, {0.25, 0.125, 0.5, 0.5},
                                          [](const unsigned char* p) { return std::min({p[0], p[1], p[2]}) > 150; });
  REQUIRE(n >= 0);  // the PNG was read
  return n;
}

}  // namespace

TEST_CASE("the generated step's row is outlined on maps drawn from windows of a long prompt") {
  if (!testing::has_display()) return;
  const testing::TempFolder folder("diffscope_gui_generated_step");
  const fs::path& out = folder.path();
  std::string prompt;
  for (int i = 0; i < 33; ++i) prompt += "The magic number of Paris is 4721. The sky is blue and the grass is green. ";
  std::ofstream(out / "prompt.txt") << prompt;
  const std::string common = " --prompt-file " + (out / "prompt.txt").string() + " --layout decomposition";

  nlohmann::json pinned, plain;
  std::string output;
  REQUIRE(testing::run_app(out, "pinned", common + " --continue 8 --step generated-step=8", &pinned, &output, 240) ==
          0);
  INFO(output);
  REQUIRE(testing::run_app(out, "plain", common, &plain, &output, 240) == 0);

  // Long enough for overviews: the views asked the slots for windows.
  const int64_t shown = pinned["shown_tokens"].get<int64_t>();
  CHECK(shown > 745);
  CHECK(pinned["window_requests"].get<int64_t>() > 0);
  REQUIRE(pinned["generated_tokens"].size() == 8);  // the bundled models' EOS is not among 8 greedy tokens here
  CHECK(pinned["pinned_token"] == pinned["generated_tokens"].back());
  CHECK(pinned["pinned_token"] == shown - 1);
  CHECK(plain["pinned_token"].is_null());
  CHECK(plain["generated_tokens"].empty());

  // The pinned token's row and column outlines run along the A1 map's last row and column (~330 pixels each).
  const int with_pin = light_pixels((out / "pinned.png").string());
  const int without = light_pixels((out / "plain.png").string());
  INFO("light pixels in A1's column: " << with_pin << " pinned, " << without << " without");
  CHECK(with_pin > without + 250);  // 2051 against 1471 when written; 2 more with the overlay turned off
}
