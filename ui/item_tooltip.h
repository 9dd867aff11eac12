// A wrapped tooltip for the item just drawn, shown while it is hovered (the side panel's "what does this do" texts).
// Main (UI) thread, inside an ImGui frame.
#pragma once

#include <imgui.h>

namespace diffscope::ui {

// `width` in font heights (28: a readable paragraph).
inline void item_tooltip(const char* text, float width = 28) {
  if (!ImGui::IsItemHovered()) return;
  ImGui::BeginTooltip();
  ImGui::PushTextWrapPos(ImGui::GetFontSize() * width);
  ImGui::TextUnformatted(text);
  ImGui::PopTextWrapPos();
  ImGui::EndTooltip();
}

}  // namespace diffscope::ui
