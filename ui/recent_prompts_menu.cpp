// Recent prompts: the combo and the moment a prompt is remembered. Main (UI) thread.
#include "recent_prompts_menu.h"

#include <imgui.h>

#include "figure_caption.h"
#include "recent_prompts.h"
#include "slot_results.h"

namespace diffscope::ui {

namespace {

constexpr size_t kLabelChars = 48;

// The prompt as the prompt box shows it (placeholders where ImGui cannot), wrapped, in a tooltip.
void prompt_tooltip(const std::string& bytes) {
  ImGui::BeginTooltip();
  ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30);
  PromptText shown;
  shown.set_bytes(bytes);
  ImGui::TextUnformatted(shown.display().c_str());
  ImGui::PopTextWrapPos();
  ImGui::EndTooltip();
}

}  // namespace

void replace_prompt(UiState& state, const std::string& bytes) {
  state.settings.prompt = bytes;
  state.span_bytes.reset();
  state.generated_from.reset();
  state.pinned_token.reset();
  state.submit_now = true;
}

bool restore_recent_prompt(UiState& state, size_t index) {
  if (index >= state.settings.recent_prompts.size()) return false;
  const std::string bytes = state.settings.recent_prompts[index];  // a copy: remembering it reorders the list
  replace_prompt(state, bytes);
  return true;
}

void remember_shown_prompt(UiState& state) {
  const std::vector<std::string>& recent = state.settings.recent_prompts;
  if (state.prompt_box_active || state.settings.prompt.empty() ||
      (!recent.empty() && recent.front() == state.settings.prompt)) {
    return;
  }
  for (int slot = 0; slot < kNumSlots; ++slot) {
    if (slot_result(state, slot).kind == ResultKind::Current) {
      remember_prompt(&state.settings.recent_prompts, state.settings.prompt);
      return;
    }
  }
}

void draw_recent_prompts(UiState& state) {
  const std::vector<std::string>& recent = state.settings.recent_prompts;
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("Recent").x + ImGui::GetFrameHeight() + ImGui::GetStyle().FramePadding.x * 2);
  if (!ImGui::BeginCombo("##recent", "Recent", ImGuiComboFlags_HeightLarge | ImGuiComboFlags_PopupAlignLeft)) {
    if (ImGui::IsItemHovered()) {
      ImGui::SetTooltip(recent.empty() ? "The prompts you run are listed here (the last %zu, each up to %zu KiB)."
                                       : "The last %zu prompts run (each up to %zu KiB), exactly as they were.",
                        kMaxRecentPrompts, kMaxRecentPromptBytes / 1024);
    }
    return;
  }
  std::optional<size_t> chosen;
  for (size_t i = 0; i < recent.size(); ++i) {
    ImGui::PushID(static_cast<int>(i));
    const std::string label = prompt_excerpt(recent[i], std::nullopt, kLabelChars);
    if (ImGui::Selectable(label.c_str(), recent[i] == state.settings.prompt)) chosen = i;
    if (ImGui::IsItemHovered()) prompt_tooltip(recent[i]);
    ImGui::PopID();
  }
  if (recent.empty()) ImGui::TextDisabled("(none yet)");
  ImGui::EndCombo();
  if (chosen) restore_recent_prompt(state, *chosen);
}

}  // namespace diffscope::ui
