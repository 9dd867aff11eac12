// Counts the pixels of a PNG (an app screenshot) inside a rectangle, given as fractions of the image's width and
// height, that a predicate on their RGB bytes accepts: the GUI tests' way of seeing what the window shows. Test
// thread; header only (stb_image's implementation comes from Debian's libstb, linked by the tests).
#pragma once

#include <functional>
#include <string>

#include <stb_image.h>

namespace diffscope::testing {

struct PixelArea {
  double x0, y0, x1, y1;  // [x0, x1) x [y0, y1) as fractions of width and height
};

// The number of pixels in `area` whose RGB `pick` accepts; -1 when the PNG cannot be read.
inline int count_png_pixels(const std::string& png, PixelArea area,
                            const std::function<bool(const unsigned char* rgb)>& pick) {
  int w = 0, h = 0, channels = 0;
  unsigned char* data = stbi_load(png.c_str(), &w, &h, &channels, 3);
  if (data == nullptr) return -1;
  int n = 0;
  for (int y = static_cast<int>(area.y0 * h); y < static_cast<int>(area.y1 * h); ++y)
    for (int x = static_cast<int>(area.x0 * w); x < static_cast<int>(area.x1 * w); ++x) {
      n += pick(data + (static_cast<size_t>(y) * w + x) * 3) ? 1 : 0;
    }
  stbi_image_free(data);
  return n;
}

}  // namespace diffscope::testing
