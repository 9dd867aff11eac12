// UI font loading and the marker glyph. Main (UI) thread.
#include "fonts.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <imgui.h>

#include "prompt_text.h"

namespace diffscope::ui {

namespace {

struct MarkerShape {
  int width = 0, height = 0, advance = 0, top = 0, line = 1;
};

// A box about as tall as a capital letter, sitting on the baseline (DejaVu's ascent is ~0.8 of the pixel height).
MarkerShape marker_shape(float pixels) {
  MarkerShape m;
  m.advance = std::max(5, static_cast<int>(std::lround(pixels * 0.62f)));
  m.width = m.advance - 2;
  m.height = std::max(5, static_cast<int>(std::lround(pixels * 0.67f)));
  m.top = static_cast<int>(std::lround(pixels * 0.13f));
  m.line = std::max(1, static_cast<int>(std::lround(pixels / 15.0f)));
  return m;
}

// Dashed outline (three pixels on, one off, along the border) and a dot in the middle: unlike any letter, box or
// rectangle glyph of the font, so a placeholder is not mistaken for the text's own characters.
void paint_marker(ImFontAtlas* atlas, int rect_index, const MarkerShape& m) {
  unsigned char* pixels = nullptr;
  int tex_w = 0, tex_h = 0;
  atlas->GetTexDataAsAlpha8(&pixels, &tex_w, &tex_h);
  const ImFontAtlasCustomRect* r = atlas->GetCustomRectByIndex(rect_index);
  if (pixels == nullptr || r == nullptr) return;
  const int cx0 = (m.width - m.line * 2) / 2, cy0 = (m.height - m.line * 2) / 2;
  for (int y = 0; y < m.height; ++y) {
    for (int x = 0; x < m.width; ++x) {
      const bool border = x < m.line || y < m.line || x >= m.width - m.line || y >= m.height - m.line;
      const int along = (x < m.line || x >= m.width - m.line) ? y / m.line : x / m.line;
      const bool dash = border && along % 4 != 3;
      const bool dot = x >= cx0 && x < cx0 + m.line * 2 && y >= cy0 && y < cy0 + m.line * 2;
      pixels[(r->Y + y) * tex_w + r->X + x] = dash || dot ? 255 : 0;
    }
  }
}

}  // namespace

bool load_ui_font(const std::string& path, float pixels) {
  ImFontAtlas* atlas = ImGui::GetIO().Fonts;
  std::error_code ec;
  ImFont* font = nullptr;
  if (!path.empty() && std::filesystem::exists(path, ec)) {
    // Ranges DejaVu Sans covers that tokens commonly need; CJK is not in DejaVu and would only bloat the atlas (its
    // characters draw as the marker glyph).
    static const ImWchar ranges[] = {
        0x0020, 0x024F,  // Basic Latin, Latin-1, Latin Extended-A/B
        0x0250, 0x02FF,  // IPA, spacing modifiers
        0x0300, 0x036F,  // combining diacritics
        0x0370, 0x03FF,  // Greek (lambda)
        0x0400, 0x052F,  // Cyrillic
        0x0590, 0x05FF,  // Hebrew
        0x0600, 0x06FF,  // Arabic (isolated forms: ImGui does no shaping)
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
    font = atlas->AddFontFromFileTTF(path.c_str(), pixels, &config, ranges);
  }
  const bool loaded = font != nullptr;
  if (!loaded) {
    font = atlas->AddFontDefault();
    pixels = 13.0f;  // ProggyClean's only size (ImFontAtlas::AddFontDefault)
  }
  const MarkerShape m = marker_shape(pixels);
  const int rect = atlas->AddCustomRectFontGlyph(font, static_cast<ImWchar>(kMarkerGlyph), m.width, m.height,
                                                 static_cast<float>(m.advance), ImVec2(1, static_cast<float>(m.top)));
  // Chosen before the atlas is built: ImFont::BuildLookupTable keeps a FallbackChar that has a glyph.
  font->FallbackChar = static_cast<ImWchar>(kMarkerGlyph);
  atlas->Build();
  paint_marker(atlas, rect, m);
  return loaded;
}

}  // namespace diffscope::ui
