// Exports through the app (issue 11): "All maps" writes the logits beside the maps in maps.safetensors, as
// `diffscope-cli run --maps` does, and the labelled figure carries the span R (orange on its axes) and the notes the
// figure options ask for. Runs the app headless on the tiny HF fixtures; needs a display: run under xvfb-run (skipped
// without one). Test thread.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>

#include <stb_image.h>

#include "figure_export.h"
#include "file_text.h"
#include "gui_app_runner.h"
#include "temp_folder.h"

namespace fs = std::filesystem;
using namespace diffscope::testing;

namespace {

// The JSON header of a safetensors file (8 bytes of little-endian length, then the header).
nlohmann::json safetensors_header(const fs::path& path) {
  const std::string bytes = read_file_text(path);
  REQUIRE(bytes.size() >= 8);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  REQUIRE(bytes.size() >= 8 + n);
  return nlohmann::json::parse(bytes.substr(8, n));
}

}  // namespace

TEST_CASE("All maps writes the logits like the CLI; the figure shows the span R and its notes") {
  if (!has_display()) return;
  const TempFolder out("diffscope_gui_exports");
  const std::string models = std::string("--model ") + DIFFSCOPE_FIXTURES + "/hf/diffllama_gqa_tied --model-b " +
                             DIFFSCOPE_FIXTURES + "/hf/llama_gqa_tied";
  nlohmann::json state;
  std::string output;
  REQUIRE(run_app(out.path(), "exports",
                  models + " --prompt 'Paris is 4721.' --span 4721 --export maps,figure --export-dir " +
                      out.path().string(),
                  &state, &output) == 0);
  INFO(output);
  for (const char* sub : {"maps/A_diffllama_gqa_tied", "maps/B_llama_gqa_tied"}) {
    INFO(sub);
    const nlohmann::json header = safetensors_header(out / sub / "maps.safetensors");
    REQUIRE(header.contains("logits"));
    CHECK(header["logits"]["dtype"] == "F32");
    CHECK(header["logits"]["shape"][0] == state["A"]["token_count"]);  // [T, V]
  }
  int w = 0, h = 0, c = 0;
  unsigned char* rgb = stbi_load((out / "figure.png").string().c_str(), &w, &h, &c, 3);
  REQUIRE(rgb != nullptr);
  int orange = 0;
  const auto& span = diffscope::ui::kFigureSpanColor;
  for (int i = 0; i < w * h; ++i) {
    orange += rgb[i * 3] == span[0] && rgb[i * 3 + 1] == span[1] && rgb[i * 3 + 2] == span[2];
  }
  stbi_image_free(rgb);
  CHECK(orange > 50);  // the span R's bars and outline (the figure options' default)
}
