// Text being normalized and split by the HF tokenizer, with each of its bytes mapped back to the byte range of the
// input it came from (the model of HF tokenizers' NormalizedString), so that token spans stay exact byte offsets into
// the prompt through every rewrite. Any thread (plain values).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace diffscope {

class UnicodeRegex;

struct ByteRange {
  int64_t begin = 0;
  int64_t end = 0;
  bool operator==(const ByteRange& o) const { return begin == o.begin && end == o.end; }
};

// One character of a rewrite: `change` is 1 for an inserted character, 0 for one that replaces the next old
// character, and -N for one that replaces the next old character and removes the N after it.
struct CharChange {
  char32_t cp;
  int change;
};

// A piece of text found by a pattern (is_match) or lying between two such pieces.
struct PatternPiece {
  size_t begin;
  size_t end;
  bool is_match;
};

// What happens to the matched delimiters when splitting (HF's SplitDelimiterBehavior).
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

class NormalizedText {
 public:
  // The prompt as the tokenizer sees it: every ill-formed UTF-8 sequence becomes U+FFFD (mapped to its bytes).
  static NormalizedText from_input(const std::string& input);

  const std::string& text() const { return text_; }
  bool empty() const { return text_.empty(); }
  // The input byte range this piece was cut from (HF's offsets_original).
  ByteRange original_range() const { return original_; }
  // The input bytes behind text()[begin, end): from the first byte's source to the last byte's.
  ByteRange original_span(size_t begin, size_t end) const;

  NormalizedText slice(size_t begin, size_t end) const;
  std::vector<NormalizedText> split(const std::vector<PatternPiece>& pieces, SplitBehavior behavior) const;

  // Replaces text()[begin, end) by `dest`, the old characters being consumed as `dest` says; `initial_offset`
  // old characters at the start are dropped first.
  void transform_range(size_t begin, size_t end, const std::vector<CharChange>& dest, size_t initial_offset);
  void transform(const std::vector<CharChange>& dest, size_t initial_offset) {
    transform_range(0, text_.size(), dest, initial_offset);
  }
  void prepend(const std::string& prefix);
  // Replaces every matched piece by `content` (the new characters take the source of the match's last byte).
  void replace(const std::vector<PatternPiece>& pieces, const std::string& content);
  void strip(bool left, bool right);
  // Replaces each piece text()[begin, end) (in order, not overlapping) by its new text; every new byte comes from all
  // the input bytes behind the piece, so a composed character spans the letter and its combining marks.
  struct PieceRewrite {
    size_t begin;
    size_t end;
    std::string text;
  };
  void rewrite_pieces(const std::vector<PieceRewrite>& rewrites);

 private:
  std::string text_;
  std::vector<ByteRange> sources_;  // one per byte of text_
  ByteRange original_;
};

// The pieces of `text` found by `regex` and those between them, covering all of it (HF's Pattern::find_matches).
std::vector<PatternPiece> regex_pieces(const UnicodeRegex& regex, const std::string& text);
// Every character for which `is_delimiter` holds is a matched piece of its own.
std::vector<PatternPiece> char_pieces(const std::string& text, const std::function<bool(char32_t)>& is_delimiter);
// Swaps matched and unmatched pieces (HF's Split with invert: true).
void invert_pieces(std::vector<PatternPiece>& pieces);

}  // namespace diffscope
