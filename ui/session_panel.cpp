// Session section of the side panel (session_panel.h). Main (UI) thread.
#include "session_panel.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <optional>
#include <vector>

#include "recent_sessions.h"
#include "session_state.h"

namespace diffscope::ui {

void draw_session_panel(UiState& state, UiActions& actions) {
  ImGui::SetNextItemWidth(-1);
  ImGui::InputTextWithHint("##session_path", "diffscope_session.json in the export folder", &state.session_path);
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("The session file to save to or open. Empty: Save writes diffscope_session.json in the export "
                      "folder (diffscope_session_2.json, ... when it exists); a path you type is overwritten.");
  }
  if (ImGui::Button("Save")) save_session_action(state);
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Ctrl+S. Saves the models' folders, the prompt's exact bytes, the span R, layout, layer/head, "
                      "view and display settings. Results are not saved: opening the session runs the prompt again.");
  }
  ImGui::SameLine();
  if (ImGui::Button("Open")) open_session_action(state, actions);
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Ctrl+O. Loads the session's models (a folder that is not there keeps the slot's model), sets "
                      "the prompt and span, runs, and restores the view once the results arrive.");
  }
  const char* keys = "Ctrl+S / Ctrl+O";
  if (ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + ImGui::CalcTextSize(keys).x <
      ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) {
    ImGui::SameLine();
    ImGui::TextDisabled("%s", keys);
  }
  // The session files opened or saved last; whether each is still there is asked only while the list is open.
  if (!state.settings.recent_sessions.empty()) {
    std::optional<size_t> chosen;
    ImGui::SetNextItemWidth(-1);
    if (ImGui::BeginCombo("##recent_sessions", "Recent sessions")) {
      const std::vector<RecentSessionEntry> entries = recent_session_entries(state.settings.recent_sessions);
      for (size_t i = 0; i < entries.size(); ++i) {
        const RecentSessionEntry& e = entries[i];
        ImGui::PushID(static_cast<int>(i));
        if (!e.exists) ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        if (ImGui::Selectable(e.label.c_str())) chosen = i;
        if (!e.exists) ImGui::PopStyleColor();
        if (ImGui::IsItemHovered()) {
          ImGui::SetTooltip("%s%s", e.path.c_str(), e.exists ? "" : "\nis no longer there (moved or deleted)");
        }
        ImGui::PopID();
      }
      ImGui::EndCombo();
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("The last %zu session files opened or saved.", kMaxRecentSessions);
    if (chosen) open_recent_session(state, actions, *chosen);
  }
  if (!state.session_message.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(state.session_failed ? ImVec4(1, 0.45f, 0.4f, 1) : ImVec4(0.5f, 0.85f, 0.5f, 1), "%s",
                       state.session_message.c_str());
    ImGui::PopTextWrapPos();
  }
}

}  // namespace diffscope::ui
