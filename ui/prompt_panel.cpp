// Prompt editor and example prompts. Main (UI) thread.
#include "prompt_panel.h"

#include <algorithm>
#include <cstdio>

#include <imgui.h>

#include "tokenizer/hf_tokenizer_utf8.h"
#include "prompt_box.h"
#include "recent_prompts.h"
#include "recent_prompts_menu.h"

namespace diffscope::ui {

namespace {

constexpr int kContinueTokens = 8;

}  // namespace

std::vector<int64_t> generated_token_indices(const UiState& state) {
  std::vector<int64_t> generated;
  if (!state.generated_from) return generated;
  const std::vector<Token>& tokens = shown_tokens(state);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].byte_begin >= *state.generated_from && tokens[i].byte_end > tokens[i].byte_begin) {
      generated.push_back(static_cast<int64_t>(i));
    }
  }
  return generated;
}

bool pin_generated_step(UiState& state, int step) {
  const std::vector<int64_t> generated = generated_token_indices(state);
  if (step < 0 || static_cast<size_t>(step) > generated.size()) return false;
  if (step == 0) state.pinned_token.reset();
  else state.pinned_token = generated[static_cast<size_t>(step - 1)];
  return true;
}

namespace {

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

  const std::vector<int64_t> generated = generated_token_indices(state);
  if (generated.empty()) return;
  ImGui::SameLine();
  int step = 0;
  for (size_t k = 0; k < generated.size(); ++k) {
    if (state.pinned_token && generated[k] == *state.pinned_token) step = static_cast<int>(k) + 1;
  }
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
  if (ImGui::SliderInt("generated step", &step, 0, static_cast<int>(generated.size()),
                       step == 0 ? "all" : "%d")) {
    pin_generated_step(state, step);
  }
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Generated tokens are green in the strip. Pick one to highlight its row (what it attended to) "
                      "in every map.");
  }
}

// Characters of the box's text that the UI font has no glyph of (CJK, scripts fonts.cpp does not load): the font
// draws them as the marker glyph too, so the legend lists them beside the placeholders. Worked out again only when
// the text changes.
const std::vector<std::string>& missing_glyphs(const std::string& display) {
  static std::string last;
  static std::vector<std::string> lines;
  static bool known = false;
  if (known && display == last) return lines;
  last = display;
  known = true;
  lines.clear();
  const ImFont* font = ImGui::GetFont();
  std::vector<char32_t> seen;
  for (size_t i = 0; i < display.size();) {
    bool valid = false;
    const size_t n = utf8::next_unit(display, i, valid);
    const char32_t cp = valid ? utf8::decode_at(display, i) : 0;
    i += n;
    if (!valid || cp < 0x20 || (cp >= kFirstPlaceholder && cp <= kMarkerGlyph)) continue;
    if (font->FindGlyphNoFallback(static_cast<ImWchar>(cp)) != nullptr) continue;
    if (std::find(seen.begin(), seen.end(), cp) != seen.end()) continue;
    seen.push_back(cp);
    char buf[48];
    std::snprintf(buf, sizeof buf, "U+%04X (no glyph in the UI font)", static_cast<unsigned>(cp));
    lines.emplace_back(buf);
  }
  return lines;
}

// What the box cannot show as it is: the marker glyph's meaning (with the list on hover), right-to-left text, a
// prompt too varied to edit here, a refused paste; then the size and the keys.
void draw_prompt_notes(UiState& state) {
  const PromptText& text = state.prompt_text;
  ImGui::PushTextWrapPos(0);
  const std::vector<Placeholder>& hidden = text.placeholders_in_display();
  const std::vector<std::string>& no_glyph = missing_glyphs(text.display());
  const size_t kinds = hidden.size() + no_glyph.size();
  if (kinds > 0) {
    // U+F8FF is the marker glyph itself (fonts.h), drawn by the same font as the box.
    ImGui::TextDisabled("\xEF\xA3\xBF = a character the box cannot show (%zu kind%s); the model gets it as given.",
                        kinds, kinds == 1 ? "" : "s");
    if (ImGui::IsItemHovered()) {
      ImGui::BeginTooltip();
      constexpr size_t kListed = 24;
      size_t listed = 0;
      for (size_t i = 0; i < hidden.size() && listed < kListed; ++i, ++listed) {
        ImGui::TextUnformatted(describe_placeholder(hidden[i]).c_str());
      }
      for (size_t i = 0; i < no_glyph.size() && listed < kListed; ++i, ++listed) {
        ImGui::TextUnformatted(no_glyph[i].c_str());
      }
      if (kinds > listed) ImGui::Text("... and %zu more", kinds - listed);
      ImGui::EndTooltip();
    }
  }
  if (text.right_to_left()) {
    ImGui::TextDisabled("Right-to-left text is shown in logical order, unshaped; the model gets it as typed.");
  }
  if (!text.editable()) {
    ImGui::TextColored(ImVec4(0.95f, 0.8f, 0.3f, 1), "Read-only: more than %zu distinct characters the box cannot "
                       "show. It runs as given; edit it elsewhere.", PromptText::kCapacity);
  }
  if (!state.prompt_note.empty()) ImGui::TextColored(ImVec4(0.95f, 0.8f, 0.3f, 1), "%s", state.prompt_note.c_str());
  ImGui::PopTextWrapPos();
  // Token counts depend on each model's tokenizer; a prompt too long for a model gets the engine's message in its
  // slot, so only the size is shown here.
  ImGui::TextDisabled("%zu bytes. Runs as you type; Ctrl+Enter runs now.", state.settings.prompt.size());
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("The model gets the prompt's exact bytes. Tab types a TAB; Esc leaves the box and keeps the "
                      "text; Ctrl+V pastes the clipboard as it is (a NUL byte cannot come through the clipboard).");
  }
}

}  // namespace

void draw_prompt_panel(UiState& state, UiActions& actions) {
  static bool refocus = false;  // Ctrl+Enter ends the edit in ImGui 1.86: take the focus back next frame
  if (refocus) {
    ImGui::SetKeyboardFocusHere();
    refocus = false;
  }
  const PromptBoxResult box = draw_prompt_box(state, 8);
  if (box.submit) {
    state.submit_now = true;
    refocus = true;
    remember_prompt(&state.settings.recent_prompts, state.settings.prompt);  // run on purpose: worth keeping
  } else if (box.edited) {
    state.debounce.changed(state.now);
    state.generated_from.reset();  // an edited prompt has no generated part any more
    state.pinned_token.reset();
  }
  draw_prompt_notes(state);
  if (ImGui::Checkbox("truncate to the model's context", &state.settings.truncate)) state.submit_now = true;
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("A prompt longer than a model's context (max_position_embeddings) runs its first tokens that "
                      "fit instead of failing; the slot says how many ran.");
  }
  draw_recent_prompts(state);
  if (!state.examples.empty()) {
    ImGui::SameLine();
    ImGui::TextUnformatted("Examples:");
    for (size_t i = 0; i < state.examples.size(); ++i) {
      const ExamplePrompt& e = state.examples[i];
      // On the line of the last item (the label, or the button before) while it fits.
      const float next = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x +
                         ImGui::CalcTextSize(e.name.c_str()).x + ImGui::GetStyle().FramePadding.x * 2;
      if (next < ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) ImGui::SameLine();
      if (ImGui::SmallButton(e.name.c_str())) replace_prompt(state, e.text);
      if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30);
        PromptText shown;  // as the box would show it: placeholders where ImGui cannot
        shown.set_bytes(e.text);
        ImGui::TextUnformatted(shown.display().c_str());
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
