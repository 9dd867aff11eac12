// The export panel's actions on demo snapshots: native-resolution map PNG (one pixel per cell), labelled figure, all
// maps, statistics; failures come back as messages. No GL is called. Test thread.
#include <catch2/catch.hpp>

#include <filesystem>

#include <stb_image.h>

#include "demo_snapshot.h"
#include "demo_store.h"
#include "export_panel.h"
#include "figure_export.h"
#include "current_prompt.h"
#include "map_layouts.h"

namespace fs = std::filesystem;
using namespace diffscope;
using namespace diffscope::ui;

static UiState demo_state() {
  UiState s;
  DemoSpec a;
  a.text = "Paris is 4721.";
  s.slots[kSlotDiff].snapshot = std::make_shared<AttentionSnapshot>(make_demo_snapshot(a));
  s.slots[kSlotDiff].sequence = 1;
  DemoSpec b = a;
  b.kind = AttentionKind::Standard;
  b.layers = 2;
  s.slots[kSlotStandard].snapshot = std::make_shared<AttentionSnapshot>(make_demo_snapshot(b));
  s.slots[kSlotStandard].sequence = 1;
  testing::answer_prompt(s, a.text);
  s.settings.selection = {1, 2};
  s.font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  return s;
}

TEST_CASE("map and figure exports write PNGs of the focused map") {
  const fs::path dir = fs::temp_directory_path() / "diffscope_test_exports";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const UiState s = demo_state();
  const FocusedMap focus = default_focus(s);
  REQUIRE(focus.valid);
  CHECK(focus.request.variant == MapVariant::Diff);
  CHECK(focus.request.layer == 1);
  CHECK(focus.request.head == 2);
  std::string message;
  REQUIRE(export_map_png(s, focus, (dir / "map.png").string(), &message));
  int w = 0, h = 0, c = 0;
  REQUIRE(stbi_info((dir / "map.png").string().c_str(), &w, &h, &c));
  CHECK(w == 14);  // one pixel per cell: 14 byte tokens
  CHECK(h == 14);
  REQUIRE(export_figure_png(s, focus, (dir / "figure.png").string(), 10, &message));
  REQUIRE(stbi_info((dir / "figure.png").string().c_str(), &w, &h, &c));
  CHECK(w > 140);
  CHECK(h > 140);
  fs::remove_all(dir);
}

TEST_CASE("figure options: the span R, lambda and a prompt excerpt make the figure; all off, only the map") {
  const fs::path dir = fs::temp_directory_path() / "diffscope_test_figure_options";
  fs::remove_all(dir);
  fs::create_directories(dir);
  UiState s = demo_state();
  s.span_bytes = std::make_pair(int64_t{9}, int64_t{13});  // "4721"
  const FocusedMap focus = default_focus(s);
  const auto load = [&](const std::string& name, int* w, int* h, int* orange) {
    std::string message;
    REQUIRE(export_figure_png(s, focus, (dir / name).string(), 10, &message));
    int c = 0;
    unsigned char* rgb = stbi_load((dir / name).string().c_str(), w, h, &c, 3);
    REQUIRE(rgb != nullptr);
    *orange = 0;
    for (int i = 0; i < *w * *h; ++i) {
      *orange += rgb[i * 3] == kFigureSpanColor[0] && rgb[i * 3 + 1] == kFigureSpanColor[1] &&
                 rgb[i * 3 + 2] == kFigureSpanColor[2];
    }
    stbi_image_free(rgb);
  };
  int w_all = 0, h_all = 0, orange_all = 0, w_none = 0, h_none = 0, orange_none = 0;
  s.settings.figure = FigureOptions{true, true, true, true};
  load("all.png", &w_all, &h_all, &orange_all);
  s.settings.figure = FigureOptions{false, false, false, false};
  load("none.png", &w_none, &h_none, &orange_none);
  CHECK(orange_all > 100);  // 4 cells of 10 px on both axes, the outline, the labels
  CHECK(orange_none == 0);
  // Three notes (span, lambda, prompt) and a title: four lines of text more.
  CHECK(h_all > h_none + 4 * 13);
  fs::remove_all(dir);
}

TEST_CASE("all maps and statistics go to a folder; unwritable folders are reported") {
  const fs::path dir = fs::temp_directory_path() / "diffscope_test_exports_all";
  fs::remove_all(dir);
  const UiState s = demo_state();
  std::string message;
  REQUIRE(export_all_maps(s, (dir / "maps").string(), &message));
  CHECK(fs::exists(dir / "maps" / "A_demo-diff" / "maps.safetensors"));
  CHECK(fs::exists(dir / "maps" / "B_demo-standard" / "layer1_head3_attn.png"));
  REQUIRE(export_stats(s, dir.string(), true, &message));
  CHECK(fs::exists(dir / "stats_A_demo-diff.json"));
  REQUIRE(export_stats(s, dir.string(), false, &message));
  CHECK(fs::exists(dir / "stats_B_demo-standard.csv"));
  CHECK_FALSE(export_stats(s, "/proc/diffscope-no", true, &message));
  CHECK(message.find("/proc/diffscope-no") != std::string::npos);
  CHECK_FALSE(export_map_png(s, default_focus(s), "/proc/diffscope-no/map.png", &message));
  CHECK_FALSE(message.empty());
  UiState empty;
  empty.settings.prompt = "no model ran this";
  CHECK_FALSE(export_all_maps(empty, (dir / "none").string(), &message));
  CHECK(message.find("run a prompt first") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("exports never overwrite an earlier export: numbered names, and the message names what was written") {
  const fs::path dir = fs::temp_directory_path() / "diffscope_test_exports_unique";
  fs::remove_all(dir);
  const UiState s = demo_state();
  std::string first, second;
  REQUIRE(export_all_maps(s, (dir / "maps").string(), &first));
  REQUIRE(export_all_maps(s, (dir / "maps").string(), &second));
  CHECK(first.find((dir / "maps").string()) != std::string::npos);
  CHECK(second.find((dir / "maps_2").string()) != std::string::npos);
  CHECK(fs::exists(dir / "maps_2" / "A_demo-diff" / "maps.safetensors"));
  REQUIRE(export_stats(s, dir.string(), true, &first));
  REQUIRE(export_stats(s, dir.string(), true, &second));
  CHECK(second.find((dir / "stats_A_demo-diff_2.json").string()) != std::string::npos);
  CHECK(fs::exists(dir / "stats_A_demo-diff.json"));
  CHECK(fs::exists(dir / "stats_B_demo-standard_2.json"));
  fs::remove_all(dir);
}

TEST_CASE("exports refuse results that are not the current prompt's") {
  const fs::path dir = fs::temp_directory_path() / "diffscope_test_exports_stale";
  fs::remove_all(dir);
  std::string message;
  SECTION("the prompt was deleted") {
    UiState s = demo_state();
    s.settings.prompt.clear();
    CHECK_FALSE(export_stats(s, dir.string(), true, &message));
    CHECK(message == "nothing to export: the prompt is empty");
    CHECK_FALSE(export_map_png(s, default_focus(s), (dir / "map.png").string(), &message));
  }
  SECTION("the prompt was edited and its run has not finished") {
    UiState s = demo_state();
    s.settings.prompt += " And more.";
    CHECK_FALSE(export_all_maps(s, (dir / "maps").string(), &message));
    CHECK(message.find("previous prompt") != std::string::npos);
  }
  SECTION("slot A answered the new prompt, slot B not yet") {
    UiState s = demo_state();
    s.settings.prompt += " And more.";
    submit_prompt(s);
    s.slots[kSlotDiff].snapshot_prompt_id = s.prompt_id;
    CHECK_FALSE(export_stats(s, dir.string(), false, &message));
    CHECK(message.find("slot B's result for the current prompt has not arrived") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("a long prompt's run (overviews and a store only): map PNG and all maps stream, what needs whole maps says why") {
  const fs::path dir = fs::temp_directory_path() / "diffscope_test_exports_long";
  fs::remove_all(dir);
  fs::create_directories(dir);
  UiState s = demo_state();
  for (int slot : {kSlotDiff, kSlotStandard}) {
    auto snapshot = std::make_shared<AttentionSnapshot>(*s.slots[static_cast<size_t>(slot)].snapshot);
    make_overview_only(*snapshot);
    s.slots[static_cast<size_t>(slot)].snapshot = snapshot;
  }
  FocusedMap focus = default_focus(s);
  REQUIRE(focus.valid);
  std::string message;
  REQUIRE(export_map_png(s, focus, (dir / "map.png").string(), &message));  // no background job: written at once
  CHECK(message.find("streamed") != std::string::npos);
  int w = 0, h = 0, c = 0;
  REQUIRE(stbi_info((dir / "map.png").string().c_str(), &w, &h, &c));
  CHECK(w == 14);
  CHECK(h == 14);
  focus.request.variant = MapVariant::LambdaA2;
  CHECK_FALSE(export_map_png(s, focus, (dir / "lambda.png").string(), &message));
  CHECK(message.find("A1, A2, D or A of one head") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "lambda.png"));
  // The figure of a long prompt: the part the view shows, from the store, with token labels (14 tokens: pool 1).
  s.font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  focus.request.variant = MapVariant::Diff;
  const bool figure_ok = export_figure_png(s, focus, (dir / "figure_all.png").string(), 10, &message);
  INFO(message);
  REQUIRE(figure_ok);
  REQUIRE(stbi_info((dir / "figure_all.png").string().c_str(), &w, &h, &c));
  const int whole_h = h;
  s.view = MapViewport{2.0, 3.5, 3.5, true};  // zoomed in twice on the top-left quarter: 7 of the 14 tokens a side
  s.view_tokens = 14;
  REQUIRE(export_figure_png(s, focus, (dir / "figure_zoomed.png").string(), 10, &message));
  REQUIRE(stbi_info((dir / "figure_zoomed.png").string().c_str(), &w, &h, &c));
  INFO("zoomed " << w << " x " << h << ", whole height " << whole_h);
  CHECK(h == whole_h - 70);  // 7 fewer rows of 10 px (the width follows the title)
  s.view = MapViewport{};
  // All maps: every map of the long run streamed from its store (14 tokens: one pixel per token, below kAllMapsSide).
  REQUIRE(export_all_maps(s, (dir / "maps").string(), &message));
  CHECK(message.find("long prompt: 1 x 1 tokens per pixel") != std::string::npos);
  CHECK(message.find("no maps.safetensors") != std::string::npos);
  int pngs = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir / "maps")) {
    if (e.path().extension() == ".png") {
      ++pngs;
      REQUIRE(stbi_info(e.path().string().c_str(), &w, &h, &c));
      CHECK(w == 14);
    }
  }
  const int maps_per_slot = [&] {
    int n = 0;
    for (int slot : {kSlotDiff, kSlotStandard}) {
      const AttentionSnapshot* snap = s.slots[static_cast<size_t>(slot)].snapshot.get();
      if (snap) n += snap->model.num_layers * snap->model.num_heads * static_cast<int>(map_kinds_of(snap->model).size());
    }
    return n;
  }();
  CHECK(pngs == maps_per_slot);
  CHECK(maps_per_slot > 0);
  fs::remove_all(dir);
}
