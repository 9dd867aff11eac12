// A wrapped tooltip for the item just drawn, shown while it is hovered (the side panel's "what does this do" texts).
// Main (UI) thread, inside an ImGui frame.
#pragma once

#include <imgui.h>

namespace diffscope::ui {

inline void item_tooltip(const char* text) {
  if (!ImGui::IsItemHovered()) return;
  ImGui::BeginTooltip();
  ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28);  // about 28 characters' height wide: a readable paragraph
  ImGui::TextUnformatted(text);
  ImGui::PopTextWrapPos();
  ImGui::EndTooltip();
}

}  // namespace diffscope::ui
