// GL heatmap pipeline: R32F map textures, colormap LUT textures, render targets, one shader draw per map. Main (UI)
// thread.
#include "heatmap_renderer.h"

#include <algorithm>
#include <utility>

#include "gl_shader.h"
#include "map_transforms.h"

namespace diffscope::ui {

// ---- MapTexture ----

void MapTexture::release() {
  if (!ids_.empty()) glDeleteTextures(static_cast<GLsizei>(ids_.size()), ids_.data());
  ids_.clear();
}

MapTexture::~MapTexture() { release(); }

MapTexture::MapTexture(MapTexture&& other) noexcept { *this = std::move(other); }

MapTexture& MapTexture::operator=(MapTexture&& other) noexcept {
  if (this != &other) {
    release();
    ids_ = std::exchange(other.ids_, {});
    cols_ = other.cols_;
    rows_ = other.rows_;
    pool_ = other.pool_;
    col_origin_ = other.col_origin_;
    row_origin_ = other.row_origin_;
    causal_ = other.causal_;
  }
  return *this;
}

// ---- RenderTarget ----

RenderTarget::~RenderTarget() { release(); }

RenderTarget::RenderTarget(RenderTarget&& other) noexcept { *this = std::move(other); }

RenderTarget& RenderTarget::operator=(RenderTarget&& other) noexcept {
  if (this != &other) {
    release();
    fbo_ = std::exchange(other.fbo_, 0);
    texture_ = std::exchange(other.texture_, 0);
    w_ = std::exchange(other.w_, 0);
    h_ = std::exchange(other.h_, 0);
  }
  return *this;
}

void RenderTarget::release() {
  if (fbo_ != 0) glDeleteFramebuffers(1, &fbo_);
  if (texture_ != 0) glDeleteTextures(1, &texture_);
  fbo_ = texture_ = 0;
  w_ = h_ = 0;
}

bool RenderTarget::ensure(int w, int h) {
  w = std::max(1, w);
  h = std::max(1, h);
  if (fbo_ != 0 && w == w_ && h == h_) return true;
  release();
  GLint saved_texture = 0, saved_fbo = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &saved_texture);
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &saved_fbo);
  glGenTextures(1, &texture_);
  glBindTexture(GL_TEXTURE_2D, texture_);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  // The target is shown 1:1 on screen: nearest keeps cell edges sharp if the widget is a pixel off.
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glGenFramebuffers(1, &fbo_);
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture_, 0);
  const bool complete = glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
  glBindFramebuffer(GL_FRAMEBUFFER, static_cast<GLuint>(saved_fbo));
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(saved_texture));
  w_ = w;
  h_ = h;
  if (!complete) release();
  return complete;
}

std::vector<uint8_t> RenderTarget::read_rgba() const {
  std::vector<uint8_t> pixels(static_cast<size_t>(w_) * static_cast<size_t>(h_) * 4);
  if (fbo_ == 0) return pixels;
  GLint saved_fbo = 0;
  glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &saved_fbo);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo_);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, w_, h_, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
  glBindFramebuffer(GL_READ_FRAMEBUFFER, static_cast<GLuint>(saved_fbo));
  // GL rows start at the bottom; callers want the top row first.
  const size_t row = static_cast<size_t>(w_) * 4;
  for (int y = 0; y < h_ / 2; ++y) {
    std::swap_ranges(pixels.begin() + static_cast<std::ptrdiff_t>(y * row),
                     pixels.begin() + static_cast<std::ptrdiff_t>((y + 1) * row),
                     pixels.begin() + static_cast<std::ptrdiff_t>((h_ - 1 - y) * row));
  }
  return pixels;
}

// ---- HeatmapRenderer ----

HeatmapRenderer::~HeatmapRenderer() {
  if (program_ != 0) glDeleteProgram(program_);
  if (vao_ != 0) glDeleteVertexArrays(1, &vao_);
  glDeleteTextures(3, luts_);
}

bool HeatmapRenderer::init(const std::string& shader_dir, std::string* error) {
  program_ = build_program_from_files(shader_dir + "/heatmap.vert", shader_dir + "/heatmap.frag", error);
  if (program_ == 0) return false;
  const auto loc = [&](const char* name) { return glGetUniformLocation(program_, name); };
  u_ = Uniforms{loc("u_map"),      loc("u_lut"),        loc("u_view"),        loc("u_map_cells"),
                loc("u_pool"),     loc("u_mode"),       loc("u_vmin"),        loc("u_vmax"),
                loc("u_gamma"),    loc("u_log_floor"),  loc("u_diverging"),   loc("u_shade_masked"),
                loc("u_masked_color"), loc("u_cell_pixels"), loc("u_grid"), loc("u_origin"),
                loc("u_window")};
  glGenVertexArrays(1, &vao_);  // core profile: a draw needs a bound VAO even without attributes

  GLint saved_texture = 0, saved_unpack = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &saved_texture);
  glGetIntegerv(GL_UNPACK_ALIGNMENT, &saved_unpack);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);  // 256 RGB triples: rows are not 4-byte aligned
  glGenTextures(3, luts_);
  const Colormap maps[3] = {Colormap::Viridis, Colormap::Magma, Colormap::RdBu};
  for (int i = 0; i < 3; ++i) {
    glBindTexture(GL_TEXTURE_2D, luts_[i]);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGB8, kColormapSize, 1, 0, GL_RGB, GL_UNSIGNED_BYTE, colormap_table(maps[i]));
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  }
  glPixelStorei(GL_UNPACK_ALIGNMENT, saved_unpack);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(saved_texture));

  GLint max_side = 0;
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_side);
  max_side_ = std::max<int64_t>(64, max_side);
  const GLenum status = glGetError();
  if (status != GL_NO_ERROR) {
    *error = "OpenGL error " + std::to_string(status) + " while setting up the heatmap renderer";
    return false;
  }
  return true;
}

void HeatmapRenderer::limit_texture_side(int64_t side) { max_side_ = std::max<int64_t>(1, std::min(max_side_, side)); }

MapTexture HeatmapRenderer::upload(const Matrix& map, bool signed_values, int64_t max_side) const {
  MapTexture t;
  if (map.empty()) return t;
  const int64_t side = max_side > 0 ? std::min(max_side, max_side_) : max_side_;
  // Pool only when needed: a map that fits is uploaded straight from the snapshot's memory.
  PooledMap pooled;
  const bool fits = pool_factor(map.rows, map.cols, side) == 1;
  if (!fits) pooled = pool_max(map, side, signed_values);
  const Matrix& texels = fits ? map : pooled.values;
  GLint saved_texture = 0, saved_unpack = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &saved_texture);
  glGetIntegerv(GL_UNPACK_ALIGNMENT, &saved_unpack);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  // Level 0, then halvings until the coarsest fits in 64 texels a side (a 16K map: 9 levels, 1.33x the memory).
  PooledMap level;
  const Matrix* texels_of_level = &texels;
  while (true) {
    GLuint id = 0;
    glGenTextures(1, &id);
    t.ids_.push_back(id);
    glBindTexture(GL_TEXTURE_2D, id);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, static_cast<GLsizei>(texels_of_level->cols),
                 static_cast<GLsizei>(texels_of_level->rows), 0, GL_RED, GL_FLOAT, texels_of_level->values.data());
    // texelFetch ignores filtering, but a texture without mipmaps must not ask for them to be complete.
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    if (std::max(texels_of_level->rows, texels_of_level->cols) <= 64) break;
    level = pool_by(*texels_of_level, 2, signed_values);
    texels_of_level = &level.values;
  }
  glPixelStorei(GL_UNPACK_ALIGNMENT, saved_unpack);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(saved_texture));
  t.cols_ = map.cols;
  t.rows_ = map.rows;
  t.pool_ = fits ? 1 : pooled.factor;
  t.causal_ = map.rows == map.cols;
  return t;
}

MapTexture HeatmapRenderer::upload_cells(const Matrix& cells, bool signed_values, int64_t pool, int64_t col_origin,
                                         int64_t row_origin, int64_t cols, int64_t rows) const {
  // Cells beyond the texture limit are pooled once more (a window is about screen-sized, an overview 256 a side).
  const int64_t factor = pool_factor(cells.rows, cells.cols, max_side_);
  MapTexture t = factor == 1 ? upload(cells, signed_values) : upload(pool_by(cells, factor, signed_values).values,
                                                                     signed_values);
  if (!t.valid()) return t;
  t.pool_ = std::max<int64_t>(1, pool) * factor;
  t.cols_ = cols;
  t.rows_ = rows;
  t.col_origin_ = col_origin;
  t.row_origin_ = row_origin;
  t.causal_ = true;
  return t;
}

int64_t HeatmapRenderer::screen_pool(const MapTexture& map, const CellRect& view, int w, int h) {
  if (!map.valid() || w <= 0 || h <= 0) return 1;
  const double texels_per_pixel =
      std::max((view.x1 - view.x0) / w, (view.y1 - view.y0) / h) / static_cast<double>(map.pool());
  return map.pool() << pyramid_level(texels_per_pixel, map.levels());
}

void HeatmapRenderer::begin(const RenderTarget& target) {
  glGetIntegerv(GL_VIEWPORT, saved_viewport_);
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &saved_fbo_);
  glBindFramebuffer(GL_FRAMEBUFFER, target.framebuffer());
  target_h_ = target.height();
  glViewport(0, 0, target.width(), target.height());
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);
  glDisable(GL_DEPTH_TEST);
  glDisable(GL_CULL_FACE);
  glClearColor(0, 0, 0, 0);
  glClear(GL_COLOR_BUFFER_BIT);
  glUseProgram(program_);
  glBindVertexArray(vao_);
}

void HeatmapRenderer::draw(const MapTexture& map, const HeatmapDraw& p, int x, int y, int w, int h) {
  if (!map.valid() || w <= 0 || h <= 0) return;
  glViewport(x, target_h_ - y - h, w, h);
  // The pyramid level whose blocks are at least a pixel: every cell's block lands under some pixel's centre.
  const int64_t pool = screen_pool(map, p.view, w, h);
  int level = 0;
  while ((map.pool() << level) < pool) ++level;
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, map.id(level));
  glActiveTexture(GL_TEXTURE1);
  glBindTexture(GL_TEXTURE_2D, luts_[static_cast<int>(p.colormap)]);
  glActiveTexture(GL_TEXTURE0);
  glUniform1i(u_.map, 0);
  glUniform1i(u_.lut, 1);
  glUniform4f(u_.view, static_cast<float>(p.view.x0), static_cast<float>(p.view.y0), static_cast<float>(p.view.x1),
              static_cast<float>(p.view.y1));
  glUniform2f(u_.map_cells, static_cast<float>(map.cols()), static_cast<float>(map.rows()));
  glUniform1f(u_.pool, static_cast<float>(pool));
  glUniform1i(u_.mode, static_cast<int>(p.scale.mode));
  glUniform1f(u_.vmin, p.scale.vmin);
  glUniform1f(u_.vmax, p.scale.vmax);
  glUniform1f(u_.gamma, p.scale.gamma);
  glUniform1f(u_.log_floor, p.scale.log_floor);
  glUniform1i(u_.diverging, p.scale.diverging ? 1 : 0);
  glUniform1i(u_.shade_masked, p.shade_masked && map.causal() ? 1 : 0);
  glUniform2f(u_.origin, static_cast<float>(map.col_origin()), static_cast<float>(map.row_origin()));
  glUniform3f(u_.masked_color, p.masked_rgb[0], p.masked_rgb[1], p.masked_rgb[2]);
  glUniform1f(u_.window, map.causal() && p.window > 0 ? static_cast<float>(p.window) : 0.0f);
  const double view_w = p.view.x1 - p.view.x0;
  glUniform1f(u_.cell_pixels, view_w > 0 ? static_cast<float>(w / view_w) : 1.0f);
  glUniform1i(u_.grid, p.grid_lines ? 1 : 0);
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
}

void HeatmapRenderer::end() {
  glBindVertexArray(0);
  glUseProgram(0);
  glBindFramebuffer(GL_FRAMEBUFFER, static_cast<GLuint>(saved_fbo_));
  glViewport(saved_viewport_[0], saved_viewport_[1], saved_viewport_[2], saved_viewport_[3]);
}

}  // namespace diffscope::ui
