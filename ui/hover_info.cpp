// Hover tooltip values. Any thread.
#include "hover_info.h"

#include <cstdio>
#include <string>


namespace diffscope::ui {

std::optional<float> map_value(const AttentionSnapshot& snapshot, MapKind kind, int layer, int head, int64_t row,
                               int64_t col) {
  if (layer < 0 || layer >= static_cast<int>(snapshot.layers.size())) return std::nullopt;
  const auto& maps = snapshot.layers[static_cast<size_t>(layer)].maps(kind);
  if (head < 0 || head >= static_cast<int>(maps.size())) return std::nullopt;
  const Matrix& m = maps[static_cast<size_t>(head)];
  if (m.empty() || row < 0 || col < 0 || row >= m.rows || col >= m.cols) return std::nullopt;
  return m.at(row, col);
}

std::optional<float> lambda_value(const AttentionSnapshot& snapshot, int layer, int head, int64_t row) {
  if (snapshot.model.kind != AttentionKind::Differential) return std::nullopt;
  if (layer < 0 || layer >= static_cast<int>(snapshot.layers.size())) return std::nullopt;
  const Matrix& l = snapshot.layers[static_cast<size_t>(layer)].lambda;
  if (l.empty() || head < 0 || head >= l.rows || row < 0 || row >= l.cols) return std::nullopt;
  return l.at(head, row);
}

std::optional<CellValue> pooled_map_value(const AttentionSnapshot& snapshot, MapKind kind, int layer, int head,
                                          int64_t row, int64_t col, const Matrix* window_cells,
                                          const WindowPlan* window_plan) {
  if (row < 0 || col < 0 || row >= static_cast<int64_t>(snapshot.tokens.size()) ||
      col >= static_cast<int64_t>(snapshot.tokens.size())) {
    return std::nullopt;
  }
  if (window_cells != nullptr && window_plan != nullptr) {
    if (auto v = window_value(*window_cells, *window_plan, row, col)) return v;
  }
  if (layer < 0 || layer >= static_cast<int>(snapshot.layers.size())) return std::nullopt;
  const MapOverview& overview = snapshot.layers[static_cast<size_t>(layer)].overview;
  const auto& maps = overview.maps(kind);
  if (head < 0 || head >= static_cast<int>(maps.size())) return std::nullopt;
  return overview_value(maps[static_cast<size_t>(head)], overview.cell, row, col);
}

static std::string token_text(const AttentionSnapshot* s, int64_t index) {
  if (s == nullptr || index < 0 || index >= static_cast<int64_t>(s->tokens.size())) return {};
  return s->tokens[static_cast<size_t>(index)].text;
}

HoverValues hover_values(const AttentionSnapshot* diff, const LambdaSummary* diff_lambda, int diff_layer, int diff_head,
                         const AttentionSnapshot* standard, int standard_layer, int standard_head, int64_t row,
                         int64_t col, std::optional<float> standard_mean, const PooledLookup& pooled,
                         bool windows) {
  HoverValues h;
  h.row = row;
  h.col = col;
  h.masked = col > row;
  h.diff_layer = diff_layer;
  h.standard_layer = standard_layer;
  if (diff != nullptr && windows) h.diff_window = window_of_layer(diff->model, diff_layer);
  if (standard != nullptr && windows) h.standard_window = window_of_layer(standard->model, standard_layer);
  h.diff_outside_window = !h.masked && key_masked(row, col, h.diff_window);
  h.standard_outside_window = !h.masked && key_masked(row, col, h.standard_window);
  const AttentionSnapshot* tokens_from = diff != nullptr ? diff : standard;
  h.query_token = token_text(tokens_from, row);
  h.key_token = token_text(tokens_from, col);
  // A dense map's value, else (a long prompt's run) the pooled lookup's with its pooling.
  const auto value = [&](const AttentionSnapshot& s, MapKind kind, int layer, int head, int64_t* pool) {
    std::optional<float> v = map_value(s, kind, layer, head, row, col);
    if (v || !pooled) return v;
    const std::optional<CellValue> p = pooled(s, kind, layer, head, row, col);
    if (!p) return v;
    *pool = p->pool;
    return std::optional<float>(p->value);
  };
  if (diff != nullptr && !h.diff_outside_window) {
    h.a1 = value(*diff, MapKind::A1, diff_layer, diff_head, &h.a1_pool);
    h.a2 = value(*diff, MapKind::A2, diff_layer, diff_head, &h.a2_pool);
    h.diff = value(*diff, MapKind::Diff, diff_layer, diff_head, &h.diff_pool);
    h.lambda = lambda_value(*diff, diff_layer, diff_head, row);
    if (h.lambda) h.lambda_per_row = diff_lambda != nullptr && diff_lambda->layer_varies_by_row(diff_layer);
  }
  if (h.standard_outside_window) {
    // masked in B's layer: no value (a head mean there is a mean of masked entries)
  } else if (standard_mean) {
    h.standard = standard_mean;
  } else if (standard != nullptr) {
    h.standard = value(*standard, MapKind::Standard, standard_layer, standard_head, &h.standard_pool);
  }
  return h;
}

std::string hover_values_text(const HoverValues& h) {
  std::string out = "query " + std::to_string(h.row) + " -> key " + std::to_string(h.col) + "\n";
  if (h.masked) return out + "masked\n";
  auto line = [&out](const char* name, const std::optional<float>& v, int64_t pool) {
    if (!v) return;
    char text[96];
    std::snprintf(text, sizeof text, "%s\t%.9g", name, static_cast<double>(*v));
    out += text;
    if (pool > 1) out += "\tmax |value| of " + std::to_string(pool) + "x" + std::to_string(pool) + " tokens";
    out += "\n";
  };
  if (h.diff_outside_window) out += "A\t" + outside_window_text(h.diff_layer, h.diff_window) + "\n";
  line("A1", h.a1, h.a1_pool);
  line("A2", h.a2, h.a2_pool);
  line(h.lambda_per_row ? "lambda[q]" : "lambda", h.lambda, 1);
  line("D", h.diff, h.diff_pool);
  line("B", h.standard, h.standard_pool);
  if (h.standard_outside_window) out += "B\t" + outside_window_text(h.standard_layer, h.standard_window) + "\n";
  return out;
}

std::string outside_window_text(int layer, int64_t window) {
  return "outside layer " + std::to_string(layer) + "'s sliding window of " + std::to_string(window) + " tokens";
}

}  // namespace diffscope::ui
