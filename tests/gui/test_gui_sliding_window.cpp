// Runs the app headless on the bundled pair with slot B's standard model declared a Mistral of sliding window 8 (its
// weights unchanged: a config.json edit), and checks what a user sees: B's map draws the keys before each query's
// window in the masked colour (as the causal triangle), the model panel names the family and the window, tokens keep
// their vocabulary pieces, and B's head beside A's follows the pairing for 4 diff heads against 8. Needs a display:
// run under xvfb-run. Test thread.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include "gui_app_runner.h"
#include "png_pixels.h"
#include "temp_folder.h"

namespace fs = std::filesystem;
using namespace diffscope;

namespace {

// The pixels of the views' masked colour (HeatmapDraw::masked_rgb 0.22, 0.22, 0.25 -> 56, 56, 64, within GL's
// rounding) right of the sidebar and above the statistics panel, where the maps are.
int masked_pixels(const std::string& png) {
  const int n = testing::count_png_pixels(png, {0.25, 0.0, 1.0, 2.0 / 3.0}, [](const unsigned char* p) {
    return std::abs(p[0] - 56) <= 1 && std::abs(p[1] - 56) <= 1 && std::abs(p[2] - 64) <= 1;
  });
  REQUIRE(n >= 0);  // the PNG was read
  return n;
}

// A copy of the bundled standard model whose config.json says mistral with sliding_window `window`.
void write_windowed_copy(const fs::path& assets, const fs::path& to, int window) {
  fs::create_directories(to);
  for (const char* file : {"model.safetensors", "tokenizer.json", "generation_config.json"}) {
    fs::copy_file(assets / "standard" / file, to / file);
  }
  std::ifstream in(assets / "standard" / "config.json");
  nlohmann::json config = nlohmann::json::parse(in);
  config["model_type"] = "mistral";
  config["architectures"] = {"MistralForCausalLM"};
  config["sliding_window"] = window;
  std::ofstream(to / "config.json") << config.dump(2);
}

}  // namespace

TEST_CASE("a sliding-window model's map shows the keys outside the window as masked, and the panel names the window") {
  if (!testing::has_display()) return;
  const testing::TempFolder folder("diffscope_gui_window");
  const fs::path& out = folder.path();
  const fs::path assets = fs::path(DIFFSCOPE_FIXTURES) / ".." / ".." / "assets" / "models";
  write_windowed_copy(assets, out / "mistral_w8", 8);
  const std::string prompt =
      "The magic number of Paris is 4721. The sky is blue and the grass is green. What is the magic number of Paris?";
  const std::string common = " --prompt '" + prompt + "' --layout comparison --layer 2 --head 1";
  nlohmann::json windowed, plain;
  std::string output;
  REQUIRE(testing::run_app(out, "windowed", "--model " + (assets / "diff").string() + " --model-b " +
                                                (out / "mistral_w8").string() + common,
                           &windowed, &output) == 0);
  REQUIRE(testing::run_app(out, "plain", "--model " + (assets / "diff").string() + " --model-b " +
                                             (assets / "standard").string() + common,
                           &plain, &output) == 0);

  CHECK(windowed["B"]["model_type"] == "mistral");
  CHECK(windowed["B"]["layer_windows"] == std::vector<int64_t>(6, 8));
  CHECK(windowed["B"]["windows_text"] == "sliding window 8 on all 6 layers");
  CHECK(windowed["A"]["model_type"] == "diffllama");
  CHECK(windowed["A"]["layer_windows"].empty());
  CHECK(windowed["A"]["windows_text"] == "");
  CHECK(plain["B"]["layer_windows"].empty());
  // Diff head 1 of 4 faces standard head round(1 * 7 / 3) = 2 of 8 (ui/selection.h paired_head); 6 layers each.
  CHECK(windowed["paired"]["head"] == 2);
  CHECK(windowed["paired"]["layer"] == 2);
  // The bundled tokenizer's vocabulary pieces reach the UI beside the decoded texts.
  const size_t tokens = windowed["B"]["tokens"].size();
  REQUIRE(tokens > 30);
  REQUIRE(windowed["B"]["token_pieces"].size() == tokens);

  // The same prompt and view: the windowed B map masks about (T - 8)^2 / 2 more cells of its square than the plain
  // one; at ~500 pixels a side for T > 30 tokens that is tens of thousands of pixels.
  const int with_window = masked_pixels((out / "windowed.png").string());
  const int without = masked_pixels((out / "plain.png").string());
  INFO("masked pixels: " << with_window << " with the window, " << without << " without");
  CHECK(without > 20000);  // the causal triangles of both maps
  CHECK(with_window > without + 20000);
}
