// The prompt box: ImGui's editor over the prompt's display text, with the clipboard and typed characters kept exact.
// Main (UI) thread.
#include "prompt_box.h"

#include <algorithm>
#include <string_view>

#include <imgui.h>
#include <imgui_internal.h>  // GetActiveID, ClearActiveID and the editor's undo state (forget_undo_history)
#include <imgui_stdlib.h>

#include "hf_tokenizer_utf8.h"

namespace diffscope::ui {

namespace {

// What the box's callbacks work with during one InputTextMultiline call (ImGui calls back synchronously).
struct Box {
  PromptText* text = nullptr;
  const std::string* replace_with = nullptr;  // the prompt changed outside the box while the box is being edited
  std::string typed;                          // bytes to insert at the cursor (typed above U+FFFF or private use)
  bool refused = false;                       // a paste or character found no placeholder left
};

// ImGui's clipboard functions take no user data of ours: while the box is drawn they are swapped for these, which
// reach the box through g_box and the backend's functions through the saved pointers.
Box* g_box = nullptr;
const char* (*g_backend_get_clipboard)(void*) = nullptr;
void (*g_backend_set_clipboard)(void*, const char*) = nullptr;
std::string g_paste;  // the display text ImGui pastes; it reads it after the function returns

// Paste (Ctrl+V, Shift+Insert): the clipboard's UTF-8 bytes as display text. ImGui then inserts it at the cursor,
// replacing the selection, as one undoable edit; each character of it passes ImGui's filter unchanged (placeholders
// are private-use characters, which ImGui 1.86 accepts from the clipboard, though not from the keyboard).
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

// Copy and cut: the bytes the selected display text stands for. The clipboard is a C string: a NUL ends it.
void clipboard_from_display(void* user_data, const char* display) {
  if (g_backend_set_clipboard == nullptr) return;
  const std::string bytes = g_box != nullptr ? g_box->text->bytes_of(display) : std::string(display);
  g_backend_set_clipboard(user_data, bytes.c_str());
}

// ImGui 1.86 does not record edits made by a callback in the editor's undo history: an undo after one would replay
// positions of the text before it (and can run past the end of the buffer). The history is dropped instead.
void forget_undo_history() {
  ImStb::StbUndoState& undo = ImGui::GetCurrentContext()->InputTextState.Stb.undostate;
  undo.undo_point = 0;
  undo.undo_char_point = 0;
  undo.redo_point = STB_TEXTEDIT_UNDOSTATECOUNT;
  undo.redo_char_point = STB_TEXTEDIT_UNDOCHARCOUNT;
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
  if (data->EventFlag != ImGuiInputTextFlags_CallbackAlways) return 0;
  // While the box is being edited ImGui ignores the buffer it was given: an outside change is put into its own text.
  bool edited = false;
  if (box.replace_with != nullptr &&
      std::string_view(data->Buf, static_cast<size_t>(data->BufTextLen)) != *box.replace_with) {
    data->DeleteChars(0, data->BufTextLen);
    data->InsertChars(0, box.replace_with->c_str());
    edited = true;
  }
  if (!box.typed.empty()) {
    if (const std::optional<std::string> display = box.text->display_of(box.typed)) {
      if (data->HasSelection()) {
        const int begin = std::min(data->SelectionStart, data->SelectionEnd);
        data->DeleteChars(begin, std::max(data->SelectionStart, data->SelectionEnd) - begin);
      }
      data->InsertChars(data->CursorPos, display->c_str());
      edited = true;
    } else {
      box.refused = true;
    }
    box.typed.clear();
  }
  if (edited) forget_undo_history();
  return 0;
}

}  // namespace

PromptBoxResult draw_prompt_box(UiState& state, float lines) {
  PromptBoxResult result;
  PromptText& text = state.prompt_text;
  const bool outside_change = state.settings.prompt != text.bytes();
  if (outside_change) {
    text.set_bytes(state.settings.prompt);
    state.prompt_box = text.display();
  }

  const ImGuiID id = ImGui::GetID("##prompt");
  // Esc leaves the box and keeps the text (ImGui's own Esc would restore the text the box had when it was entered,
  // and that would then run). Tab types a TAB, so Esc or a click elsewhere is the way out.
  if (ImGui::GetActiveID() == id && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false)) {
    ImGui::ClearActiveID();
  }

  Box box;
  box.text = &text;
  box.replace_with = outside_change && text.editable() ? &text.display() : nullptr;
  box.typed.swap(state.prompt_typed);
  if (!text.editable() && !box.typed.empty()) {
    box.typed.clear();
    box.refused = true;
  }
  ImGuiIO& io = ImGui::GetIO();
  g_backend_get_clipboard = io.GetClipboardTextFn;
  g_backend_set_clipboard = io.SetClipboardTextFn;
  io.GetClipboardTextFn = clipboard_as_display;
  io.SetClipboardTextFn = clipboard_from_display;
  g_box = &box;
  ImGuiInputTextFlags flags = ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_AllowTabInput |
                              ImGuiInputTextFlags_CallbackCharFilter | ImGuiInputTextFlags_CallbackAlways;
  if (!text.editable()) flags |= ImGuiInputTextFlags_ReadOnly;
  result.submit = ImGui::InputTextMultiline("##prompt", &state.prompt_box,
                                            ImVec2(-1, ImGui::GetTextLineHeight() * lines), flags, box_callback, &box);
  g_box = nullptr;
  io.GetClipboardTextFn = g_backend_get_clipboard;
  io.SetClipboardTextFn = g_backend_set_clipboard;
  state.prompt_box_active = ImGui::GetActiveID() == id;

  if (state.prompt_box != text.display()) {
    text.set_display(state.prompt_box);
    result.edited = text.bytes() != state.settings.prompt;
    state.settings.prompt = text.bytes();
  }
  if (box.refused) {
    state.prompt_note = "Not inserted: the box has a placeholder for " + std::to_string(PromptText::kCapacity) +
                        " distinct characters it cannot show, and this needs more.";
  } else if (result.edited || outside_change) {
    state.prompt_note.clear();
  }
  return result;
}

}  // namespace diffscope::ui
