// The UI scale's shortcuts through ImGui without a renderer: Ctrl+= / Ctrl+- step the scale, Ctrl+0 resets it, the
// keypad's keys do the same, the keys without Ctrl do nothing; the help window lists them. Test thread.
#include <catch2/catch.hpp>

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>

#include "help_window.h"
#include "imgui_test_context.h"
#include "ui_scale_keys.h"

using namespace diffscope::ui;

namespace {

struct Frames {
  diffscope::testing::ImGuiTestContext context{ImVec2(400, 300)};

  // One frame with `key` held (GLFW key code, as the backend indexes io.KeysDown), then one with it released; returns
  // whether either changed *scale.
  bool press(int key, bool ctrl, float* scale) {
    ImGuiIO& io = ImGui::GetIO();
    io.KeyCtrl = ctrl;
    io.KeysDown[key] = true;
    bool changed = frame(scale);
    io.KeysDown[key] = false;
    io.KeyCtrl = false;
    changed = frame(scale) || changed;
    return changed;
  }
  bool frame(float* scale) {
    ImGui::GetIO().DeltaTime = 1.0f / 60;
    ImGui::NewFrame();
    const bool changed = handle_ui_scale_keys(scale);
    ImGui::Render();
    return changed;
  }
};

}  // namespace

TEST_CASE("Ctrl+= / Ctrl+- / Ctrl+0 change the UI scale; without Ctrl nothing happens") {
  Frames frames;
  float scale = 1.0f;
  CHECK(frames.press(GLFW_KEY_EQUAL, true, &scale));
  CHECK(scale == 1.1f);
  frames.press(GLFW_KEY_KP_ADD, true, &scale);
  CHECK(scale == 1.25f);
  frames.press(GLFW_KEY_EQUAL, true, &scale);
  CHECK(scale == 1.5f);
  CHECK(frames.press(GLFW_KEY_MINUS, true, &scale));
  CHECK(scale == 1.25f);
  frames.press(GLFW_KEY_KP_SUBTRACT, true, &scale);
  CHECK(scale == 1.1f);
  CHECK(frames.press(GLFW_KEY_0, true, &scale));
  CHECK(scale == 1.0f);
  CHECK_FALSE(frames.press(GLFW_KEY_0, true, &scale));  // already 100%
  CHECK_FALSE(frames.press(GLFW_KEY_EQUAL, false, &scale));
  CHECK_FALSE(frames.press(GLFW_KEY_MINUS, false, &scale));
  CHECK(scale == 1.0f);
  for (int i = 0; i < 10; ++i) frames.press(GLFW_KEY_MINUS, true, &scale);
  CHECK(scale == 0.75f);
  for (int i = 0; i < 10; ++i) frames.press(GLFW_KEY_EQUAL, true, &scale);
  CHECK(scale == 2.0f);
}

TEST_CASE("the help window lists the UI scale's shortcuts") {
  const auto keys = help_keys();
  CHECK(std::any_of(keys.begin(), keys.end(), [](const auto& k) { return k.first == "Ctrl+= / Ctrl+- / Ctrl+0"; }));
}
