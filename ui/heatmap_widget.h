// One heatmap on screen: renders a ShownMap through the GL pipeline into its own render target, shows it with
// ImGui::Image, handles zoom (wheel), pan (drag) and reset (double-click), and records where it was placed so hover
// lookups and overlays (crosshair, token bands, marked span) can be drawn in every visible map. Main (UI) thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <imgui.h>

#include "heatmap_renderer.h"
#include "map_source.h"
#include "map_viewport.h"

namespace diffscope::ui {

// Where a map was drawn this frame.
struct MapPlacement {
  ImDrawList* draw_list = nullptr;
  ImVec2 min, max;            // screen rectangle of the map image
  int64_t cols = 0, rows = 0;
  MapViewport view;
  bool hovered = false;
  std::optional<Cell> hovered_cell;
};

// Overlays drawn over every visible map after all maps were placed (so a hover in one shows in all).
struct MapOverlay {
  std::optional<Cell> crosshair;        // hovered cell, mirrored
  std::optional<int64_t> token;         // token hovered in the strip: its row and column
  std::optional<int64_t> row;           // query row hovered in the lambda strip: its row
  std::optional<TokenSpan> span;        // marked relevant span: its columns
  int64_t query_row = -1;               // the query row signal/noise read (last token)
};

class HeatmapWidgets {
 public:
  explicit HeatmapWidgets(HeatmapRenderer& renderer) : renderer_(renderer) {}

  // Draws `map` in a size.x x size.y area at the cursor with the shared `view` (zoom/pan are linked between maps of
  // one layout). `id` names the widget's render target. `refinement`: a fetched window drawn over an overview in its
  // own rectangle; `note`: what the view says instead of a pooling label (a map not available at this zoom).
  MapPlacement draw_map(const std::string& id, const ShownMap& map, const HeatmapDraw& style, MapViewport* view,
                        ImVec2 size, const MapTexture* refinement = nullptr, const std::string& note = {});

  // A vertical colorbar of `colormap` under `scale`, `size` at the cursor, with min / (0) / max labels. `size.x`:
  // colorbar_width() less its space_before (colorbar_layout.h), so that every label fits.
  void draw_colorbar(Colormap colormap, const ColorScale& scale, ImVec2 size);

  // Renders several maps into one target (the thumbnail grid): rects in target pixels.
  struct Tile {
    const MapTexture* texture = nullptr;
    HeatmapDraw style;
    int x = 0, y = 0, w = 0, h = 0;
  };
  // Renders the tiles into the target `id` of w x h framebuffer pixels and returns its texture (re-rendered only when
  // `content_key` changed).
  GLuint render_tiles(const std::string& id, int w, int h, const std::vector<Tile>& tiles, uint64_t content_key);

  // Drops render targets not used this frame.
  void end_frame();

 private:
  struct TargetState {
    RenderTarget target;
    uint64_t content_key = 0;
    bool used = false;
  };
  TargetState& state(const std::string& id);
  HeatmapRenderer& renderer_;
  std::map<std::string, TargetState> targets_;
};

// Draws the overlay over a placed map (clipped to it).
void draw_map_overlay(const MapPlacement& placement, const MapOverlay& overlay);

// Hashes for deciding whether a target must be re-rendered.
uint64_t hash_combine(uint64_t seed, uint64_t value);
uint64_t hash_draw(const HeatmapDraw& draw, GLuint texture);

// The width a colorbar and its labels take beside a map at the current UI scale (colorbar_layout.h).
float colorbar_width();

}  // namespace diffscope::ui
