// The help window (help_window.h). Main (UI) thread.
#include "help_window.h"

#include <algorithm>

#include <imgui.h>

#include "layer_series.h"
#include "model_panel.h"
#include "selection.h"

#ifndef DIFFSCOPE_VERSION
#define DIFFSCOPE_VERSION "unknown"
#endif

namespace diffscope::ui {

std::vector<std::pair<std::string, std::string>> help_keys() {
  return {
      {"F1", "open or close this help"},
      {"1 / 2 / 3", "decomposition / comparison / grid layout"},
      {"Left / Right, Up / Down", "previous / next head, previous / next layer"},
      {"PgUp / PgDn, Home / End", "layers in larger steps, first / last layer"},
      {"Ctrl+Enter (in the prompt)", "run now instead of after the typing pause"},
      {"Tab / Esc (in the prompt)", "type a TAB / leave the prompt, keeping the text"},
      {"Ctrl+V (in the prompt)", "paste the clipboard's exact bytes (a dashed box marks what the box cannot show)"},
      {"Ctrl+Z / Ctrl+Y (in the prompt)", "undo / redo an edit (a word at a time); Ctrl+Shift+Z redoes too"},
      {"mouse wheel on a map", "zoom around the pointer"},
      {"drag on a map, double-click", "pan; back to the whole map"},
      {"hover a map cell", "its query and key tokens, the value (pooled values say how), row and column marked"},
      {"click a map", "focus it: the map exports use it"},
      {"drag over tokens, right-click", "mark the span R for signal / noise; clear it"},
      {"find box (text or #N)", "jump to the next token that matches, or to token N"},
      {"Ctrl+S / Ctrl+O", "save the session / open the session file named in the side panel's Session field"},
      {"Ctrl+= / Ctrl+- / Ctrl+0", "larger / smaller text and widgets (75% to 200%, kept in settings) / back to 100%"},
      {"What-if buttons", "change the selected head (or layer) of a slot: lambda, only A1/A2, ablate; the prediction "
                          "panel shows clean vs changed"},
      {"Scan every head", "each head alone gets the intervention; a layer x head heatmap of the target's log p change "
                          "(click a cell: open that head)"},
  };
}

namespace {

void section(const char* title) {
  ImGui::Spacing();
  ImGui::TextColored(ImVec4(1.0f, 0.78f, 0.35f, 1.0f), "%s", title);
  ImGui::Separator();
}

void wrapped(const char* text) {
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextUnformatted(text);
  ImGui::PopTextWrapPos();
}

}  // namespace

void draw_help_window(UiState& state) {
  if (!state.show_help) return;
  const ImGuiViewport* viewport = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(ImVec2(viewport->Pos.x + viewport->Size.x * 0.5f, viewport->Pos.y + viewport->Size.y * 0.5f),
                          ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  const float scale = ImGui::GetFontSize() / 15.0f;  // the UI scale: the window grows with its text
  ImGui::SetNextWindowSize(ImVec2(std::min(760.0f * scale, viewport->Size.x - 40),
                                  std::min(720.0f * scale, viewport->Size.y - 40)),
                           ImGuiCond_Appearing);
  ImGui::SetNextWindowBgAlpha(1.0f);  // text over maps must stay readable
  if (!ImGui::Begin("DiffScope help", &state.show_help, ImGuiWindowFlags_NoCollapse)) {
    ImGui::End();
    return;
  }
  ImGui::Text("DiffScope %s: differential and standard attention, side by side", DIFFSCOPE_VERSION);

  section("Keys and mouse");
  if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
    for (const auto& [keys, action] : help_keys()) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(keys.c_str());
      ImGui::TableNextColumn();
      wrapped(action.c_str());
    }
    ImGui::EndTable();
  }

  section("Views");
  wrapped("Decomposition: one differential head as A1, lambda * A2 and their difference D = A1 - lambda * A2 (signed, on "
          "a diverging scale centred on 0). Comparison: D next to the standard model's map of the paired head, or both "
          "head means, or both models' attention rollout through the layer. Grid: every layer x head; click one to "
          "open it. Rows are query tokens, columns key tokens; keys after the query are masked (grey), and so are, in "
          "a sliding-window layer of window W (Mistral, Qwen 2 / 3 with use_sliding_window, Phi-3, Gemma 3's local "
          "layers; the model panel lists them), the keys more than W - 1 tokens before the query: the layer does not "
          "see them (HF's band). A rollout mixes every layer, so no window masks it; head means keep the layer's.");
  wrapped(pairing_help());
  wrapped("Long prompts: when the dense maps of both slots would not fit in 256 MiB, maps come as pooled overviews "
          "(each cell the largest |value| of its tokens, sign kept) and the visible part is fetched at about one cell "
          "per pixel as you zoom. Labels and hover values say how a view is pooled. Head means and the rollout come "
          "from the engine the same way (a long prompt's rollout keeps one T x T matrix per layer on the engine's "
          "device, up to 16 GiB; longer prompts say so). What cannot be pooled exactly (normalized rows, lambda * A2 "
          "when lambda varies by row) says so when zoomed out instead of approximating.");

  section("Sessions");
  wrapped("Session > Save (Ctrl+S) writes what you are looking at to a JSON file: both slots' model folders, the "
          "prompt's exact bytes, the span R, layout, layer and head with the standard-head pairing, head mean and "
          "rollout, the focused map, the maps' zoom and centre (in tokens), display settings, export folder and "
          "figure scale and options. With the path field empty it writes diffscope_session.json in the export folder "
          "(numbered when it exists); a path you type is overwritten. Open (Ctrl+O), or diffscope --session FILE, "
          "loads the models (a folder that is not there keeps the slot's model), sets the prompt and span and runs; "
          "the view comes back once the results arrive. Results are not saved: they are computed again. A file "
          "that cannot be opened changes nothing and the panel says why. Recent sessions (under Save / Open) lists "
          "the last 10 session files opened or saved; a file moved or deleted since is listed as missing.");

  section("Prompts and exports");
  wrapped("The prompt box wraps long lines at its width; the wrap is only on screen (the model, copies and saved "
          "files get only the line breaks you typed). Ctrl+Z / Ctrl+Y (Ctrl+Shift+Z) undo and redo its edits, a word "
          "at a time. "
          "Recent (beside the examples) lists the last 10 distinct prompts run, newest first, with their exact bytes; "
          "a prompt is kept once a model showed its results while you were not typing (or at Ctrl+Enter), and one "
          "over 64 KiB is not kept. Figure PNG draws the focused map with token labels and a colorbar; its "
          "checkboxes add the title, the span R (orange on both axes), lambda of the head and a short excerpt of the "
          "prompt. All maps writes every map as PNGs and, per model, maps.safetensors with the logits.");

  section("Statistics (per layer; head means unless a head is selected)");
  for (int i = 0; i < kNumStats; ++i) {
    const Stat stat = static_cast<Stat>(i);
    ImGui::Bullet();
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(0.55f, 0.8f, 1.0f, 1.0f), "%s", stat_name(stat));
    ImGui::Indent();
    wrapped(stat_definition(stat));
    ImGui::Unindent();
  }

  section("Models");
  for (int slot = 0; slot < kNumSlots; ++slot) {
    const SlotState& s = state.slots[static_cast<size_t>(slot)];
    const char* name = slot == kSlotDiff ? "A" : "B";
    if (s.info) {
      ImGui::Text("%s: %s", name, s.model_dir.c_str());
      ImGui::Indent();
      wrapped(describe_model(*s.info).c_str());
      const std::string windows = describe_windows(*s.info);
      if (!windows.empty()) wrapped(windows.c_str());
      ImGui::Text("context %lld tokens, vocabulary %lld, hidden %d, head dim %d, KV heads %d, %s weights",
                  static_cast<long long>(s.info->max_positions), static_cast<long long>(s.info->vocab_size),
                  s.info->hidden_size, s.info->head_dim, s.info->num_kv_heads, s.info->weight_dtype.c_str());
      ImGui::Unindent();
    } else {
      ImGui::Text("%s: no model loaded", name);
    }
  }
  ImGui::Spacing();
  ImGui::TextDisabled("Definitions and formulas: docs/statistics.md; the README has the command line.");
  ImGui::End();
}

}  // namespace diffscope::ui
