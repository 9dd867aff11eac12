// The Recent menu through the app (issue 11): prompts whose results were shown are remembered newest first, and
// choosing one (--step recent=N, as the menu does) puts its exact bytes back, a NUL, a byte that is not UTF-8 and an
// emoji above U+FFFF included. Runs the app headless on the tiny HF fixtures; needs a display: run under xvfb-run
// (skipped without one). Test thread.
#include <catch2/catch.hpp>

#include <fstream>

#include "file_text.h"
#include "gui_app_runner.h"
#include "temp_folder.h"

using namespace diffscope::testing;

TEST_CASE("the Recent menu keeps the prompts run, newest first, and restores one byte for byte") {
  if (!has_display()) return;
  const TempFolder out("diffscope_gui_recent_prompts");
  static const char kFirst[] = "Paris\t\xFF\0 \xF0\x9F\x98\x80 is 4721.\r\n";
  const std::string first(kFirst, sizeof kFirst - 1);
  std::ofstream(out / "first.bin", std::ios::binary) << first;
  const std::string models = std::string("--model ") + DIFFSCOPE_FIXTURES + "/hf/diffllama_gqa_tied --model-b " +
                             DIFFSCOPE_FIXTURES + "/hf/llama_gqa_tied";
  nlohmann::json state;
  REQUIRE(run_app(out.path(), "recent",
                  models + " --prompt-file " + (out / "first.bin").string() +
                      " --step 'prompt=Rome is 2873.' --step 'prompt=Oslo is 1156.' --step recent=2",
                  &state) == 0);
  CHECK(state["prompt_hex"] == hex_bytes(first));
  CHECK(state["A"]["result"] == "current");
  // The restored prompt ran again and went first; the others follow, newest first.
  CHECK(state["recent_prompts_hex"] ==
        nlohmann::json::array({hex_bytes(first), hex_bytes("Oslo is 1156."), hex_bytes("Rome is 2873.")}));
}
