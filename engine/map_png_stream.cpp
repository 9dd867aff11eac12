// Band-by-band PNG export of one map (map_png_stream.h). Any thread; one call writes one file.
#include "map_png_stream.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "errors.h"

#ifdef DIFFSCOPE_HAVE_LIBPNG
#include <png.h>
#endif

namespace diffscope {
namespace {

// The token ranges of cell (a, b) of a window: rows [r0 + a p, ...) and keys [c0 + b p, ...).
struct Cells {
  int64_t r0, r1, c0, c1, pool;
  int64_t window = 0;  // the layer's sliding window (0: none)
  int64_t rows() const { return (r1 - r0 + pool - 1) / pool; }
  int64_t cols() const { return (c1 - c0 + pool - 1) / pool; }
  // No query of row a sees a key of column b: every key after every query, or before every query's sliding window.
  bool masked(int64_t a, int64_t b) const { return pooled_cell_masked(r0, r1, c0, c1, pool, a, b, window); }
  bool holds_key0(int64_t b) const { return c0 + b * pool == 0; }
};

#ifdef DIFFSCOPE_HAVE_LIBPNG
// libpng reports errors by longjmp: these wrappers hold no C++ object that a jump could skip, and return 0 on error.
int png_start(png_structp png, png_infop info, FILE* file, png_uint_32 width, png_uint_32 height) {
  if (setjmp(png_jmpbuf(png))) return 0;
  png_init_io(png, file);
  png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 3);          // a 32K map is 3 GiB of pixels: speed over the last few percent
  png_set_filter(png, 0, PNG_FILTER_SUB);     // cheap, and good on smooth rows
  png_write_info(png, info);
  return 1;
}

int png_row(png_structp png, png_bytep row) {
  if (setjmp(png_jmpbuf(png))) return 0;
  png_write_row(png, row);
  return 1;
}

int png_end(png_structp png, png_infop info) {
  if (setjmp(png_jmpbuf(png))) return 0;
  png_write_end(png, info);
  return 1;
}

void png_warning_ignored(png_structp, png_const_charp) {}

// One open PNG file; closes (and, unless finished, removes) it on destruction.
class PngFile {
 public:
  PngFile(const std::string& path, int64_t width, int64_t height) : path_(path) {
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) throw FileError("cannot write " + path + ": " + std::strerror(errno));
    png_ = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, png_warning_ignored);
    if (png_) info_ = png_create_info_struct(png_);
    if (!png_ || !info_ ||
        !png_start(png_, info_, file_, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height))) {
      throw FileError("cannot write " + path + ": the PNG writer could not start");
    }
  }
  ~PngFile() {
    if (png_) png_destroy_write_struct(&png_, info_ ? &info_ : nullptr);
    if (file_) std::fclose(file_);
    if (!finished_) std::remove(path_.c_str());
  }
  PngFile(const PngFile&) = delete;
  PngFile& operator=(const PngFile&) = delete;

  void row(std::vector<uint8_t>& rgb) {
    if (!png_row(png_, rgb.data()) || std::ferror(file_)) {
      throw FileError("cannot write " + path_ + ": writing failed (disk full?)");
    }
  }
  void finish() {
    const bool ended = png_end(png_, info_) != 0;
    png_destroy_write_struct(&png_, &info_);
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!ended || !closed) throw FileError("cannot write " + path_ + ": finishing the file failed (disk full?)");
    finished_ = true;
  }

 private:
  std::string path_;
  FILE* file_ = nullptr;
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
  bool finished_ = false;
};
#endif

}  // namespace

bool can_stream_map_png() {
#ifdef DIFFSCOPE_HAVE_LIBPNG
  return true;
#else
  return false;
#endif
}

bool stream_map_png(const MapStore& store, const MapWindow& window, const std::string& path,
                    const MapPngOptions& options, const std::function<bool(double)>& progress) {
#ifndef DIFFSCOPE_HAVE_LIBPNG
  (void)store, (void)window, (void)path, (void)options, (void)progress;
  throw InputError("this build has no PNG streaming (libpng was not found when it was built): install libpng-dev "
                   "and rebuild, or export a smaller window");
#else
  const int64_t T = store.tokens();
  Cells cells{window.row_begin, window.row_end < 0 ? T : window.row_end, window.col_begin,
              window.col_end < 0 ? T : window.col_end, window.pool, window.head == kRollout ? 0 : options.window};
  if (cells.pool < 1) throw InputError("PNG export: pool must be at least 1, got " + std::to_string(cells.pool));
  if (cells.r0 < 0 || cells.r1 > T || cells.r0 >= cells.r1 || cells.c0 < 0 || cells.c1 > T || cells.c0 >= cells.c1) {
    throw InputError("PNG export: rows [" + std::to_string(cells.r0) + ", " + std::to_string(cells.r1) +
                     ") x keys [" + std::to_string(cells.c0) + ", " + std::to_string(cells.c1) +
                     ") is not inside the " + std::to_string(T) + " x " + std::to_string(T) + " map");
  }
  if (options.cell_pixels < 1 || options.cell_pixels > 64) {
    throw InputError("PNG export: pixels per cell must be 1..64, got " + std::to_string(options.cell_pixels));
  }
  const int64_t width = cells.cols() * options.cell_pixels, height = cells.rows() * options.cell_pixels;
  if (std::max(width, height) > (int64_t{1} << 30)) {
    throw InputError("PNG export: the image would be " + std::to_string(width) + " x " + std::to_string(height) +
                     " pixels; pool the map (a larger pool) or export a window");
  }
  const int64_t band_rows = std::max<int64_t>(1, options.band_cells / std::max<int64_t>(1, cells.cols()));
  const int64_t bands = (cells.rows() + band_rows - 1) / band_rows;
  auto band_window = [&](int64_t a0, int64_t a1) {
    MapWindow w = window;
    w.row_begin = cells.r0 + a0 * cells.pool;
    w.row_end = std::min(cells.r0 + a1 * cells.pool, cells.r1);
    w.col_begin = cells.c0;
    w.col_end = cells.c1;
    return w;
  };

  // Pass 1: the colour scale, as auto_scale fits it: the causal cells, the sink's column left out when asked (and put
  // back when nothing else is visible).
  float lo[2] = {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity()};
  float hi[2] = {-std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};  // [with key 0]
  Matrix m;  // one band's cells, its memory reused band after band
  for (int64_t band = 0; band < bands; ++band) {
    const int64_t a0 = band * band_rows, a1 = std::min(a0 + band_rows, cells.rows());
    store.window_into(band_window(a0, a1), m);
    for (int64_t a = a0; a < a1; ++a) {
      for (int64_t b = 0; b < cells.cols(); ++b) {
        if (cells.masked(a, b)) continue;
        const float v = m.at(a - a0, b);
        if (!std::isfinite(v)) continue;
        const int which = options.hide_sink && cells.holds_key0(b) ? 1 : 0;
        lo[which] = std::min(lo[which], v);
        hi[which] = std::max(hi[which], v);
      }
    }
    if (progress && !progress(0.5 * static_cast<double>(band + 1) / static_cast<double>(bands))) return false;
  }
  float vmin = lo[0], vmax = hi[0];
  if (vmin > vmax || !options.hide_sink) vmin = std::min(lo[0], lo[1]), vmax = std::max(hi[0], hi[1]);
  ColorScale scale;
  scale.mode = options.scale_mode;
  scale.gamma = options.gamma;
  scale.diverging = options.signed_map;
  if (vmin > vmax) {
    scale.vmin = options.signed_map ? -1.0f : 0.0f;
    scale.vmax = 1.0f;
  } else if (options.signed_map) {
    scale.vmax = std::max(std::fabs(vmin), std::fabs(vmax));
    scale.vmin = -scale.vmax;
  } else {
    scale.vmin = vmin;
    scale.vmax = vmax;
  }

  if (options.adjust_scale) scale = options.adjust_scale(scale);

  // Pass 2: the pixels, one band of cells at a time.
  PngFile file(path, width, height);
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * 3);
  for (int64_t band = 0; band < bands; ++band) {
    const int64_t a0 = band * band_rows, a1 = std::min(a0 + band_rows, cells.rows());
    store.window_into(band_window(a0, a1), m);
    for (int64_t a = a0; a < a1; ++a) {
      for (int64_t b = 0; b < cells.cols(); ++b) {
        std::array<uint8_t, 3> color = {kMaskedGrey, kMaskedGrey, kMaskedGrey};
        if (!(options.shade_masked && cells.masked(a, b))) {
          color = colormap_sample(options.colormap, color_scale_position(scale, m.at(a - a0, b)));
        }
        uint8_t* out = rgb.data() + static_cast<size_t>(b) * options.cell_pixels * 3;
        for (int x = 0; x < options.cell_pixels; ++x, out += 3) std::memcpy(out, color.data(), 3);
      }
      for (int y = 0; y < options.cell_pixels; ++y) file.row(rgb);
    }
    if (progress && !progress(0.5 + 0.5 * static_cast<double>(band + 1) / static_cast<double>(bands))) return false;
  }
  file.finish();
  return true;
#endif
}

}  // namespace diffscope
