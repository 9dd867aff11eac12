// The prompt's bytes and the prompt box's display text with placeholders. UI thread (plain data).
#include "prompt_text.h"

#include <cstdio>
#include <unordered_set>

#include "tokenizer/hf_tokenizer_utf8.h"

namespace diffscope::ui {

namespace {

// Characters drawn as nothing: Unicode's default-ignorable code points of the BMP (soft hyphen, combining grapheme
// joiner, zero-width space/joiners, direction marks, embeddings and isolates, word joiner and invisible operators,
// Hangul fillers, variation selectors, the byte order mark, interlinear annotation controls).
bool invisible(char32_t cp) {
  struct Range {
    char32_t first, last;
  };
  static constexpr Range kRanges[] = {
      {0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x061C, 0x061C}, {0x115F, 0x1160}, {0x17B4, 0x17B5},
      {0x180B, 0x180F}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x206F}, {0x3164, 0x3164},
      {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0}, {0xFFF0, 0xFFFB},
  };
  for (const Range& r : kRanges) {
    if (cp >= r.first && cp <= r.last) return true;
  }
  return false;
}

const char* short_name(char32_t cp) {
  switch (cp) {
    case 0x00: return "NUL";
    case 0x07: return "BEL";
    case 0x08: return "BACKSPACE";
    case 0x0B: return "VT";
    case 0x0C: return "FORM FEED";
    case 0x0D: return "CR";
    case 0x1B: return "ESC";
    case 0x7F: return "DEL";
    case 0x85: return "NEL";
    case 0x00AD: return "SOFT HYPHEN";
    case 0x200B: return "ZERO WIDTH SPACE";
    case 0x200C: return "ZERO WIDTH NON-JOINER";
    case 0x200D: return "ZERO WIDTH JOINER";
    case 0x200E: return "LEFT-TO-RIGHT MARK";
    case 0x200F: return "RIGHT-TO-LEFT MARK";
    case 0x2028: return "LINE SEPARATOR";
    case 0x2029: return "PARAGRAPH SEPARATOR";
    case 0x2060: return "WORD JOINER";
    case 0xFE0E: return "TEXT PRESENTATION SELECTOR";
    case 0xFE0F: return "EMOJI PRESENTATION SELECTOR";
    case 0xFEFF: return "BYTE ORDER MARK";
    default: return nullptr;
  }
}

const char* reason(HiddenKind kind) {
  switch (kind) {
    case HiddenKind::AboveBmp: return "above U+FFFF";
    case HiddenKind::Control: return "control character";
    case HiddenKind::Invisible: return "invisible mark";
    case HiddenKind::PrivateUse: return "private-use character";
    case HiddenKind::NonCharacter: return "noncharacter";
    case HiddenKind::InvalidUtf8: return "not UTF-8";
    case HiddenKind::None: break;
  }
  return "shown";
}

bool is_placeholder_range(char32_t cp) { return cp >= kFirstPlaceholder && cp <= kLastPlaceholder; }

}  // namespace

HiddenKind hidden_kind(char32_t cp) {
  if (cp > 0xFFFF) return HiddenKind::AboveBmp;
  if (cp == '\n' || cp == '\t') return HiddenKind::None;
  // C0 controls (NUL ends ImGui's C string; CR is skipped when drawing; the rest are dropped on input), DEL, C1,
  // and the line/paragraph separators ImGui neither breaks at nor draws.
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) return HiddenKind::Control;
  if (cp >= 0xE000 && cp <= 0xF8FF) return HiddenKind::PrivateUse;
  if ((cp >= 0xFDD0 && cp <= 0xFDEF) || cp >= 0xFFFE) return HiddenKind::NonCharacter;
  // Surrogates never come out of valid UTF-8; as code points (a typed half pair) they are not characters either.
  if (cp >= 0xD800 && cp <= 0xDFFF) return HiddenKind::NonCharacter;
  if (invisible(cp)) return HiddenKind::Invisible;
  return HiddenKind::None;
}

std::string describe_placeholder(const Placeholder& p) {
  char buf[16];
  std::string out;
  if (p.kind == HiddenKind::InvalidUtf8) {
    out = p.bytes.size() == 1 ? "byte" : "bytes";
    for (const char c : p.bytes) {
      std::snprintf(buf, sizeof buf, " %02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    }
    return out + " (" + reason(p.kind) + ")";
  }
  const char32_t cp = p.bytes.empty() ? 0 : utf8::decode_at(p.bytes, 0);  // one valid character
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  out = buf;
  if (const char* name = short_name(cp)) out += std::string(" ") + name;
  return out + " (" + reason(p.kind) + ")";
}

std::optional<char32_t> PromptText::placeholder_for(const std::string& unit, HiddenKind kind) {
  if (const auto it = by_bytes_.find(unit); it != by_bytes_.end()) return it->second;
  if (table_.size() >= kCapacity) return std::nullopt;
  const char32_t cp = kFirstPlaceholder + static_cast<char32_t>(table_.size());
  table_.push_back({cp, unit, kind});
  by_bytes_.emplace(unit, cp);
  return cp;
}

bool PromptText::append_display(const std::string& bytes, std::string* out, bool mark_overflow) {
  bool complete = true;
  for (size_t i = 0; i < bytes.size();) {
    bool valid = false;
    const size_t n = utf8::next_unit(bytes, i, valid);
    const HiddenKind kind = valid ? hidden_kind(utf8::decode_at(bytes, i)) : HiddenKind::InvalidUtf8;
    if (kind == HiddenKind::None) {
      out->append(bytes, i, n);
    } else if (const std::optional<char32_t> p = placeholder_for(bytes.substr(i, n), kind)) {
      utf8::append(*out, *p);
    } else {
      complete = false;
      if (!mark_overflow) return false;
      utf8::append(*out, kMarkerGlyph);
    }
    i += n;
  }
  return complete;
}

void PromptText::set_bytes(const std::string& bytes) {
  bytes_ = bytes;
  std::string out;
  editable_ = append_display(bytes, &out, false);
  if (!editable_) {
    // The table is full: start it afresh for this text (placeholders of earlier texts are forgotten).
    table_.clear();
    by_bytes_.clear();
    out.clear();
    editable_ = append_display(bytes, &out, true);
  }
  display_ = std::move(out);
  refresh();
}

void PromptText::set_display(const std::string& display) {
  bytes_ = bytes_of(display);
  display_ = display;
  refresh();
}

std::optional<std::string> PromptText::display_of(const std::string& bytes) {
  const size_t before = table_.size();
  std::string out;
  if (append_display(bytes, &out, false)) return out;
  for (size_t i = before; i < table_.size(); ++i) by_bytes_.erase(table_[i].bytes);
  table_.resize(before);
  return std::nullopt;
}

std::string PromptText::bytes_of(const std::string& display) const {
  std::string out;
  out.reserve(display.size());
  for (size_t i = 0; i < display.size();) {
    bool valid = false;
    const size_t n = utf8::next_unit(display, i, valid);
    const char32_t cp = valid ? utf8::decode_at(display, i) : 0;
    if (valid && is_placeholder_range(cp) && cp - kFirstPlaceholder < table_.size()) {
      out += table_[cp - kFirstPlaceholder].bytes;
    } else {
      out.append(display, i, n);
    }
    i += n;
  }
  return out;
}

void PromptText::refresh() {
  right_to_left_ = has_right_to_left(bytes_);
  std::vector<Placeholder>& out = shown_;
  out.clear();
  std::unordered_set<char32_t> seen;
  for (size_t i = 0; i < display_.size();) {
    bool valid = false;
    const size_t n = utf8::next_unit(display_, i, valid);
    const char32_t cp = valid ? utf8::decode_at(display_, i) : 0;
    if (valid && is_placeholder_range(cp) && cp - kFirstPlaceholder < table_.size() && seen.insert(cp).second) {
      out.push_back(table_[cp - kFirstPlaceholder]);
    }
    i += n;
  }
}

bool has_right_to_left(const std::string& bytes) {
  for (size_t i = 0; i < bytes.size();) {
    bool valid = false;
    const size_t n = utf8::next_unit(bytes, i, valid);
    if (valid) {
      const char32_t cp = utf8::decode_at(bytes, i);
      // Hebrew through Arabic Extended-A; Hebrew and Arabic presentation forms; the RTL blocks of planes 1.
      if ((cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFE) ||
          (cp >= 0x10800 && cp <= 0x10FFF) || (cp >= 0x1E800 && cp <= 0x1EFFF)) {
        return true;
      }
    }
    i += n;
  }
  return false;
}

}  // namespace diffscope::ui
