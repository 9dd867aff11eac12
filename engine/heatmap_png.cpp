// Heatmap rendering and PNG writing (see heatmap_png.h). No state: any thread.
#include "heatmap_png.h"

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <stb_image_write.h>  // the implementation is compiled into Debian's libstb

#include "errors.h"

namespace diffscope {

namespace {

void check_renderable(const Matrix& map, const HeatmapImageOptions& options) {
  if (map.empty() || map.rows < 1 || map.cols < 1)
    throw InputError("heatmap: the map is empty (was this head's map captured?)");
  if (map.values.size() != static_cast<size_t>(map.rows * map.cols))
    throw InputError("heatmap: the map holds " + std::to_string(map.values.size()) + " values, not rows x cols = " +
                     std::to_string(map.rows) + " x " + std::to_string(map.cols));
  if (options.shade_masked && options.mask.whole() && map.rows != map.cols)
    throw InputError("heatmap: shading the causal mask needs a square map, this one is " + std::to_string(map.rows) +
                     " x " + std::to_string(map.cols) + "; turn shading off");
  if (options.cell_pixels < 1)
    throw InputError("heatmap: cell size must be at least 1 pixel, got " + std::to_string(options.cell_pixels));
  const int64_t longest_side = std::max(map.rows, map.cols) * options.cell_pixels;
  if (longest_side > kMaxHeatmapSide)
    throw InputError("heatmap: the image would be " + std::to_string(longest_side) + " pixels per side, over the " +
                     std::to_string(kMaxHeatmapSide) + " limit; lower the scale (pixels per cell) or shorten the prompt");
}

// Says why `path` cannot be written, or "" when its folder looks usable (stb then reports the remaining failures).
std::string unwritable_reason(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(fs::path(path), ec)) return "it is a folder";
  fs::path folder = fs::path(path).parent_path();
  if (folder.empty()) folder = ".";
  const fs::file_status status = fs::status(folder, ec);
  if (!fs::exists(status)) return "folder " + folder.string() + " does not exist (create it first)";
  if (!fs::is_directory(status)) return folder.string() + " is not a folder";
  if (::access(folder.c_str(), W_OK) != 0) return "folder " + folder.string() + " is not writable";
  return "";
}

}  // namespace

bool CellMask::masked(int64_t i, int64_t j) const {
  constexpr int64_t kOpen = std::numeric_limits<int64_t>::max() / 2;  // no end given: cells are never clipped
  return pooled_cell_masked(row_begin, row_end > 0 ? row_end : kOpen, col_begin, col_end > 0 ? col_end : kOpen, pool, i,
                            j, window);
}

std::vector<uint8_t> render_heatmap_rgb(const Matrix& map, const HeatmapImageOptions& options, int* width,
                                        int* height) {
  check_renderable(map, options);
  const int cell = options.cell_pixels;
  const int w = static_cast<int>(map.cols) * cell;
  const int h = static_cast<int>(map.rows) * cell;
  const size_t row_bytes = static_cast<size_t>(w) * 3;
  std::vector<uint8_t> pixels(row_bytes * static_cast<size_t>(h));

  for (int64_t i = 0; i < map.rows; ++i) {
    // Paint the first pixel row of this band of cells, then copy it down: cells are crisp squares.
    uint8_t* band = pixels.data() + static_cast<size_t>(i) * cell * row_bytes;
    for (int64_t j = 0; j < map.cols; ++j) {
      std::array<uint8_t, 3> rgb = {kMaskedGrey, kMaskedGrey, kMaskedGrey};
      if (!(options.shade_masked && options.mask.masked(i, j)))
        rgb = colormap_sample(options.colormap, color_scale_position(options.scale, map.at(i, j)));
      uint8_t* out = band + static_cast<size_t>(j) * cell * 3;
      for (int x = 0; x < cell; ++x, out += 3) std::memcpy(out, rgb.data(), 3);
    }
    for (int y = 1; y < cell; ++y) std::memcpy(band + y * row_bytes, band, row_bytes);
  }

  *width = w;
  *height = h;
  return pixels;
}

void write_heatmap_png(const std::string& path, const Matrix& map, const HeatmapImageOptions& options) {
  int width = 0, height = 0;
  const std::vector<uint8_t> pixels = render_heatmap_rgb(map, options, &width, &height);
  const std::string reason = unwritable_reason(path);
  if (!reason.empty()) throw FileError("cannot write " + path + ": " + reason);
  if (stbi_write_png(path.c_str(), width, height, 3, pixels.data(), width * 3) == 0)
    throw FileError("cannot write " + path + ": the PNG writer failed (disk full, or no permission for the file?)");
}

}  // namespace diffscope
