// The prompt editor driven through ImGui without a renderer (no GL, no display): typing arms the ~250 ms debounce
// and a run goes out only once the text was still for that long; Ctrl+Enter runs at once. Test thread.
#include <catch2/catch.hpp>

#include <imgui.h>

#include "app_ui.h"
#include "prompt_panel.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

constexpr int kEnterKey = 257;  // any index into io.KeysDown works; the GLFW backend uses GLFW_KEY_ENTER = 257

struct ImGuiHarness {
  ImGuiHarness() {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(800, 600);
    io.IniFilename = nullptr;
    io.KeyMap[ImGuiKey_Enter] = kEnterKey;
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);  // builds the atlas; no texture is uploaded
  }
  ~ImGuiHarness() { ImGui::DestroyContext(); }

  // One frame with the prompt panel in a window; `focus` activates the editor first.
  void frame(UiState& state, UiActions& actions, bool focus, double dt = 1.0 / 60) {
    ImGui::GetIO().DeltaTime = static_cast<float>(dt);
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(800, 600));
    ImGui::Begin("test");
    if (focus) ImGui::SetKeyboardFocusHere();
    draw_prompt_panel(state, actions);
    ImGui::End();
    ImGui::Render();
  }
};

}  // namespace

TEST_CASE("typing arms the debounce; Ctrl+Enter asks for a run at once") {
  ImGuiHarness imgui;
  UiState state;
  UiActions actions;
  state.settings.prompt = "Paris";
  state.now = 10.0;
  imgui.frame(state, actions, true);
  imgui.frame(state, actions, false);
  CHECK_FALSE(state.debounce.armed());

  ImGui::GetIO().AddInputCharacter('!');
  imgui.frame(state, actions, false);
  CHECK(state.settings.prompt == "!Paris");  // focused by code: the cursor starts at the beginning
  REQUIRE(state.debounce.armed());
  CHECK(state.debounce.remaining(10.0) == Approx(0.25));
  CHECK_FALSE(state.debounce.fire(10.1));  // still typing
  CHECK(state.debounce.fire(10.3));        // 250 ms of stillness
  CHECK_FALSE(state.submit_now);

  ImGuiIO& io = ImGui::GetIO();
  io.KeyCtrl = true;
  io.KeysDown[kEnterKey] = true;
  imgui.frame(state, actions, false);
  io.KeysDown[kEnterKey] = false;
  io.KeyCtrl = false;
  CHECK(state.submit_now);
  CHECK(state.settings.prompt == "!Paris");  // Ctrl+Enter runs, it does not insert a line break
}

TEST_CASE("an example prompt is one click away") {
  ImGuiHarness imgui;
  UiState state;
  UiActions actions;
  state.examples = {{"needle", "The magic number of Paris is 4721. What is the magic number of Paris?"}};
  state.span_bytes = std::make_pair<int64_t, int64_t>(0, 3);
  imgui.frame(state, actions, false);
  // Find the example button: it is the last item of the panel; click its centre.
  ImGui::NewFrame();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImVec2(800, 600));
  ImGui::Begin("test");
  draw_prompt_panel(state, actions);
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  ImGui::End();
  ImGui::Render();
  ImGuiIO& io = ImGui::GetIO();
  io.MousePos = ImVec2((a.x + b.x) / 2, (a.y + b.y) / 2);
  imgui.frame(state, actions, false);  // hover
  io.MouseDown[0] = true;
  imgui.frame(state, actions, false);
  io.MouseDown[0] = false;
  imgui.frame(state, actions, false);
  CHECK(state.settings.prompt == state.examples[0].text);
  CHECK(state.submit_now);
  CHECK_FALSE(state.span_bytes);  // a new prompt clears the old span
}
