// Selection, navigation, head/layer pairing and grid hit test. Main (UI) thread.
#include "selection.h"

#include <algorithm>
#include <vector>
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

namespace {

// Index i of n onto m things: the same index when n == m, else the same relative position (first to first, last to
// last, rounded in between), clamped into [0, m).
int paired_index(int i, int n, int m) {
  if (m <= 0) return 0;
  if (n == m) return std::clamp(i, 0, m - 1);
  if (n <= 1) return 0;
  const double position = static_cast<double>(std::clamp(i, 0, n - 1)) / static_cast<double>(n - 1);
  const int j = static_cast<int>(std::lround(position * static_cast<double>(m - 1)));
  return std::clamp(j, 0, m - 1);
}

}  // namespace

int paired_layer(int diff_layer, int diff_layers, int standard_layers) {
  return paired_index(diff_layer, diff_layers, standard_layers);
}

int paired_head(int diff_head, int diff_heads, int standard_heads) {
  return paired_index(diff_head, diff_heads, standard_heads);
}

const char* pairing_help() {
  return "A Differential Transformer has half as many heads as the standard Transformer of the same size: each"
         " diff head owns two softmax maps (HF diffllama pairs sub-head j with j + H/2). Separately trained "
         "models have no head correspondence, so by convention B's head follows A's head (or pick one with 'B "
         "head'), or compare head means. Heads and layers pair by index when both models have as many, else by"
         " the same relative position: first to first, last to last, rounded in between (4 heads of A face "
         "heads 0, 2, 5, 7 of B's 8; 8 heads of A face 0, 1, 1, 2, 2, 3, 3, 4 of B's 5). The pairing line says"
         " which applies.";
}

std::string pairing_rule(int diff_layers, int diff_heads, int standard_layers, int standard_heads) {
  std::vector<std::string> differ;
  if (diff_heads != standard_heads) {
    differ.push_back("heads " + std::to_string(diff_heads) + " -> " + std::to_string(standard_heads));
  }
  if (diff_layers != standard_layers) {
    differ.push_back("layers " + std::to_string(diff_layers) + " -> " + std::to_string(standard_layers));
  }
  if (differ.empty()) return "same index";
  return differ.size() == 1 ? differ[0] + " by relative position" : differ[0] + " and " + differ[1] +
                                                                        " by relative position";
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
