// Reads the window's framebuffer back (glReadPixels) and writes it as a PNG: the "window screenshot" export and
// --screenshot. Main (UI) thread, after the frame is drawn and before buffers are swapped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace diffscope::ui {

// RGB bytes of the bound read framebuffer's w x h pixels, top row first.
std::vector<uint8_t> read_framebuffer_rgb(int width, int height);

// read_framebuffer_rgb of the default framebuffer's back buffer, written to `path`; false with *error.
bool write_window_png(const std::string& path, int width, int height, std::string* error);

}  // namespace diffscope::ui
