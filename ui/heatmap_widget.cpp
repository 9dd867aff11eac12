// Heatmap widgets: GL render target per map, ImGui image, zoom/pan input, overlays, colorbars. Main (UI) thread.
#include "heatmap_widget.h"

#include "colorbar_layout.h"
#include "map_windows.h"
#include "ui_pixels.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace diffscope::ui {

uint64_t hash_combine(uint64_t seed, uint64_t value) {
  // 64-bit mix (splitmix64 finalizer) so nearby values do not collide.
  uint64_t z = seed ^ (value + 0x9E3779B97F4A7C15ull + (seed << 6) + (seed >> 2));
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t bits(double v) {
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

uint64_t hash_draw(const HeatmapDraw& d, GLuint texture) {
  uint64_t h = hash_combine(0, texture);
  for (double v : {d.view.x0, d.view.y0, d.view.x1, d.view.y1, static_cast<double>(d.scale.vmin),
                   static_cast<double>(d.scale.vmax), static_cast<double>(d.scale.gamma),
                   static_cast<double>(d.scale.log_floor), static_cast<double>(d.masked_rgb[0])}) {
    h = hash_combine(h, bits(v));
  }
  h = hash_combine(h, static_cast<uint64_t>(d.window));
  h = hash_combine(h, static_cast<uint64_t>(d.colormap));
  h = hash_combine(h, static_cast<uint64_t>(d.scale.mode));
  h = hash_combine(h, (d.scale.diverging ? 1u : 0u) | (d.shade_masked ? 2u : 0u) | (d.grid_lines ? 4u : 0u));
  return h;
}

HeatmapWidgets::TargetState& HeatmapWidgets::state(const std::string& id) {
  TargetState& s = targets_[id];
  s.used = true;
  return s;
}

void HeatmapWidgets::end_frame() {
  for (auto it = targets_.begin(); it != targets_.end();) {
    if (!it->second.used) it = targets_.erase(it);
    else {
      it->second.used = false;
      ++it;
    }
  }
}

// Whether a window texture holds every cell of the visible part of a cols x rows map.
static bool covers_view(const MapTexture& window, const CellRect& view, int64_t cols, int64_t rows) {
  const double x0 = std::max(0.0, view.x0), y0 = std::max(0.0, view.y0);
  const double x1 = std::min(static_cast<double>(cols), view.x1), y1 = std::min(static_cast<double>(rows), view.y1);
  const double wx1 = static_cast<double>(window.col_origin() + window.cols());
  const double wy1 = static_cast<double>(window.row_origin() + window.rows());
  // Keys after the last query are masked: a window may stop at its last row's key.
  return static_cast<double>(window.col_origin()) <= x0 && static_cast<double>(window.row_origin()) <= y0 &&
         wy1 >= y1 && (wx1 >= x1 || wx1 >= wy1);
}

static void draw_note(ImDrawList* dl, ImVec2 origin, ImVec2 size, const std::string& note) {
  const ImVec2 text = ImGui::CalcTextSize(note.c_str(), nullptr, false, size.x - 10);
  const ImVec2 at(std::max(origin.x + 2, origin.x + size.x - text.x - 4), origin.y + 2);  // top right: the masked
                                                                                          // (future) corner
  dl->AddRectFilled(ImVec2(at.x - 3, at.y - 1), ImVec2(at.x + text.x + 3, at.y + text.y + 1), IM_COL32(20, 20, 24, 200));
  dl->AddText(nullptr, 0.0f, at, IM_COL32(230, 230, 230, 255), note.c_str(), nullptr, size.x - 10);
}

MapPlacement HeatmapWidgets::draw_map(const std::string& id, const ShownMap& map, const HeatmapDraw& style_in,
                                      MapViewport* view, ImVec2 size, const MapTexture* refinement,
                                      const std::string& note) {
  MapPlacement p;
  size.x = std::max(8.0f, std::floor(size.x));
  size.y = std::max(8.0f, std::floor(size.y));
  const int64_t cols = map.texture.cols(), rows = map.texture.rows();
  p.cols = cols;
  p.rows = rows;
  if (!view->initialized) *view = fit_viewport(cols, rows);
  *view = clamp_viewport(*view, cols, rows, size.x, size.y);

  ImGui::PushID(id.c_str());
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("map", size, ImGuiButtonFlags_MouseButtonLeft);
  const bool hovered = ImGui::IsItemHovered();
  const ImGuiIO& io = ImGui::GetIO();
  const double mx = io.MousePos.x - origin.x, my = io.MousePos.y - origin.y;
  if (hovered && io.MouseWheel != 0.0f) {
    *view = zoom_at(*view, cols, rows, size.x, size.y, mx, my, std::pow(1.2, io.MouseWheel));
  }
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 1.0f)) {
    *view = pan_by(*view, cols, rows, size.x, size.y, io.MouseDelta.x, io.MouseDelta.y);
  }
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) *view = fit_viewport(cols, rows);

  HeatmapDraw style = style_in;
  style.view = visible_cells(*view, cols, rows, size.x, size.y);
  const int fb_w = static_cast<int>(std::lround(size.x * io.DisplayFramebufferScale.x));
  const int fb_h = static_cast<int>(std::lround(size.y * io.DisplayFramebufferScale.y));
  TargetState& s = state(id);
  const bool resized = s.target.width() != fb_w || s.target.height() != fb_h;
  if (s.target.ensure(fb_w, fb_h)) {
    const bool refined = refinement != nullptr && refinement->valid();
    uint64_t key = hash_combine(hash_draw(style, map.texture.id()), static_cast<uint64_t>(fb_w) << 32 | fb_h);
    if (refined) key = hash_combine(key, refinement->id());
    if (resized || key != s.content_key) {
      renderer_.begin(s.target);
      renderer_.draw(map.texture, style, 0, 0, fb_w, fb_h);
      if (refined) renderer_.draw(*refinement, style, 0, 0, fb_w, fb_h);  // over the overview, in its rectangle
      renderer_.end();
      s.content_key = key;
    }
    ImDrawList* dl = ImGui::GetWindowDrawList();
    // The target's first row is the bottom one: flip v so the map's row 0 is at the top.
    dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(s.target.texture())), origin,
                 ImVec2(origin.x + size.x, origin.y + size.y), ImVec2(0, 1), ImVec2(1, 0));
    // Say when the picture is pooled (cells of several tokens, or more cells than pixels): each shows its block's
    // largest |value|. With a window covering the view, the window's pooling is what is seen.
    const MapTexture& shown = refined && covers_view(*refinement, style.view, cols, rows) ? *refinement : map.texture;
    std::string label = note;
    if (label.empty() || &shown == refinement) {
      const int64_t screen = HeatmapRenderer::screen_pool(shown, style.view, fb_w, fb_h);
      label = pooled_label(shown.pool(), screen);
      // A map too small for the sentence (it would cover the map in lines) gets the short form.
      if (ImGui::CalcTextSize(label.c_str()).x > size.x - 10) label = pooled_label(shown.pool(), screen, true);
    }
    if (!label.empty()) draw_note(dl, origin, size, label);
  }
  ImGui::PopID();

  p.draw_list = ImGui::GetWindowDrawList();
  p.min = origin;
  p.max = ImVec2(origin.x + size.x, origin.y + size.y);
  p.view = *view;
  p.hovered = hovered;
  if (hovered) p.hovered_cell = cell_at(*view, cols, rows, size.x, size.y, mx, my);
  return p;
}

GLuint HeatmapWidgets::render_tiles(const std::string& id, int w, int h, const std::vector<Tile>& tiles,
                                    uint64_t content_key) {
  TargetState& s = state(id);
  const bool resized = s.target.width() != w || s.target.height() != h;
  if (!s.target.ensure(w, h)) return 0;
  if (resized || s.content_key != content_key) {
    renderer_.begin(s.target);
    for (const Tile& t : tiles) {
      if (t.texture != nullptr) renderer_.draw(*t.texture, t.style, t.x, t.y, t.w, t.h);
    }
    renderer_.end();
    s.content_key = content_key;
  }
  return s.target.texture();
}

static float imgui_text_width(const std::string& text, const void*) { return ImGui::CalcTextSize(text.c_str()).x; }

float colorbar_width() {
  return ui::colorbar_width(colorbar_metrics(ui_pixel_scale()), imgui_text_width, nullptr);
}

void HeatmapWidgets::draw_colorbar(Colormap colormap, const ColorScale& scale, ImVec2 size) {
  const ImVec2 o = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ColorbarMetrics m = colorbar_metrics(ui_pixel_scale());
  const float bar_w = std::min(m.bar_width, size.x);
  const ImTextureID lut = reinterpret_cast<ImTextureID>(static_cast<intptr_t>(renderer_.lut_texture(colormap)));
  // The LUT runs left to right; the bar runs bottom (t = 0) to top (t = 1): map the quad's corners accordingly.
  dl->AddImageQuad(lut, ImVec2(o.x, o.y), ImVec2(o.x + bar_w, o.y), ImVec2(o.x + bar_w, o.y + size.y),
                   ImVec2(o.x, o.y + size.y), ImVec2(1, 0.5f), ImVec2(1, 0.5f), ImVec2(0, 0.5f), ImVec2(0, 0.5f));
  dl->AddRect(o, ImVec2(o.x + bar_w, o.y + size.y), IM_COL32(120, 120, 120, 255));
  for (const ColorbarTick& t : colorbar_ticks(scale, size.y, ImGui::GetTextLineHeight())) {
    const float y = o.y + t.tick_y;
    dl->AddLine(ImVec2(o.x + bar_w, y), ImVec2(o.x + bar_w + m.tick_length, y), IM_COL32(200, 200, 200, 255));
    dl->AddText(ImVec2(o.x + colorbar_label_x(m), o.y + t.label_y), ImGui::GetColorU32(ImGuiCol_Text),
                t.label.c_str());
  }
  ImGui::Dummy(size);
}

void draw_map_overlay(const MapPlacement& p, const MapOverlay& o) {
  if (p.draw_list == nullptr) return;
  ImDrawList* dl = p.draw_list;
  const double w = p.max.x - p.min.x, h = p.max.y - p.min.y;
  const auto to_screen = [&](double cx, double cy) {
    double px = 0, py = 0;
    cells_to_widget(p.view, p.cols, p.rows, w, h, cx, cy, &px, &py);
    return ImVec2(static_cast<float>(p.min.x + px), static_cast<float>(p.min.y + py));
  };
  dl->PushClipRect(p.min, p.max, true);
  const ImVec2 map_tl = to_screen(0, 0), map_br = to_screen(static_cast<double>(p.cols), static_cast<double>(p.rows));
  if (o.span && o.span->end > o.span->begin) {
    // The marked span R: its key columns, and the query row that reads it.
    const ImVec2 a = to_screen(static_cast<double>(o.span->begin), 0);
    const ImVec2 b = to_screen(static_cast<double>(o.span->end), static_cast<double>(p.rows));
    dl->AddRectFilled(a, b, IM_COL32(255, 170, 0, 28));
    dl->AddRect(a, b, IM_COL32(255, 170, 0, 200), 0, 0, 1.5f);
    if (o.query_row >= 0) {
      const ImVec2 q0 = to_screen(0, static_cast<double>(o.query_row));
      const ImVec2 q1 = to_screen(static_cast<double>(p.cols), static_cast<double>(o.query_row + 1));
      dl->AddRect(q0, q1, IM_COL32(255, 170, 0, 200), 0, 0, 1.0f);
    }
  }
  if (o.token && *o.token >= 0 && *o.token < p.rows) {
    const double t = static_cast<double>(*o.token);
    const ImVec2 r0 = to_screen(0, t), r1 = to_screen(static_cast<double>(p.cols), t + 1);
    const ImVec2 c0 = to_screen(t, 0), c1 = to_screen(t + 1, static_cast<double>(p.rows));
    dl->AddRectFilled(r0, r1, IM_COL32(255, 255, 255, 40));
    dl->AddRectFilled(c0, c1, IM_COL32(255, 255, 255, 40));
    dl->AddRect(r0, r1, IM_COL32(255, 255, 255, 160));
    dl->AddRect(c0, c1, IM_COL32(255, 255, 255, 160));
  }
  if (o.row && *o.row >= 0 && *o.row < p.rows) {
    const double t = static_cast<double>(*o.row);
    const ImVec2 r0 = to_screen(0, t), r1 = to_screen(static_cast<double>(p.cols), t + 1);
    dl->AddRectFilled(r0, r1, IM_COL32(255, 255, 255, 40));
    dl->AddRect(r0, r1, IM_COL32(255, 255, 255, 200));
  }
  if (o.crosshair && o.crosshair->row < p.rows && o.crosshair->col < p.cols) {
    const double r = static_cast<double>(o.crosshair->row) + 0.5, c = static_cast<double>(o.crosshair->col) + 0.5;
    // A dark halo under a light line: visible on viridis' dark end and on the white middle of RdBu alike.
    const ImVec2 at = to_screen(c, r);
    for (const auto& [color, thickness] : {std::pair{IM_COL32(0, 0, 0, 110), 3.0f}, std::pair{IM_COL32(255, 255, 255, 190), 1.0f}}) {
      dl->AddLine(ImVec2(map_tl.x, at.y), ImVec2(map_br.x, at.y), color, thickness);
      dl->AddLine(ImVec2(at.x, map_tl.y), ImVec2(at.x, map_br.y), color, thickness);
    }
    const ImVec2 c0 = to_screen(c - 0.5, r - 0.5), c1 = to_screen(c + 0.5, r + 0.5);
    dl->AddRect(ImVec2(c0.x - 2, c0.y - 2), ImVec2(c1.x + 2, c1.y + 2), IM_COL32(0, 0, 0, 200), 0, 0, 2.0f);
    dl->AddRect(ImVec2(c0.x - 1, c0.y - 1), ImVec2(c1.x + 1, c1.y + 1), IM_COL32(255, 255, 255, 255), 0, 0, 1.5f);
  }
  dl->PopClipRect();
}

}  // namespace diffscope::ui
