// Selection, navigation, head/layer pairing and grid hit test. Main (UI) thread.
#include "selection.h"

#include <algorithm>
#include <cmath>

namespace diffscope::ui {

const char* layout_name(Layout layout) {
  switch (layout) {
    case Layout::Decomposition: return "decomposition";
    case Layout::Comparison: return "comparison";
    case Layout::Grid: return "grid";
  }
  return "decomposition";
}

std::optional<Layout> parse_layout(const std::string& name) {
  if (name == "decomposition") return Layout::Decomposition;
  if (name == "comparison") return Layout::Comparison;
  if (name == "grid") return Layout::Grid;
  return std::nullopt;
}

Selection clamp_selection(Selection s, int num_layers, int num_heads) {
  s.layer = num_layers > 0 ? std::clamp(s.layer, 0, num_layers - 1) : 0;
  s.head = num_heads > 0 ? std::clamp(s.head, 0, num_heads - 1) : 0;
  return s;
}

Selection navigate(Selection s, NavKey key, int num_layers, int num_heads) {
  const int page = std::max(1, num_layers / 4);
  switch (key) {
    case NavKey::Left: s.head -= 1; break;
    case NavKey::Right: s.head += 1; break;
    case NavKey::Up: s.layer -= 1; break;
    case NavKey::Down: s.layer += 1; break;
    case NavKey::PageUp: s.layer -= page; break;
    case NavKey::PageDown: s.layer += page; break;
    case NavKey::Home: s.layer = 0; break;
    case NavKey::End: s.layer = num_layers - 1; break;
  }
  return clamp_selection(s, num_layers, num_heads);
}

int paired_layer(int diff_layer, int diff_layers, int standard_layers) {
  if (standard_layers <= 0) return 0;
  if (diff_layers == standard_layers) return std::clamp(diff_layer, 0, standard_layers - 1);
  if (diff_layers <= 1) return 0;
  const double depth = static_cast<double>(diff_layer) / static_cast<double>(diff_layers - 1);
  const int l = static_cast<int>(std::lround(depth * static_cast<double>(standard_layers - 1)));
  return std::clamp(l, 0, standard_layers - 1);
}

int paired_head(int diff_head, int standard_heads) {
  if (standard_heads <= 0) return 0;
  return std::clamp(diff_head, 0, standard_heads - 1);
}

std::optional<Selection> grid_cell_at(const GridGeometry& g, float x, float y) {
  const float pitch = g.thumb + g.gap;
  if (x < 0 || y < 0 || pitch <= 0) return std::nullopt;
  const int head = static_cast<int>(std::floor(x / pitch));
  const int layer = static_cast<int>(std::floor(y / pitch));
  if (head >= g.heads || layer >= g.layers) return std::nullopt;
  if (x - static_cast<float>(head) * pitch >= g.thumb || y - static_cast<float>(layer) * pitch >= g.thumb) {
    return std::nullopt;
  }
  return Selection{layer, head};
}

}  // namespace diffscope::ui
