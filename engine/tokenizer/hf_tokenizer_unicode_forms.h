// Unicode normalization forms (NFC, NFD, NFKC, NFKD) for the HF tokenizer's normalizers, computed by libutf8proc,
// and the cutting of a text into the smallest pieces that normalize independently, so that every normalized byte can
// be mapped back to the input bytes it came from. Any thread (pure functions).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace diffscope {

enum class UnicodeForm { NFC, NFD, NFKC, NFKD };

// "NFC", "NFD", "NFKC" or "NFKD" (the tokenizer.json type names); nullopt for anything else.
std::optional<UnicodeForm> unicode_form_named(const std::string& name);
const char* unicode_form_name(UnicodeForm form);

// `text` (valid UTF-8) in the normalization form. Throws EngineError if libutf8proc refuses it.
std::string unicode_normalize(const std::string& text, UnicodeForm form);

// A piece text[begin, end) of the input and what it becomes.
struct NormalizedPiece {
  size_t begin;
  size_t end;
  std::string normalized;
};

// The pieces of `text` that the form changes, in order and not overlapping; pieces it leaves as they are are omitted.
// Pieces are cut before starters (combining class 0) wherever normalizing the two sides apart gives the same text as
// normalizing them together, so a piece is a character with its combining marks (or a Hangul syllable's jamo) and
// the concatenation of the pieces' results (with the unchanged text between them) is exactly the whole text's form.
std::vector<NormalizedPiece> unicode_form_pieces(const std::string& text, UnicodeForm form);

}  // namespace diffscope
