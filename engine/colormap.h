// Colormaps (matplotlib viridis, magma, RdBu_r) and the value -> colour position mapping shared by PNG export and
// the GUI. Plain C++, no state: any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "snapshot.h"

namespace diffscope {

// Viridis and Magma are sequential (softmax maps, values in [0, 1]); RdBu is matplotlib's RdBu_r, diverging:
// blue negative, white 0, red positive (signed Diff maps D = A1 - lambda A2).
enum class Colormap { Viridis, Magma, RdBu };

constexpr int kColormapSize = 256;  // entries per table

const char* colormap_name(Colormap colormap);  // "viridis", "magma", "rdbu"
// Accepts the names above, case-insensitively, and also "rdbu_r". Returns false (and leaves *out) when unknown.
bool colormap_from_name(const std::string& name, Colormap* out);

// The colour at position t; t is clamped to [0, 1] (NaN -> 0) and rounded to the nearest of the 256 entries.
std::array<uint8_t, 3> colormap_sample(Colormap colormap, float t);

// The whole table: kColormapSize RGB triples, 3 * 256 bytes, entry 0 at t = 0. Static storage, for a GL upload.
const uint8_t* colormap_table(Colormap colormap);

// How map values become colormap positions t in [0, 1].
struct ColorScale {
  enum class Mode { Linear, Log, Gamma };
  Mode mode = Mode::Linear;
  float vmin = 0;
  float vmax = 1;
  float gamma = 0.5f;        // Gamma mode: t = linear^gamma (< 1 brightens small values)
  bool diverging = false;    // symmetric around 0 with limit max(|vmin|, |vmax|): 0 -> t = 0.5
  float log_floor = 1e-4f;   // Log mode: values below it are drawn as it (sequential: absolute; diverging:
                             // relative to the limit, i.e. applied to |v| / limit)
};

// Position of `value` under `scale`, in [0, 1] (values outside [vmin, vmax] are clamped).
// Sequential: Linear (v - vmin) / (vmax - vmin); Log maps log10(max(v, floor)) between log10(max(vmin, floor)) and
// log10(vmax); Gamma is Linear^gamma. Diverging: t = 0.5 + 0.5 sign(v) f(|v| / m) with m = max(|vmin|, |vmax|) and f
// the identity, the log mapping of [floor, 1] onto [0, 1], or x^gamma.
// Degenerate ranges: sequential vmax <= vmin gives 0, diverging m == 0 gives 0.5 (the colour of zero). NaN gives 0.
float color_scale_position(const ColorScale& scale, float value);

// A Linear scale fitted to the visible (causal, j <= i) entries of a map, ignoring NaN/inf. skip_first_column leaves
// out key 0, the first-token "attention sink" that would otherwise wash out the scale (unless nothing else is left).
// signed_map (Diff maps): diverging = true with symmetric limits [-m, m], m = max |value|.
// `window` W > 0 (a sliding-window layer's map, one cell per token): keys j <= i - W are left out too (they are masked,
// not attended with weight 0).
// An empty map gives [0, 1] (signed: [-1, 1]).
ColorScale auto_scale(const Matrix& map, bool signed_map, bool skip_first_column, int64_t window = 0);

}  // namespace diffscope
