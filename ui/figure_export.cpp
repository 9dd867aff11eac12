// Labelled figure of one attention map, rasterized on the CPU (stb_truetype from libstb, stb_image_write). Any thread.
#include "figure_export.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

#include <stb_image_write.h>
#include <stb_truetype.h>

#include "heatmap_png.h"
#include "token_layout.h"

namespace diffscope::ui {

namespace {

constexpr int kMaxSide = 16384;

// Next Unicode code point of UTF-8 `s` at *i; invalid bytes give U+FFFD and advance one byte.
uint32_t next_codepoint(const std::string& s, size_t* i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(*i);
  int len = 0;
  uint32_t cp = 0;
  if (c < 0x80) { cp = c; len = 1; }
  else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; len = 2; }
  else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; len = 3; }
  else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; len = 4; }
  else { ++*i; return 0xFFFD; }
  if (*i + static_cast<size_t>(len) > s.size()) { ++*i; return 0xFFFD; }
  for (int k = 1; k < len; ++k) {
    if ((b(*i + k) & 0xC0) != 0x80) { ++*i; return 0xFFFD; }
    cp = (cp << 6) | (b(*i + k) & 0x3F);
  }
  *i += static_cast<size_t>(len);
  return cp;
}

struct Image {
  int w = 0, h = 0;
  std::vector<uint8_t> rgb;
  void fill_rect(int x0, int y0, int x1, int y1, std::array<uint8_t, 3> c) {
    for (int y = std::max(0, y0); y < std::min(h, y1); ++y)
      for (int x = std::max(0, x0); x < std::min(w, x1); ++x)
        for (int k = 0; k < 3; ++k) rgb[static_cast<size_t>((y * w + x) * 3 + k)] = c[static_cast<size_t>(k)];
  }
  void blend(int x, int y, uint8_t alpha, std::array<uint8_t, 3> c) {
    if (x < 0 || y < 0 || x >= w || y >= h || alpha == 0) return;
    for (int k = 0; k < 3; ++k) {
      uint8_t& p = rgb[static_cast<size_t>((y * w + x) * 3 + k)];
      p = static_cast<uint8_t>((p * (255 - alpha) + c[static_cast<size_t>(k)] * alpha) / 255);
    }
  }
};

// Renders lines of text into an alpha mask, then blends it into the image upright or rotated 90 degrees
// counter-clockwise (reading bottom to top, as axis labels under narrow columns do).
class TextRasterizer {
 public:
  bool load(const std::string& path, float pixels, std::string* error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      *error = "cannot read the font " + path;
      return false;
    }
    ttf_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (ttf_.empty() || !stbtt_InitFont(&font_, ttf_.data(), stbtt_GetFontOffsetForIndex(ttf_.data(), 0))) {
      *error = "not a TrueType font: " + path;
      return false;
    }
    scale_ = stbtt_ScaleForPixelHeight(&font_, pixels);
    int ascent = 0, descent = 0, gap = 0;
    stbtt_GetFontVMetrics(&font_, &ascent, &descent, &gap);
    ascent_ = static_cast<int>(std::ceil(ascent * scale_));
    line_ = static_cast<int>(std::ceil((ascent - descent) * scale_));
    return true;
  }
  int line_height() const { return line_; }
  int width(const std::string& text) const {
    float x = 0;
    for (size_t i = 0; i < text.size();) {
      int advance = 0, lsb = 0;
      stbtt_GetCodepointHMetrics(&font_, static_cast<int>(next_codepoint(text, &i)), &advance, &lsb);
      x += advance * scale_;
    }
    return static_cast<int>(std::ceil(x));
  }
  // Top-left corner (x, y) of the text's box; `vertical` rotates it: the box is then line_height() wide and
  // width(text) tall, the text's start at the bottom.
  void draw(Image& img, int x, int y, const std::string& text, std::array<uint8_t, 3> color, bool vertical) const {
    const int w = width(text) + 2, h = line_ + 2;
    std::vector<uint8_t> mask(static_cast<size_t>(w * h), 0);
    float pen = 0;
    for (size_t i = 0; i < text.size();) {
      const int cp = static_cast<int>(next_codepoint(text, &i));
      int advance = 0, lsb = 0, gw = 0, gh = 0, xoff = 0, yoff = 0;
      stbtt_GetCodepointHMetrics(&font_, cp, &advance, &lsb);
      unsigned char* glyph = stbtt_GetCodepointBitmap(&font_, scale_, scale_, cp, &gw, &gh, &xoff, &yoff);
      // Glyphs may reach past the line box by a pixel (rounding, bearings): clip them rather than drop them.
      const int gx = static_cast<int>(std::lround(pen)) + xoff, gy = ascent_ + yoff;
      for (int yy = 0; glyph != nullptr && yy < gh; ++yy) {
        for (int xx = 0; xx < gw; ++xx) {
          const int mx = gx + xx, my = gy + yy;
          if (mx < 0 || my < 0 || mx >= w || my >= h) continue;
          uint8_t& m = mask[static_cast<size_t>(my * w + mx)];
          m = std::max(m, glyph[yy * gw + xx]);
        }
      }
      stbtt_FreeBitmap(glyph, nullptr);
      pen += advance * scale_;
    }
    for (int ty = 0; ty < h; ++ty) {
      for (int tx = 0; tx < w; ++tx) {
        const uint8_t a = mask[static_cast<size_t>(ty * w + tx)];
        if (vertical) img.blend(x + ty, y + (w - 1 - tx), a, color);
        else img.blend(x + tx, y + ty, a, color);
      }
    }
  }

 private:
  std::vector<unsigned char> ttf_;
  stbtt_fontinfo font_{};
  float scale_ = 1;
  int ascent_ = 0;
  int line_ = 0;
};

// Labels longer than this many code points are cut with an ellipsis so one long token cannot widen the figure.
std::string shorten(const std::string& s, size_t max_points) {
  size_t i = 0, n = 0;
  while (i < s.size() && n < max_points) {
    next_codepoint(s, &i);
    ++n;
  }
  return i < s.size() ? s.substr(0, i) + "\xE2\x80\xA6" : s;
}

std::string format_value(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(v));
  return buf;
}

// The span R: a bar along each axis over its cells (on the ticks, outside the map) and an outline of its key columns
// over the rows that see them, so it reads at any cell size.
void draw_span(Image& img, const FigureSpec& spec, int left, int top, int cell, int tick) {
  const int map_w = static_cast<int>(spec.map->cols) * cell, map_h = static_cast<int>(spec.map->rows) * cell;
  const int bar = std::max(2, tick - 1);
  if (spec.span_rows) {
    const int y0 = top + static_cast<int>(spec.span_rows->begin) * cell;
    const int y1 = std::min(top + map_h, top + static_cast<int>(spec.span_rows->end) * cell);
    img.fill_rect(left - 1 - bar, y0, left - 1, std::max(y1, y0 + 1), kFigureSpanColor);
  }
  if (spec.span_cols) {
    const int x0 = left + static_cast<int>(spec.span_cols->begin) * cell;
    const int x1 = std::max(x0 + 1, std::min(left + map_w, left + static_cast<int>(spec.span_cols->end) * cell));
    img.fill_rect(x0, top + map_h + 1, x1, top + map_h + 1 + bar, kFigureSpanColor);
    // Outline: both sides of the columns down to the bottom, and across its top, which on a causal (square) map is
    // the first row that sees the span (above it the cells are masked).
    const int y0 = spec.map->rows == spec.map->cols ? top + static_cast<int>(spec.span_cols->begin) * cell : top;
    img.fill_rect(x0, y0, x0 + 1, top + map_h, kFigureSpanColor);
    img.fill_rect(x1 - 1, y0, x1, top + map_h, kFigureSpanColor);
    img.fill_rect(x0, y0, x1, y0 + 1, kFigureSpanColor);
  }
}

}  // namespace

int64_t label_stride(int cell_pixels, float font_pixels) {
  const double needed = std::ceil(font_pixels * 1.15);
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(needed / std::max(1, cell_pixels))));
}

std::vector<uint8_t> render_figure_rgb(const FigureSpec& spec, int* width, int* height, std::string* error) {
  std::string err;
  if (error == nullptr) error = &err;
  if (spec.map == nullptr || spec.map->empty()) {
    *error = "no map to draw: run a prompt first";
    return {};
  }
  const Matrix& map = *spec.map;
  TextRasterizer label, title;
  if (!label.load(spec.font_path, spec.font_pixels, error) || !title.load(spec.font_path, spec.font_pixels * 1.3f, error))
    return {};

  const int cell = std::max(1, spec.cell_pixels);
  const int map_w = static_cast<int>(map.cols) * cell, map_h = static_cast<int>(map.rows) * cell;
  std::vector<std::string> rows, cols;
  int row_w = 0, col_w = 0;
  for (const auto& l : spec.row_labels) {
    rows.push_back(shorten(visible_token_text(l), 12));
    row_w = std::max(row_w, label.width(rows.back()));
  }
  for (const auto& l : spec.col_labels) {
    cols.push_back(shorten(visible_token_text(l), 12));
    col_w = std::max(col_w, label.width(cols.back()));
  }
  const int margin = 14, tick = 4, bar_gap = 18, bar_w = 18;
  const int ticks_w = label.width("-0.000e-00") + tick + 4;
  const int axis_title = label.line_height() + 4;  // "query" down the left, "key" along the bottom
  const int left = margin + axis_title + row_w + tick + 4;
  const int top = margin + (spec.title.empty() ? 0 : title.line_height() + 10);
  const int bar_x = left + map_w + bar_gap;
  int w = std::max(bar_x + bar_w + ticks_w + margin, margin * 2 + title.width(spec.title));
  for (const std::string& note : spec.notes) w = std::max(w, margin * 2 + label.width(note));
  const int notes_top = top + map_h + tick + 4 + col_w + 4 + axis_title + (spec.notes.empty() ? 0 : 6);
  const int note_line = label.line_height() + 3;
  const int h = notes_top + static_cast<int>(spec.notes.size()) * note_line + margin;
  if (map_w > kMaxSide || map_h > kMaxSide || w > kMaxSide || h > kMaxSide) {
    *error = "the figure would be " + std::to_string(w) + " x " + std::to_string(h) +
             " pixels (limit 16384): choose a smaller scale";
    return {};
  }

  HeatmapImageOptions options;
  options.colormap = spec.colormap;
  options.scale = spec.scale;
  options.cell_pixels = cell;
  options.shade_masked = !spec.mask.whole() || map.rows == map.cols;
  options.mask = spec.mask;
  int hw = 0, hh = 0;
  std::vector<uint8_t> heat;
  try {
    heat = render_heatmap_rgb(map, options, &hw, &hh);
  } catch (const std::exception& e) {
    *error = e.what();
    return {};
  }

  Image img;
  img.w = w;
  img.h = h;
  img.rgb.assign(static_cast<size_t>(w * h * 3), 255);
  const std::array<uint8_t, 3> ink{20, 20, 20};
  for (int y = 0; y < hh; ++y) {
    std::copy_n(heat.data() + static_cast<size_t>(y * hw * 3), static_cast<size_t>(hw * 3),
                img.rgb.data() + static_cast<size_t>(((top + y) * w + left) * 3));
  }
  if (!spec.title.empty()) title.draw(img, margin, margin, spec.title, ink, false);

  const auto in_span = [](const std::optional<TokenSpan>& span, size_t i) {
    return span && static_cast<int64_t>(i) >= span->begin && static_cast<int64_t>(i) < span->end;
  };
  const int64_t stride = label_stride(cell, spec.font_pixels);
  for (size_t r = 0; r < rows.size() && static_cast<int64_t>(r) < map.rows; r += static_cast<size_t>(stride)) {
    const int cy = top + static_cast<int>(r) * cell + cell / 2;
    const std::array<uint8_t, 3> color = in_span(spec.span_rows, r) ? kFigureSpanColor : ink;
    img.fill_rect(left - tick, cy, left, cy + 1, ink);
    label.draw(img, left - tick - 3 - label.width(rows[r]), cy - label.line_height() / 2, rows[r], color, false);
  }
  for (size_t c = 0; c < cols.size() && static_cast<int64_t>(c) < map.cols; c += static_cast<size_t>(stride)) {
    const int cx = left + static_cast<int>(c) * cell + cell / 2;
    const std::array<uint8_t, 3> color = in_span(spec.span_cols, c) ? kFigureSpanColor : ink;
    img.fill_rect(cx, top + map_h, cx + 1, top + map_h + tick, ink);
    label.draw(img, cx - label.line_height() / 2, top + map_h + tick + 3, cols[c], color, true);
  }
  const std::string key_title = "key (attended to)", query_title = "query (attending)";
  label.draw(img, left + map_w / 2 - label.width(key_title) / 2, top + map_h + tick + 4 + col_w + 4, key_title, ink,
             false);
  label.draw(img, margin, top + map_h / 2 - label.width(query_title) / 2, query_title, ink, true);
  img.fill_rect(left - 1, top - 1, left + map_w + 1, top, ink);
  img.fill_rect(left - 1, top + map_h, left + map_w + 1, top + map_h + 1, ink);
  img.fill_rect(left - 1, top, left, top + map_h, ink);
  img.fill_rect(left + map_w, top, left + map_w + 1, top + map_h, ink);
  draw_span(img, spec, left, top, cell, tick);
  for (size_t i = 0; i < spec.notes.size(); ++i) {
    label.draw(img, margin, notes_top + static_cast<int>(i) * note_line, spec.notes[i], ink, false);
  }

  // Colorbar: t from 1 at the top to 0 at the bottom; ticks at values placed where the scale puts them.
  for (int y = 0; y < map_h; ++y) {
    const float t = map_h > 1 ? 1.0f - static_cast<float>(y) / static_cast<float>(map_h - 1) : 0.5f;
    img.fill_rect(bar_x, top + y, bar_x + bar_w, top + y + 1, colormap_sample(spec.colormap, t));
  }
  std::vector<float> tick_values;
  const ColorScale& s = spec.scale;
  if (s.diverging) {
    const float m = std::max(std::fabs(s.vmin), std::fabs(s.vmax));
    tick_values = {-m, -m / 2, 0.0f, m / 2, m};
  } else {
    for (int k = 0; k <= 4; ++k) tick_values.push_back(s.vmin + (s.vmax - s.vmin) * static_cast<float>(k) / 4.0f);
  }
  int last_y = -1000;
  for (float v : tick_values) {
    const float t = color_scale_position(s, v);
    const int y = top + static_cast<int>(std::lround((1.0f - t) * static_cast<float>(std::max(0, map_h - 1))));
    if (std::abs(y - last_y) < label.line_height()) continue;
    last_y = y;
    img.fill_rect(bar_x + bar_w, y, bar_x + bar_w + tick, y + 1, ink);
    label.draw(img, bar_x + bar_w + tick + 3, y - label.line_height() / 2, format_value(v), ink, false);
  }
  *width = w;
  *height = h;
  return std::move(img.rgb);
}

bool write_figure_png(const std::string& path, const FigureSpec& spec, std::string* error) {
  int w = 0, h = 0;
  std::vector<uint8_t> rgb = render_figure_rgb(spec, &w, &h, error);
  if (rgb.empty()) return false;
  if (!stbi_write_png(path.c_str(), w, h, 3, rgb.data(), w * 3)) {
    if (error) *error = "cannot write " + path + ": is the folder there and writable?";
    return false;
  }
  return true;
}

}  // namespace diffscope::ui
