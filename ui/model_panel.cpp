// Model slots panel. Main (UI) thread.
#include "model_panel.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include <imgui.h>
#include <imgui_stdlib.h>

namespace diffscope::ui {

std::string describe_model(const ModelInfo& info) {
  char buf[256];
  const bool diff = info.kind == AttentionKind::Differential;
  std::snprintf(buf, sizeof buf, "%s, %d layers x %d %sheads%s, %.2f M params, %s %s", info.model_type.c_str(),
                info.num_layers, info.num_heads, diff ? "diff " : "",
                diff ? (" (" + std::to_string(info.num_sub_heads) + " softmax maps)").c_str() : "",
                static_cast<double>(info.num_parameters) / 1e6, info.device.c_str(), info.compute_dtype.c_str());
  return buf;
}

namespace {

// "L0-L4, L6" for the sorted layer indices given.
std::string layer_ranges(const std::vector<int>& layers) {
  std::string out;
  for (size_t i = 0; i < layers.size();) {
    size_t j = i;
    while (j + 1 < layers.size() && layers[j + 1] == layers[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += "L" + std::to_string(layers[i]);
    if (j > i) out += "-L" + std::to_string(layers[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace

std::string describe_windows(const ModelInfo& info) {
  std::map<int64_t, std::vector<int>> by_window;  // window -> its layers
  for (size_t l = 0; l < info.layer_windows.size(); ++l) {
    if (info.layer_windows[l] > 0) by_window[info.layer_windows[l]].push_back(static_cast<int>(l));
  }
  const int layers = std::max(info.num_layers, static_cast<int>(info.layer_windows.size()));
  std::string out;
  for (const auto& [window, which] : by_window) {
    out += out.empty() ? "sliding window " : "; window ";
    out += std::to_string(window) + " on ";
    if (static_cast<int>(which.size()) == layers) out += "all " + std::to_string(layers) + " layers";
    else out += std::to_string(which.size()) + " of " + std::to_string(layers) + " layers (" +
                layer_ranges(which) + ")";
  }
  return out;
}

std::string elapsed_text(double started_seconds, double now_seconds) {
  if (started_seconds <= 0 || now_seconds < started_seconds) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, ", %.1f s", now_seconds - started_seconds);
  return buf;
}

std::string run_progress_text(const SlotState& s, double now_seconds) {
  const std::string elapsed = elapsed_text(s.started_seconds, now_seconds);
  if (s.progress < 0) return "running..." + elapsed;
  const int layers = s.info ? s.info->num_layers : 0;
  char buf[96];
  // A run polls once before each layer; a generation's progress spans its steps too, so it goes past one forward.
  if (layers > 0 && s.progress * static_cast<float>(layers) < static_cast<float>(layers)) {
    std::snprintf(buf, sizeof buf, "running: layer %d of %d", static_cast<int>(s.progress * layers + 0.5f) + 1, layers);
  } else {
    std::snprintf(buf, sizeof buf, "running: %d%%", static_cast<int>(s.progress * 100));
  }
  return buf + elapsed;
}

namespace {

// A progress bar (indeterminate when `progress` < 0) with `text` on it and a Cancel button; true when it is clicked.
bool progress_with_cancel(float progress, const std::string& text, const char* tooltip) {
  const float button = ImGui::CalcTextSize("Cancel").x + ImGui::GetStyle().FramePadding.x * 2;
  const float fraction = progress < 0 ? static_cast<float>(std::fmod(ImGui::GetTime() * 0.5, 1.0)) : progress;
  ImGui::ProgressBar(fraction, ImVec2(-button - ImGui::GetStyle().ItemSpacing.x, 0), text.c_str());
  ImGui::SameLine();
  const bool clicked = ImGui::Button("Cancel");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tooltip);
  return clicked;
}

}  // namespace

static void draw_slot(UiState& state, UiActions& actions, int slot) {
  const SlotState& s = state.slots[static_cast<size_t>(slot)];
  ImGui::PushID(slot);
  ImGui::TextUnformatted(slot == kSlotDiff ? "A  Differential Transformer" : "B  standard Transformer");
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Load").x - ImGui::GetStyle().FramePadding.x * 2 -
                          ImGui::GetStyle().ItemSpacing.x);
  const bool enter = ImGui::InputTextWithHint("##path", "model folder (config.json + model.safetensors)",
                                              &state.path_edit[static_cast<size_t>(slot)],
                                              ImGuiInputTextFlags_EnterReturnsTrue);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("A HF-style folder; you can also drop a folder on the window.");
  ImGui::SameLine();
  if (ImGui::Button("Load") || enter) {
    actions.loads.emplace_back(slot, state.path_edit[static_cast<size_t>(slot)]);
    state.slot_note[static_cast<size_t>(slot)].clear();
  }
  const std::string& note = state.slot_note[static_cast<size_t>(slot)];
  ImGui::PushTextWrapPos(0.0f);
  switch (s.phase) {
    case SlotState::Phase::Empty:
      ImGui::TextColored(ImVec4(0.65f, 0.65f, 0.65f, 1), "%s",
                         !note.empty() ? note.c_str()
                                       : (std::string("no model in slot ") + (slot == 0 ? "A" : "B")).c_str());
      break;
    case SlotState::Phase::Loading:
      ImGui::TextColored(ImVec4(0.95f, 0.8f, 0.3f, 1), "loading %s", s.model_dir.c_str());
      if (progress_with_cancel(s.progress, s.message + elapsed_text(s.started_seconds, steady_seconds()),
                               "Cancel the load; the slot keeps the model it has")) {
        actions.cancel_loads.push_back(slot);
      }
      actions.redraw = true;
      break;
    case SlotState::Phase::Ready:
      if (s.info) {
        ImGui::TextColored(ImVec4(0.5f, 0.85f, 0.5f, 1), "%s", describe_model(*s.info).c_str());
        const std::string windows = describe_windows(*s.info);
        if (!windows.empty()) {
          ImGui::TextColored(ImVec4(0.5f, 0.85f, 0.5f, 1), "%s", windows.c_str());
          if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip("A sliding-window layer of window W lets query i see only keys i - W + 1 .. i (HF's "
                              "band); the maps draw the keys before it as masked, like the keys after the query.");
          }
        }
      }
      if (s.running) {
        if (progress_with_cancel(s.progress, run_progress_text(s, steady_seconds()),
                                 "Stop this run (both slots); Ctrl+Enter runs the prompt again")) {
          actions.cancel_run = true;
        }
      } else if (!s.error.empty()) ImGui::TextColored(ImVec4(1.0f, 0.5f, 0.4f, 1), "%s", s.message.c_str());
      else if (!s.message.empty()) ImGui::TextDisabled("%s", s.message.c_str());
      break;
    case SlotState::Phase::Failed:
      ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1), "failed to load: %s", s.message.c_str());
      break;
  }
  // What went wrong with the last path typed or loaded while the slot kept its model (the worker's load error, or the
  // app's note on a path that is no model folder).
  if (s.phase != SlotState::Phase::Empty && !note.empty()) {
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1), "%s", note.c_str());
  }
  if (s.phase == SlotState::Phase::Ready && !s.load_error.empty() && s.load_error != s.message) {
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1), "%s", s.load_error.c_str());
  }
  ImGui::PopTextWrapPos();
  ImGui::PopID();
}

void draw_model_panel(UiState& state, UiActions& actions) {
  draw_slot(state, actions, kSlotDiff);
  ImGui::Spacing();
  draw_slot(state, actions, kSlotStandard);
}

}  // namespace diffscope::ui
