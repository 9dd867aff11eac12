// UI scale: font atlas rebuilt, style scaled. Main thread, between frames.
#include "gui_ui_scale.h"

#include <algorithm>
#include <utility>

#include <backends/imgui_impl_opengl3.h>

#include "fonts.h"
#include "ui_scale.h"

namespace diffscope {

UiScaler::UiScaler(std::string font_path, float content_scale)
    : font_path_(std::move(font_path)), content_scale_(content_scale), base_style_(ImGui::GetStyle()) {}

bool UiScaler::apply(float ui_scale, bool gl_ready) {
  ui_scale = ui::clamp_ui_scale(ui_scale);
  const float factor = ui_scale * std::max(1.0f, content_scale_);
  ImGuiStyle& style = ImGui::GetStyle();
  style = base_style_;
  style.ScaleAllSizes(factor);
  font_pixels_ = ui::ui_font_pixels(ui_scale, content_scale_);
  ImGui::GetIO().Fonts->Clear();  // glyphs of the old size; ImGui picks the new font up at the next NewFrame
  const bool loaded = ui::load_ui_font(font_path_, font_pixels_);
  if (gl_ready) {
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
  }
  applied_ = ui_scale;
  return loaded;
}

}  // namespace diffscope
