// An ImGui context for tests of panels without a renderer or a display: a window size, no imgui.ini, the font atlas
// built (no texture is uploaded). One at a time; test thread.
#pragma once

#include <imgui.h>

namespace diffscope::testing {

class ImGuiTestContext {
 public:
  explicit ImGuiTestContext(ImVec2 display = ImVec2(800, 600)) {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = display;
    io.IniFilename = nullptr;
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
  }
  ~ImGuiTestContext() { ImGui::DestroyContext(); }
  ImGuiTestContext(const ImGuiTestContext&) = delete;
  ImGuiTestContext& operator=(const ImGuiTestContext&) = delete;
};

}  // namespace diffscope::testing
