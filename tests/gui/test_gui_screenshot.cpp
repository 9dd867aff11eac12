// Runs the app headless (`diffscope --screenshot`) on the tiny HF fixtures (and a tiny Diff V2 model written at test
// time) and checks what a user would see: a PNG of the window whose heatmap area holds colormap colours (and, for V2,
// the bars of lambda by row), and a UI that holds the prompt's tokens. Needs a display: run under xvfb-run. Test
// thread.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>
#include <stb_image.h>

#include "colormap.h"
#include "heatmap_png.h"
#include "inference_worker.h"
#include "file_text.h"
#include "gui_app_runner.h"
#include "temp_folder.h"
#include "tiny_v2_checkpoint.h"

namespace fs = std::filesystem;
using namespace diffscope;

namespace {

struct Image {
  int w = 0, h = 0;
  std::vector<uint8_t> rgb;
};

Image load_png(const std::string& path) {
  Image img;
  int channels = 0;
  unsigned char* data = stbi_load(path.c_str(), &img.w, &img.h, &channels, 3);
  if (data != nullptr) {
    img.rgb.assign(data, data + static_cast<size_t>(img.w) * static_cast<size_t>(img.h) * 3);
    stbi_image_free(data);
  }
  return img;
}

// Pixels inside the rectangle whose colour is exactly an entry of `cmap`.
int colormap_pixels(const Image& img, Colormap cmap, int x0, int y0, int x1, int y1) {
  std::set<uint32_t> entries;
  const uint8_t* table = colormap_table(cmap);
  for (int i = 0; i < kColormapSize; ++i) {
    entries.insert(static_cast<uint32_t>(table[3 * i] << 16 | table[3 * i + 1] << 8 | table[3 * i + 2]));
  }
  int n = 0;
  for (int y = std::max(0, y0); y < std::min(img.h, y1); ++y) {
    for (int x = std::max(0, x0); x < std::min(img.w, x1); ++x) {
      const uint8_t* p = &img.rgb[(static_cast<size_t>(y) * static_cast<size_t>(img.w) + static_cast<size_t>(x)) * 3];
      n += entries.count(static_cast<uint32_t>(p[0] << 16 | p[1] << 8 | p[2])) ? 1 : 0;
    }
  }
  return n;
}

// Pixels inside the rectangle of exactly the colour (r, g, b).
int color_pixels(const Image& img, uint8_t r, uint8_t g, uint8_t b, int x0, int y0, int x1, int y1) {
  int n = 0;
  for (int y = std::max(0, y0); y < std::min(img.h, y1); ++y) {
    for (int x = std::max(0, x0); x < std::min(img.w, x1); ++x) {
      const uint8_t* p = &img.rgb[(static_cast<size_t>(y) * static_cast<size_t>(img.w) + static_cast<size_t>(x)) * 3];
      n += p[0] == r && p[1] == g && p[2] == b ? 1 : 0;
    }
  }
  return n;
}

// Pixels of the lambda strip's bar colour (ui/lambda_strip.h, kLambdaBarColor) in the map row of the window: right
// of the sidebar and above the statistics panel, whose plots use the same orange.
int lambda_bar_pixels(const Image& img) { return color_pixels(img, 255, 150, 40, img.w / 4, 0, img.w, img.h * 2 / 5); }

// The app's exit code (std::system's status decoded).
int run(const std::string& args) {
  const std::string command = testing::app_path() + " " + args;
  INFO(command);
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("--screenshot on the fixture models shows heatmaps and the prompt's tokens") {
  const testing::TempFolder folder("diffscope_gui_test");
  const fs::path& out = folder.path();
  const std::string fixtures = DIFFSCOPE_FIXTURES;
  const std::string prompt = "Paris is 4721. Paris?";
  const std::string png = (out / "window.png").string(), state = (out / "state.json").string();
  const int rc = run("--no-settings --model " + fixtures + "/hf/diffllama_gqa_tied --model-b " + fixtures +
                     "/hf/llama_gqa_tied --prompt '" + prompt + "' --layout decomposition --layer 1 --head 2 "
                     "--screenshot " + png + " --state-json " + state + " --timeout 60");
  REQUIRE(rc == 0);

  const Image img = load_png(png);
  REQUIRE(img.w == 1600);
  REQUIRE(img.h == 1000);
  // The maps sit right of the sidebar (under a quarter of the width) and above the statistics panel: that area holds
  // many viridis pixels (A1, lambda*A2) and many RdBu pixels (D).
  const int viridis = colormap_pixels(img, Colormap::Viridis, img.w / 4, 0, img.w, img.h * 2 / 3);
  const int rdbu = colormap_pixels(img, Colormap::RdBu, img.w / 4, 0, img.w, img.h * 2 / 3);
  CHECK(viridis > 20000);
  CHECK(rdbu > 10000);
  CHECK(lambda_bar_pixels(img) < 100);  // V1: one lambda per layer, no strip

  std::ifstream in(state);
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["layout"] == "decomposition");
  CHECK(j["lambda_strip"] == false);
  CHECK(j["A"]["attention_variant"] == "diff-v1");
  CHECK(j["A"]["lambda_varies_by_row"] == false);
  CHECK(j["layer"] == 1);
  CHECK(j["head"] == 2);
  for (const char* slot : {"A", "B"}) {
    INFO("slot " << slot);
    std::string joined;
    for (const auto& t : j[slot]["tokens"]) joined += t.get<std::string>();
    CHECK(joined == prompt);  // byte-level fixtures: one token per byte, in order
  }
}

TEST_CASE("--rollout shows both models' attention rollout in the comparison layout") {
  const testing::TempFolder folder("diffscope_gui_rollout");
  const fs::path& out = folder.path();
  const std::string fixtures = DIFFSCOPE_FIXTURES;
  const std::string png = (out / "window.png").string(), state = (out / "state.json").string();
  const int rc = run("--no-settings --model " + fixtures + "/hf/diffllama_gqa_tied --model-b " + fixtures +
                     "/hf/llama_gqa_tied --prompt 'Paris is 4721. Paris?' --rollout --layer 1 --screenshot " + png +
                     " --state-json " + state + " --timeout 60");
  REQUIRE(rc == 0);
  std::ifstream in(state);
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["layout"] == "comparison");
  CHECK(j["rollout"] == true);
  // B's rollout is a softmax product (viridis); A's is D's signed rollout (RdBu when it has negative entries, which
  // random fixture weights give; viridis otherwise). Either way the map area is full of map colours.
  const Image img = load_png(png);
  const int viridis = colormap_pixels(img, Colormap::Viridis, img.w / 4, 0, img.w, img.h * 2 / 3);
  const int rdbu = colormap_pixels(img, Colormap::RdBu, img.w / 4, 0, img.w, img.h * 2 / 3);
  CHECK(viridis > 20000);
  CHECK(viridis + rdbu > 40000);
}

TEST_CASE("--screenshot on a tiny Diff V2 model draws lambda by row beside the decomposition") {
  const testing::TempFolder folder("diffscope_gui_v2");
  const fs::path& out = folder.path();
  fs::create_directories(out / "v2");
  testing::write_byte_level_v2((out / "v2").string());
  const std::string prompt = "The magic number of Paris is 4721. What is the magic number of Paris?";
  const std::string png = (out / "window.png").string(), state = (out / "state.json").string();
  const int rc = run("--no-settings --model " + (out / "v2").string() + " --model-b " +
                     std::string(DIFFSCOPE_FIXTURES) + "/hf/llama_gqa_tied --prompt '" + prompt + "' --layout decomposition --layer 1 --head 1 "
                     "--screenshot " + png + " --state-json " + state + " --timeout 60");
  REQUIRE(rc == 0);

  std::ifstream in(state);
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["A"]["attention_variant"] == "diff-v2");
  CHECK(j["A"]["lambda_varies_by_row"] == true);
  CHECK(j["A"]["tokens"].size() == prompt.size());  // byte tokens
  CHECK(j["lambda_strip"] == true);
  CHECK(j["B"]["lambda_varies_by_row"] == false);  // a standard model has no lambda

  // The maps are drawn, and beside them the strip's bars: one per query row, up to 100 px long, ~300 px tall.
  const Image img = load_png(png);
  REQUIRE(img.w == 1600);
  CHECK(colormap_pixels(img, Colormap::Viridis, img.w / 4, 0, img.w, img.h * 2 / 3) > 20000);
  CHECK(colormap_pixels(img, Colormap::RdBu, img.w / 4, 0, img.w, img.h * 2 / 3) > 10000);
  CHECK(lambda_bar_pixels(img) > 3000);
}

TEST_CASE("--continue generates with the bundled Diff model and both models run the continued prompt") {
  const testing::TempFolder folder("diffscope_gui_continue");
  const fs::path& out = folder.path();
  const std::string assets = std::string(DIFFSCOPE_FIXTURES) + "/../../assets/models";
  const std::string prompt =
      "The magic number of Paris is 4721. The sky is blue. What is the magic number of Paris? The magic number of "
      "Paris is";
  const std::string png = (out / "window.png").string(), state = (out / "state.json").string();
  const int rc = run("--no-settings --model " + assets + "/diff --model-b " + assets + "/standard --prompt '" +
                     prompt + "' --continue 4 --screenshot " + png + " --state-json " + state + " --timeout 60");
  REQUIRE(rc == 0);
  std::ifstream in(state);
  const nlohmann::json j = nlohmann::json::parse(in);
  for (const char* slot : {"A", "B"}) {
    INFO("slot " << slot);
    std::string joined;
    for (const auto& t : j[slot]["tokens"]) joined += t.get<std::string>();
    // The prompt (after the BOS token) followed by what model A generated: the needle's number.
    CHECK(joined.find(prompt + " 4721") != std::string::npos);
  }
}

TEST_CASE("a long prompt's run without dense maps is drawn from overviews, refined by fetched windows") {
  const testing::TempFolder folder("diffscope_gui_overviews");
  const fs::path& out = folder.path();
  const std::string png = (out / "window.png").string(), state = (out / "state.json").string();
  // 700 demo tokens, kept only as overviews (cells of 8 tokens) and a store that answers windows.
  const int rc = run("--no-settings --demo --demo-overviews --demo-tokens 700 --layout decomposition --screenshot " +
                     png + " --state-json " + state + " --timeout 60");
  REQUIRE(rc == 0);
  std::ifstream in(state);
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["A"]["overviews"] == true);
  CHECK(j["A"]["overview_cell"] == 8);
  CHECK(j["A"]["tokens"].size() == 700);
  // A1, lambda*A2 and D each show ~2.6 tokens per pixel, finer than the overview: each asked for its window.
  CHECK(j["window_requests"] >= 3);
  const Image img = load_png(png);
  REQUIRE(img.w == 1600);
  // The maps are drawn in colours of their scales: the masked upper triangles are grey, the lower ones viridis (A1,
  // lambda*A2) and RdBu (D); no "no data" grey appears (every map of this view is exact from its overview).
  const int viridis = colormap_pixels(img, Colormap::Viridis, img.w / 4, 0, img.w, img.h * 2 / 3);
  const int rdbu = colormap_pixels(img, Colormap::RdBu, img.w / 4, 0, img.w, img.h * 2 / 3);
  CHECK(viridis > 40000);
  CHECK(rdbu > 20000);
  CHECK(color_pixels(img, 31, 31, 35, img.w / 4, 0, img.w, img.h * 2 / 3) == 0);  // 0.55 x the masked grey
}

TEST_CASE("a 32K-token demo run (maps as formulas, ui/demo_long.h) is drawn from overviews and refined by windows") {
  const testing::TempFolder folder("diffscope_gui_32k");
  const fs::path& out = folder.path();
  const std::string png = (out / "window.png").string(), state = (out / "state.json").string();
  const int rc = run("--no-settings --demo --demo-overviews --demo-tokens 32768 --layout decomposition --screenshot " +
                     png + " --state-json " + state + " --timeout 120");
  REQUIRE(rc == 0);
  std::ifstream in(state);
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["A"]["overviews"] == true);
  CHECK(j["A"]["overview_cell"] == 128);  // MapOverview::cell_for(32768, 256)
  CHECK(j["A"]["tokens"].size() == 32768);
  CHECK(j["window_requests"] >= 3);  // A1, lambda*A2 and D at ~100 tokens per pixel: finer than the overview
  const Image img = load_png(png);
  REQUIRE(img.w == 1600);
  CHECK(colormap_pixels(img, Colormap::Viridis, img.w / 4, 0, img.w, img.h * 2 / 3) > 40000);
}

TEST_CASE("a long prompt's mean of heads is drawn from the engine's windows of the mean (no overview has it)") {
  const testing::TempFolder folder("diffscope_gui_head_mean");
  const fs::path& out = folder.path();
  const std::string png = (out / "window.png").string(), state = (out / "state.json").string();
  const int rc = run("--no-settings --demo --demo-overviews --demo-tokens 700 --layout comparison --head-mean "
                     "--screenshot " + png + " --state-json " + state + " --timeout 60");
  REQUIRE(rc == 0);
  std::ifstream in(state);
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["A"]["overviews"] == true);
  CHECK(j["window_requests"] >= 2);  // A's and B's mean, each fetched
  const Image img = load_png(png);
  REQUIRE(img.w == 1600);
  // Both maps drawn on their scales (RdBu for A's D, viridis for B), none left as "no data" grey.
  CHECK(colormap_pixels(img, Colormap::RdBu, img.w / 4, 0, img.w * 5 / 8, img.h * 2 / 3) > 20000);
  CHECK(colormap_pixels(img, Colormap::Viridis, img.w * 5 / 8, 0, img.w, img.h * 2 / 3) > 20000);
  CHECK(color_pixels(img, 31, 31, 35, img.w / 4, 0, img.w, img.h * 2 / 3) == 0);
}

TEST_CASE("--device and --dtype choose where and in what the slots' models run") {
  const testing::TempFolder folder("diffscope_gui_dtype");
  const fs::path& out = folder.path();
  const std::string png = (out / "window.png").string(), state = (out / "state.json").string();
  REQUIRE(run("--no-settings --device cpu --dtype bf16 --screenshot " + png + " --state-json " + state +
              " --timeout 120") == 0);
  std::ifstream in(state);
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["A"]["device"] == "cpu");
  CHECK(j["A"]["compute_dtype"] == "bf16");
  CHECK(j["B"]["compute_dtype"] == "bf16");
  CHECK(run("--no-settings --dtype f64 --screenshot " + png) == 2);  // refused before a window opens
}

TEST_CASE("a long prompt's focused map exports at one pixel per token, streamed from the store") {
  const testing::TempFolder folder("diffscope_gui_streamed_export");
  const fs::path& out = folder.path();
  const std::string png = (out / "window.png").string(), dir = (out / "exports").string();
  const int rc = run("--no-settings --demo --demo-overviews --demo-tokens 700 --layout decomposition --screenshot " +
                     png + " --export map --export-dir " + dir + " --timeout 60");
  REQUIRE(rc == 0);
  const Image map = load_png(dir + "/map.png");
  CHECK(map.w == 700);  // the whole map at one pixel per token, though the result holds no dense map
  CHECK(map.h == 700);
  CHECK(color_pixels(map, kMaskedGrey, kMaskedGrey, kMaskedGrey, 0, 0, map.w, map.h) == 699 * 700 / 2);  // j > i
  CHECK(colormap_pixels(map, Colormap::RdBu, 0, 0, map.w, map.h) == 700 * 701 / 2);  // D (the focus) on its scale
}

TEST_CASE("--help-window opens the help window over the maps") {
  const testing::TempFolder folder("diffscope_gui_help");
  const fs::path& out = folder.path();
  const std::string with = (out / "help.png").string(), without = (out / "plain.png").string();
  const std::string state = (out / "state.json").string();
  REQUIRE(run("--no-settings --demo --help-window --screenshot " + with + " --state-json " + state) == 0);
  REQUIRE(run("--no-settings --demo --screenshot " + without) == 0);
  std::ifstream in(state);
  CHECK(nlohmann::json::parse(in)["help"] == true);
  const Image a = load_png(with), b = load_png(without);
  REQUIRE(a.rgb.size() == b.rgb.size());
  // The window sits in the middle (760 x 720 at most): most pixels of the central region change.
  int changed = 0, total = 0;
  for (int y = a.h / 2 - 150; y < a.h / 2 + 150; ++y) {
    for (int x = a.w / 2 - 200; x < a.w / 2 + 200; ++x, ++total) {
      const size_t at = (static_cast<size_t>(y) * static_cast<size_t>(a.w) + static_cast<size_t>(x)) * 3;
      changed += a.rgb[at] != b.rgb[at] || a.rgb[at + 1] != b.rgb[at + 1] || a.rgb[at + 2] != b.rgb[at + 2];
    }
  }
  CHECK(changed > total / 2);
}

TEST_CASE("at 800 x 600 the maps keep their room, more with the side panel folded") {
  const testing::TempFolder folder("diffscope_gui_small");
  const fs::path& out = folder.path();
  const std::string png = (out / "small.png").string(), state = (out / "state.json").string();
  auto width_of_maps = [&](const std::string& extra) {
    REQUIRE(run("--no-settings --demo --size 800x600 " + extra + " --screenshot " + png + " --state-json " + state) == 0);
    std::ifstream in(state);
    return nlohmann::json::parse(in)["main_area_width"].get<double>();
  };
  const double open = width_of_maps(""), folded = width_of_maps("--fold-sidebar");
  CHECK(open >= 540);    // the side panel takes at most 30% of a small window (it took 300 of 800 pixels before)
  CHECK(folded >= 720);  // folded, it is a strip with the arrow that unfolds it
}

TEST_CASE("--screenshot without models still renders and explains the empty slots") {
  const testing::TempFolder folder("diffscope_gui_test_empty");
  const fs::path& out = folder.path();
  const std::string png = (out / "window.png").string(), state = (out / "state.json").string();
  const int rc = run("--no-settings --model /nonexistent/diff --model-b /nonexistent/standard --prompt hello "
                     "--screenshot " + png + " --state-json " + state + " --timeout 30");
  REQUIRE(rc == 0);
  CHECK(load_png(png).w == 1600);
  std::ifstream in(state);
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["A"]["note"].get<std::string>().find("no model in slot A: /nonexistent/diff") != std::string::npos);
  CHECK(j["A"]["tokens"].empty());
}

namespace {

// The fixture pair (byte-level tokenizers, a context of 128 tokens) with a first prompt, then `steps` (--step), done
// once everything has settled; returns the state the UI held at the end.
nlohmann::json run_steps(const fs::path& out, const std::string& extra) {
  fs::create_directories(out);
  const std::string fixtures = DIFFSCOPE_FIXTURES;
  const std::string png = (out / "window.png").string(), state = (out / "state.json").string();
  const int rc = run("--no-settings --model " + fixtures + "/hf/diffllama_gqa_tied --model-b " + fixtures +
                     "/hf/llama_gqa_tied --prompt 'Paris is 4721. Paris?' --layout comparison --screenshot " + png +
                     " --state-json " + state + " --timeout 60 --export-dir " + (out / "exports").string() + " " +
                     extra + " > " + (out / "stdout.txt").string());
  REQUIRE(rc == 0);
  std::ifstream in(state);
  return nlohmann::json::parse(in);
}


}  // namespace

TEST_CASE("a prompt over the context shows each slot's error, not the last good prompt's maps and tokens") {
  const testing::TempFolder folder("diffscope_gui_stale_failed");
  const fs::path& out = folder.path();
  const nlohmann::json j = run_steps(out, "--step 'prompt=" + std::string(200, 'x') + "'");
  CHECK(j["shown_tokens"] == 0);
  CHECK(j["previous_prompt"] == false);
  for (const char* slot : {"A", "B"}) {
    INFO("slot " << slot);
    CHECK(j[slot]["result"] == "failed");
    CHECK(j[slot]["result_message"].get<std::string>().find("could not run this prompt") != std::string::npos);
  }
}

TEST_CASE("a deleted prompt shows no old results and exports refuse") {
  const testing::TempFolder folder("diffscope_gui_stale_empty");
  const fs::path& out = folder.path();
  const nlohmann::json j = run_steps(out, "--step prompt= --step export=stats,maps");
  CHECK(j["shown_tokens"] == 0);
  CHECK(j["A"]["result"] == "none");
  CHECK(j["B"]["result_message"] == "The prompt is empty: type a prompt or pick an example.");
  CHECK(j["export_refusal"] == "nothing to export: the prompt is empty");
  CHECK(testing::read_file_text(out / "stdout.txt").find("export: nothing to export: the prompt is empty") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(out / "exports" / "maps"));
}

TEST_CASE("a failed Load keeps the slot's model and results and says what failed") {
  const testing::TempFolder folder("diffscope_gui_failed_load");
  const fs::path& out = folder.path();
  fs::create_directories(out / "broken");
  std::ofstream(out / "broken" / "config.json") << "{\"model_type\": \"diffllama\"}";
  const std::string fixtures = DIFFSCOPE_FIXTURES;
  SECTION("a folder whose model does not load") {
    const nlohmann::json j = run_steps(out, "--step load-a=" + (out / "broken").string());
    CHECK(j["A"]["phase"] == static_cast<int>(SlotState::Phase::Ready));
    CHECK(j["A"]["model_dir"] == fixtures + "/hf/diffllama_gqa_tied");
    CHECK(j["A"]["load_error"].get<std::string>().find("could not load " + (out / "broken").string()) == 0);
    CHECK(j["A"]["result"] == "current");
    CHECK(j["A"]["tokens"].size() == 21);
  }
  SECTION("a path to a file in a model folder") {
    const nlohmann::json j = run_steps(out, "--step load-a=" + fixtures + "/hf/diffllama_gqa_tied/config.json");
    CHECK(j["A"]["phase"] == static_cast<int>(SlotState::Phase::Ready));
    CHECK(j["A"]["model_dir"] == fixtures + "/hf/diffllama_gqa_tied");
    const std::string note = j["A"]["note"];
    CHECK(note.find("config.json is a file: choose the folder that holds config.json") != std::string::npos);
    CHECK(note.find("keeps " + fixtures + "/hf/diffllama_gqa_tied") != std::string::npos);
    CHECK(j["A"]["result"] == "current");
  }
}

TEST_CASE("the marked span moves with its text when the prompt is edited, and goes when the text is replaced") {
  const testing::TempFolder folder("diffscope_gui_span");
  const fs::path& out = folder.path();
  SECTION("text typed before the span") {
    const nlohmann::json j = run_steps(out, "--span 4721 --step 'prompt=Note. Paris is 4721. Paris?'");
    CHECK(j["span_bytes"] == nlohmann::json::array({15, 19}));
  }
  SECTION("the prompt replaced") {
    const nlohmann::json j = run_steps(out, "--span 4721 --step 'prompt=Rome has 2873000 people.'");
    CHECK(j["span_bytes"].is_null());
  }
}

TEST_CASE("exports get numbered names instead of overwriting, and say what they wrote") {
  const testing::TempFolder folder("diffscope_gui_export_names");
  const fs::path& out = folder.path();
  run_steps(out, "--step export=map,stats --export map,stats");
  const fs::path dir = out / "exports";
  CHECK(fs::exists(dir / "map.png"));
  CHECK(fs::exists(dir / "map_2.png"));
  CHECK(fs::exists(dir / "stats_A_diffllama_gqa_tied.json"));
  CHECK(fs::exists(dir / "stats_A_diffllama_gqa_tied_2.json"));
  CHECK(testing::read_file_text(out / "stdout.txt").find("export: wrote " + (dir / "map_2.png").string()) !=
        std::string::npos);
}

TEST_CASE("Continue near the context limit says how many tokens it added and why it stopped") {
  const testing::TempFolder folder("diffscope_gui_continue_limit");
  const fs::path& out = folder.path();
  const nlohmann::json j = run_steps(out, "--step 'prompt=" + std::string(125, 'a') + "' --step continue=8");
  CHECK(j["continuation_note"] == "generated 3 of 8 tokens: the context of 128 tokens is full");
}

TEST_CASE("bad command lines fail with a message") {
  CHECK(run("--layout mosaic > /dev/null 2>&1") != 0);
  CHECK(run("--frobnicate > /dev/null 2>&1") != 0);
}
