// The head-effect scan's panel, heatmap window and exports (head_scan_view.h). Main (UI) thread.
#include "head_scan_view.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "colormap.h"
#include "errors.h"
#include "unique_path.h"

namespace diffscope::ui {

namespace {

const char* slot_name(int slot) { return slot == kSlotDiff ? "A" : "B"; }

// The scan's (layers, heads): the slot's model, else the largest indices scanned.
void scan_dims(const SlotState& s, int* layers, int* heads) {
  *layers = s.info ? s.info->num_layers : 0;
  *heads = s.info ? s.info->num_heads : 0;
  if (!s.scan) return;
  for (const HeadEffect& e : s.scan->effects) {
    *layers = std::max(*layers, e.layer + 1);
    *heads = std::max(*heads, e.head + 1);
  }
}

}  // namespace

ScanRequest make_scan_request(const UiState& state, int slot, const std::string& what) {
  ScanRequest r;
  r.slot = slot;
  r.prompt = make_run_request(state);
  r.target_text = state.what_if.target_text;
  r.options = scan_what(what);
  return r;
}

void open_scanned_head(UiState& state, int slot, int layer, int head) {
  state.settings.selection.layer = layer;
  if (slot == kSlotDiff) {
    state.settings.selection.head = head;
    state.settings.layout = Layout::Decomposition;
  } else {
    state.settings.follow_diff_head = false;
    state.settings.standard_head = head;
    state.settings.layout = Layout::Comparison;
  }
  state.focused.valid = false;
}

bool export_head_scan(const UiState& state, int slot, const std::string& kind, const std::string& folder,
                      std::string* message) {
  const SlotState& s = state.slots[static_cast<size_t>(slot)];
  if (!s.scan) {
    *message = "no scan of slot " + std::string(slot_name(slot)) + " to export: press Scan first";
    return false;
  }
  const std::string dir = folder.empty() ? "." : folder;
  const std::string path = unique_path(dir + "/head_scan_" + slot_name(slot) + "." + kind);
  try {
    if (kind == "csv") {
      write_head_scan_csv(path, *s.scan);
    } else if (kind == "json") {
      write_head_scan_json(path, *s.scan, s.info ? s.info->name : std::string());
    } else if (kind == "png") {
      int layers = 0, heads = 0;
      scan_dims(s, &layers, &heads);
      write_head_scan_png(path, *s.scan, layers, heads);
    } else {
      *message = "unknown scan export \"" + kind + "\" (csv, json or png)";
      return false;
    }
  } catch (const std::exception& e) {
    *message = e.what();
    return false;
  }
  *message = "wrote " + path;
  return true;
}

void draw_scan_panel(UiState& state, UiActions& actions) {
  WhatIfUi& w = state.what_if;
  const bool b_loaded = state.slots[kSlotStandard].info.has_value();
  if (!b_loaded) w.scan_slot = kSlotDiff;
  ImGui::RadioButton("A##scan", &w.scan_slot, kSlotDiff);
  ImGui::SameLine();
  if (b_loaded) {
    ImGui::RadioButton("B##scan", &w.scan_slot, kSlotStandard);
    ImGui::SameLine();
  }
  const SlotState& s = state.slots[static_cast<size_t>(w.scan_slot)];
  const std::vector<std::string> choices =
      scan_what_choices(s.info && s.info->kind == AttentionKind::Differential);
  w.scan_what = std::clamp(w.scan_what, 0, static_cast<int>(choices.size()) - 1);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
  if (ImGui::BeginCombo("##what", choices[static_cast<size_t>(w.scan_what)].c_str())) {
    for (size_t i = 0; i < choices.size(); ++i) {
      if (ImGui::Selectable(choices[i].c_str(), static_cast<int>(i) == w.scan_what)) w.scan_what = static_cast<int>(i);
    }
    ImGui::EndCombo();
  }
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("What each head gets, alone: lambda0 (lambda = 0, only A1), only=A2, or its output ablated "
                      "(zero, or its mean over the prompt)");
  }
  ImGui::SameLine();
  const bool can_scan = s.phase == SlotState::Phase::Ready && !s.running && !state.settings.prompt.empty();
  if (!can_scan) ImGui::BeginDisabled();
  if (ImGui::Button("Scan every head")) {
    try {
      actions.scan = make_scan_request(state, w.scan_slot, choices[static_cast<size_t>(w.scan_what)]);
      w.show_scan = true;
    } catch (const std::exception& e) {
      state.export_message = e.what();
      state.export_failed = true;
    }
  }
  if (!can_scan) ImGui::EndDisabled();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) {
    ImGui::SetTooltip("Each head of slot %s alone gets the intervention; the heads are ranked by how far the target's "
                      "log-probability moves (the What-if target, or the next token)", slot_name(w.scan_slot));
  }
  if (s.scanning) {
    ImGui::ProgressBar(std::max(0.0f, s.progress), ImVec2(ImGui::GetContentRegionAvail().x * 0.6f, 0));
    ImGui::SameLine();
    if (ImGui::Button("Cancel##scan")) actions.cancel_run = true;
  }
  if (!s.scan_message.empty()) {
    ImGui::PushTextWrapPos(0);
    if (s.scan_error.empty()) ImGui::TextDisabled("%s", s.scan_message.c_str());
    else ImGui::TextColored(ImVec4(1, 0.45f, 0.4f, 1), "%s", s.scan_message.c_str());
    ImGui::PopTextWrapPos();
  }
  if (s.scan) ImGui::Checkbox("show the scan's heatmap", &w.show_scan);
}

void draw_head_scan_window(UiState& state) {
  WhatIfUi& w = state.what_if;
  const int slot = w.scan_slot;
  const SlotState& s = state.slots[static_cast<size_t>(slot)];
  if (!w.show_scan || !s.scan) return;
  int layers = 0, heads = 0;
  scan_dims(s, &layers, &heads);
  if (layers == 0 || heads == 0) return;
  const HeadScan& scan = *s.scan;
  std::vector<const HeadEffect*> grid(static_cast<size_t>(layers * heads), nullptr);
  std::vector<int> rank(grid.size(), 0);
  double largest = 0;
  for (size_t i = 0; i < scan.effects.size(); ++i) {
    const HeadEffect& e = scan.effects[i];
    const size_t at = static_cast<size_t>(e.layer * heads + e.head);
    grid[at] = &e;
    rank[at] = static_cast<int>(i) + 1;
    if (std::isfinite(e.delta())) largest = std::max(largest, std::abs(e.delta()));
  }
  const float font = ImGui::GetFontSize();
  const float cell = std::clamp(font * 24 / static_cast<float>(std::max(heads, layers)), font * 0.6f, font * 2.2f);
  ImGui::SetNextWindowPos(ImVec2(ImGui::GetIO().DisplaySize.x * 0.45f, font * 6), ImGuiCond_FirstUseEver);
  if (!ImGui::Begin("Head-effect scan", &w.show_scan, ImGuiWindowFlags_AlwaysAutoResize)) {
    ImGui::End();
    return;
  }
  ImGui::Text("slot %s, %s: change in log p(target), %lld prompt tokens", slot_name(slot),
              scan_what_name(scan.what, scan.value).c_str(), static_cast<long long>(scan.prompt_tokens));
  if (s.scan_prompt_id != state.prompt_id) {
    ImGui::TextColored(ImVec4(0.95f, 0.8f, 0.3f, 1), "of an earlier prompt: Scan again for this one");
  }
  ImGui::TextDisabled("rows: layers, columns: heads; blue: the target lost, red: it gained (+-%.3g nats). Click a "
                      "head to open it.", largest);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float label_w = font * 2.2f;
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImVec2 grid_origin(origin.x + label_w, origin.y + font * 1.2f);
  for (int h = 0; h < heads; h += std::max(1, heads / 8)) {
    draw->AddText(ImVec2(grid_origin.x + h * cell, origin.y), ImGui::GetColorU32(ImGuiCol_TextDisabled),
                  std::to_string(h).c_str());
  }
  for (int l = 0; l < layers; ++l) {
    draw->AddText(ImVec2(origin.x, grid_origin.y + l * cell + (cell - font) / 2),
                  ImGui::GetColorU32(ImGuiCol_TextDisabled), ("L" + std::to_string(l)).c_str());
    for (int h = 0; h < heads; ++h) {
      const HeadEffect* e = grid[static_cast<size_t>(l * heads + h)];
      ImU32 colour = IM_COL32(60, 60, 60, 255);
      if (e != nullptr && std::isfinite(e->delta())) {
        const float t = largest > 0 ? static_cast<float>(0.5 + 0.5 * e->delta() / largest) : 0.5f;
        const auto rgb = colormap_sample(Colormap::RdBu, t);
        colour = IM_COL32(rgb[0], rgb[1], rgb[2], 255);
      }
      const ImVec2 a(grid_origin.x + h * cell, grid_origin.y + l * cell);
      draw->AddRectFilled(a, ImVec2(a.x + cell - 1, a.y + cell - 1), colour);
    }
  }
  ImGui::SetCursorScreenPos(grid_origin);
  ImGui::InvisibleButton("scan_grid", ImVec2(heads * cell, layers * cell));
  if (ImGui::IsItemHovered()) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    const int h = static_cast<int>((m.x - grid_origin.x) / cell), l = static_cast<int>((m.y - grid_origin.y) / cell);
    if (l >= 0 && l < layers && h >= 0 && h < heads) {
      const ImVec2 a(grid_origin.x + h * cell, grid_origin.y + l * cell);
      draw->AddRect(a, ImVec2(a.x + cell - 1, a.y + cell - 1), IM_COL32(255, 220, 80, 255), 0, 0, 2);
      if (const HeadEffect* e = grid[static_cast<size_t>(l * heads + h)]) {
        ImGui::SetTooltip("L%d.H%d (rank %d of %zu)\ndelta log p %+.4f (%.4f -> %.4f)\nKL(clean || changed) %.4f\n"
                          "rank of the target's first token %lld -> %lld\nclick: open this head",
                          l, h, rank[static_cast<size_t>(l * heads + h)], scan.effects.size(), e->delta(),
                          e->logprob_clean, e->logprob_changed, e->kl, static_cast<long long>(e->rank_clean),
                          static_cast<long long>(e->rank_changed));
        if (ImGui::IsItemClicked()) open_scanned_head(state, slot, l, h);
      }
    }
  }
  ImGui::TextDisabled("top:");
  for (size_t i = 0; i < std::min<size_t>(5, scan.effects.size()); ++i) {
    const HeadEffect& e = scan.effects[i];
    ImGui::SameLine();
    ImGui::Text("L%d.H%d %+.2f", e.layer, e.head, e.delta());
  }
  for (const char* kind : {"csv", "json", "png"}) {
    if (kind[0] != 'c') ImGui::SameLine();
    if (ImGui::Button((std::string("Export ") + kind).c_str())) {
      std::string message;
      const bool ok = export_head_scan(state, slot, kind, state.settings.export_dir, &message);
      state.export_message = message;
      state.export_failed = !ok;
    }
  }
  if (!state.export_message.empty()) ImGui::TextDisabled("%s", state.export_message.c_str());
  ImGui::End();
}

}  // namespace diffscope::ui
