// How a shown map gets its colour scale from the display settings, and the CPU twin of the heatmap shader's colouring
// (what the GL readback test and the colorbar compare against). Plain logic, no GL; any thread.
#pragma once

#include <array>
#include <cstdint>

#include "colormap.h"
#include "settings.h"
#include "snapshot.h"

namespace diffscope::ui {

// The scale for `shown` (the matrix as drawn: after row normalization or lambda scaling): fitted to its visible
// entries (without key 0 when hide_sink), diverging around 0 when `signed_map`, with the mode/gamma/floor chosen.
ColorScale scale_for(const Matrix& shown, bool signed_map, const DisplaySettings& display);

// One scale covering both ranges (the decomposition puts A1 and lambda*A2 on one scale).
ColorScale union_scale(const ColorScale& a, const ColorScale& b);

// The colormap for a map: diverging for signed maps, sequential otherwise.
Colormap colormap_for(bool signed_map, const DisplaySettings& display);

// The colour the shader draws for `value` (both use the engine's color_scale_position and the nearest of 256
// entries).
std::array<uint8_t, 3> shaded_color(Colormap colormap, const ColorScale& scale, float value);

}  // namespace diffscope::ui
