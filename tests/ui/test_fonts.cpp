// The UI font's marker glyph (ui/fonts.h): U+F8FF has a painted glyph and is the font's fallback, so the prompt box's
// placeholders and characters the font lacks are drawn as it, not as '?' or U+FFFD. ImGui without a renderer. Test
// thread.
#include <catch2/catch.hpp>

#include <imgui.h>

#include "fonts.h"
#include "prompt_text.h"
#include "resources.h"

using namespace diffscope::ui;

namespace {

// Pixels with any coverage inside the glyph's rectangle of the atlas.
int painted_pixels(const ImFontGlyph& g) {
  unsigned char* pixels = nullptr;
  int w = 0, h = 0;
  ImGui::GetIO().Fonts->GetTexDataAsAlpha8(&pixels, &w, &h);
  int n = 0;
  for (int y = static_cast<int>(g.V0 * h); y < static_cast<int>(g.V1 * h); ++y) {
    for (int x = static_cast<int>(g.U0 * w); x < static_cast<int>(g.U1 * w); ++x) n += pixels[y * w + x] > 0 ? 1 : 0;
  }
  return n;
}

void check_marker(ImFont* font) {
  const ImFontGlyph* marker = font->FindGlyphNoFallback(static_cast<ImWchar>(kMarkerGlyph));
  REQUIRE(marker != nullptr);
  CHECK(font->FallbackChar == static_cast<ImWchar>(kMarkerGlyph));
  CHECK(font->FindGlyph(static_cast<ImWchar>(kFirstPlaceholder)) == marker);  // a placeholder draws the marker
  CHECK(font->FindGlyph(static_cast<ImWchar>(0x4E2D)) == marker);             // CJK: not in the atlas
  CHECK(painted_pixels(*marker) > 10);
}

}  // namespace

TEST_CASE("without DejaVu Sans, ImGui's built-in font gets the marker glyph") {
  ImGui::CreateContext();
  CHECK_FALSE(load_ui_font("", 15));
  REQUIRE(ImGui::GetIO().Fonts->Fonts.Size == 1);
  check_marker(ImGui::GetIO().Fonts->Fonts[0]);
  ImGui::DestroyContext();
}

TEST_CASE("DejaVu Sans draws Hebrew and Arabic and marks what it lacks") {
  const std::string path = ui_font_path();
  if (path.empty()) {
    WARN("DejaVu Sans is not installed (fonts-dejavu-core): skipped");
    return;
  }
  ImGui::CreateContext();
  REQUIRE(load_ui_font(path, 15));
  ImFont* font = ImGui::GetIO().Fonts->Fonts[0];
  check_marker(font);
  CHECK(font->FindGlyphNoFallback(0x05E9) != nullptr);  // Hebrew shin
  CHECK(font->FindGlyphNoFallback(0x0633) != nullptr);  // Arabic seen
  ImGui::DestroyContext();
}

TEST_CASE("the font is built again at another size in a cleared atlas, as the UI scale does") {
  const std::string path = ui_font_path();
  ImGui::CreateContext();
  load_ui_font(path, 15);
  ImFontAtlas* atlas = ImGui::GetIO().Fonts;
  atlas->Clear();
  load_ui_font(path, 23);
  REQUIRE(atlas->Fonts.Size == 1);  // the old size is gone, not kept beside the new one
  if (!path.empty()) CHECK(atlas->Fonts[0]->FontSize == 23.0f);
  check_marker(atlas->Fonts[0]);
  ImGui::DestroyContext();
}
