// Statistics panel. Main (UI) thread.
#include "stats_panel.h"

#include <algorithm>
#include <tuple>
#include <cmath>
#include <cstdio>

#include <imgui.h>

#include "lambda_rows.h"
#include "layer_series.h"
#include "slot_lambda.h"
#include "slot_results.h"
#include "ui_pixels.h"

namespace diffscope::ui {

namespace {

const ImU32 kColorA = IM_COL32(255, 150, 40, 255);
const ImU32 kColorB = IM_COL32(90, 160, 255, 255);

void definition_tooltip(Stat stat, MapKind a_kind) {
  ImGui::BeginTooltip();
  ImGui::PushTextWrapPos(ImGui::GetFontSize() * 32);
  ImGui::TextUnformatted(stat_definition(stat));
  if (stat_is_per_head(stat)) {
    ImGui::TextDisabled("A: computed on %s.", a_kind == MapKind::Diff ? "D (signed)" : map_kind_name(a_kind));
  }
  ImGui::PopTextWrapPos();
  ImGui::EndTooltip();
}

// A small line chart of one statistic: both models over relative depth (first layer left, last right), so models of
// different depth share the axis. `a_band`, when not empty, is a min..max range per layer of A drawn as a band under
// A's line (lambda of Diff V2). Hover shows the layer's values.
void plot_stat(const char* title, Stat stat, const std::vector<float>& a, const std::vector<float>& b, ImVec2 size,
               MapKind a_kind, int selected_layer, const std::vector<ValueRange>& a_band = {}) {
  ImGui::BeginGroup();
  ImGui::TextUnformatted(title);
  if (ImGui::IsItemHovered()) definition_tooltip(stat, a_kind);
  const ImVec2 o = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton(title, size);
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(o, ImVec2(o.x + size.x, o.y + size.y), IM_COL32(30, 32, 38, 255));
  float lo = INFINITY, hi = -INFINITY;
  for (const auto* series : {&a, &b}) {
    for (float v : *series) {
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }
  for (const ValueRange& r : a_band) {
    if (r.empty()) continue;
    lo = std::min(lo, static_cast<float>(r.min));
    hi = std::max(hi, static_cast<float>(r.max));
  }
  if (!(lo <= hi)) {
    dl->AddText(ImVec2(o.x + 6, o.y + size.y / 2 - 8), IM_COL32(140, 140, 140, 255),
                stat == Stat::Signal || stat == Stat::Noise || stat == Stat::NoiseAbs ? "mark a span" : "no data");
    ImGui::EndGroup();
    return;
  }
  if (hi - lo < 1e-9f) {
    lo -= 0.5f * std::max(std::fabs(lo), 1e-3f);
    hi += 0.5f * std::max(std::fabs(hi), 1e-3f);
  }
  const float pad = ui_px(6);
  const auto x_of = [&](size_t i, size_t n) {
    return o.x + pad + (n > 1 ? static_cast<float>(i) / static_cast<float>(n - 1) : 0.5f) * (size.x - 2 * pad);
  };
  const auto y_of = [&](float v) { return o.y + size.y - pad - (v - lo) / (hi - lo) * (size.y - 2 * pad); };
  if (lo < 0 && hi > 0) dl->AddLine(ImVec2(o.x, y_of(0)), ImVec2(o.x + size.x, y_of(0)), IM_COL32(80, 80, 80, 255));
  if (selected_layer >= 0 && static_cast<size_t>(selected_layer) < a.size()) {
    const float x = x_of(static_cast<size_t>(selected_layer), a.size());
    dl->AddLine(ImVec2(x, o.y), ImVec2(x, o.y + size.y), IM_COL32(255, 210, 80, 70));
  }
  // A's min..max band: quads between neighbouring layers, a whisker at each layer.
  for (size_t i = 0; i < a_band.size(); ++i) {
    const ValueRange& r = a_band[i];
    if (r.empty()) continue;
    const float x = x_of(i, a_band.size());
    dl->AddLine(ImVec2(x, y_of(static_cast<float>(r.min))), ImVec2(x, y_of(static_cast<float>(r.max))),
                IM_COL32(255, 150, 40, 110), 1.0f);
    if (i + 1 < a_band.size() && !a_band[i + 1].empty()) {
      const ValueRange& s = a_band[i + 1];
      const float x2 = x_of(i + 1, a_band.size());
      dl->AddQuadFilled(ImVec2(x, y_of(static_cast<float>(r.max))), ImVec2(x2, y_of(static_cast<float>(s.max))),
                        ImVec2(x2, y_of(static_cast<float>(s.min))), ImVec2(x, y_of(static_cast<float>(r.min))),
                        IM_COL32(255, 150, 40, 45));
    }
  }
  for (const auto& [series, color] : {std::pair{&a, kColorA}, std::pair{&b, kColorB}}) {
    const size_t n = series->size();
    for (size_t i = 0; i < n; ++i) {
      const float v = (*series)[i];
      if (!std::isfinite(v)) continue;
      const ImVec2 p(x_of(i, n), y_of(v));
      if (i + 1 < n && std::isfinite((*series)[i + 1])) {
        dl->AddLine(p, ImVec2(x_of(i + 1, n), y_of((*series)[i + 1])), color, 1.5f);
      }
      dl->AddCircleFilled(p, 2.5f, color);
    }
  }
  // Layer ticks along the bottom, A's above B's (the models may have different depths; both span the width).
  for (const auto& [n, color, y] : {std::tuple{a.size(), kColorA, o.y + size.y - 4}, std::tuple{b.size(), kColorB,
                                                                                                   o.y + size.y - 2}}) {
    const int step = layer_tick_step(static_cast<int>(n), size.x - 2 * pad);
    for (size_t i = 0; i < n; i += static_cast<size_t>(step)) {
      const float x = x_of(i, n);
      dl->AddLine(ImVec2(x, y), ImVec2(x, y + 2), color, 1.0f);
    }
  }
  // Axis range, on a dark plate so the lines under it do not make it unreadable.
  const auto range_label = [&](float v, float y) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", static_cast<double>(v));
    const ImVec2 t = ImGui::CalcTextSize(text);
    dl->AddRectFilled(ImVec2(o.x + 1, y), ImVec2(o.x + t.x + 5, y + t.y), IM_COL32(30, 32, 38, 200));
    dl->AddText(ImVec2(o.x + 3, y), IM_COL32(150, 150, 150, 255), text);
  };
  range_label(hi, o.y + 1);
  range_label(lo, o.y + size.y - ImGui::GetTextLineHeight() - 1);
  if (hovered) {
    const float rel = std::clamp((ImGui::GetIO().MousePos.x - o.x - pad) / (size.x - 2 * pad), 0.0f, 1.0f);
    ImGui::BeginTooltip();
    ImGui::Text("%s", title);
    for (const auto& [series, name] : {std::pair{&a, "A"}, std::pair{&b, "B"}}) {
      if (series->empty()) continue;
      const size_t i = static_cast<size_t>(std::lround(rel * static_cast<float>(series->size() - 1)));
      if (series == &a && i < a_band.size() && !a_band[i].empty()) {
        ImGui::Text("%s layer %zu: %.4f  (min %.4f .. max %.4f)", name, i, static_cast<double>((*series)[i]),
                    a_band[i].min, a_band[i].max);
      } else {
        ImGui::Text("%s layer %zu: %.4f", name, i, static_cast<double>((*series)[i]));
      }
    }
    ImGui::EndTooltip();
  }
  ImGui::EndGroup();
}

void cell(double v) {
  if (std::isfinite(v)) ImGui::Text("%.4g", v);
  else ImGui::TextDisabled("-");
}

}  // namespace

void draw_stats_panel(UiState& state) {
  const AttentionSnapshot* a = slot_snapshot(state, kSlotDiff);
  const AttentionSnapshot* b = slot_snapshot(state, kSlotStandard);
  static int head_choice = 0;  // 0: mean over heads, 1: the selected head
  static int a_map = 0;        // 0: D, 1: A1, 2: A2
  ImGui::TextUnformatted("Statistics per layer");
  ImGui::SameLine();
  ImGui::TextColored(ImColor(kColorA).Value, "A %s", a ? a->model.name.c_str() : "(none)");
  ImGui::SameLine();
  ImGui::TextColored(ImColor(kColorB).Value, "B %s", b ? b->model.name.c_str() : "(none)");
  ImGui::SameLine(0, ui_px(20));
  ImGui::RadioButton("head mean", &head_choice, 0);
  ImGui::SameLine();
  ImGui::RadioButton("selected head", &head_choice, 1);
  MapKind a_kind = a ? primary_kind(*a) : MapKind::Diff;
  if (a && a->model.kind == AttentionKind::Differential) {
    ImGui::SameLine(0, ui_px(20));
    ImGui::TextUnformatted("A's map:");
    ImGui::SameLine();
    ImGui::RadioButton("D", &a_map, 0);
    ImGui::SameLine();
    ImGui::RadioButton("A1", &a_map, 1);
    ImGui::SameLine();
    ImGui::RadioButton("A2", &a_map, 2);
    a_kind = a_map == 1 ? MapKind::A1 : a_map == 2 ? MapKind::A2 : MapKind::Diff;
  }
  ImGui::SameLine(0, ui_px(20));
  ImGui::TextDisabled("hover a title for its definition; right-click a row to copy it or the table");
  if (a == nullptr && b == nullptr) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", slot_result(state, kSlotDiff).message.c_str());
    ImGui::PopTextWrapPos();
    return;
  }
  // Rows of a slot that has not answered this prompt are left out (slot_snapshot), never mixed with the other's.
  for (int slot : {kSlotDiff, kSlotStandard}) {
    const SlotResult r = slot_result(state, slot);
    if (r.kind == ResultKind::Previous) {
      ImGui::TextColored(ImVec4(0.95f, 0.8f, 0.3f, 1), "%s", r.message.c_str());
      break;
    }
    if (r.kind == ResultKind::Withheld || r.kind == ResultKind::Failed) {
      ImGui::TextColored(r.kind == ResultKind::Failed ? ImVec4(1.0f, 0.5f, 0.4f, 1) : ImVec4(0.95f, 0.8f, 0.3f, 1),
                         "%s", r.message.c_str());
    }
  }
  int b_layer_head = state.settings.selection.head;
  const int a_head = head_choice == 1 ? state.settings.selection.head : -1;
  const int b_head = head_choice == 1 ? std::min(b_layer_head, b ? b->model.num_heads - 1 : 0) : -1;

  // Plots show the first n_plots; the table all of them (the outlier medians too).
  const Stat stats[] = {Stat::Entropy,  Stat::SinkMass, Stat::MaxAttention, Stat::Signal,
                        Stat::Noise,    Stat::NoiseAbs, Stat::Lambda,       Stat::Distance,
                        Stat::LogitTop1, Stat::HiddenTop1, Stat::LogitMedian, Stat::HiddenMedian};
  const int n_stats = static_cast<int>(sizeof stats / sizeof stats[0]);
  const int n_plots = 10;
  std::vector<std::vector<float>> sa(n_stats), sb(n_stats);
  const LambdaSummary* a_lambda = slot_lambda_summary(state, kSlotDiff);  // lambda's figures, made once per snapshot
  for (int k = 0; k < n_stats; ++k) {
    if (a) sa[static_cast<size_t>(k)] = layer_series(*a, stats[k], a_kind, a_head, a_lambda);
    if (b) sb[static_cast<size_t>(k)] = layer_series(*b, stats[k], MapKind::Standard, b_head);
  }
  // Diff V2: lambda varies by token, so its plot gets a min..max band and its table cells the range.
  std::vector<ValueRange> lambda_band;
  if (a_lambda && a_lambda->varies_by_row) lambda_band = a_lambda->ranges_by_layer(a_head);

  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float plots_w = avail.x * 0.58f;
  ImGui::BeginChild("plots", ImVec2(plots_w, 0), false);
  const int per_row = 5;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float pw = (plots_w - gap * (per_row - 1) - 4) / per_row;
  const float rows = std::ceil(static_cast<float>(n_plots) / per_row);
  const float title_h = ImGui::GetTextLineHeightWithSpacing() + ImGui::GetStyle().ItemSpacing.y;
  const float ph = std::max(ui_px(40), (ImGui::GetContentRegionAvail().y - rows * title_h) / rows);
  for (int k = 0; k < n_plots; ++k) {
    if (k % per_row != 0) ImGui::SameLine();
    plot_stat(stat_name(stats[k]), stats[k], sa[static_cast<size_t>(k)], sb[static_cast<size_t>(k)], ImVec2(pw, ph),
              a_kind, state.settings.selection.layer,
              stats[k] == Stat::Lambda ? lambda_band : std::vector<ValueRange>{});
  }
  ImGui::EndChild();
  ImGui::SameLine();

  const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_ScrollX | ImGuiTableFlags_SizingFixedFit;
  if (ImGui::BeginTable("stats_table", n_stats + 1, flags, ImVec2(0, 0))) {
    ImGui::TableSetupScrollFreeze(1, 1);
    ImGui::TableSetupColumn("layer");
    for (int k = 0; k < n_stats; ++k) ImGui::TableSetupColumn(stat_name(stats[k]));
    ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
    for (int c = 0; c <= n_stats; ++c) {
      ImGui::TableSetColumnIndex(c);
      ImGui::TableHeader(ImGui::TableGetColumnName(c));
      if (c > 0 && ImGui::IsItemHovered()) definition_tooltip(stats[c - 1], a_kind);
    }
    const std::vector<Stat> stat_list(stats, stats + n_stats);
    int row = 0;
    for (const auto& [series, label, color] :
         {std::tuple{&sa, "A", kColorA}, std::tuple{&sb, "B", kColorB}}) {
      const size_t layers = (*series)[0].size();
      for (size_t l = 0; l < layers; ++l, ++row) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextColored(ImColor(color).Value, "%s L%zu", label, l);
        // Right-click a row's label: copy it, or the whole table, as tab-separated text (spreadsheets paste cells).
        ImGui::PushID(row);
        if (ImGui::BeginPopupContextItem("copy", ImGuiPopupFlags_MouseButtonRight)) {
          if (ImGui::MenuItem("Copy row")) ImGui::SetClipboardText(stats_table_tsv(stat_list, sa, sb, row).c_str());
          if (ImGui::MenuItem("Copy table")) ImGui::SetClipboardText(stats_table_tsv(stat_list, sa, sb).c_str());
          ImGui::EndPopup();
        }
        ImGui::PopID();
        for (int k = 0; k < n_stats; ++k) {
          ImGui::TableSetColumnIndex(k + 1);
          cell(static_cast<double>((*series)[static_cast<size_t>(k)][l]));
          if (series == &sa && stats[k] == Stat::Lambda && l < lambda_band.size() && lambda_band[l].varies()) {
            ImGui::SameLine();
            ImGui::TextDisabled("%.3f..%.3f", lambda_band[l].min, lambda_band[l].max);
          }
        }
      }
    }
    ImGui::EndTable();
  }
}

}  // namespace diffscope::ui
