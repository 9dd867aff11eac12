// Unicode normalization forms through libutf8proc (Debian libutf8proc-dev), and the independent pieces that keep
// the tokenizer's byte offsets exact through them. Any thread.
#include "tokenizer/hf_tokenizer_unicode_forms.h"

#include <cstdlib>

#include <utf8proc.h>

#include "errors.h"
#include "tokenizer/hf_tokenizer_utf8.h"

namespace diffscope {

std::optional<UnicodeForm> unicode_form_named(const std::string& name) {
  if (name == "NFC") return UnicodeForm::NFC;
  if (name == "NFD") return UnicodeForm::NFD;
  if (name == "NFKC") return UnicodeForm::NFKC;
  if (name == "NFKD") return UnicodeForm::NFKD;
  return std::nullopt;
}

const char* unicode_form_name(UnicodeForm form) {
  switch (form) {
    case UnicodeForm::NFC: return "NFC";
    case UnicodeForm::NFD: return "NFD";
    case UnicodeForm::NFKC: return "NFKC";
    case UnicodeForm::NFKD: return "NFKD";
  }
  return "?";
}

std::string unicode_normalize(const std::string& text, UnicodeForm form) {
  if (text.empty()) return text;
  // The options of utf8proc_NFC/NFD/NFKC/NFKD, given with an explicit length so that NUL bytes are kept.
  int options = UTF8PROC_STABLE;
  switch (form) {
    case UnicodeForm::NFC: options |= UTF8PROC_COMPOSE; break;
    case UnicodeForm::NFD: options |= UTF8PROC_DECOMPOSE; break;
    case UnicodeForm::NFKC: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case UnicodeForm::NFKD: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                          static_cast<utf8proc_ssize_t>(text.size()), &out,
                                          static_cast<utf8proc_option_t>(options));
  if (n < 0) {
    throw EngineError(std::string("Unicode normalization ") + unicode_form_name(form) + " failed: " +
                      utf8proc_errmsg(n));
  }
  std::string result(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
  std::free(out);
  return result;
}

namespace {

bool is_starter(char32_t cp) {
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->combining_class == 0;
}

// Whether every byte below 0x80: the forms leave ASCII as it is.
bool all_ascii(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

std::vector<NormalizedPiece> unicode_form_pieces(const std::string& text, UnicodeForm form) {
  if (all_ascii(text)) return {};
  const std::string whole = unicode_normalize(text, form);
  if (whole == text) return {};

  // Clusters: a starter with the non-starters after it (the text may begin with non-starters).
  std::vector<size_t> cluster_starts{0};
  for (size_t i = utf8::sequence_length(static_cast<unsigned char>(text[0])); i < text.size();
       i += utf8::sequence_length(static_cast<unsigned char>(text[i]))) {
    if (is_starter(utf8::decode_at(text, i))) cluster_starts.push_back(i);
  }
  cluster_starts.push_back(text.size());

  // Grow the current piece by the next cluster while the two do not normalize apart (a composition or reordering
  // across them, e.g. Hangul jamo L + V, or a starter that composes with the one before it).
  struct Piece {
    size_t begin, end;
    std::string normalized;
  };
  std::vector<Piece> pieces;
  Piece current{0, cluster_starts[1], unicode_normalize(text.substr(0, cluster_starts[1]), form)};
  for (size_t c = 1; c + 1 < cluster_starts.size(); ++c) {
    const size_t begin = cluster_starts[c], end = cluster_starts[c + 1];
    std::string next = unicode_normalize(text.substr(begin, end - begin), form);
    std::string together = unicode_normalize(text.substr(current.begin, end - current.begin), form);
    if (together == current.normalized + next) {
      pieces.push_back(std::move(current));
      current = {begin, end, std::move(next)};
    } else {
      current = {current.begin, end, std::move(together)};
    }
  }
  pieces.push_back(std::move(current));

  std::vector<NormalizedPiece> changed;
  std::string joined;
  for (Piece& p : pieces) {
    joined += p.normalized;
    if (p.normalized.compare(0, std::string::npos, text, p.begin, p.end - p.begin) != 0) {
      changed.push_back({p.begin, p.end, std::move(p.normalized)});
    }
  }
  // Guard: should the pieces ever not add up to the whole text's form, the text is one piece, so the result is
  // still exactly the library's normalization (only the offsets are coarser).
  if (joined != whole) return {{0, text.size(), whole}};
  return changed;
}

}  // namespace diffscope
