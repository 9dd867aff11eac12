// Hover tooltip values. Any thread.
#include "hover_info.h"

#include "lambda_rows.h"

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

static std::string token_text(const AttentionSnapshot* s, int64_t index) {
  if (s == nullptr || index < 0 || index >= static_cast<int64_t>(s->tokens.size())) return {};
  return s->tokens[static_cast<size_t>(index)].text;
}

HoverValues hover_values(const AttentionSnapshot* diff, int diff_layer, int diff_head,
                         const AttentionSnapshot* standard, int standard_layer, int standard_head, int64_t row,
                         int64_t col, std::optional<float> standard_mean) {
  HoverValues h;
  h.row = row;
  h.col = col;
  h.masked = col > row;
  const AttentionSnapshot* tokens_from = diff != nullptr ? diff : standard;
  h.query_token = token_text(tokens_from, row);
  h.key_token = token_text(tokens_from, col);
  if (diff != nullptr) {
    h.a1 = map_value(*diff, MapKind::A1, diff_layer, diff_head, row, col);
    h.a2 = map_value(*diff, MapKind::A2, diff_layer, diff_head, row, col);
    h.diff = map_value(*diff, MapKind::Diff, diff_layer, diff_head, row, col);
    h.lambda = lambda_value(*diff, diff_layer, diff_head, row);
    if (h.lambda) h.lambda_per_row = lambda_varies_by_row(diff->layers[static_cast<size_t>(diff_layer)]);
  }
  if (standard_mean) {
    h.standard = standard_mean;
  } else if (standard != nullptr) {
    h.standard = map_value(*standard, MapKind::Standard, standard_layer, standard_head, row, col);
  }
  return h;
}

}  // namespace diffscope::ui
