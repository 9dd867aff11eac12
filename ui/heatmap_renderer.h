// The GL heatmap pipeline: a map becomes an R32F texture (max-pooled above the GL texture limit) and is drawn by
// shaders/heatmap.{vert,frag} into an offscreen render target whose texture ImGui shows. One draw per map, never
// one rectangle per cell. Main (UI) thread, with a current GL 3.3 context.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "colormap.h"
#include "gl_api.h"
#include "map_viewport.h"
#include "snapshot.h"

namespace diffscope::ui {

// A map on the GPU: a pyramid of R32F textures, level k max-pooling 2^k x 2^k texels of level 0 into one (sign kept
// for D), so a map drawn smaller than its cells can be read at a level where no spike falls between pixels. Move-only;
// deletes its textures.
class MapTexture {
 public:
  MapTexture() = default;
  ~MapTexture();
  MapTexture(MapTexture&& other) noexcept;
  MapTexture& operator=(MapTexture&& other) noexcept;
  MapTexture(const MapTexture&) = delete;
  MapTexture& operator=(const MapTexture&) = delete;

  bool valid() const { return !ids_.empty(); }
  GLuint id(int level = 0) const { return ids_[static_cast<size_t>(level)]; }
  int levels() const { return static_cast<int>(ids_.size()); }
  int64_t cols() const { return cols_; }  // source map size in cells
  int64_t rows() const { return rows_; }
  int64_t pool() const { return pool_; }  // cells per texel side of level 0
  // Where texel (0, 0) lies in the map, in cells: 0 for a whole map, the window's first key / query for a window.
  int64_t col_origin() const { return col_origin_; }
  int64_t row_origin() const { return row_origin_; }
  bool causal() const { return causal_; }  // cells with key > query are masked (shaded when the draw asks)

 private:
  friend class HeatmapRenderer;
  void release();
  std::vector<GLuint> ids_;
  int64_t cols_ = 0, rows_ = 0, pool_ = 1;
  int64_t col_origin_ = 0, row_origin_ = 0;
  bool causal_ = false;
};

// An offscreen RGBA8 colour target (framebuffer object + texture). Move-only.
class RenderTarget {
 public:
  RenderTarget() = default;
  ~RenderTarget();
  RenderTarget(RenderTarget&& other) noexcept;
  RenderTarget& operator=(RenderTarget&& other) noexcept;
  RenderTarget(const RenderTarget&) = delete;
  RenderTarget& operator=(const RenderTarget&) = delete;

  // (Re)allocates to w x h pixels when the size changed; false when the framebuffer is incomplete.
  bool ensure(int w, int h);
  GLuint texture() const { return texture_; }
  GLuint framebuffer() const { return fbo_; }
  int width() const { return w_; }
  int height() const { return h_; }
  // RGBA bytes, top row first (for tests and exports).
  std::vector<uint8_t> read_rgba() const;

 private:
  void release();
  GLuint fbo_ = 0, texture_ = 0;
  int w_ = 0, h_ = 0;
};

// How to draw one map.
struct HeatmapDraw {
  CellRect view;                      // visible cells (x = key, y = query)
  Colormap colormap = Colormap::Viridis;
  ColorScale scale;
  bool shade_masked = true;           // causal maps: grey key > query, and keys outside `window`
  std::array<float, 3> masked_rgb = {0.22f, 0.22f, 0.25f};
  // The sliding window W of the map's layer (0: none; ModelInfo::layer_windows): with shade_masked, keys j <= i - W
  // are drawn in masked_rgb too (a pooled block only when every cell of it is outside the band).
  int64_t window = 0;
  bool grid_lines = true;             // cell borders once cells are at least 14 pixels
};

class HeatmapRenderer {
 public:
  HeatmapRenderer() = default;
  ~HeatmapRenderer();
  HeatmapRenderer(const HeatmapRenderer&) = delete;
  HeatmapRenderer& operator=(const HeatmapRenderer&) = delete;

  // Builds the shader program from `shader_dir`/heatmap.vert and heatmap.frag and the colormap textures. False with
  // *error (file, compiler log) when it cannot; the app then shows the error instead of maps.
  bool init(const std::string& shader_dir, std::string* error);
  bool ready() const { return program_ != 0; }

  // The largest texture side used: GL_MAX_TEXTURE_SIZE, or less when limited (tests of pooling, memory).
  int64_t max_texture_side() const { return max_side_; }
  void limit_texture_side(int64_t side);

  // Uploads `map`, max-pooled when a side exceeds `max_side` (0: max_texture_side()); signed maps keep the entry of
  // largest magnitude.
  MapTexture upload(const Matrix& map, bool signed_values, int64_t max_side = 0) const;

  // Uploads cells that are already pooled, `pool` x `pool` cells of a causal map each (an overview, or a window the
  // engine computed), covering the map's cells [col_origin, col_origin + cols) x [row_origin, row_origin + rows); the
  // last texel of a row or column may stick out past that and is clipped when drawn. NaN texels are drawn as "no
  // data" (dark grey), never as a value.
  MapTexture upload_cells(const Matrix& cells, bool signed_values, int64_t pool, int64_t col_origin,
                          int64_t row_origin, int64_t cols, int64_t rows) const;

  // The colormap's 256 x 1 RGB texture (for colorbars).
  GLuint lut_texture(Colormap colormap) const { return luts_[static_cast<int>(colormap)]; }

  // Binds `target`, clears it to transparent, and sets up state for draw(). end() restores the default framebuffer.
  void begin(const RenderTarget& target);
  // Draws `map` into the rectangle (x, y, w, h) of the bound target, in pixels from its top left. Pixels outside the
  // map's cells are left as they are, so a window drawn after its overview covers only its own rectangle.
  void draw(const MapTexture& map, const HeatmapDraw& params, int x, int y, int w, int h);

  // Cells per side of the blocks a draw of `view` into w x h pixels shows as one (max |value|): 1 when every cell has
  // at least a pixel. What draw() uses; views print it so a pooled picture says so.
  static int64_t screen_pool(const MapTexture& map, const CellRect& view, int w, int h);
  void end();

 private:
  GLuint program_ = 0;
  GLuint vao_ = 0;
  GLuint luts_[3] = {0, 0, 0};  // Viridis, Magma, RdBu
  int64_t max_side_ = 4096;
  int target_h_ = 0;
  GLint saved_viewport_[4] = {0, 0, 0, 0};
  GLint saved_fbo_ = 0;
  struct Uniforms {
    GLint map, lut, view, map_cells, pool, mode, vmin, vmax, gamma, log_floor, diverging, shade_masked,
        masked_color, cell_pixels, grid, origin, window;
  } u_{};
};

}  // namespace diffscope::ui
