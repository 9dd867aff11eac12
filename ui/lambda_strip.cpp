// lambda strip beside the decomposition maps. Main (UI) thread.
#include "lambda_strip.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "lambda_rows.h"
#include "ui_pixels.h"

namespace diffscope::ui {

float lambda_strip_width() { return std::max(ui_px(100), ImGui::CalcTextSize("\xCE\xBB per row  ").x + ui_px(8)); }

std::optional<int64_t> draw_lambda_strip(const std::vector<float>& lambda, const ValueRange& range,
                                         const std::vector<Token>& tokens,
                                         const MapPlacement& rows_of, std::optional<int64_t> highlight) {
  const float width = lambda_strip_width();
  ImGui::BeginGroup();
  ImGui::TextUnformatted("\xCE\xBB per row");  // λ per row
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("lambda of each query row t (Diff V2: lambda[h, t] = sigmoid(x_t . w_h)). Row t of lambda*A2 is "
                      "row t of A2 times lambda[t]; row t of D sums to 1 - lambda[t]. Bars run from 0 (left) to 1; "
                      "the dashed line is the mean. Rows line up with the maps' rows.");
  }
  const float top = rows_of.min.y, height = rows_of.max.y - rows_of.min.y;
  const ImVec2 o(ImGui::GetCursorScreenPos().x, top);
  ImGui::SetCursorScreenPos(o);
  ImGui::InvisibleButton("lambda_strip", ImVec2(width, std::max(1.0f, height)));
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(o, ImVec2(o.x + width, o.y + height), IM_COL32(30, 32, 38, 255));

  double lo = 0, hi = 1;
  lambda_axis(range, &lo, &hi);
  const float pad = ui_px(4);
  const auto x_of = [&](double v) {
    return o.x + pad + static_cast<float>((v - lo) / (hi - lo)) * (width - 2 * pad);
  };
  // Grid lines at 0, 0.5 and 1 (0 is where the bars start).
  for (double g : {0.0, 0.5, 1.0}) {
    dl->AddLine(ImVec2(x_of(g), o.y), ImVec2(x_of(g), o.y + height), IM_COL32(70, 72, 80, 255));
  }
  const std::vector<RowBand> bands = visible_row_bands(rows_of.view, rows_of.cols, rows_of.rows, rows_of.max.x -
                                                       rows_of.min.x, height);
  std::optional<int64_t> hovered_row;
  const float mouse_y = ImGui::GetIO().MousePos.y - o.y;
  dl->PushClipRect(o, ImVec2(o.x + width, o.y + height), true);
  for (const RowBand& b : bands) {
    if (b.row >= static_cast<int64_t>(lambda.size())) break;
    const float y0 = o.y + static_cast<float>(b.y0), y1 = o.y + static_cast<float>(b.y1);
    const float gap = y1 - y0 >= 6 ? 1.0f : 0.0f;  // separate the bars while rows are tall enough
    const float v = lambda[static_cast<size_t>(b.row)];
    dl->AddRectFilled(ImVec2(std::min(x_of(0), x_of(v)), y0), ImVec2(std::max(x_of(0), x_of(v)), y1 - gap),
                      kLambdaBarColor);
    if (hovered && mouse_y >= b.y0 && mouse_y < b.y1) hovered_row = b.row;
  }
  if (!range.empty()) {  // the mean, dashed
    const float x = x_of(range.mean);
    for (float y = o.y; y < o.y + height; y += 8) {
      dl->AddLine(ImVec2(x, y), ImVec2(x, std::min(y + 4, o.y + height)), IM_COL32(235, 235, 235, 220), 1.5f);
    }
  }
  const std::optional<int64_t> mark = hovered_row ? hovered_row : highlight;
  for (const RowBand& b : bands) {
    if (mark && b.row == *mark) {
      dl->AddRect(ImVec2(o.x + 1, o.y + static_cast<float>(b.y0) - 1),
                  ImVec2(o.x + width - 1, o.y + static_cast<float>(b.y1) + 1), IM_COL32(255, 255, 255, 230), 0, 0,
                  1.5f);
    }
  }
  // Axis labels on a dark plate at the bottom: lo left, hi right.
  for (const auto& [v, right] : {std::pair{lo, false}, std::pair{hi, true}}) {
    char text[16];
    std::snprintf(text, sizeof text, "%.3g", v);
    const ImVec2 t = ImGui::CalcTextSize(text);
    const float x = right ? o.x + width - t.x - 3 : o.x + 3, y = o.y + height - t.y - 1;
    dl->AddRectFilled(ImVec2(x - 2, y), ImVec2(x + t.x + 2, y + t.y), IM_COL32(30, 32, 38, 200));
    dl->AddText(ImVec2(x, y), IM_COL32(170, 170, 170, 255), text);
  }
  dl->PopClipRect();
  dl->AddRect(o, ImVec2(o.x + width, o.y + height), IM_COL32(90, 90, 90, 255));

  if (hovered_row) {
    const int64_t t = *hovered_row;
    const double v = lambda[static_cast<size_t>(t)];
    const std::string token = t < static_cast<int64_t>(tokens.size()) ? tokens[static_cast<size_t>(t)].text : "";
    ImGui::BeginTooltip();
    ImGui::Text("query row %lld \"%s\"", static_cast<long long>(t), token.c_str());
    ImGui::Text("lambda      % .5f", v);
    ImGui::Text("1 - lambda  % .5f  (row sum of D)", 1.0 - v);
    ImGui::TextDisabled("head: min %.4f  mean %.4f  max %.4f", range.min, range.mean, range.max);
    ImGui::EndTooltip();
  }
  ImGui::EndGroup();
  return hovered_row;
}

}  // namespace diffscope::ui
