// heatmap.frag: colours one attention map. The map is an R32F texture read with texelFetch (nearest: cells stay crisp
// at any zoom); a value becomes a colormap position exactly as engine/colormap.cpp's color_scale_position does (keep
// the two in step: tests/gui compares them), then the nearest of the 256 LUT entries. Used by ui/heatmap_renderer.cpp.
#version 330 core

in vec2 v_uv;
out vec4 frag_color;

uniform sampler2D u_map;      // R32F; texel (x, y) = pooled cell (key column, query row)
uniform sampler2D u_lut;      // 256 x 1 RGB8 colormap
uniform vec4 u_view;          // visible map rectangle in cells: x0, y0, x1, y1 (x = key, y = query)
uniform vec2 u_map_cells;     // size in cells of what the texture covers: cols, rows
uniform vec2 u_origin;        // where the texture's first cell lies in the map (a window's first key, query)
uniform float u_pool;         // cells per texel side (max-pooling factor of maps above the texture limit)
uniform int u_mode;           // 0 linear, 1 log, 2 gamma
uniform float u_vmin;
uniform float u_vmax;
uniform float u_gamma;
uniform float u_log_floor;
uniform bool u_diverging;     // symmetric around 0: 0 -> t = 0.5
uniform bool u_shade_masked;  // grey the causal triangle (key > query) and keys outside a sliding window
uniform float u_window;       // the layer's sliding window W (0: none): query i sees keys i - W < j <= i
uniform vec3 u_masked_color;
uniform float u_cell_pixels;  // screen pixels per cell: cell borders are drawn once cells are large
uniform bool u_grid;

const float FLT_MIN = 1.17549435e-38;

float clamp01(float x) { return clamp(x, 0.0, 1.0); }

float usable_floor(float f) { return f > 0.0 ? f : FLT_MIN; }

float log10_(float x) { return log(x) / log(10.0); }

float sequential_position(float v) {
  float span = u_vmax - u_vmin;
  if (!(span > 0.0)) return 0.0;
  if (u_mode == 1) {
    float f = usable_floor(u_log_floor);
    float lo = log10_(max(u_vmin, f));
    float hi = log10_(max(u_vmax, f));
    if (!(hi > lo)) return 0.0;
    return clamp01((log10_(max(v, f)) - lo) / (hi - lo));
  }
  float linear = clamp01((v - u_vmin) / span);
  if (u_mode == 2 && u_gamma > 0.0) return clamp01(pow(linear, u_gamma));
  return linear;
}

float diverging_magnitude(float r) {
  if (u_mode == 1) {
    float f = usable_floor(u_log_floor);
    if (!(f < 1.0)) return r;
    float lf = log10_(f);
    return clamp01((log10_(max(r, f)) - lf) / -lf);
  }
  if (u_mode == 2 && u_gamma > 0.0) return pow(r, u_gamma);
  return r;
}

float scale_position(float v) {
  if (isnan(v)) return 0.0;
  if (!u_diverging) return clamp01(sequential_position(v));
  float limit = max(abs(u_vmin), abs(u_vmax));
  if (!(limit > 0.0) || isinf(limit)) return 0.5;
  float m = diverging_magnitude(clamp01(abs(v) / limit));
  float s = v < 0.0 ? -1.0 : 1.0;
  return clamp01(0.5 + 0.5 * s * m);
}

// Whether every cell of the texel block (keys [x0, x1], queries [y0, y1], inclusive) lies outside the sliding
// window's band i - W < j <= i: some query i of the block sees a key of it only when
// max(x0, y0) <= min(y1, x1 + W - 1) (engine/snapshot.h block_masked). Blocks, not cells: a pooled texel holding one
// in-band entry keeps its value.
bool outside_window(vec2 first, vec2 last) {
  if (!(u_window > 0.0)) return false;
  return max(first.x, first.y) > min(last.y, last.x + u_window - 1.0);
}

void main() {
  vec2 cell = mix(u_view.xy, u_view.zw, v_uv);
  vec2 local = cell - u_origin;
  if (local.x < 0.0 || local.y < 0.0 || local.x >= u_map_cells.x || local.y >= u_map_cells.y) {
    discard;  // outside what this texture covers: the target's clear colour (background) or an earlier draw shows
  }
  vec2 index = floor(cell);
  vec3 rgb;
  ivec2 texel = ivec2(floor(floor(local) / u_pool));
  vec2 block_first = u_origin + vec2(texel) * u_pool;  // the texel's cells in the map
  vec2 block_last = block_first + vec2(u_pool - 1.0);
  if (u_shade_masked && (index.x > index.y || outside_window(block_first, block_last))) {
    rgb = u_masked_color;
  } else {
    float v = texelFetch(u_map, texel, 0).r;
    if (isnan(v)) {
      rgb = u_masked_color * 0.55;  // no data here (not available at this zoom): never a colour of the scale
    } else {
      int entry = int(floor(scale_position(v) * 255.0 + 0.5));
      rgb = texelFetch(u_lut, ivec2(entry, 0), 0).rgb;
    }
  }
  if (u_grid && u_cell_pixels >= 14.0) {
    vec2 f = fract(cell) * u_cell_pixels;  // pixels into the cell
    if (f.x < 1.0 || f.y < 1.0) rgb *= 0.7;
  }
  frag_color = vec4(rgb, 1.0);
}
