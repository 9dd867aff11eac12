// The token strip driven through ImGui without a renderer: hovering a token reports it, dragging over tokens marks
// their bytes as the relevant span and asks for a run, right-click clears it. Test thread.
#include <catch2/catch.hpp>

#include <map>

#include <imgui.h>

#include "current_prompt.h"
#include "demo_snapshot.h"
#include "imgui_test_context.h"
#include "token_strip.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

struct StripHarness {
  diffscope::testing::ImGuiTestContext context{ImVec2(800, 300)};
  UiState state;
  StripHarness() {
    DemoSpec spec;
    spec.text = "ab cd efg";
    state.slots[kSlotDiff].snapshot = std::make_shared<AttentionSnapshot>(make_demo_snapshot(spec));
    ui::testing::answer_prompt(state, spec.text);
  }
  void frame() {
    ImGui::GetIO().DeltaTime = 1.0f / 60;
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(800, 300));
    ImGui::Begin("test");
    draw_token_strip(state, 3);
    ImGui::End();
    ImGui::Render();
  }
  void mouse(float x, float y, bool left, bool right = false) {
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = ImVec2(x, y);
    io.MouseDown[0] = left;
    io.MouseDown[1] = right;
    frame();
  }
};

}  // namespace

TEST_CASE("hover and drag over the token strip") {
  StripHarness h;
  h.frame();
  // Sweep the mouse to find where each token is drawn.
  std::map<int64_t, ImVec2> where;
  for (float y = 0; y < 120 && where.size() < 9; y += 2) {
    for (float x = 0; x < 400; x += 2) {
      h.mouse(x, y, false);
      if (h.state.hover_token && !where.count(*h.state.hover_token)) where[*h.state.hover_token] = ImVec2(x + 2, y + 2);
    }
  }
  REQUIRE(where.size() == 9);  // "ab cd efg": 9 byte tokens
  CHECK(where[0].x < where[8].x);

  // Drag from token 3 ('c') to token 1 ('b'): span [1, 4) -> bytes [1, 4).
  h.mouse(where[3].x, where[3].y, false);
  h.mouse(where[3].x, where[3].y, true);
  h.mouse(where[2].x, where[2].y, true);
  h.mouse(where[1].x, where[1].y, true);
  h.mouse(where[1].x, where[1].y, false);
  REQUIRE(h.state.span_bytes);
  CHECK(h.state.span_bytes->first == 1);
  CHECK(h.state.span_bytes->second == 4);
  CHECK(h.state.submit_now);

  // Right-click clears it and asks for a run without the span.
  h.state.submit_now = false;
  h.mouse(where[5].x, where[5].y, false, true);
  h.mouse(where[5].x, where[5].y, false, false);
  CHECK_FALSE(h.state.span_bytes);
  CHECK(h.state.submit_now);
}
