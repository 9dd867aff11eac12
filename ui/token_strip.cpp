// Token strip view. Main (UI) thread.
#include "token_strip.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <imgui.h>

#include "slot_results.h"
#include "token_layout.h"
#include "ui_pixels.h"

namespace diffscope::ui {
namespace {

// Labels, widths and boxes of the strip, rebuilt only when the tokens, the width or the font change: at 32K tokens
// measuring every label each frame would take longer than a frame.
struct StripLayout {
  uint64_t key = 0;
  std::vector<std::string> labels;
  std::vector<TokenBox> boxes;
};

uint64_t strip_key(const std::vector<Token>& tokens, float width, float line_h) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over what the layout depends on
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  mix(tokens.size());
  for (const Token& t : tokens) {
    mix(static_cast<uint64_t>(t.id));
    mix(t.text.size());
    mix(static_cast<uint64_t>(t.byte_begin));
  }
  mix(static_cast<uint64_t>(width * 16));
  mix(static_cast<uint64_t>(line_h * 16));
  return h;
}

const StripLayout& strip_layout(const std::vector<Token>& tokens, float avail, float line_h, float pad, float gap) {
  static StripLayout layout;  // main thread only
  const uint64_t key = strip_key(tokens, avail, line_h);
  if (key == layout.key && layout.labels.size() == tokens.size()) return layout;
  layout.key = key;
  layout.labels.clear();
  std::vector<float> widths;
  layout.labels.reserve(tokens.size());
  widths.reserve(tokens.size());
  for (const Token& t : tokens) {
    layout.labels.push_back(visible_token_text(t.text));
    widths.push_back(std::max(ImGui::CalcTextSize(layout.labels.back().c_str()).x + 2 * pad, ui_px(10)));
  }
  layout.boxes = layout_tokens(widths, avail, line_h, gap);
  return layout;
}

// The find box: "#N" jumps to token N, text to its next match; "mark R" makes the tokens the query names the span R
// ("#A-B" names tokens A..B), "undo R" brings back the span before. Returns the token to show, once, when asked.
std::optional<int64_t> find_box(UiState& state, const std::vector<Token>& tokens) {
  static char query[128] = "";
  static bool not_found = false;
  ImGui::SetNextItemWidth(ui_px(160));
  const bool enter = ImGui::InputTextWithHint("##find_token", "find text or #token", query, sizeof(query),
                                              ImGuiInputTextFlags_EnterReturnsTrue);
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Enter: jump to the next token whose text matches (again: the match after it), or to token N "
                      "with #N; the token is marked in the strip and on the maps' axes");
  }
  std::optional<int64_t> found;
  if (enter) {
    ImGui::SetKeyboardFocusHere(-1);  // keep typing / pressing Enter in the box
    found = find_token(tokens, query, state.pinned_token.value_or(-1));
    not_found = !found.has_value();
  }
  ImGui::SameLine();
  if (ImGui::SmallButton("mark R")) {
    // The match shown (the pinned token's), else the first; marked on the current prompt's tokens only.
    not_found = !mark_span_by_query(state, query, state.pinned_token ? *state.pinned_token - 1 : -1);
  }
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Make the tokens of the find box's match the span R (signal / noise); #A-B names tokens A..B");
  }
  if (!state.span_undo.empty()) {
    ImGui::SameLine();
    if (ImGui::SmallButton("undo R")) undo_span(state);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Back to the span R before the last change");
  }
  if (not_found) {
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(0.95f, 0.5f, 0.4f, 1), "not found");
  }
  return found;
}

}  // namespace

void draw_token_strip(UiState& state, int max_lines) {
  const std::vector<Token>& tokens = shown_tokens(state);
  const AttentionSnapshot* shown = slot_snapshot(state, kSlotDiff) ? slot_snapshot(state, kSlotDiff)
                                                                   : slot_snapshot(state, kSlotStandard);
  const std::optional<TokenSpan> span = span_tokens(state, shown);
  ImGui::Text("Tokens (%zu)", tokens.size());
  ImGui::SameLine();
  const bool running = state.slots[kSlotDiff].running || state.slots[kSlotStandard].running;
  if (shows_previous_prompt(state)) {
    ImGui::TextColored(ImVec4(0.95f, 0.8f, 0.3f, 1), "previous prompt's tokens (updating...)");
    ImGui::SameLine();
  } else if (running || state.debounce.armed()) {
    ImGui::TextColored(ImVec4(0.95f, 0.8f, 0.3f, 1), "updating...");
    ImGui::SameLine();
  }
  if (span) {
    std::string text;
    for (int64_t i = span->begin; i < span->end && i < static_cast<int64_t>(tokens.size()); ++i) {
      text += tokens[static_cast<size_t>(i)].text;
    }
    if (text.size() > 40) text = text.substr(0, 40) + "...";
    ImGui::TextColored(ImVec4(1.0f, 0.67f, 0.0f, 1), "span R = tokens %lld..%lld \"%s\"",
                       static_cast<long long>(span->begin), static_cast<long long>(span->end - 1), text.c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("clear span")) {
      state.span_bytes.reset();
      state.submit_now = true;
    }
  } else {
    ImGui::TextDisabled("drag over tokens to mark the relevant span R (signal/noise); right-click clears it");
  }
  ImGui::SameLine();
  const std::optional<int64_t> jump_to = find_box(state, tokens);
  if (jump_to) state.pinned_token = jump_to;

  const ImGuiStyle& style = ImGui::GetStyle();
  const float pad = ui_px(3), gap = ui_px(3);
  const float line_h = ImGui::GetTextLineHeight() + 2 * pad + gap;
  const float avail = ImGui::GetContentRegionAvail().x - style.ScrollbarSize;
  const StripLayout& layout = strip_layout(tokens, avail, line_h, pad, gap);
  const std::vector<std::string>& labels = layout.labels;
  const std::vector<TokenBox>& boxes = layout.boxes;
  const float content_h = boxes.empty() ? line_h : boxes.back().y + line_h;
  const float child_h = std::min(content_h, line_h * static_cast<float>(max_lines)) + 2;
  ImGui::BeginChild("token_strip", ImVec2(0, child_h), false);
  if (jump_to && *jump_to < static_cast<int64_t>(boxes.size())) {
    ImGui::SetScrollY(std::max(0.0f, boxes[static_cast<size_t>(*jump_to)].y - line_h));  // one line above it
  }
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("strip", ImVec2(std::max(avail, 1.0f), content_h),
                         ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  std::optional<int64_t> under;
  if (ImGui::IsItemHovered() || ImGui::IsItemActive()) under = token_at(boxes, mouse.x - origin.x, mouse.y - origin.y);
  state.hover_token = ImGui::IsItemHovered() ? under : std::nullopt;

  if (ImGui::IsItemClicked(ImGuiMouseButton_Right) && state.span_bytes) {
    state.span_bytes.reset();
    state.submit_now = true;
  }
  if (ImGui::IsItemActivated() && ImGui::IsMouseDown(ImGuiMouseButton_Left) && under) {
    state.drag_anchor = under;
    state.drag_current = under;
  }
  if (state.drag_anchor && ImGui::IsItemActive() && under) state.drag_current = under;
  if (state.drag_anchor && ImGui::IsItemDeactivated()) {
    const TokenSpan s = drag_span(*state.drag_anchor, state.drag_current.value_or(*state.drag_anchor));
    // The previous prompt's tokens index other bytes than the prompt in the editor: a span is marked on current ones.
    if (!shows_previous_prompt(state)) {
      state.span_bytes = span_bytes(tokens, s);
      state.span_prompt = state.settings.prompt;
      state.submit_now = true;
    }
    state.drag_anchor.reset();
    state.drag_current.reset();
  }

  std::optional<TokenSpan> shown_span = span;
  if (state.drag_anchor) shown_span = drag_span(*state.drag_anchor, state.drag_current.value_or(*state.drag_anchor));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const int64_t query = state.hover_cell ? state.hover_cell->row : -1;
  const int64_t key = state.hover_cell ? state.hover_cell->col : -1;
  const float scroll = ImGui::GetScrollY();
  const auto [first, last] = visible_box_range(boxes, scroll, scroll + child_h);
  for (size_t i = first; i < last; ++i) {
    const TokenBox& b = boxes[i];
    const ImVec2 a(origin.x + b.x, origin.y + b.y), z(origin.x + b.x + b.w, origin.y + b.y + b.h);
    const int64_t idx = static_cast<int64_t>(i);
    ImU32 fill = IM_COL32(52, 56, 64, 255);
    if (state.generated_from && tokens[i].byte_begin >= *state.generated_from) fill = IM_COL32(40, 105, 70, 255);
    if (shown_span && idx >= shown_span->begin && idx < shown_span->end) fill = IM_COL32(150, 95, 10, 255);
    if (state.pinned_token && *state.pinned_token == idx) fill = IM_COL32(150, 60, 140, 255);
    if (idx == key) fill = IM_COL32(40, 110, 170, 255);
    if (idx == query) fill = IM_COL32(150, 60, 140, 255);
    if (under && *under == idx) fill = IM_COL32(110, 115, 125, 255);
    dl->AddRectFilled(a, z, fill, 3.0f);
    // Spaces and line breaks are dim marks: the token's text stands out, its whitespace is still visible.
    const std::string& label = labels[i];
    ImVec2 at(a.x + pad, a.y + pad);
    for (const LabelRun& run : label_runs(label)) {
      const char* begin = label.data() + run.begin;
      const char* end = label.data() + run.end;
      dl->AddText(at, ImGui::GetColorU32(run.mark ? ImGuiCol_TextDisabled : ImGuiCol_Text), begin, end);
      at.x += ImGui::CalcTextSize(begin, end).x;
    }
  }
  if (under) {
    const Token& t = tokens[static_cast<size_t>(*under)];
    const std::string vocabulary = vocabulary_note(t);
    ImGui::SetTooltip("token %lld  id %lld  bytes [%lld, %lld)\n\"%s\"%s%s", static_cast<long long>(*under),
                      static_cast<long long>(t.id), static_cast<long long>(t.byte_begin),
                      static_cast<long long>(t.byte_end), t.text.c_str(), vocabulary.empty() ? "" : "\n",
                      vocabulary.c_str());
  }
  ImGui::EndChild();
}

}  // namespace diffscope::ui
