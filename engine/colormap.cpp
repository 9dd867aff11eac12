// Colormap lookup and value -> position mapping (see colormap.h). No state: any thread.
#include "colormap.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace diffscope {

namespace {

#include "colormap_data.inc"

float clamp01(float x) {
  if (std::isnan(x)) return 0.0f;
  return std::min(1.0f, std::max(0.0f, x));
}

// A log floor that log10 can take: non-positive or NaN floors would give -inf and spoil the mapping.
float usable_floor(float floor) {
  return (floor > 0.0f) ? floor : std::numeric_limits<float>::min();
}

// Sequential mapping of a value onto [0, 1] given vmin < vmax.
float sequential_position(const ColorScale& scale, float value) {
  const float span = scale.vmax - scale.vmin;
  if (!(span > 0.0f)) return 0.0f;
  if (scale.mode == ColorScale::Mode::Log) {
    const float floor = usable_floor(scale.log_floor);
    const float lo = std::log10(std::max(scale.vmin, floor));
    const float hi = std::log10(std::max(scale.vmax, floor));
    if (!(hi > lo)) return 0.0f;
    return clamp01((std::log10(std::max(value, floor)) - lo) / (hi - lo));
  }
  const float linear = clamp01((value - scale.vmin) / span);
  if (scale.mode == ColorScale::Mode::Gamma && scale.gamma > 0.0f) return clamp01(std::pow(linear, scale.gamma));
  return linear;
}

// Magnitude r = |v| / m in [0, 1] -> [0, 1] for the diverging scale.
float diverging_magnitude(const ColorScale& scale, float r) {
  if (scale.mode == ColorScale::Mode::Log) {
    const float floor = usable_floor(scale.log_floor);
    if (!(floor < 1.0f)) return r;  // a floor at or above the limit leaves no log range: fall back to linear
    const float log_floor = std::log10(floor);
    return clamp01((std::log10(std::max(r, floor)) - log_floor) / -log_floor);
  }
  if (scale.mode == ColorScale::Mode::Gamma && scale.gamma > 0.0f) return std::pow(r, scale.gamma);
  return r;
}

}  // namespace

const char* colormap_name(Colormap colormap) {
  switch (colormap) {
    case Colormap::Viridis: return "viridis";
    case Colormap::Magma: return "magma";
    case Colormap::RdBu: return "rdbu";
  }
  return "?";
}

bool colormap_from_name(const std::string& name, Colormap* out) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "viridis") *out = Colormap::Viridis;
  else if (lower == "magma") *out = Colormap::Magma;
  else if (lower == "rdbu" || lower == "rdbu_r") *out = Colormap::RdBu;
  else return false;
  return true;
}

const uint8_t* colormap_table(Colormap colormap) {
  switch (colormap) {
    case Colormap::Viridis: return &kViridis[0][0];
    case Colormap::Magma: return &kMagma[0][0];
    case Colormap::RdBu: return &kRdBu[0][0];
  }
  return &kViridis[0][0];
}

std::array<uint8_t, 3> colormap_sample(Colormap colormap, float t) {
  const int index = static_cast<int>(std::lround(clamp01(t) * (kColormapSize - 1)));
  const uint8_t* rgb = colormap_table(colormap) + 3 * index;
  return {rgb[0], rgb[1], rgb[2]};
}

float color_scale_position(const ColorScale& scale, float value) {
  if (std::isnan(value)) return 0.0f;
  if (!scale.diverging) return clamp01(sequential_position(scale, value));

  const float limit = std::max(std::fabs(scale.vmin), std::fabs(scale.vmax));
  if (!(limit > 0.0f) || std::isinf(limit)) return 0.5f;
  const float magnitude = diverging_magnitude(scale, clamp01(std::fabs(value) / limit));
  const float sign = value < 0.0f ? -1.0f : 1.0f;
  return clamp01(0.5f + 0.5f * sign * magnitude);
}

ColorScale auto_scale(const Matrix& map, bool signed_map, bool skip_first_column, int64_t window) {
  // Two passes at most: with column 0 left out first, then with it if nothing else was visible (a 1 x 1 map).
  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();
  const bool complete = !map.empty() && map.values.size() == static_cast<size_t>(map.rows * map.cols);
  for (int first_col = skip_first_column ? 1 : 0; complete && first_col >= 0 && lo > hi; --first_col) {
    for (int64_t i = 0; i < map.rows; ++i) {
      const int64_t last_col = std::min(i, map.cols - 1);  // causal: key j <= query i
      const int64_t band_first = window > 0 ? std::max<int64_t>(first_col, i - window + 1) : first_col;
      for (int64_t j = band_first; j <= last_col; ++j) {
        const float v = map.at(i, j);
        if (!std::isfinite(v)) continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }

  ColorScale scale;
  scale.diverging = signed_map;
  if (lo > hi) {  // nothing finite and visible
    scale.vmin = signed_map ? -1.0f : 0.0f;
    scale.vmax = 1.0f;
  } else if (signed_map) {
    const float limit = std::max(std::fabs(lo), std::fabs(hi));
    scale.vmin = -limit;
    scale.vmax = limit;
  } else {
    scale.vmin = lo;
    scale.vmax = hi;
  }
  return scale;
}

}  // namespace diffscope
