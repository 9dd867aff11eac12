// UI scale shortcuts. Main (UI) thread.
#include "ui_scale_keys.h"

#include <GLFW/glfw3.h>
#include <imgui.h>

#include "ui_scale.h"

namespace diffscope::ui {

namespace {

// ImGui 1.86's GLFW backend indexes io.KeysDown by GLFW key code.
bool pressed(int key, int keypad_key) {
  return ImGui::IsKeyPressed(key, false) || ImGui::IsKeyPressed(keypad_key, false);
}

}  // namespace

bool handle_ui_scale_keys(float* ui_scale) {
  if (!ImGui::GetIO().KeyCtrl) return false;
  const float before = *ui_scale;
  if (pressed(GLFW_KEY_EQUAL, GLFW_KEY_KP_ADD)) *ui_scale = step_ui_scale(*ui_scale, +1);
  else if (pressed(GLFW_KEY_MINUS, GLFW_KEY_KP_SUBTRACT)) *ui_scale = step_ui_scale(*ui_scale, -1);
  else if (pressed(GLFW_KEY_0, GLFW_KEY_KP_0)) *ui_scale = 1.0f;
  return *ui_scale != before;
}

}  // namespace diffscope::ui
