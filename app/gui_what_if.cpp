// Headless what-if and scan steps, and their --state-json (gui_what_if.h). Main thread.
#include "gui_what_if.h"

#include "head_scan_view.h"

namespace diffscope {

namespace {

// "A:rest" / "B:rest" / "rest" (slot A).
int slot_prefix(const std::string& value, std::string* rest) {
  if (value.size() >= 2 && (value[0] == 'A' || value[0] == 'B') && value[1] == ':') {
    *rest = value.substr(2);
    return value[0] == 'A' ? ui::kSlotDiff : ui::kSlotStandard;
  }
  *rest = value;
  return ui::kSlotDiff;
}

}  // namespace

bool apply_what_if_step(ui::UiState& state, SlotProvider& slots, const std::string& kind, const std::string& value,
                        const std::string& export_dir, std::string* message) {
  ui::WhatIfUi& w = state.what_if;
  std::string rest;
  try {
    if (kind == "intervene") {  // a What-if button on the selected head, or the list's "remove all"
      const int slot = slot_prefix(value, &rest);
      auto& list = w.interventions[static_cast<size_t>(slot)];
      if (rest == "clear") list.clear();
      else ui::add_intervention(list, parse_intervention(rest));
      w.slot = slot;
      state.submit_now = true;
    } else if (kind == "target") {  // typed into the target field, then Enter
      w.target_text = w.target_edit = value;
      state.submit_now = true;
    } else if (kind == "target-span") {  // the "span R as the target" checkbox
      if (value != "on" && value != "off") {
        *message = "target-span= takes on or off, got '" + value + "'";
        return false;
      }
      w.target_span = value == "on";
      state.submit_now = true;
    } else if (kind == "what-if-view") {
      if (value == "clean") w.view = ui::WhatIfView::Clean;
      else if (value == "changed") w.view = ui::WhatIfView::Changed;
      else if (value == "difference") w.view = ui::WhatIfView::Difference;
      else {
        *message = "what-if-view= takes clean, changed or difference, got '" + value + "'";
        return false;
      }
    } else if (kind == "scan") {  // the scan's slot and choice, then "Scan every head"
      const int slot = slot_prefix(value, &rest);
      slots.scan(ui::make_scan_request(state, slot, rest.empty() ? "lambda0" : rest));
      w.scan_slot = slot;
      w.show_scan = true;
    } else if (kind == "scan-export") {  // the scan window's Export buttons
      size_t begin = 0;
      bool ok = true;
      while (begin <= value.size()) {
        const size_t end = std::min(value.find(',', begin), value.size());
        std::string one;
        ok = ui::export_head_scan(state, w.scan_slot, value.substr(begin, end - begin), export_dir, &one) && ok;
        *message += (message->empty() ? "" : "; ") + one;
        begin = end + 1;
      }
      return ok;
    } else if (kind == "scan-open") {  // a click on the heatmap's cell
      int layer = 0, head = 0;
      if (std::sscanf(value.c_str(), "%d,%d", &layer, &head) != 2) {
        *message = "scan-open= takes LAYER,HEAD, got '" + value + "'";
        return false;
      }
      ui::open_scanned_head(state, w.scan_slot, layer, head);
    }
  } catch (const std::exception& e) {
    *message = kind + "=" + value + ": " + e.what();
    return false;
  }
  return true;
}

nlohmann::json what_if_state_json(const ui::UiState& state) {
  nlohmann::json j;
  j["view"] = ui::what_if_view_name(state.what_if.view);
  j["target_text"] = state.what_if.target_text;
  j["target_span"] = state.what_if.target_span;
  for (int slot = 0; slot < kNumSlots; ++slot) {
    const SlotState& s = state.slots[static_cast<size_t>(slot)];
    nlohmann::json js;
    nlohmann::json specs = nlohmann::json::array();
    for (const Intervention& iv : state.what_if.interventions[static_cast<size_t>(slot)]) {
      specs.push_back(intervention_spec(iv));
    }
    js["interventions"] = specs;
    js["error"] = s.what_if_error;
    if (s.what_if) {
      const PredictionShift& p = s.what_if->shift;
      const auto top = [](const std::vector<TokenProbability>& list) {
        nlohmann::json out = nlohmann::json::array();
        for (const TokenProbability& t : list) out.push_back({t.id, t.probability});
        return out;
      };
      nlohmann::json run_specs = nlohmann::json::array();
      for (const Intervention& iv : s.what_if->interventions) run_specs.push_back(intervention_spec(iv));
      js["ran"] = run_specs;
      js["top_clean"] = top(p.top_clean);
      js["top_changed"] = top(p.top_changed);
      js["kl"] = p.kl;
      js["target_ids"] = s.what_if->target_ids;
      js["logprob_clean"] = p.target_logprob_clean;
      js["logprob_changed"] = p.target_logprob_changed;
      js["rank_clean"] = p.target_rank_clean;
      js["rank_changed"] = p.target_rank_changed;
    }
    js["scan_message"] = s.scan_message;
    if (s.scan) {
      nlohmann::json heads = nlohmann::json::array();
      for (const HeadEffect& e : s.scan->effects) {
        heads.push_back({{"layer", e.layer}, {"head", e.head}, {"delta", e.delta()}, {"kl", e.kl},
                         {"rank_clean", e.rank_clean}, {"rank_changed", e.rank_changed}});
      }
      js["scan"] = heads;
      js["scan_target"] = s.scan->target;
    }
    j[slot == 0 ? "A" : "B"] = js;
  }
  return j;
}

}  // namespace diffscope
