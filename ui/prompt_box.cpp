// The prompt box: ImGui's editor over the prompt's display text, with the clipboard and typed characters kept exact.
// Main (UI) thread.
#include "prompt_box.h"

#include <algorithm>
#include <string_view>

#include <imgui.h>
#include <imgui_internal.h>  // GetActiveID, ClearActiveID and the editor's selection (copy_start)
#include <imgui_stdlib.h>

#include "tokenizer/hf_tokenizer_utf8.h"
#include "prompt_wrap.h"

namespace diffscope::ui {

namespace {

// ImGui lays out the box's text with the font's advances (no kerning): soft breaks are placed with the same.
struct FontWidth {
  const ImFont* font = nullptr;
  float scale = 1;
};
float font_char_width(char32_t c, const void* context) {
  const FontWidth& f = *static_cast<const FontWidth*>(context);
  return f.font->GetCharAdvance(static_cast<ImWchar>(c > 0xFFFF ? 0xFFFD : c)) * f.scale;
}

// What the box's callbacks work with during one InputTextMultiline call (ImGui calls back synchronously).
struct Box {
  UiState* state = nullptr;
  PromptText* text = nullptr;
  WrappedText* wrapped = nullptr;   // what the editor's buffer held when the frame began
  FontWidth font;
  float width = 0;                  // the width to wrap at this frame
  bool replace = false;             // the prompt changed outside the box while the box is being edited
  std::string typed;                // bytes to insert at the cursor (typed above U+FFFF or private use)
  bool undo = false, redo = false;  // Ctrl+Z; Ctrl+Y or Ctrl+Shift+Z
  bool refused = false;             // a paste or character found no placeholder left
};

// ImGui's clipboard functions take no user data of ours: while the box is drawn they are swapped for these, which
// reach the box through g_box and the backend's functions through the saved pointers.
Box* g_box = nullptr;
const char* (*g_backend_get_clipboard)(void*) = nullptr;
void (*g_backend_set_clipboard)(void*, const char*) = nullptr;
std::string g_paste;  // the display text ImGui pastes; it reads it after the function returns

// Paste (Ctrl+V, Shift+Insert): the clipboard's UTF-8 bytes as display text. ImGui then inserts it at the cursor,
// replacing the selection; each character of it passes ImGui's filter unchanged (placeholders are private-use
// characters, which ImGui 1.86 accepts from the clipboard, though not from the keyboard). Its '\n's are the user's.
const char* clipboard_as_display(void* user_data) {
  const char* clip = g_backend_get_clipboard != nullptr ? g_backend_get_clipboard(user_data) : nullptr;
  g_paste.clear();
  if (clip != nullptr && g_box != nullptr) {
    if (const std::optional<std::string> display = g_box->text->display_of(clip)) {
      g_paste = *display;
    } else {
      g_box->refused = true;
    }
  }
  return g_paste.c_str();
}

// Where ImGui's copy starts in the buffer, in bytes: its selection's start (everything when nothing is selected).
size_t copy_start() {
  const ImGuiInputTextState& st = ImGui::GetCurrentContext()->InputTextState;
  const int chars = st.HasSelection() ? std::min(st.Stb.select_start, st.Stb.select_end) : 0;
  size_t bytes = 0;
  for (int i = 0; i < chars && i < st.TextW.Size; ++i) bytes += utf8::encoded_length(st.TextW[i]);
  return bytes;
}

// Copy and cut: the bytes the selected display text stands for, without the soft breaks. The clipboard is a C
// string: a NUL ends it.
void clipboard_from_display(void* user_data, const char* display) {
  if (g_backend_set_clipboard == nullptr) return;
  std::string bytes;
  if (g_box != nullptr) {
    const std::string_view selected(display);
    const size_t start = copy_start();
    const WrappedText& w = *g_box->wrapped;
    const bool matches = start + selected.size() <= w.text.size() &&
                         std::string_view(w.text).substr(start, selected.size()) == selected;
    bytes = g_box->text->bytes_of(matches ? unwrap_range(w, start, start + selected.size()) : std::string(display));
  } else {
    bytes = display;
  }
  g_backend_set_clipboard(user_data, bytes.c_str());
}

// Puts the prompt's display text, wrapped at the box's width, into the editor's buffer (only when it differs) with
// the cursor and selection at display offsets.
void show_wrapped(ImGuiInputTextCallbackData* data, Box& box, size_t cursor, size_t select_a, size_t select_b) {
  *box.wrapped = wrap_display(box.text->display(), box.width, font_char_width, &box.font);
  const std::string& text = box.wrapped->text;
  if (std::string_view(data->Buf, static_cast<size_t>(data->BufTextLen)) != text) {
    data->DeleteChars(0, data->BufTextLen);
    data->InsertChars(0, text.c_str(), text.c_str() + text.size());
  }
  data->CursorPos = static_cast<int>(wrapped_offset(*box.wrapped, cursor));
  data->SelectionStart = static_cast<int>(wrapped_offset(*box.wrapped, select_a));
  data->SelectionEnd = static_cast<int>(wrapped_offset(*box.wrapped, select_b));
}

// Takes a new display text as one undoable step.
void set_display(Box& box, const std::string& display, size_t cursor_before) {
  box.state->prompt_undo.record(box.text->display(), display, cursor_before);
  box.text->set_display(display);
}

int box_callback(ImGuiInputTextCallbackData* data) {
  Box& box = *static_cast<Box*>(data->UserData);
  if (data->EventFlag == ImGuiInputTextFlags_CallbackCharFilter) {
    // A character typed, or one of a paste (already display text). Typed characters the box holds but does not show
    // (zero-width and direction marks, C1 controls) become placeholders, so that they are visible.
    const char32_t c = data->EventChar;
    if (c >= kFirstPlaceholder && c <= kMarkerGlyph) return 0;
    if (c >= 0xD800 && c <= 0xDFFF) return 1;  // half a UTF-16 pair is no character
    if (hidden_kind(c) == HiddenKind::None) return 0;
    const std::optional<std::string> display = box.text->display_of(utf8::encode(c));
    if (!display) {
      box.refused = true;
      return 1;
    }
    data->EventChar = static_cast<ImWchar>(utf8::decode_at(*display, 0));
    return 0;
  }
  // CallbackEdit (ImGui changed the buffer this frame) or CallbackAlways (every other frame the box is active).
  WrappedText& wrapped = *box.wrapped;
  const std::string_view buffer(data->Buf, static_cast<size_t>(data->BufTextLen));
  bool rewrite = box.width != wrapped.width;
  size_t cursor = 0, select_a = 0, select_b = 0;
  if (box.replace) {
    // While the box is being edited ImGui ignores the buffer it was given: an outside change goes into its own
    // text (replacing an edit of this frame), the cursor at its end.
    cursor = select_a = select_b = box.text->display().size();
    rewrite = true;
  } else if (data->EventFlag == ImGuiInputTextFlags_CallbackEdit) {
    const size_t cursor_before = display_offset(wrapped, box.state->prompt_cursor);
    const UnwrappedEdit edit =
        unwrap_edit(wrapped, buffer, box.state->prompt_cursor, static_cast<size_t>(data->CursorPos));
    set_display(box, edit.display, cursor_before);
    cursor = select_a = select_b = edit.cursor;
    rewrite = true;
  } else {
    cursor = display_offset(wrapped, static_cast<size_t>(data->CursorPos));
    select_a = display_offset(wrapped, static_cast<size_t>(data->SelectionStart));
    select_b = display_offset(wrapped, static_cast<size_t>(data->SelectionEnd));
  }
  if (!box.typed.empty()) {
    if (const std::optional<std::string> display = box.text->display_of(box.typed)) {
      const size_t begin = std::min(select_a, select_b), end = std::max(select_a, select_b);
      std::string next = box.text->display();
      if (begin != end) {
        next.replace(begin, end - begin, *display);
        cursor = begin + display->size();
      } else {
        next.insert(std::min(cursor, next.size()), *display);
        cursor = std::min(cursor, next.size()) + display->size();
      }
      set_display(box, next, begin != end ? begin : cursor - display->size());
      select_a = select_b = cursor;
      rewrite = true;
    } else {
      box.refused = true;
    }
    box.typed.clear();
  }
  if (box.undo || box.redo) {
    PromptUndo& undo = box.state->prompt_undo;
    if (const std::optional<PromptUndo::Step> step =
            box.undo ? undo.undo(box.text->display()) : undo.redo(box.text->display())) {
      box.text->set_display(step->display);
      cursor = select_a = select_b = step->cursor;
      rewrite = true;
    }
  }
  if (rewrite) show_wrapped(data, box, cursor, select_a, select_b);
  box.state->prompt_cursor = static_cast<size_t>(data->CursorPos);
  return 0;
}

}  // namespace

PromptBoxResult draw_prompt_box(UiState& state, float lines) {
  PromptBoxResult result;
  PromptText& text = state.prompt_text;
  const bool outside_change = state.settings.prompt != text.bytes();
  if (outside_change) {
    text.set_bytes(state.settings.prompt);
    state.prompt_undo.clear();  // a replaced prompt (an example, a continuation) starts a new history
  }

  const ImGuiID id = ImGui::GetID("##prompt");
  const bool active = ImGui::GetActiveID() == id;
  ImGuiIO& io = ImGui::GetIO();
  const ImGuiStyle& style = ImGui::GetStyle();
  // Esc leaves the box and keeps the text (ImGui's own Esc would restore the text the box had when it was entered,
  // and that would then run). Tab types a TAB, so Esc or a click elsewhere is the way out.
  if (active && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false)) {
    ImGui::ClearActiveID();
  }

  Box box;
  box.state = &state;
  box.text = &text;
  box.wrapped = &state.prompt_wrapped;
  box.font.font = ImGui::GetFont();
  box.font.scale = ImGui::GetFontSize() / box.font.font->FontSize;
  // The text's width: the box less its padding on both sides and a scrollbar (always counted, so that one appearing
  // does not wrap the text again), and a pixel for the cursor after a full line.
  box.width = std::max(1.0f, ImGui::GetContentRegionAvail().x - 2 * style.FramePadding.x - style.ScrollbarSize - 2);
  box.replace = outside_change && text.editable();
  const bool shows_buffer = ImGui::GetActiveID() != id || !text.editable();
  if (shows_buffer && (outside_change || box.width != state.prompt_wrapped.width)) {
    // Not being edited (or read-only): the box shows its buffer (and starts editing from it), wrapped here. Being
    // edited, the callback wraps ImGui's own copy.
    state.prompt_wrapped = wrap_display(text.display(), box.width, font_char_width, &box.font);
    state.prompt_box = state.prompt_wrapped.text;
  }
  box.typed.swap(state.prompt_typed);
  if (!text.editable() && !box.typed.empty()) {
    box.typed.clear();
    box.refused = true;
  }
  if (ImGui::GetActiveID() == id && text.editable() && (io.KeyCtrl || io.KeySuper) && !io.KeyAlt) {
    const bool z = ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Z));
    box.undo = z && !io.KeyShift;
    box.redo = (z && io.KeyShift) || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Y));
  }
  g_backend_get_clipboard = io.GetClipboardTextFn;
  g_backend_set_clipboard = io.SetClipboardTextFn;
  io.GetClipboardTextFn = clipboard_as_display;
  io.SetClipboardTextFn = clipboard_from_display;
  g_box = &box;
  // Undo is the box's own (prompt_undo.h); lines are wrapped, so the box never scrolls sideways.
  ImGuiInputTextFlags flags = ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_AllowTabInput |
                              ImGuiInputTextFlags_CallbackCharFilter | ImGuiInputTextFlags_CallbackAlways |
                              ImGuiInputTextFlags_CallbackEdit | ImGuiInputTextFlags_NoUndoRedo |
                              ImGuiInputTextFlags_NoHorizontalScroll;
  if (!text.editable()) flags |= ImGuiInputTextFlags_ReadOnly;
  result.submit = ImGui::InputTextMultiline("##prompt", &state.prompt_box,
                                            ImVec2(-1, ImGui::GetTextLineHeight() * lines), flags, box_callback, &box);
  g_box = nullptr;
  io.GetClipboardTextFn = g_backend_get_clipboard;
  io.SetClipboardTextFn = g_backend_set_clipboard;
  state.prompt_box_active = ImGui::GetActiveID() == id;

  if (state.prompt_box != state.prompt_wrapped.text) {
    // The buffer changed where the callback did not see it (as the old per-frame check, O(n) only then).
    const UnwrappedEdit edit = unwrap_edit(state.prompt_wrapped, state.prompt_box, state.prompt_cursor, 0);
    state.prompt_undo.record(text.display(), edit.display, 0);
    text.set_display(edit.display);
    state.prompt_wrapped = wrap_display(text.display(), box.width, font_char_width, &box.font);
    if (!state.prompt_box_active) state.prompt_box = state.prompt_wrapped.text;
  }
  result.edited = text.bytes() != state.settings.prompt;
  if (result.edited) state.settings.prompt = text.bytes();
  if (box.refused) {
    state.prompt_note = "Not inserted: the box has a placeholder for " + std::to_string(PromptText::kCapacity) +
                        " distinct characters it cannot show, and this needs more.";
  } else if (result.edited || outside_change) {
    state.prompt_note.clear();
  }
  return result;
}

}  // namespace diffscope::ui
