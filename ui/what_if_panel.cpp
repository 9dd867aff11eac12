// The What-if section of the side panel and the what-if map view (what_if_panel.h). Main (UI) thread.
#include "what_if_panel.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>

#include "hover_info.h"
#include "item_tooltip.h"
#include "map_layouts.h"
#include "slot_results.h"

namespace diffscope::ui {

namespace {

const LayerCapture* layer_of(const UiState& state, int slot, int layer) {
  const SlotState& s = state.slots[static_cast<size_t>(slot)];
  if (!s.snapshot || layer < 0 || layer >= static_cast<int>(s.snapshot->layers.size())) return nullptr;
  return &s.snapshot->layers[static_cast<size_t>(layer)];
}

std::string token_label(const WhatIf& w, int64_t id) {
  const auto it = w.token_text.find(id);
  return "\"" + (it == w.token_text.end() ? std::to_string(id) : it->second) + "\"";
}

void draw_prediction(const UiState& state, int slot) {
  const SlotState& s = state.slots[static_cast<size_t>(slot)];
  if (!s.what_if_error.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(ImVec4(1, 0.45f, 0.4f, 1), "what-if: %s", s.what_if_error.c_str());
    ImGui::PopTextWrapPos();
    return;
  }
  if (!s.what_if) {
    ImGui::TextDisabled(s.running ? "running..." : "no what-if run yet (add an intervention)");
    return;
  }
  const WhatIf& w = *s.what_if;
  const PredictionShift& p = w.shift;
  std::string target = w.target_text.empty() ? token_label(w, w.target_ids.front()) + " (next token)"
                                             : "\"" + w.target_text + "\"";
  if (w.target_span) {
    target = "span R, tokens " + std::to_string(w.target_span->begin) + ".." + std::to_string(w.target_span->end - 1);
  }
  ImGui::Text("target %s", target.c_str());
  ImGui::Text("log p %.4f -> %.4f  (%+.4f)", p.target_logprob_clean, p.target_logprob_changed,
              p.target_logprob_changed - p.target_logprob_clean);
  ImGui::Text("rank %lld -> %lld   KL(clean || changed) %.4f nats", static_cast<long long>(p.target_rank_clean),
              static_cast<long long>(p.target_rank_changed), p.kl);
  if (ImGui::BeginTable("prediction", 3, ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_RowBg |
                                             ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("#", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableSetupColumn("clean");
    ImGui::TableSetupColumn("changed");
    ImGui::TableHeadersRow();
    const size_t n = std::max(p.top_clean.size(), p.top_changed.size());
    for (size_t i = 0; i < n; ++i) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%zu", i + 1);
      for (const auto* top : {&p.top_clean, &p.top_changed}) {
        ImGui::TableNextColumn();
        if (i < top->size()) {
          const TokenProbability& t = (*top)[i];
          const bool is_target = !w.target_span && t.id == w.target_ids.front();  // a span is not the next token
          if (is_target) ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.85f, 0.4f, 1));
          ImGui::Text("%s %.3f", token_label(w, t.id).c_str(), t.probability);
          if (is_target) ImGui::PopStyleColor();
        }
      }
    }
    ImGui::EndTable();
  }
}

}  // namespace

void what_if_target_head(const UiState& state, int slot, int* layer, int* head) {
  if (slot == kSlotStandard && slot_snapshot(state, kSlotStandard) != nullptr) {
    comparison_pair(state, layer, head);
    return;
  }
  *layer = state.settings.selection.layer;
  *head = state.settings.selection.head;
}

void apply_what_if_view(UiState& state) {
  WhatIfUi& w = state.what_if;
  w.clean_behind = {};
  w.changed_behind = {};
  w.view_note.clear();
  if (w.view == WhatIfView::Clean) return;
  std::string shown;
  for (int slot = 0; slot < kNumSlots; ++slot) {
    SlotState& s = state.slots[static_cast<size_t>(slot)];
    if (!s.snapshot || !s.what_if || !s.what_if->changed || !has_dense_maps(*s.snapshot)) continue;
    std::string specs;
    for (const Intervention& iv : s.what_if->interventions) {
      specs += (specs.empty() ? "" : ", ") + intervention_spec(iv);
    }
    shown += std::string(shown.empty() ? "" : "; ") + (slot == kSlotDiff ? "A: " : "B: ") + specs;
    if (w.view == WhatIfView::Changed) {
      s.snapshot = s.what_if->changed;
      s.sequence |= uint64_t{1} << 62;  // its own textures: a sequence the clean run never has
      continue;
    }
    SnapshotPtr& difference = w.difference[static_cast<size_t>(slot)];
    if (w.difference_of[static_cast<size_t>(slot)] != s.sequence) {  // a new run (sequence grows with each)
      w.difference_of[static_cast<size_t>(slot)] = s.sequence;
      difference = difference_snapshot(*s.snapshot, *s.what_if->changed);
    }
    if (!difference) continue;
    w.clean_behind[static_cast<size_t>(slot)] = s.snapshot;
    w.changed_behind[static_cast<size_t>(slot)] = s.what_if->changed;
    s.snapshot = difference;
    s.sequence |= uint64_t{1} << 61;  // and the difference another
  }
  if (shown.empty()) {
    w.view_note = "maps: the clean run (no what-if run with dense maps to show)";
  } else {
    w.view_note = std::string(w.view == WhatIfView::Changed ? "maps: the what-if's changed run"
                                                             : "maps: changed run - clean run (diverging)") +
                  " of " + shown;
  }
}

void draw_difference_hover(const UiState& state, int layer, int head, int standard_layer, int standard_head,
                           int64_t row, int64_t col) {
  const WhatIfUi& w = state.what_if;
  if (w.view != WhatIfView::Difference) return;
  const auto line = [](const char* name, const std::optional<float>& clean, const std::optional<float>& changed) {
    if (clean && changed) ImGui::Text("%-8s %s", name, difference_hover_text(*clean, *changed).c_str());
  };
  const AttentionSnapshot* clean_a = w.clean_behind[kSlotDiff].get();
  const AttentionSnapshot* changed_a = w.changed_behind[kSlotDiff].get();
  if (clean_a && changed_a && clean_a->model.kind == AttentionKind::Differential) {
    ImGui::TextDisabled("A  what-if: changed - clean");
    line("A1", map_value(*clean_a, MapKind::A1, layer, head, row, col),
         map_value(*changed_a, MapKind::A1, layer, head, row, col));
    line("A2", map_value(*clean_a, MapKind::A2, layer, head, row, col),
         map_value(*changed_a, MapKind::A2, layer, head, row, col));
    line("D", map_value(*clean_a, MapKind::Diff, layer, head, row, col),
         map_value(*changed_a, MapKind::Diff, layer, head, row, col));
  }
  const AttentionSnapshot* clean_b = w.clean_behind[kSlotStandard].get();
  const AttentionSnapshot* changed_b = w.changed_behind[kSlotStandard].get();
  if (clean_b && changed_b) {
    ImGui::TextDisabled("B  what-if: changed - clean");
    line("weight", map_value(*clean_b, MapKind::Standard, standard_layer, standard_head, row, col),
         map_value(*changed_b, MapKind::Standard, standard_layer, standard_head, row, col));
  }
}

void draw_what_if_panel(UiState& state) {
  WhatIfUi& w = state.what_if;
  const bool b_loaded = state.slots[kSlotStandard].info.has_value();
  if (!b_loaded) w.slot = kSlotDiff;
  ImGui::RadioButton("slot A", &w.slot, kSlotDiff);
  ImGui::SameLine();
  if (b_loaded) ImGui::RadioButton("slot B", &w.slot, kSlotStandard);
  const SlotState& s = state.slots[static_cast<size_t>(w.slot)];
  if (!s.info) {
    ImGui::TextDisabled("load a model into slot %s first", w.slot == kSlotDiff ? "A" : "B");
    return;
  }
  const bool diff = s.info->kind == AttentionKind::Differential;
  int layer = 0, head = 0;
  what_if_target_head(state, w.slot, &layer, &head);
  ImGui::SameLine();
  ImGui::Text(w.whole_layer ? "L%d, every head" : "L%d.H%d", layer, head);
  ImGui::Checkbox("all heads of this layer", &w.whole_layer);
  item_tooltip("The buttons below act on every head of the selected layer (L<l>.H*) instead of the selected head.");

  std::vector<Intervention>& list = w.interventions[static_cast<size_t>(w.slot)];
  bool changed = false;
  const auto add = [&](Intervention::What what, double value) {
    add_intervention(list, make_intervention(layer, head, w.whole_layer, what, value));
    changed = true;
  };
  const float field_w = ImGui::GetFontSize() * 5;
  if (diff) {
    ImGui::SetNextItemWidth(field_w);
    ImGui::InputFloat("##lambda", &w.lambda_value, 0, 0, "%.3f");
    ImGui::SameLine();
    if (ImGui::Button("lambda =")) add(Intervention::What::Lambda, w.lambda_value);
    item_tooltip("Override the head's lambda with this value for every row (D = A1 - value * A2).");
    ImGui::SameLine();
    if (ImGui::Button("lambda = 0")) add(Intervention::What::Lambda, 0);
    item_tooltip("lambda = 0: the head outputs plain A1 V (no subtraction).");
    const LayerCapture* lc = layer_of(state, w.slot, layer);
    if (lc != nullptr && lc->lambda_init != 0) {
      ImGui::SameLine();
      char label[48];
      std::snprintf(label, sizeof label, "= init %.3f", lc->lambda_init);
      if (ImGui::Button(label)) add(Intervention::What::Lambda, lc->lambda_init);
      item_tooltip("lambda = lambda_init of this layer (0.8 - 0.6 exp(-0.3 depth)): the learnt part of lambda "
                   "removed.");
    }
    ImGui::SetNextItemWidth(field_w);
    ImGui::InputFloat("##scale", &w.lambda_scale, 0, 0, "%.3f");
    ImGui::SameLine();
    if (ImGui::Button("lambda x")) add(Intervention::What::LambdaScale, w.lambda_scale);
    item_tooltip("Multiply the head's lambda by this factor.");
    ImGui::SameLine();
    if (ImGui::Button("only A1")) add(Intervention::What::OnlyA1, 0);
    item_tooltip("The head outputs A1 V alone (lambda 0).");
    ImGui::SameLine();
    if (ImGui::Button("only A2")) add(Intervention::What::OnlyA2, 0);
    item_tooltip("The head outputs A2 V alone (what it subtracts).");
  }
  if (ImGui::Button("ablate zero")) add(Intervention::What::AblateZero, 0);
  item_tooltip("The head's output is 0 before o_proj.");
  ImGui::SameLine();
  if (ImGui::Button("ablate mean")) add(Intervention::What::AblateMean, 0);
  item_tooltip("The head's output at every position is its mean over the prompt's positions.");

  ImGui::Text("active in slot %s:", w.slot == kSlotDiff ? "A" : "B");
  if (list.empty()) {
    ImGui::SameLine();
    ImGui::TextDisabled("none (the clean run only)");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    ImGui::PushID(static_cast<int>(i));
    if (ImGui::SmallButton("x")) {
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
      changed = true;
      ImGui::PopID();
      break;
    }
    item_tooltip("Remove this intervention");
    ImGui::SameLine();
    ImGui::TextUnformatted(intervention_spec(list[i]).c_str());
    ImGui::PopID();
  }
  if (!list.empty() && ImGui::SmallButton("remove all")) {
    list.clear();
    changed = true;
  }

  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.6f);
  if (ImGui::InputTextWithHint("target answer", "the next token", &w.target_edit,
                               ImGuiInputTextFlags_EnterReturnsTrue) ||
      (ImGui::IsItemDeactivated() && w.target_edit != w.target_text)) {
    w.target_text = w.target_edit;
    changed = true;
  }
  item_tooltip("An answer text after the prompt (e.g. \" 4721\"), scored teacher-forced: its log-probability summed "
               "over its tokens, and the rank of its first. Enter applies it. Empty: the clean run's most likely "
               "next token.");
  if (ImGui::Checkbox("span R as the target", &w.target_span)) changed = true;
  item_tooltip("Score the marked span R instead (answer tokens the prompt already holds, e.g. the needle's number "
               "after the question): each of its tokens given the prompt before it, from the same runs. Mark the "
               "span by dragging over tokens or with the find box's \"mark R\".");

  int view = static_cast<int>(w.view);
  ImGui::Text("maps:");
  ImGui::SameLine();
  ImGui::RadioButton("clean", &view, 0);
  ImGui::SameLine();
  ImGui::RadioButton("changed", &view, 1);
  ImGui::SameLine();
  ImGui::RadioButton("changed - clean", &view, 2);
  item_tooltip("Which run the maps and statistics show for slots with a what-if run: the clean one, the intervened "
               "one, or the intervened run's maps minus the clean run's (diverging colours). Prompts with dense maps "
               "only.");
  w.view = static_cast<WhatIfView>(view);

  if (changed) state.submit_now = true;
  ImGui::Separator();
  draw_prediction(state, w.slot);
}

}  // namespace diffscope::ui
