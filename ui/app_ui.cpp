// The app's window composition, keyboard handling and run submission. Main (UI) thread.
#include "app_ui.h"

#include <GLFW/glfw3.h>

#include <algorithm>

#include <imgui.h>

#include "display_panel.h"
#include "export_panel.h"
#include "head_scan_view.h"
#include "help_window.h"
#include "map_layouts.h"
#include "model_panel.h"
#include "prompt_panel.h"
#include "recent_prompts_menu.h"
#include "selection.h"
#include "session_panel.h"
#include "session_state.h"
#include "slot_lambda.h"
#include "slot_results.h"
#include "stats_panel.h"
#include "token_strip.h"
#include "ui_scale.h"
#include "ui_scale_keys.h"
#include "what_if_panel.h"
#include "ui_pixels.h"

namespace diffscope::ui {

AppUi::AppUi(Settings settings) : cache_(renderer_), widgets_(renderer_), fetcher_(renderer_) {
  state_.settings = std::move(settings);
  state_.path_edit = {state_.settings.model_a, state_.settings.model_b};
}

bool AppUi::init_gl(const std::string& shader_dir, std::string* error) {
  if (shader_dir.empty()) {
    *error = "the shaders folder (with heatmap.frag) was not found: set DIFFSCOPE_DATA_DIR to the folder that holds "
             "shaders/";
    state_.gl_error = *error;
    return false;
  }
  if (!renderer_.init(shader_dir, error)) {
    state_.gl_error = *error;
    return false;
  }
  return true;
}

void AppUi::note_export(bool ok, const std::string& message) {
  state_.export_message = message;
  state_.export_failed = !ok;
}

// Model dimensions for navigation: slot A's result, else its info, else slot B's.
constexpr double kSessionMessageSeconds = 10.0;

static void model_dims(const UiState& s, int* layers, int* heads) {
  *layers = *heads = 0;
  for (int slot : {kSlotDiff, kSlotStandard}) {
    const SlotState& st = s.slots[static_cast<size_t>(slot)];
    if (st.snapshot) {
      *layers = static_cast<int>(st.snapshot->layers.size());
      *heads = st.snapshot->model.num_heads;
      return;
    }
    if (st.info) {
      *layers = st.info->num_layers;
      *heads = st.info->num_heads;
      return;
    }
  }
}

void AppUi::handle_keys(UiActions& actions) {
  const ImGuiIO& io = ImGui::GetIO();
  // F1 works while typing too. ImGui 1.86 has no named F-keys: the GLFW backend indexes keys by GLFW key code.
  if (ImGui::IsKeyPressed(GLFW_KEY_F1, false)) state_.show_help = !state_.show_help;
  // Save / Open the session (the side panel's path, or the default name), also while typing, as in any editor.
  if (io.KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_S, false)) save_session_action(state_);
  if (io.KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_O, false)) open_session_action(state_, actions);
  if (handle_ui_scale_keys(&state_.settings.ui_scale)) actions.redraw = true;  // the app builds the font anew
  if (io.WantTextInput) return;  // arrows belong to the prompt editor while typing
  int layers = 0, heads = 0;
  model_dims(state_, &layers, &heads);
  Selection& sel = state_.settings.selection;
  const std::pair<ImGuiKey, NavKey> keys[] = {
      {ImGuiKey_LeftArrow, NavKey::Left}, {ImGuiKey_RightArrow, NavKey::Right}, {ImGuiKey_UpArrow, NavKey::Up},
      {ImGuiKey_DownArrow, NavKey::Down}, {ImGuiKey_PageUp, NavKey::PageUp},    {ImGuiKey_PageDown, NavKey::PageDown},
      {ImGuiKey_Home, NavKey::Home},      {ImGuiKey_End, NavKey::End}};
  for (const auto& [key, nav] : keys) {
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(key))) {
      sel = navigate(sel, nav, layers, heads);
      state_.focused.valid = false;
    }
  }
  // Digits 1-3 pick the layout (GLFW key codes of digits are their ASCII codes).
  if (ImGui::IsKeyPressed('1', false)) state_.settings.layout = Layout::Decomposition;
  if (ImGui::IsKeyPressed('2', false)) state_.settings.layout = Layout::Comparison;
  if (ImGui::IsKeyPressed('3', false)) state_.settings.layout = Layout::Grid;
}

void AppUi::draw_header() {
  Settings& s = state_.settings;
  int layout = static_cast<int>(s.layout);
  ImGui::RadioButton("Decomposition", &layout, 0);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("A1 | lambda*A2 | D of one Diff head (key 1)");
  ImGui::SameLine();
  ImGui::RadioButton("Comparison", &layout, 1);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Diff model's D next to the standard model's map (key 2)");
  ImGui::SameLine();
  ImGui::RadioButton("Grid", &layout, 2);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("All layers x heads; click one to open it (key 3)");
  s.layout = static_cast<Layout>(layout);
  int layers = 0, heads = 0;
  model_dims(state_, &layers, &heads);
  const bool known = layers > 0 && heads > 0;  // until a model is loaded, keep the selection asked for (--layer)
  if (known) s.selection = clamp_selection(s.selection, layers, heads);
  // Sliders shrink on narrow windows so that both stay on screen next to the layout buttons.
  const float slider_w = std::clamp(ImGui::GetContentRegionAvail().x * 0.12f, ui_px(70), ui_px(140));
  ImGui::SameLine(0, ui_px(30));
  ImGui::SetNextItemWidth(slider_w);
  if (ImGui::SliderInt("layer", &s.selection.layer, 0, std::max(0, layers - 1))) state_.focused.valid = false;
  ImGui::SameLine();
  ImGui::SetNextItemWidth(slider_w);
  if (ImGui::SliderInt("head", &s.selection.head, 0, std::max(0, heads - 1))) state_.focused.valid = false;
  if (known) s.selection = clamp_selection(s.selection, layers, heads);
  ImGui::SameLine(0, ui_px(20));
  if (ImGui::SmallButton("Help (F1)")) state_.show_help = !state_.show_help;
  ImGui::SameLine();
  ImGui::TextDisabled("keys \xE2\x86\x90\xE2\x86\x92 head, \xE2\x86\x91\xE2\x86\x93 layer (?)");
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Left/Right: head   Up/Down: layer   PgUp/PgDn: a quarter of the layers   Home/End: first/last "
                      "layer\n1 / 2 / 3: decomposition / comparison / grid\nMaps: mouse wheel zooms, drag pans, "
                      "double-click resets; click a map to choose it for export.\nTokens: hover to highlight, drag to "
                      "mark the relevant span, right-click to clear it.");
  }
}

void AppUi::draw_status_bar(const FrameInput& input) {
  for (int slot : {kSlotDiff, kSlotStandard}) {
    const SlotState& s = state_.slots[static_cast<size_t>(slot)];
    const char* name = slot == kSlotDiff ? "A" : "B";
    const char* phase = "empty";
    switch (s.phase) {
      case SlotState::Phase::Empty: phase = "no model"; break;
      case SlotState::Phase::Loading: phase = "loading"; break;
      case SlotState::Phase::Ready: phase = s.running ? "running" : "ready"; break;
      case SlotState::Phase::Failed: phase = "failed"; break;
    }
    if (slot > 0) ImGui::SameLine(0, ui_px(24));
    if (s.snapshot) ImGui::Text("%s: %s, last run %.0f ms", name, phase, s.snapshot->seconds * 1000.0);
    else ImGui::Text("%s: %s", name, phase);
  }
  ImGui::SameLine(0, ui_px(24));
  ImGui::Text("%zu tokens", shown_tokens(state_).size());
  // What Save / Open did, for a while (Ctrl+S / Ctrl+O work with the side panel folded, where its message is hidden).
  if (!state_.session_message.empty() && state_.now - state_.session_message_time < kSessionMessageSeconds) {
    ImGui::SameLine(0, ui_px(24));
    ImGui::TextColored(state_.session_failed ? ImVec4(1, 0.45f, 0.4f, 1) : ImVec4(0.5f, 0.85f, 0.5f, 1), "%s",
                       state_.session_message.c_str());
  }
  ImGui::SameLine(0, ui_px(24));
  ImGui::TextDisabled("frame %.1f ms  textures uploaded %llu", input.frame_ms,
                      static_cast<unsigned long long>(cache_.uploads()));
}

void AppUi::maybe_submit(UiActions& actions) {
  const bool debounced = state_.debounce.fire(state_.now) && state_.settings.prompt != state_.submitted_text;
  if (!state_.submit_now && !debounced) return;
  state_.submit_now = false;
  state_.debounce.cancel();
  if (state_.settings.prompt.empty()) return;  // the engine rejects an empty prompt; the editor says what to do
  follow_prompt_edits(state_);  // the span goes with the text it marked, or goes
  actions.run = submit_prompt(state_);
}

UiActions AppUi::frame(const FrameInput& input) {
  UiActions actions;
  state_.slots = input.slots;
  state_.debounce.set_delay(typing_pause_for(slowest_last_run_seconds(state_.slots), models_on_gpu(state_.slots)));
  apply_what_if_view(state_);  // the what-if's changed run (or its difference to the clean run) where asked
  refresh_lambda_summaries(state_);  // once per new snapshot: the views read lambda's figures from here
  state_.now = input.now;
  for (int slot = 0; slot < kNumSlots; ++slot) cache_.keep_only(slot, state_.slots[static_cast<size_t>(slot)].sequence);
  // A model that just loaded needs no request from here: the worker runs the latest request on it.
  take_continuations(state_);
  follow_prompt_edits(state_);
  apply_pending_session(state_);  // an opened session's selection and view, once its results are in
  remember_shown_prompt(state_);  // the Recent menu: a prompt whose results are shown, not one being typed
  handle_keys(actions);

  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0);
  ImGui::Begin("DiffScope", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus);
  ImGui::PopStyleVar();
  const float status_h = ImGui::GetFrameHeightWithSpacing();
  // The side panel takes a quarter of the window (less on small screens) and folds to a narrow strip, so that maps
  // keep room on an 800 x 600 window.
  const float sidebar_w = state_.sidebar_folded ? ImGui::GetFrameHeight() + 2 * ImGui::GetStyle().WindowPadding.x
                                                : sidebar_width(io.DisplaySize.x, ImGui::GetFontSize());

  ImGui::BeginChild("sidebar", ImVec2(sidebar_w, -status_h), true);
  if (state_.sidebar_folded) {
    if (ImGui::ArrowButton("unfold", ImGuiDir_Right)) state_.sidebar_folded = false;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Show the side panel (models, prompt, display, export)");
  } else {
    if (ImGui::ArrowButton("fold", ImGuiDir_Left)) state_.sidebar_folded = true;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Fold the side panel to give the maps the width");
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(1.0f, 0.85f, 0.4f, 1), "DiffScope");
    ImGui::SameLine();
    ImGui::TextDisabled("differential vs standard attention");
    if (ImGui::CollapsingHeader("Session", ImGuiTreeNodeFlags_DefaultOpen)) draw_session_panel(state_, actions);
    if (ImGui::CollapsingHeader("Models", ImGuiTreeNodeFlags_DefaultOpen)) draw_model_panel(state_, actions);
    if (ImGui::CollapsingHeader("Prompt", ImGuiTreeNodeFlags_DefaultOpen)) draw_prompt_panel(state_, actions);
    if (ImGui::CollapsingHeader("What-if", ImGuiTreeNodeFlags_DefaultOpen)) draw_what_if_panel(state_);
    if (ImGui::CollapsingHeader("Head-effect scan", ImGuiTreeNodeFlags_DefaultOpen)) {
      draw_scan_panel(state_, actions);
    }
    if (ImGui::CollapsingHeader("Display", ImGuiTreeNodeFlags_DefaultOpen)) {
      draw_display_panel(state_.settings.display);
    }
    if (ImGui::CollapsingHeader("Export", ImGuiTreeNodeFlags_DefaultOpen)) draw_export_panel(state_, actions);

  }
  ImGui::EndChild();
  ImGui::SameLine();

  ImGui::BeginChild("main", ImVec2(0, -status_h), false);
  state_.main_area_width = ImGui::GetContentRegionAvail().x;
  draw_header();
  if (!state_.what_if.view_note.empty()) {
    ImGui::TextColored(ImVec4(1.0f, 0.7f, 0.3f, 1), "%s", state_.what_if.view_note.c_str());
  }
  ImGui::Separator();
  draw_token_strip(state_, 3);
  ImGui::Separator();
  const float total = ImGui::GetContentRegionAvail().y;
  // settings.stats_height is kept at 100% UI scale: shown scaled, so that the plots keep their share of the text.
  const float pixel_scale = ui_pixel_scale();
  const float splitter_h = ui_px(8);
  float stats_h = stats_panel_pixels(state_.settings.stats_height, pixel_scale, total);
  state_.stats_panel_height = stats_h;
  // Square maps in a wide window leave height unused: the statistics get it.
  const float maps_h =
      std::min(total - stats_h - splitter_h, layout_preferred_height(state_, ImGui::GetContentRegionAvail().x));
  ImGui::BeginChild("maps", ImVec2(0, maps_h), false, ImGuiWindowFlags_NoScrollWithMouse);
  if (!state_.gl_error.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(ImVec4(1, 0.45f, 0.4f, 1), "Heatmaps are unavailable: %s", state_.gl_error.c_str());
    ImGui::PopTextWrapPos();
  } else {
    draw_map_layouts(state_, actions, cache_, widgets_, fetcher_);
  }
  ImGui::EndChild();
  // Splitter between maps and statistics.
  ImGui::InvisibleButton("splitter", ImVec2(-1, splitter_h));
  if (ImGui::IsItemHovered() || ImGui::IsItemActive()) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeNS);
  if (ImGui::IsItemActive() && io.MouseDelta.y != 0) {
    stats_h = std::max(stats_h, total - maps_h - splitter_h);  // drag from the height shown, not the one asked for
    stats_h -= io.MouseDelta.y;
    state_.settings.stats_height = stats_panel_pixels(stats_h / pixel_scale, pixel_scale, total) / pixel_scale;
  }
  {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    ImGui::GetWindowDrawList()->AddLine(ImVec2(a.x, (a.y + b.y) / 2), ImVec2(b.x, (a.y + b.y) / 2),
                                        ImGui::GetColorU32(ImGuiCol_Separator), 2.0f);
  }
  ImGui::BeginChild("stats", ImVec2(0, 0), false);
  draw_stats_panel(state_);
  ImGui::EndChild();
  ImGui::EndChild();

  draw_status_bar(input);
  ImGui::End();
  draw_help_window(state_);
  draw_head_scan_window(state_);

  maybe_submit(actions);
  if (state_.debounce.armed()) actions.wake_in = state_.debounce.remaining(state_.now);
  const double window_due = fetcher_.wake_in(state_.now);  // a held-back window request, or an answer to poll
  if (window_due >= 0) actions.wake_in = actions.wake_in < 0 ? window_due : std::min(actions.wake_in, window_due);
  cache_.end_frame();
  fetcher_.end_frame();
  widgets_.end_frame();
  return actions;
}

}  // namespace diffscope::ui
