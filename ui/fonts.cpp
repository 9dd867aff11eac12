// UI font loading. Main (UI) thread.
#include "fonts.h"

#include <filesystem>

#include <imgui.h>

namespace diffscope::ui {

bool load_ui_font(const std::string& path, float pixels) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return false;
  // Ranges DejaVu Sans covers that tokens commonly need; CJK is not in DejaVu and would only bloat the atlas.
  static const ImWchar ranges[] = {
      0x0020, 0x024F,  // Basic Latin, Latin-1, Latin Extended-A/B
      0x0250, 0x02FF,  // IPA, spacing modifiers
      0x0300, 0x036F,  // combining diacritics
      0x0370, 0x03FF,  // Greek (lambda)
      0x0400, 0x052F,  // Cyrillic
      0x0590, 0x05FF,  // Hebrew
      0x1E00, 0x1EFF,  // Latin Extended Additional
      0x2000, 0x206F,  // punctuation
      0x20A0, 0x20CF,  // currency
      0x2100, 0x214F,  // letterlike
      0x2190, 0x21FF,  // arrows (line break marker)
      0x2200, 0x22FF,  // math operators
      0x2300, 0x23FF,  // technical
      0x2400, 0x243F,  // control pictures (open box for spaces)
      0x2500, 0x25FF,  // box drawing, shapes
      0xFFFD, 0xFFFD,  // replacement character
      0,
  };
  ImFontConfig config;
  config.OversampleH = 2;
  config.OversampleV = 1;
  return ImGui::GetIO().Fonts->AddFontFromFileTTF(path.c_str(), pixels, &config, ranges) != nullptr;
}

}  // namespace diffscope::ui
