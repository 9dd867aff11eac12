// Prompt editor and example prompts. Main (UI) thread.
#include "prompt_panel.h"

#include <imgui.h>
#include <imgui_stdlib.h>

namespace diffscope::ui {

namespace {

constexpr int kContinueTokens = 8;

// "Continue" (greedy, with the first loaded model) and stepping through the generated tokens.
void draw_generation_controls(UiState& state, UiActions& actions) {
  const bool any_model = state.slots[kSlotDiff].info || state.slots[kSlotStandard].info;
  if (!any_model || state.settings.prompt.empty()) return;
  if (ImGui::SmallButton("Continue +8")) {
    RunRequest r = make_run_request(state);
    r.continue_tokens = kContinueTokens;
    actions.run = r;
  }
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Generate %d tokens greedily with model %s (KV cache), append them to the prompt and run both "
                      "models on the result", kContinueTokens, state.slots[kSlotDiff].info ? "A" : "B");
  }

  if (!state.generated_from) return;
  const std::vector<Token>& tokens = shown_tokens(state);
  std::vector<int64_t> generated;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].byte_begin >= *state.generated_from && tokens[i].byte_end > tokens[i].byte_begin) {
      generated.push_back(static_cast<int64_t>(i));
    }
  }
  if (generated.empty()) return;
  ImGui::SameLine();
  int step = 0;
  for (size_t k = 0; k < generated.size(); ++k) {
    if (state.pinned_token && generated[k] == *state.pinned_token) step = static_cast<int>(k) + 1;
  }
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
  if (ImGui::SliderInt("generated step", &step, 0, static_cast<int>(generated.size()),
                       step == 0 ? "all" : "%d")) {
    if (step == 0) state.pinned_token.reset();
    else state.pinned_token = generated[static_cast<size_t>(step - 1)];
  }
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Generated tokens are green in the strip. Pick one to highlight its row (what it attended to) "
                      "in every map.");
  }
}

}  // namespace

void draw_prompt_panel(UiState& state, UiActions& actions) {
  static bool refocus = false;  // Ctrl+Enter ends the edit in ImGui 1.86: take the focus back next frame
  if (refocus) {
    ImGui::SetKeyboardFocusHere();
    refocus = false;
  }
  const std::string before = state.settings.prompt;
  const bool ctrl_enter =
      ImGui::InputTextMultiline("##prompt", &state.settings.prompt, ImVec2(-1, ImGui::GetTextLineHeight() * 8),
                                ImGuiInputTextFlags_EnterReturnsTrue);
  if (ctrl_enter) {
    state.submit_now = true;
    refocus = true;
  } else if (state.settings.prompt != before) {
    state.debounce.changed(state.now);
    state.generated_from.reset();  // an edited prompt has no generated part any more
    state.pinned_token.reset();
  }
  // Token counts depend on each model's tokenizer; a prompt too long for a model gets the engine's message in its
  // slot, so only the size is shown here.
  ImGui::TextDisabled("%zu bytes. Runs as you type; Ctrl+Enter runs now.", state.settings.prompt.size());
  if (ImGui::Checkbox("truncate to the model's context", &state.settings.truncate)) state.submit_now = true;
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("A prompt longer than a model's context (max_position_embeddings) runs its first tokens that "
                      "fit instead of failing; the slot says how many ran.");
  }
  if (!state.examples.empty()) {
    ImGui::TextUnformatted("Examples:");
    for (size_t i = 0; i < state.examples.size(); ++i) {
      const ExamplePrompt& e = state.examples[i];
      if (i > 0) {
        const float next = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x +
                           ImGui::CalcTextSize(e.name.c_str()).x + ImGui::GetStyle().FramePadding.x * 2;
        if (next < ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) ImGui::SameLine();
      }
      if (ImGui::SmallButton(e.name.c_str())) {
        state.settings.prompt = e.text;
        state.span_bytes.reset();
        state.submit_now = true;
      }
      if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30);
        ImGui::TextUnformatted(e.text.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
      }
    }
  }
  draw_generation_controls(state, actions);
  if (!state.continuation_note.empty()) {
    // Fewer tokens than asked (the context is full, the model ended the text) or none: said, not silently short.
    ImGui::PushTextWrapPos(0);
    if (state.continuation_short) ImGui::TextColored(ImVec4(0.95f, 0.8f, 0.3f, 1), "%s", state.continuation_note.c_str());
    else ImGui::TextDisabled("%s", state.continuation_note.c_str());
    ImGui::PopTextWrapPos();
  }
  if (state.debounce.armed()) actions.wake_in = state.debounce.remaining(state.now);
}

}  // namespace diffscope::ui
