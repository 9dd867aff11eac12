// Decomposition, comparison and grid layouts. Main (UI) thread.
#include "map_layouts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <imgui.h>

#include "colorbar_layout.h"
#include "hover_info.h"
#include "item_tooltip.h"
#include "lambda_rows.h"
#include "lambda_strip.h"
#include "layer_series.h"
#include "map_style.h"
#include "selection.h"
#include "slot_lambda.h"
#include "slot_results.h"
#include "what_if_panel.h"
#include "ui_pixels.h"

namespace diffscope::ui {

namespace {

// One map of a layout.
struct Panel {
  int slot = 0;
  MapRequest request;
  std::string title;
  const ShownMap* map = nullptr;
  const FetchedWindow* window = nullptr;  // drawn over an overview (long prompts)
  ColorScale scale;
  Colormap colormap = Colormap::Viridis;
};

// The lambda strip of a decomposition (Diff V2), drawn right after panel `after`.
struct StripSpec {
  std::vector<float> lambda;                 // [T] of the selected head
  ValueRange range;                          // its min / mean / max (from the slot's lambda summary)
  const std::vector<Token>* tokens = nullptr;
  size_t after = 0;
  std::optional<int64_t> highlight;          // row hovered in a map (last frame)
  std::optional<int64_t> hovered;            // out: row hovered in the strip
};

int num_heads(const AttentionSnapshot* s) { return s ? s->model.num_heads : 0; }
int num_layers(const AttentionSnapshot* s) { return s ? static_cast<int>(s->layers.size()) : 0; }

std::string model_label(const UiState& state, int slot) {
  const SlotState& s = state.slots[static_cast<size_t>(slot)];
  std::string name = s.info ? s.info->name : (s.snapshot ? s.snapshot->model.name : std::string());
  return std::string(slot == kSlotDiff ? "A" : "B") + (name.empty() ? "" : " " + name);
}

Panel make_panel(UiState& state, MapCache& cache, int slot, int layer, int head, MapVariant variant,
                 const std::string& title) {
  Panel p;
  p.slot = slot;
  p.title = title;
  const SlotState& s = state.slots[static_cast<size_t>(slot)];
  p.request.slot = slot;
  p.request.sequence = s.sequence;
  p.request.layer = layer;
  p.request.head = head;
  p.request.variant = variant;
  p.request.row_normalize = state.settings.display.row_normalize;
  p.request.hide_sink = state.settings.display.hide_sink;
  if (slot_snapshot(state, slot) != nullptr) p.map = cache.get(s.snapshot, p.request);  // never an older prompt's
                                                                                       // beside a newer one
  if (p.map) {
    p.scale = display_scale(p.map->range, state.settings.display);
    p.colormap = colormap_for(p.map->signed_values, state.settings.display);
  }
  return p;
}

void help_marker(const char* text) {
  ImGui::SameLine();
  ImGui::TextDisabled("(?)");
  item_tooltip(text, 32);
}

std::string quoted_token(const std::string& t) { return "\"" + t + "\""; }

void value_line(const char* name, const std::optional<float>& v, int64_t pool = 1) {
  if (!v) return;
  if (pool > 1) {
    ImGui::Text("%-10s % .5f  (max |value| of %lldx%lld tokens)", name, static_cast<double>(*v),
                static_cast<long long>(pool), static_cast<long long>(pool));
  } else {
    ImGui::Text("%-10s % .5f", name, static_cast<double>(*v));
  }
}

// Hover values of snapshots without dense maps: the finest fetched window holding the cell, else the overview.
PooledLookup pooled_lookup(const UiState& state, const WindowFetcher& fetcher) {
  return [&state, &fetcher](const AttentionSnapshot& s, MapKind kind, int layer, int head, int64_t row,
                            int64_t col) -> std::optional<CellValue> {
    for (int slot : {kSlotDiff, kSlotStandard}) {
      if (slot_snapshot(state, slot) != &s) continue;
      const uint64_t sequence = state.slots[static_cast<size_t>(slot)].sequence;
      if (const FetchedWindow* w = fetcher.window_at(slot, sequence, kind, layer, head, row, col)) {
        return pooled_map_value(s, kind, layer, head, row, col, &w->cells, &w->plan);
      }
    }
    return pooled_map_value(s, kind, layer, head, row, col);
  };
}

void hover_tooltip(const UiState& state, const WindowFetcher& fetcher, const Cell& cell, int layer, int head,
                   int std_layer, int std_head, bool std_mean, const std::optional<float>& mean_value, bool windows) {
  const AttentionSnapshot* diff = slot_snapshot(state, kSlotDiff);
  const AttentionSnapshot* standard = slot_snapshot(state, kSlotStandard);
  if (diff && diff->model.kind != AttentionKind::Differential) diff = nullptr;
  const LambdaSummary* diff_lambda = diff ? slot_lambda_summary(state, kSlotDiff) : nullptr;
  const HoverValues h = hover_values(diff, diff_lambda, layer, head, standard, std_layer, std_head, cell.row, cell.col,
                                     std_mean ? mean_value : std::nullopt, pooled_lookup(state, fetcher), windows);
  ImGui::BeginTooltip();
  ImGui::Text("query %lld %s  ->  key %lld %s", static_cast<long long>(h.row), quoted_token(h.query_token).c_str(),
              static_cast<long long>(h.col), quoted_token(h.key_token).c_str());
  if (h.masked) {
    ImGui::TextDisabled("masked: a token cannot attend to later tokens");
  } else {
    if (h.a1 || h.diff || h.diff_outside_window) ImGui::TextDisabled("A  layer %d  head %d", layer, head);
    if (h.diff_outside_window) ImGui::Text("%s", outside_window_text(layer, h.diff_window).c_str());
    value_line("A1", h.a1, h.a1_pool);
    value_line("A2", h.a2, h.a2_pool);
    value_line(h.lambda_per_row ? "lambda[q]" : "lambda", h.lambda);  // V2: of this query row
    // lambda[q] times a pooled A2 is not lambda * A2's largest entry when lambda varies by row: shown only when exact.
    if (h.lambda && h.a2 && (h.a2_pool == 1 || !h.lambda_per_row)) value_line("lambda*A2", *h.lambda * *h.a2, h.a2_pool);
    value_line("D", h.diff, h.diff_pool);
    if (h.standard || h.standard_outside_window) {
      if (std_mean) ImGui::TextDisabled("B  layer %d  mean of heads", std_layer);
      else ImGui::TextDisabled("B  layer %d  head %d", std_layer, std_head);
      if (h.standard_outside_window) ImGui::Text("%s", outside_window_text(std_layer, h.standard_window).c_str());
      value_line("weight", h.standard, h.standard_pool);
    }
    draw_difference_hover(state, layer, head, std_layer, std_head, h.row, h.col);
  }
  ImGui::TextDisabled("right-click: copy these values");
  ImGui::EndTooltip();
  if (ImGui::IsMouseClicked(ImGuiMouseButton_Right)) ImGui::SetClipboardText(hover_values_text(h).c_str());
}

float panel_gap() { return ImGui::GetStyle().ItemSpacing.x * 2; }

// How many maps the current layout puts side by side (0 for the grid, which fills whatever it gets).
int panels_in_layout(const UiState& state) {
  const AttentionSnapshot* a = slot_snapshot(state, kSlotDiff);
  switch (state.settings.layout) {
    case Layout::Decomposition:
      if (a && a->model.kind != AttentionKind::Differential) return 1;
      return state.settings.decomposition_with_b ? 4 : 3;
    case Layout::Comparison: return 2;
    case Layout::Grid: return 0;
  }
  return 0;
}

// Lays out panels side by side with a colorbar each (and the lambda strip after one, when given); returns their
// placements.
// For a panel drawn from an overview: the window of what it will show (the shared view, clamped as draw_map clamps it)
// at about one token per framebuffer pixel, asked for through `fetcher`; returns the window to draw over the overview.
const FetchedWindow* refine_panel(UiState& state, WindowFetcher& fetcher, const Panel& p, const std::string& id,
                                  float side) {
  const ShownMap& m = *p.map;
  const SlotState& slot = state.slots[static_cast<size_t>(p.slot)];
  if (m.overview_cell == 0 || !slot.snapshot) return nullptr;
  const auto& layers = slot.snapshot->layers;
  if (p.request.variant == MapVariant::Rollout &&
      (p.request.layer >= static_cast<int>(layers.size()) || layers[static_cast<size_t>(p.request.layer)].overview.rollout.empty())) {
    return nullptr;  // the run kept no rollout (the overview says why): nothing to fetch
  }
  const int64_t t = m.tokens;
  MapViewport v = state.view.initialized ? state.view : fit_viewport(t, t);
  v = clamp_viewport(v, t, t, side, side);
  const ImGuiIO& io = ImGui::GetIO();
  const std::optional<WindowPlan> visible = plan_window(visible_cells(v, t, t, side, side), t,
                                                        side * io.DisplayFramebufferScale.x,
                                                        side * io.DisplayFramebufferScale.y);
  const bool lambda_constant = constant_lambda(*slot.snapshot, p.request.layer, p.request.head).has_value();
  const WindowNeed need = window_need(p.request, visible, m.overview_cell, t, !m.unavailable.empty(), lambda_constant);
  return fetcher.update(id, slot.snapshot, p.request, need, state.now);
}

std::vector<MapPlacement> draw_panels(UiState& state, HeatmapWidgets& widgets, WindowFetcher& fetcher,
                                      std::vector<Panel>& panels, float height, StripSpec* strip = nullptr) {
  std::vector<MapPlacement> placed(panels.size());
  const float gap = panel_gap();
  const float bar = colorbar_width();
  state.colorbar_width = bar;
  const float title_h = ImGui::GetTextLineHeightWithSpacing();
  const float w = ImGui::GetContentRegionAvail().x - (strip ? lambda_strip_width() + gap : 0.0f);
  const float n = static_cast<float>(panels.size());
  const float side = std::max(32.0f, std::min((w - n * bar - (n - 1) * gap) / n, height - title_h - 4));
  state.map_side = side;
  const DisplaySettings& d = state.settings.display;
  for (size_t i = 0; i < panels.size(); ++i) {
    Panel& p = panels[i];
    if (i > 0) ImGui::SameLine(0, gap);
    ImGui::BeginGroup();
    const bool focused = state.focused.valid && state.focused.request.slot == p.slot &&
                         state.focused.request.variant == p.request.variant &&
                         state.focused.request.layer == p.request.layer && state.focused.request.head == p.request.head;
    if (focused) ImGui::TextColored(ImVec4(1.0f, 0.85f, 0.4f, 1), "%s", p.title.c_str());
    else ImGui::TextUnformatted(p.title.c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Click a map to choose it for export (highlighted title).");
    if (p.map) {
      HeatmapDraw style;
      style.colormap = p.colormap;
      style.scale = p.scale;
      style.shade_masked = d.shade_masked;
      style.window = p.map->window;
      style.grid_lines = d.grid_lines;
      const std::string id = "map" + std::to_string(i);
      p.window = refine_panel(state, fetcher, p, id, side);
      placed[i] = widgets.draw_map(id, *p.map, style, &state.view, ImVec2(side, side),
                                   p.window ? &p.window->texture : nullptr, p.map->unavailable);
      if (ImGui::IsItemClicked(ImGuiMouseButton_Left)) {
        state.focused = FocusedMap{p.request, p.title, true};
      }
      const float space = colorbar_metrics(ui_pixel_scale()).space_before;
      ImGui::SameLine(0, space);
      widgets.draw_colorbar(p.colormap, p.scale, ImVec2(bar - space, side));
    } else {
      ImGui::Dummy(ImVec2(side + bar, side));
      const ImVec2 a = ImGui::GetItemRectMin();
      ImGui::GetWindowDrawList()->AddRect(a, ImVec2(a.x + side, a.y + side), IM_COL32(90, 90, 90, 255));
      const SlotResult r = slot_result(state, p.slot);
      const std::string msg = r.snapshot ? "no such map in this model" : r.message;
      ImGui::GetWindowDrawList()->AddText(nullptr, 0.0f, ImVec2(a.x + 10, a.y + 10),
                                          r.kind == ResultKind::Failed ? IM_COL32(255, 128, 102, 255)
                                                                       : IM_COL32(160, 160, 160, 255),
                                          msg.c_str(), nullptr, side - 20);
    }
    ImGui::EndGroup();
    if (strip && i == strip->after && placed[i].draw_list && strip->tokens) {
      ImGui::SameLine(0, gap);
      strip->hovered = draw_lambda_strip(strip->lambda, strip->range, *strip->tokens, placed[i], strip->highlight);
    }
  }
  return placed;
}

// Mirrors hover and draws overlays over every placed map; shows the tooltip.
void finish_panels(UiState& state, UiActions& actions, const std::vector<MapPlacement>& placed, int layer, int head,
                   int std_layer, int std_head, bool std_mean, MapCache& cache, const WindowFetcher& fetcher,
                   std::optional<int64_t> strip_row = std::nullopt, bool windows = true) {
  std::optional<Cell> hover;
  for (const MapPlacement& p : placed) {
    if (p.hovered_cell) hover = p.hovered_cell;
  }
  if (hover != state.hover_cell) actions.redraw = true;  // the token strip, drawn earlier, shows it next frame
  state.hover_cell = hover;
  MapOverlay overlay;
  overlay.crosshair = hover;
  overlay.token = state.hover_token ? state.hover_token : state.pinned_token;
  overlay.row = strip_row;
  if (strip_row) actions.redraw = true;
  const AttentionSnapshot* any = slot_snapshot(state, kSlotDiff) ? slot_snapshot(state, kSlotDiff)
                                                                 : slot_snapshot(state, kSlotStandard);
  overlay.span = span_tokens(state, any);
  if (any) overlay.query_row = static_cast<int64_t>(any->tokens.size()) - 1;
  for (const MapPlacement& p : placed) draw_map_overlay(p, overlay);
  if (hover) {
    std::optional<float> mean_value;
    if (std_mean) {
      if (slot_snapshot(state, kSlotStandard) != nullptr) {
        MapRequest r;
        r.slot = kSlotStandard;
        r.sequence = state.slots[kSlotStandard].sequence;
        r.layer = std_layer;
        r.head = -1;
        r.variant = MapVariant::Standard;
        r.row_normalize = false;
        r.hide_sink = state.settings.display.hide_sink;
        const ShownMap* m = cache.get(state.slots[kSlotStandard].snapshot, r);
        if (m && m->overview_cell == 0 && !m->values().empty() && hover->row < m->values().rows &&
            hover->col < m->values().cols) {
          mean_value = m->values().at(hover->row, hover->col);
        }
      }
    }
    hover_tooltip(state, fetcher, *hover, layer, head, std_layer, std_head, std_mean, mean_value, windows);
  }
}

void fit_view_to_tokens(UiState& state) {
  const int64_t t = static_cast<int64_t>(shown_tokens(state).size());
  if (t != state.view_tokens) {
    state.view = fit_viewport(t, t);
    state.view_tokens = t;
  }
}

void draw_decomposition(UiState& state, UiActions& actions, MapCache& cache, HeatmapWidgets& widgets,
                        WindowFetcher& fetcher, float height) {
  const AttentionSnapshot* a = slot_snapshot(state, kSlotDiff);
  if (a == nullptr) {
    // Why slot A shows nothing for this prompt: empty prompt, loading, running, its run failed, no model.
    const SlotResult r = slot_result(state, kSlotDiff);
    ImGui::PushTextWrapPos(0);
    if (r.kind == ResultKind::Failed) ImGui::TextColored(ImVec4(1.0f, 0.5f, 0.4f, 1), "%s", r.message.c_str());
    else ImGui::TextDisabled("%s", r.message.c_str());
    ImGui::PopTextWrapPos();
    return;
  }
  const Selection sel = state.settings.selection;
  std::vector<Panel> panels;
  const std::string where = "  L" + std::to_string(sel.layer) + " H" + std::to_string(sel.head);
  if (a->model.kind != AttentionKind::Differential) {
    ImGui::TextColored(ImVec4(1, 0.7f, 0.3f, 1), "Slot A holds a standard model: it has no A1/A2/lambda. Showing its "
                                                  "attention map.");
    panels.push_back(make_panel(state, cache, kSlotDiff, sel.layer, sel.head, MapVariant::Standard,
                                model_label(state, kSlotDiff) + where + "  attention"));
  } else {
    panels.push_back(make_panel(state, cache, kSlotDiff, sel.layer, sel.head, MapVariant::A1, "A1" + where));
    const MapVariant second = state.settings.decomposition_raw_a2 ? MapVariant::A2 : MapVariant::LambdaA2;
    panels.push_back(make_panel(state, cache, kSlotDiff, sel.layer, sel.head, second,
                                std::string(variant_title(second)) + where));
    panels.push_back(make_panel(state, cache, kSlotDiff, sel.layer, sel.head, MapVariant::Diff,
                                std::string(variant_title(MapVariant::Diff)) + where));
    if (state.settings.display.shared_softmax_scale && panels[0].map && panels[1].map) {
      const ColorScale u = union_scale(panels[0].scale, panels[1].scale);
      panels[0].scale = panels[1].scale = u;
    }
    ImGui::Checkbox("A2 unscaled", &state.settings.decomposition_raw_a2);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Show the second softmax map A2 itself instead of lambda * A2.");
    ImGui::SameLine();
    ImGui::Checkbox("+ B", &state.settings.decomposition_with_b);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Add the standard model's paired map (see Comparison) as a 4th panel.");
    ImGui::SameLine(0, ui_px(16));
    const LambdaSummary* lambda = slot_lambda_summary(state, kSlotDiff);
    if (sel.layer < num_layers(a) && lambda) {
      const LayerCapture& layer = a->layers[static_cast<size_t>(sel.layer)];
      if (lambda->layer_varies_by_row(sel.layer)) {
        // V2: one lambda per token and head; the strip beside the maps shows the selected head's by row.
        const ValueRange head = lambda->range(sel.layer, sel.head), all = lambda->range(sel.layer);
        ImGui::Text("lambda varies per token%s:  H%d min %.3f  mean %.3f  max %.3f   (all heads %.3f .. %.3f)",
                    a->model.attention_variant == "diff-v2" ? " (Diff V2)" : "", sel.head, head.min, head.mean,
                    head.max, all.min, all.max);
        help_marker("Row t of D sums to 1 - lambda[t]. D = A1 - lambda * A2 row by row: Diff V2 computes "
                    "lambda[h, t] = sigmoid(x_t . w_h) for each head h and query token t, so each row of A2 is scaled "
                    "by its own lambda (the strip 'lambda per row' right of D, aligned with the maps' rows; hover it "
                    "for a row's value). Attention both maps put on the same keys cancels; what is left is the "
                    "signal. D is signed: red where A1 wins, blue where lambda*A2 wins.");
      } else {
        const double mean = lambda->mean(sel.layer);
        ImGui::Text("lambda = %.4f  (lambda_init = %.4f at depth %d);  each row of D sums to 1 - lambda = %.4f",
                    mean, layer.lambda_init, sel.layer, 1.0 - mean);
        help_marker("D = A1 - lambda * A2: the second softmax map, scaled by the learned lambda, is subtracted from "
                    "the first. Attention both maps put on the same keys (noise, the first-token sink) cancels; what "
                    "is left is the signal. D is signed: red where A1 wins, blue where lambda*A2 wins.");
      }
    }
  }
  int std_layer = 0, std_head = 0;
  comparison_pair(state, &std_layer, &std_head);
  if (state.settings.decomposition_with_b && a->model.kind == AttentionKind::Differential) {
    panels.push_back(make_panel(state, cache, kSlotStandard, std_layer, std_head, MapVariant::Standard,
                                "B  L" + std::to_string(std_layer) + " H" + std::to_string(std_head) + "  attention"));
  }
  StripSpec strip;
  const bool with_strip = shows_lambda_strip(state);
  if (with_strip) {
    strip.lambda = head_lambda_rows(*a, sel.layer, sel.head);  // one head's row: T floats, drawn where visible
    strip.range = slot_lambda_summary(state, kSlotDiff)->range(sel.layer, sel.head);
    strip.tokens = &a->tokens;
    strip.after = 2;  // right of D
    if (state.hover_cell) strip.highlight = state.hover_cell->row;
  }
  const std::vector<MapPlacement> placed =
      draw_panels(state, widgets, fetcher, panels, height - ImGui::GetFrameHeight(), with_strip ? &strip : nullptr);
  finish_panels(state, actions, placed, sel.layer, sel.head, std_layer, std_head, false, cache, fetcher,
                strip.hovered);
}

void draw_comparison(UiState& state, UiActions& actions, MapCache& cache, HeatmapWidgets& widgets,
                     WindowFetcher& fetcher, float height) {
  const AttentionSnapshot* a = slot_snapshot(state, kSlotDiff);
  const AttentionSnapshot* b = slot_snapshot(state, kSlotStandard);
  Settings& s = state.settings;
  int std_layer = 0, std_head = 0;
  comparison_pair(state, &std_layer, &std_head);
  if (ImGui::Checkbox("rollout", &state.show_rollout)) state.submit_now = true;  // rerun: rollout is computed on request
  help_marker("Attention rollout (Abnar & Zuidema 2020) through the selected layer: per layer the head mean A "
              "(Diff: of D), rows divided by their sum, mixed half and half with the identity for the residual stream "
              "(0.5 A + 0.5 I), multiplied over the layers from the first. Row i shows how much of each input token "
              "flows into token i at that depth. D is signed and its rows sum to 1 - lambda: they are scaled to sum 1 "
              "and negative entries are kept (a signed rollout, drawn with the diverging colours when it has negative "
              "entries), so cancelled attention subtracts flow.");
  if (state.show_rollout) {
    std::vector<Panel> panels;
    const bool a_diff = a && a->model.kind == AttentionKind::Differential;
    panels.push_back(make_panel(state, cache, kSlotDiff, s.selection.layer, -1, MapVariant::Rollout,
                                model_label(state, kSlotDiff) + "  rollout through L" +
                                    std::to_string(s.selection.layer) + (a_diff ? "  (of D)" : "")));
    panels.push_back(make_panel(state, cache, kSlotStandard, std_layer, -1, MapVariant::Rollout,
                                model_label(state, kSlotStandard) + "  rollout through L" + std::to_string(std_layer)));
    const std::vector<MapPlacement> placed =
        draw_panels(state, widgets, fetcher, panels, height - ImGui::GetFrameHeight());
    finish_panels(state, actions, placed, s.selection.layer, s.selection.head, std_layer, std_head, true, cache,
                  fetcher, std::nullopt, false);  // a rollout mixes every layer: no layer's window masks it
    return;
  }
  ImGui::SameLine();
  ImGui::Checkbox("head mean", &s.head_mean);
  help_marker("Compare the mean over all heads of the layer (Diff: mean of D over the diff heads; standard: mean over "
              "its heads). Needs no head pairing.");
  if (!s.head_mean) {
    ImGui::SameLine();
    ImGui::Checkbox("B head follows A head", &s.follow_diff_head);
    if (!s.follow_diff_head && b) {
      ImGui::SameLine();
      ImGui::SetNextItemWidth(ui_px(160));
      ImGui::SliderInt("B head", &s.standard_head, 0, std::max(0, num_heads(b) - 1));
      s.standard_head = std::clamp(s.standard_head, 0, std::max(0, num_heads(b) - 1));
      std_head = s.standard_head;
    }
  }
  ImGui::SameLine();
  const int a_layers = num_layers(a), b_layers = num_layers(b);
  const int a_heads = a ? num_heads(a) : num_heads(b), b_heads = num_heads(b);
  const std::string rule = a && b ? pairing_rule(a_layers, a_heads, b_layers, b_heads) : std::string("same index");
  ImGui::TextDisabled("pairing: A L%d H%d  <->  B L%d %s  (%s)", s.selection.layer, s.selection.head, std_layer,
                      s.head_mean ? "mean" : ("H" + std::to_string(std_head)).c_str(),
                      s.head_mean || s.follow_diff_head || rule == "same index" ? rule.c_str() : "B head chosen");
  help_marker(pairing_help());
  std::vector<Panel> panels;
  const int head = s.head_mean ? -1 : s.selection.head;
  const std::string a_head = s.head_mean ? " mean" : " H" + std::to_string(s.selection.head);
  const std::string b_head = s.head_mean ? " mean" : " H" + std::to_string(std_head);
  const bool a_diff = a && a->model.kind == AttentionKind::Differential;
  panels.push_back(make_panel(state, cache, kSlotDiff, s.selection.layer, head,
                              a_diff || !a ? MapVariant::Diff : MapVariant::Standard,
                              model_label(state, kSlotDiff) + "  L" + std::to_string(s.selection.layer) + a_head +
                                  (a_diff || !a ? "  D" : "  attention")));
  panels.push_back(make_panel(state, cache, kSlotStandard, std_layer, s.head_mean ? -1 : std_head,
                              MapVariant::Standard,
                              model_label(state, kSlotStandard) + "  L" + std::to_string(std_layer) + b_head +
                                  "  attention"));
  const std::vector<MapPlacement> placed =
      draw_panels(state, widgets, fetcher, panels, height - ImGui::GetFrameHeight());
  finish_panels(state, actions, placed, s.selection.layer, s.selection.head, std_layer, std_head, s.head_mean, cache,
                fetcher);
}

void draw_grid(UiState& state, MapCache& cache, HeatmapWidgets& widgets) {
  const char* sources[] = {"A: D = A1 - lambda A2", "A: A1", "A: A2", "B: standard attention"};
  ImGui::SetNextItemWidth(ui_px(240));
  ImGui::Combo("grid shows", &state.grid_source, sources, 4);
  ImGui::SameLine();
  ImGui::TextDisabled("each thumbnail has its own colour range; click one to open it");
  const int slot = state.grid_source == 3 ? kSlotStandard : kSlotDiff;
  const AttentionSnapshot* snap = slot_snapshot(state, slot);
  if (snap == nullptr) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", slot_result(state, slot).message.c_str());
    ImGui::PopTextWrapPos();
    return;
  }
  MapVariant variant = MapVariant::Standard;
  if (snap->model.kind == AttentionKind::Differential) {
    variant = state.grid_source == 1 ? MapVariant::A1 : state.grid_source == 2 ? MapVariant::A2 : MapVariant::Diff;
  }
  const int layers = num_layers(snap), heads = num_heads(snap);
  if (layers == 0 || heads == 0) return;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float label_w = ImGui::CalcTextSize("L00 ").x + 4, label_h = ImGui::GetTextLineHeightWithSpacing();
  GridGeometry g;
  g.layers = layers;
  g.heads = heads;
  g.gap = 4;
  g.thumb = std::floor(std::min((avail.x - label_w - 16) / static_cast<float>(heads) - g.gap,
                                (avail.y - label_h - 8) / static_cast<float>(layers) - g.gap));
  g.thumb = std::clamp(g.thumb, 28.0f, 200.0f);
  const float grid_w = static_cast<float>(heads) * (g.thumb + g.gap), grid_h = static_cast<float>(layers) * (g.thumb + g.gap);

  ImGui::BeginChild("grid", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
  const ImVec2 top = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  for (int h = 0; h < heads; ++h) {
    const std::string t = "H" + std::to_string(h);
    dl->AddText(ImVec2(top.x + label_w + static_cast<float>(h) * (g.thumb + g.gap) +
                           (g.thumb - ImGui::CalcTextSize(t.c_str()).x) / 2,
                       top.y),
                ImGui::GetColorU32(ImGuiCol_TextDisabled), t.c_str());
  }
  const ImVec2 origin(top.x + label_w, top.y + label_h);
  for (int l = 0; l < layers; ++l) {
    const std::string t = "L" + std::to_string(l);
    dl->AddText(ImVec2(top.x, origin.y + static_cast<float>(l) * (g.thumb + g.gap) + g.thumb / 2 - label_h / 2),
                ImGui::GetColorU32(ImGuiCol_TextDisabled), t.c_str());
  }
  const ImGuiIO& io = ImGui::GetIO();
  const float sx = io.DisplayFramebufferScale.x, sy = io.DisplayFramebufferScale.y;
  std::vector<HeatmapWidgets::Tile> tiles;
  uint64_t key = hash_combine(state.slots[static_cast<size_t>(slot)].sequence, static_cast<uint64_t>(variant));
  const int64_t thumb_side = std::max<int64_t>(32, static_cast<int64_t>(g.thumb * sx));
  for (int l = 0; l < layers; ++l) {
    for (int h = 0; h < heads; ++h) {
      MapRequest r;
      r.slot = slot;
      r.sequence = state.slots[static_cast<size_t>(slot)].sequence;
      r.layer = l;
      r.head = h;
      r.variant = variant;
      r.row_normalize = state.settings.display.row_normalize;
      r.hide_sink = state.settings.display.hide_sink;
      r.max_side = thumb_side;  // thumbnails are max-pooled to about their pixel size
      const ShownMap* m = cache.get(state.slots[static_cast<size_t>(slot)].snapshot, r);
      if (m == nullptr) continue;
      HeatmapWidgets::Tile tile;
      tile.texture = &m->texture;
      tile.style.colormap = colormap_for(m->signed_values, state.settings.display);
      tile.style.scale = display_scale(m->range, state.settings.display);
      tile.style.shade_masked = state.settings.display.shade_masked;
      tile.style.window = m->window;
      tile.style.grid_lines = false;
      tile.style.view = CellRect{0, 0, static_cast<double>(m->texture.cols()), static_cast<double>(m->texture.rows())};
      tile.x = static_cast<int>(std::lround(static_cast<float>(h) * (g.thumb + g.gap) * sx));
      tile.y = static_cast<int>(std::lround(static_cast<float>(l) * (g.thumb + g.gap) * sy));
      tile.w = static_cast<int>(std::lround(g.thumb * sx));
      tile.h = static_cast<int>(std::lround(g.thumb * sy));
      key = hash_combine(key, hash_draw(tile.style, m->texture.id()));
      tiles.push_back(tile);
    }
  }
  const int tw = static_cast<int>(std::lround(grid_w * sx)), th = static_cast<int>(std::lround(grid_h * sy));
  key = hash_combine(key, static_cast<uint64_t>(tw) << 32 | static_cast<uint64_t>(th));
  const GLuint texture = widgets.render_tiles("grid", tw, th, tiles, key);
  ImGui::SetCursorScreenPos(origin);
  ImGui::InvisibleButton("grid_area", ImVec2(grid_w, grid_h));
  dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(texture)), origin,
               ImVec2(origin.x + grid_w, origin.y + grid_h), ImVec2(0, 1), ImVec2(1, 0));
  const Selection sel = state.settings.selection;
  if (slot == kSlotDiff || !state.settings.head_mean) {
    const AttentionSnapshot* diff_snap = slot_snapshot(state, kSlotDiff);
    const int diff_heads = diff_snap ? num_heads(diff_snap) : heads;
    const int sel_head = slot == kSlotDiff                    ? sel.head
                         : state.settings.follow_diff_head ? paired_head(sel.head, diff_heads, heads)
                                                           : std::clamp(state.settings.standard_head, 0, heads - 1);
    const int sel_layer = slot == kSlotDiff ? sel.layer
                                            : paired_layer(sel.layer, num_layers(slot_snapshot(state, kSlotDiff)),
                                                           layers);
    const ImVec2 a(origin.x + static_cast<float>(sel_head) * (g.thumb + g.gap) - 2,
                   origin.y + static_cast<float>(sel_layer) * (g.thumb + g.gap) - 2);
    dl->AddRect(a, ImVec2(a.x + g.thumb + 4, a.y + g.thumb + 4), IM_COL32(255, 210, 80, 255), 0, 0, 2.0f);
  }
  if (ImGui::IsItemHovered()) {
    const std::optional<Selection> at = grid_cell_at(g, io.MousePos.x - origin.x, io.MousePos.y - origin.y);
    if (at) {
      const ImVec2 a(origin.x + static_cast<float>(at->head) * (g.thumb + g.gap) - 1,
                     origin.y + static_cast<float>(at->layer) * (g.thumb + g.gap) - 1);
      dl->AddRect(a, ImVec2(a.x + g.thumb + 2, a.y + g.thumb + 2), IM_COL32(255, 255, 255, 200));
      const MapKind kind = variant == MapVariant::A1   ? MapKind::A1
                           : variant == MapVariant::A2 ? MapKind::A2
                           : variant == MapVariant::Diff ? MapKind::Diff
                                                         : MapKind::Standard;
      ImGui::BeginTooltip();
      ImGui::Text("%s  layer %d  head %d  (%s)", slot == kSlotDiff ? "A" : "B", at->layer, at->head,
                  variant_title(variant));
      for (Stat st : {Stat::Entropy, Stat::SinkMass, Stat::MaxAttention, Stat::Signal, Stat::Noise}) {
        ImGui::Text("%-14s %.4f", stat_name(st), head_stat(*snap, st, kind, at->layer, at->head));
      }
      ImGui::TextDisabled("click to open");
      ImGui::EndTooltip();
      if (ImGui::IsItemClicked(ImGuiMouseButton_Left)) {
        if (slot == kSlotDiff) {
          state.settings.selection = Selection{at->layer, at->head};
          state.settings.layout = Layout::Decomposition;
        } else {
          state.settings.follow_diff_head = false;
          state.settings.head_mean = false;
          state.settings.standard_head = at->head;
          // Select the Diff layer paired with this standard layer when depths differ (nearest relative depth).
          const int a_layers = num_layers(slot_snapshot(state, kSlotDiff));
          int best = at->layer;
          if (a_layers > 0) {
            best = 0;
            for (int l = 0; l < a_layers; ++l) {
              if (std::abs(paired_layer(l, a_layers, layers) - at->layer) <
                  std::abs(paired_layer(best, a_layers, layers) - at->layer))
                best = l;
            }
          }
          state.settings.selection.layer = best;
          state.settings.layout = Layout::Comparison;
        }
        state.focused.valid = false;
      }
    }
  }
  ImGui::EndChild();
}

}  // namespace

ColorScale display_scale(const ColorScale& fitted_range, const DisplaySettings& display) {
  ColorScale s = fitted_range;
  s.mode = display.mode;
  s.gamma = display.gamma;
  s.log_floor = display.log_floor;
  if (!s.diverging && display.mode == ColorScale::Mode::Log) s.vmin = std::max(s.vmin, display.log_floor);
  return s;
}

void comparison_pair(const UiState& state, int* standard_layer, int* standard_head) {
  const AttentionSnapshot* a = slot_snapshot(state, kSlotDiff);
  const AttentionSnapshot* b = slot_snapshot(state, kSlotStandard);
  const int b_layers = num_layers(b), a_layers = a ? num_layers(a) : b_layers;
  *standard_layer = paired_layer(state.settings.selection.layer, a_layers, b_layers);
  const int b_heads = num_heads(b), a_heads = a ? num_heads(a) : b_heads;
  *standard_head = state.settings.follow_diff_head ? paired_head(state.settings.selection.head, a_heads, b_heads)
                                                    : std::clamp(state.settings.standard_head, 0,
                                                                 std::max(0, num_heads(b) - 1));
}

FocusedMap default_focus(const UiState& state) {
  FocusedMap f;
  const Selection sel = state.settings.selection;
  const int slot = slot_snapshot(state, kSlotDiff) ? kSlotDiff : kSlotStandard;
  const AttentionSnapshot* snap = slot_snapshot(state, slot);
  if (snap == nullptr) return f;
  f.request.slot = slot;
  f.request.sequence = state.slots[static_cast<size_t>(slot)].sequence;
  f.request.layer = sel.layer;
  f.request.head = sel.head;
  f.request.variant = snap->model.kind == AttentionKind::Differential ? MapVariant::Diff : MapVariant::Standard;
  f.request.row_normalize = state.settings.display.row_normalize;
  f.request.hide_sink = state.settings.display.hide_sink;
  f.title = variant_title(f.request.variant);
  f.valid = true;
  return f;
}

bool shows_lambda_strip(const UiState& state) {
  const LambdaSummary* lambda = slot_lambda_summary(state, kSlotDiff);
  const int layer = state.settings.selection.layer, head = state.settings.selection.head;
  return state.settings.layout == Layout::Decomposition && lambda && lambda->layer_varies_by_row(layer) && head >= 0 &&
         !lambda->range(layer, head).empty();
}

float layout_preferred_height(const UiState& state, float width) {
  const int n = panels_in_layout(state);
  if (n == 0) return 1e9f;
  if (shows_lambda_strip(state)) width -= lambda_strip_width() + panel_gap();
  const float side = (width - static_cast<float>(n) * colorbar_width() - static_cast<float>(n - 1) * panel_gap()) /
                     static_cast<float>(n);
  return side + ImGui::GetTextLineHeightWithSpacing() + ImGui::GetFrameHeightWithSpacing() +
         ImGui::GetStyle().ItemSpacing.y * 2 + 6;
}

void draw_map_layouts(UiState& state, UiActions& actions, MapCache& cache, HeatmapWidgets& widgets,
                      WindowFetcher& fetcher) {
  fit_view_to_tokens(state);
  if (shows_previous_prompt(state)) {
    ImGui::TextColored(ImVec4(0.95f, 0.8f, 0.3f, 1), "%s", slot_result(state, slot_snapshot(state, kSlotDiff)
                                                                          ? kSlotDiff : kSlotStandard).message.c_str());
  }
  const float height = ImGui::GetContentRegionAvail().y;
  switch (state.settings.layout) {
    case Layout::Decomposition: draw_decomposition(state, actions, cache, widgets, fetcher, height); break;
    case Layout::Comparison: draw_comparison(state, actions, cache, widgets, fetcher, height); break;
    case Layout::Grid:
      state.hover_cell.reset();
      draw_grid(state, cache, widgets);
      break;
  }
}

}  // namespace diffscope::ui
