// Runs `diffscope --soak` (app/gui_soak.h) on the bundled models on the CPU: prompts of the held-out text through the
// app's own UI state, worker, caches and windows, layouts in turn, and checks its SOAK line and that the largest
// resident memory of the last window of prompts is not above the middle one's by more than a leak-sized margin
// (issue 11 item 5: the app once grew 883 -> 1321 MB over 26 runs). Needs a display: run under xvfb-run. Test thread.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "file_text.h"
#include "gui_app_runner.h"
#include "temp_folder.h"

using namespace diffscope::testing;

namespace {

const std::string kAssets = std::string(DIFFSCOPE_FIXTURES) + "/../../assets";

int run_soak(const std::string& args, const std::filesystem::path& out) {
  const std::string command = app_path() + " --no-settings --model " + kAssets + "/models/diff --model-b " + kAssets +
                              "/models/standard " + args + " > " + out.string() + " 2>&1";
  INFO(command);
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("--soak runs prompts through the app and its memory stays flat once the lengths have been seen") {
  if (!has_display()) return;
  TempFolder dir("diffscope_test_gui_soak");
  // 36 prompts of up to 2400 bytes (about 700 tokens: dense maps and, past the budget, overviews and windows).
  REQUIRE(run_soak("--soak 36 --soak-every 12 --soak-bytes 2400 --soak-file " + kAssets + "/eval/heldout_text.txt",
                   dir / "out.txt") == 0);
  const std::string output = read_file_text(dir / "out.txt");
  INFO(output);
  nlohmann::json soak;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("SOAK ", 0) == 0) soak = nlohmann::json::parse(line.substr(5));
  }
  REQUIRE(soak.is_object());
  CHECK(soak.at("prompts") == 36);
  const nlohmann::json& curve = soak.at("rss_mib");  // [prompt, largest RSS of the window ending there]
  REQUIRE(curve.size() == 4);                        // after loading, then prompts 12, 24, 36
  CHECK(curve[1][0] == 12);
  CHECK(curve[3][0] == 36);
  for (const auto& point : curve) CHECK(point[1].get<double>() > 50);  // a real process size
  // A leak of one dense result per prompt (tens of MiB at these lengths) would add hundreds of MiB over 12 prompts.
  CHECK(curve[3][1].get<double>() - curve[2][1].get<double>() < 96.0);
}

TEST_CASE("--soak refuses a missing or tiny text and needs its file") {
  if (!has_display()) return;
  TempFolder dir("diffscope_test_gui_soak_bad");
  CHECK(run_soak("--soak 3 --soak-file " + (dir / "missing.txt").string(), dir / "a.txt") == 2);
  CHECK(read_file_text(dir / "a.txt").find("cannot be read or has fewer than 10 bytes") != std::string::npos);
  CHECK(run_soak("--soak 3", dir / "b.txt") == 2);
  CHECK(read_file_text(dir / "b.txt").find("--soak N and --soak-file F go together") != std::string::npos);
}
