// Prompt editor and example prompts. Main (UI) thread.
#include "prompt_panel.h"

#include <imgui.h>
#include <imgui_stdlib.h>

namespace diffscope::ui {

void draw_prompt_panel(UiState& state, UiActions& actions) {
  static bool refocus = false;  // Ctrl+Enter ends the edit in ImGui 1.86: take the focus back next frame
  if (refocus) {
    ImGui::SetKeyboardFocusHere();
    refocus = false;
  }
  const std::string before = state.settings.prompt;
  const bool ctrl_enter =
      ImGui::InputTextMultiline("##prompt", &state.settings.prompt, ImVec2(-1, ImGui::GetTextLineHeight() * 8),
                                ImGuiInputTextFlags_EnterReturnsTrue);
  if (ctrl_enter) {
    state.submit_now = true;
    refocus = true;
  } else if (state.settings.prompt != before) {
    state.debounce.changed(state.now);
  }
  const size_t bytes = state.settings.prompt.size();
  ImGui::TextDisabled("%zu bytes. Runs as you type; Ctrl+Enter runs now.", bytes);
  if (const SlotState& a = state.slots[kSlotDiff]; a.info && a.info->max_positions > 0 &&
                                                    static_cast<int64_t>(bytes) > a.info->max_positions) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(ImVec4(1.0f, 0.7f, 0.3f, 1), "Longer than model A's context (%lld positions): byte-level "
                       "models see one token per byte.", static_cast<long long>(a.info->max_positions));
    ImGui::PopTextWrapPos();
  }
  if (!state.examples.empty()) {
    ImGui::TextUnformatted("Examples:");
    for (size_t i = 0; i < state.examples.size(); ++i) {
      const ExamplePrompt& e = state.examples[i];
      if (i > 0) {
        const float next = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x +
                           ImGui::CalcTextSize(e.name.c_str()).x + ImGui::GetStyle().FramePadding.x * 2;
        if (next < ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) ImGui::SameLine();
      }
      if (ImGui::SmallButton(e.name.c_str())) {
        state.settings.prompt = e.text;
        state.span_bytes.reset();
        state.submit_now = true;
      }
      if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30);
        ImGui::TextUnformatted(e.text.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
      }
    }
  }
  if (state.debounce.armed()) actions.wake_in = state.debounce.remaining(state.now);
}

}  // namespace diffscope::ui
