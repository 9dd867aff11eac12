// Window screenshot via glReadPixels + stb_image_write. Main (UI) thread.
#include "gl_screenshot.h"

#include <algorithm>

#include <stb_image_write.h>

#include "gl_api.h"

namespace diffscope::ui {

std::vector<uint8_t> read_framebuffer_rgb(int width, int height) {
  std::vector<uint8_t> pixels(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  GLint saved_pack = 0;
  glGetIntegerv(GL_PACK_ALIGNMENT, &saved_pack);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
  glPixelStorei(GL_PACK_ALIGNMENT, saved_pack);
  const size_t row = static_cast<size_t>(width) * 3;
  for (int y = 0; y < height / 2; ++y) {  // GL's first row is the bottom one
    std::swap_ranges(pixels.begin() + static_cast<std::ptrdiff_t>(y * row),
                     pixels.begin() + static_cast<std::ptrdiff_t>((y + 1) * row),
                     pixels.begin() + static_cast<std::ptrdiff_t>((height - 1 - y) * row));
  }
  return pixels;
}

bool write_window_png(const std::string& path, int width, int height, std::string* error) {
  if (width <= 0 || height <= 0) {
    *error = "the window has no pixels to save";
    return false;
  }
  GLint saved_fbo = 0, saved_buffer = 0;
  glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &saved_fbo);
  glGetIntegerv(GL_READ_BUFFER, &saved_buffer);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
  glReadBuffer(GL_BACK);
  const std::vector<uint8_t> rgb = read_framebuffer_rgb(width, height);
  glReadBuffer(static_cast<GLenum>(saved_buffer));
  glBindFramebuffer(GL_READ_FRAMEBUFFER, static_cast<GLuint>(saved_fbo));
  if (!stbi_write_png(path.c_str(), width, height, 3, rgb.data(), width * 3)) {
    *error = "cannot write " + path + ": is the folder there and writable?";
    return false;
  }
  return true;
}

}  // namespace diffscope::ui
