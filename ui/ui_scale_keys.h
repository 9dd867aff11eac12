// The UI scale's shortcuts: Ctrl+= (or Ctrl++ / keypad +) larger, Ctrl+- (keypad -) smaller, Ctrl+0 (keypad 0) 100%,
// as browsers and editors have them; they work while typing too. Main (UI) thread, inside an ImGui frame.
#pragma once

namespace diffscope::ui {

// Applies this frame's shortcut to *ui_scale (ui_scale.h steps); true when it changed. The app builds the font again
// before the next frame (app/gui_ui_scale.h).
bool handle_ui_scale_keys(float* ui_scale);

}  // namespace diffscope::ui
