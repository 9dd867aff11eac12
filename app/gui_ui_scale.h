// Applies the UI scale (settings.ui_scale, ui/ui_scale.h) to Dear ImGui: the font atlas is built again at the new pixel
// size and the style's sizes are scaled from an unscaled copy. Main thread, between frames (never inside
// NewFrame..Render).
//
// Why a new atlas rather than io.FontGlobalScale: FontGlobalScale stretches the glyphs rasterized at 100%, so text at
// 150% or 200% is blurry; ImGui 1.86's OpenGL 3 backend can drop and upload the font texture
// (ImGui_ImplOpenGL3_DestroyFontsTexture / CreateFontsTexture), so building the atlas again costs one upload
// (a few milliseconds) and keeps glyphs sharp at every size.
#pragma once

#include <string>

#include <imgui.h>

namespace diffscope {

class UiScaler {
 public:
  // `font_path`: the UI font (empty: ImGui's built-in one); `content_scale`: the monitor's (GLFW) content scale. Keeps
  // the current style as the unscaled one.
  UiScaler(std::string font_path, float content_scale);

  // Builds the atlas and sizes the style for `ui_scale` (clamped to its limits). `gl_ready`: the backend's font
  // texture exists and must be uploaded again (false before the first frame: the backend makes it then). False when
  // the font file could not be loaded (ImGui's built-in font is used).
  bool apply(float ui_scale, bool gl_ready);
  float applied() const { return applied_; }
  float font_pixels() const { return font_pixels_; }

 private:
  std::string font_path_;
  float content_scale_;
  ImGuiStyle base_style_;
  float applied_ = -1;
  float font_pixels_ = 0;
};

}  // namespace diffscope
