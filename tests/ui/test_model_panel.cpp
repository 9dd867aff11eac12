// The model panel's text for a running slot's progress bar (ui/model_panel.h), from the worker's progress: a run polls
// before each of its layers, so progress k / L is layer k + 1 of L. Test thread.
#include <catch2/catch.hpp>

#include "model_panel.h"

using namespace diffscope;
using namespace diffscope::ui;

TEST_CASE("a running slot's progress reads as the layer it is in") {
  SlotState s;
  s.phase = SlotState::Phase::Ready;
  s.running = true;
  ModelInfo info;
  info.num_layers = 16;
  s.info = info;
  s.progress = 0.0f;
  CHECK(run_progress_text(s) == "running: layer 1 of 16");
  s.progress = 3.0f / 16;
  CHECK(run_progress_text(s) == "running: layer 4 of 16");
  s.progress = 15.0f / 16;
  CHECK(run_progress_text(s) == "running: layer 16 of 16");
  s.progress = 0.4f;  // 6.4 of 16: between polls of a generation's steps it is still a layer
  CHECK(run_progress_text(s) == "running: layer 7 of 16");
  s.progress = -1;
  CHECK(run_progress_text(s) == "running...");
  s.info.reset();  // no layer count: a percentage
  s.progress = 0.5f;
  CHECK(run_progress_text(s) == "running: 50%");
  // With the time since it began (steady-clock seconds).
  s.started_seconds = 100.0;
  CHECK(run_progress_text(s, 102.44) == "running: 50%, 2.4 s");
  s.progress = -1;
  CHECK(run_progress_text(s, 100.0) == "running..., 0.0 s");
  CHECK(run_progress_text(s, 99.0) == "running...");  // a clock before the start says nothing
  s.started_seconds = 0;
  CHECK(elapsed_text(0, 5.0).empty());
}

TEST_CASE("the model panel names the family and which layers slide with which window") {
  ModelInfo info;
  info.model_type = "qwen3";
  info.num_layers = 6;
  info.num_heads = 16;
  CHECK(describe_model(info).rfind("qwen3, 6 layers x 16 heads", 0) == 0);
  CHECK(describe_windows(info).empty());  // no list: every layer is full attention
  info.layer_windows = {0, 0, 0, 0, 0, 0};
  CHECK(describe_windows(info).empty());
  info.model_type = "gemma3_text";
  info.layer_windows = {512, 512, 512, 512, 512, 0};  // Gemma 3: five local layers, then a global one
  CHECK(describe_windows(info) == "sliding window 512 on 5 of 6 layers (L0-L4)");
  info.layer_windows = {512, 0, 512, 512, 0, 512};
  CHECK(describe_windows(info) == "sliding window 512 on 4 of 6 layers (L0, L2-L3, L5)");
  info.model_type = "mistral";
  info.layer_windows.assign(6, 4096);
  CHECK(describe_windows(info) == "sliding window 4096 on all 6 layers");
  info.layer_windows = {8, 8, 0, 16, 0, 0};  // two windows (no family has that today): a clause each
  CHECK(describe_windows(info) == "sliding window 8 on 2 of 6 layers (L0-L1); window 16 on 1 of 6 layers (L3)");
}
