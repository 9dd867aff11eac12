// Normalized text with per-byte sources: slicing, splitting and rewriting while keeping exact input offsets,
// following HF tokenizers' NormalizedString rules so that spans match theirs. Any thread.
#include "tokenizer/hf_tokenizer_normalized.h"

#include <algorithm>

#include "tokenizer/hf_tokenizer_utf8.h"
#include "tokenizer/unicode_regex.h"

namespace diffscope {

NormalizedText NormalizedText::from_input(const std::string& input) {
  NormalizedText n;
  n.text_.reserve(input.size());
  n.sources_.reserve(input.size());
  size_t i = 0;
  while (i < input.size()) {
    bool valid = true;
    const size_t len = utf8::next_unit(input, i, valid);
    const ByteRange source{static_cast<int64_t>(i), static_cast<int64_t>(i + len)};
    if (valid) {
      n.text_.append(input, i, len);
      n.sources_.insert(n.sources_.end(), len, source);
    } else {
      n.text_ += "\xEF\xBF\xBD";  // U+FFFD stands for the whole ill-formed subpart
      n.sources_.insert(n.sources_.end(), 3, source);
    }
    i += len;
  }
  n.original_ = {0, static_cast<int64_t>(input.size())};
  return n;
}

ByteRange NormalizedText::original_span(size_t begin, size_t end) const {
  if (begin >= end || end > sources_.size()) {
    const int64_t at = begin < sources_.size() ? sources_[begin].begin : original_.end;
    return {at, at};
  }
  return {sources_[begin].begin, sources_[end - 1].end};
}

NormalizedText NormalizedText::slice(size_t begin, size_t end) const {
  NormalizedText s;
  s.text_ = text_.substr(begin, end - begin);
  s.sources_.assign(sources_.begin() + static_cast<std::ptrdiff_t>(begin),
                    sources_.begin() + static_cast<std::ptrdiff_t>(end));
  s.original_ = begin < end ? original_span(begin, end) : ByteRange{original_.begin, original_.begin};
  return s;
}

void NormalizedText::transform_range(size_t begin, size_t end, const std::vector<CharChange>& dest,
                                     size_t initial_offset) {
  // The old characters of the range, consumed one by one as `dest` replaces or removes them.
  std::vector<size_t> old_sizes;
  for (size_t i = begin; i < end; i += utf8::sequence_length(static_cast<unsigned char>(text_[i]))) {
    old_sizes.push_back(utf8::sequence_length(static_cast<unsigned char>(text_[i])));
  }
  size_t next_old = 0;
  size_t offset = begin;
  for (; next_old < initial_offset && next_old < old_sizes.size(); ++next_old) offset += old_sizes[next_old];

  std::string new_text;
  std::vector<ByteRange> new_sources;
  for (const CharChange& c : dest) {
    ByteRange source;
    if (c.change > 0) {
      // An inserted character comes from wherever the byte before it came from.
      source = offset < 1 ? ByteRange{0, 0} : sources_[offset - 1];
    } else {
      // (Guarded: a rewrite that replaces more characters than the range holds keeps the last source.)
      source = offset < sources_.size() ? sources_[offset] : sources_.empty() ? ByteRange{} : sources_.back();
      if (next_old < old_sizes.size()) offset += old_sizes[next_old++];
      for (int k = 0; k < -c.change && next_old < old_sizes.size(); ++k) offset += old_sizes[next_old++];
    }
    const size_t len = utf8::encoded_length(c.cp);
    utf8::append(new_text, c.cp);
    new_sources.insert(new_sources.end(), len, source);
  }
  text_.replace(begin, end - begin, new_text);
  sources_.erase(sources_.begin() + static_cast<std::ptrdiff_t>(begin),
                 sources_.begin() + static_cast<std::ptrdiff_t>(end));
  sources_.insert(sources_.begin() + static_cast<std::ptrdiff_t>(begin), new_sources.begin(), new_sources.end());
}

void NormalizedText::prepend(const std::string& prefix) {
  if (text_.empty() || prefix.empty()) return;
  // The prefix's first character takes the place of the old first character, which is then re-inserted after the
  // prefix: both end up mapped to the first input character.
  std::vector<CharChange> dest;
  for (size_t i = 0; i < prefix.size(); i += utf8::sequence_length(static_cast<unsigned char>(prefix[i]))) {
    dest.push_back({utf8::decode_at(prefix, i), i == 0 ? 0 : 1});
  }
  const char32_t first = utf8::decode_at(text_, 0);
  dest.push_back({first, 1});
  transform_range(0, utf8::encoded_length(first), dest, 0);
}

void NormalizedText::replace(const std::vector<PatternPiece>& pieces, const std::string& content) {
  std::string new_text;
  std::vector<ByteRange> new_sources;
  size_t last_end = 0;
  for (const PatternPiece& p : pieces) {
    if (!p.is_match) continue;
    new_text.append(text_, last_end, p.begin - last_end);
    new_sources.insert(new_sources.end(), sources_.begin() + static_cast<std::ptrdiff_t>(last_end),
                       sources_.begin() + static_cast<std::ptrdiff_t>(p.begin));
    // Every new character is an insertion after the removed match, so it comes from the match's last byte.
    const ByteRange source = p.end < 1 ? ByteRange{0, 0} : sources_[p.end - 1];
    new_text += content;
    new_sources.insert(new_sources.end(), content.size(), source);
    last_end = p.end;
  }
  new_text.append(text_, last_end, std::string::npos);
  new_sources.insert(new_sources.end(), sources_.begin() + static_cast<std::ptrdiff_t>(last_end), sources_.end());
  text_ = std::move(new_text);
  sources_ = std::move(new_sources);
}

void NormalizedText::rewrite_pieces(const std::vector<PieceRewrite>& rewrites) {
  if (rewrites.empty()) return;
  std::string new_text;
  std::vector<ByteRange> new_sources;
  size_t last_end = 0;
  for (const PieceRewrite& r : rewrites) {
    new_text.append(text_, last_end, r.begin - last_end);
    new_sources.insert(new_sources.end(), sources_.begin() + static_cast<std::ptrdiff_t>(last_end),
                       sources_.begin() + static_cast<std::ptrdiff_t>(r.begin));
    // The union of the piece's sources (earlier steps may have mapped its bytes to several input ranges).
    ByteRange source = r.begin < r.end ? sources_[r.begin] : ByteRange{};
    for (size_t i = r.begin; i < r.end; ++i) {
      source.begin = std::min(source.begin, sources_[i].begin);
      source.end = std::max(source.end, sources_[i].end);
    }
    new_text += r.text;
    new_sources.insert(new_sources.end(), r.text.size(), source);
    last_end = r.end;
  }
  new_text.append(text_, last_end, std::string::npos);
  new_sources.insert(new_sources.end(), sources_.begin() + static_cast<std::ptrdiff_t>(last_end), sources_.end());
  text_ = std::move(new_text);
  sources_ = std::move(new_sources);
}

void NormalizedText::strip(bool left, bool right) {
  std::vector<char32_t> chars;
  for (size_t i = 0; i < text_.size(); i += utf8::sequence_length(static_cast<unsigned char>(text_[i]))) {
    chars.push_back(utf8::decode_at(text_, i));
  }
  size_t leading = 0, trailing = 0;
  if (left) while (leading < chars.size() && is_unicode_whitespace(chars[leading])) ++leading;
  if (right) while (trailing < chars.size() && is_unicode_whitespace(chars[chars.size() - 1 - trailing])) ++trailing;
  if (leading == 0 && trailing == 0) return;
  std::vector<CharChange> dest;
  for (size_t i = leading; i + trailing < chars.size(); ++i) dest.push_back({chars[i], 0});
  transform(dest, leading);
}

std::vector<NormalizedText> NormalizedText::split(const std::vector<PatternPiece>& pieces,
                                                  SplitBehavior behavior) const {
  struct Cut {
    size_t begin, end;
    bool remove;
  };
  std::vector<Cut> cuts;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (const auto& p : pieces) cuts.push_back({p.begin, p.end, false});
      break;
    case SplitBehavior::Removed:
      for (const auto& p : pieces) cuts.push_back({p.begin, p.end, p.is_match});
      break;
    case SplitBehavior::Contiguous:
      for (const auto& p : pieces) {
        if (p.is_match == previous_match && !cuts.empty()) cuts.back().end = p.end;
        else cuts.push_back({p.begin, p.end, false});
        previous_match = p.is_match;
      }
      break;
    case SplitBehavior::MergedWithPrevious:
      for (const auto& p : pieces) {
        if (p.is_match && !previous_match && !cuts.empty()) cuts.back().end = p.end;
        else cuts.push_back({p.begin, p.end, false});
        previous_match = p.is_match;
      }
      break;
    case SplitBehavior::MergedWithNext:
      for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
        if (it->is_match && !previous_match && !cuts.empty()) cuts.back().begin = it->begin;
        else cuts.push_back({it->begin, it->end, false});
        previous_match = it->is_match;
      }
      std::reverse(cuts.begin(), cuts.end());
      break;
  }
  std::vector<NormalizedText> parts;
  for (const Cut& c : cuts) {
    if (!c.remove) parts.push_back(slice(c.begin, c.end));
  }
  return parts;
}

std::vector<PatternPiece> regex_pieces(const UnicodeRegex& regex, const std::string& text) {
  if (text.empty()) return {{0, 0, false}};
  std::vector<PatternPiece> pieces;
  size_t previous = 0;
  for (const auto& [begin, end] : regex.find_all(text)) {
    if (previous != begin) pieces.push_back({previous, begin, false});
    pieces.push_back({begin, end, true});
    previous = end;
  }
  if (previous != text.size()) pieces.push_back({previous, text.size(), false});
  return pieces;
}

std::vector<PatternPiece> char_pieces(const std::string& text, const std::function<bool(char32_t)>& is_delimiter) {
  if (text.empty()) return {{0, 0, false}};
  std::vector<PatternPiece> pieces;
  size_t last_offset = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t len = utf8::sequence_length(static_cast<unsigned char>(text[i]));
    if (is_delimiter(utf8::decode_at(text, i))) {
      if (last_offset < i) pieces.push_back({last_offset, i, false});
      pieces.push_back({i, i + len, true});
      last_offset = i + len;
    }
    i += len;
  }
  if (text.size() > last_offset) pieces.push_back({last_offset, text.size(), false});
  return pieces;
}

void invert_pieces(std::vector<PatternPiece>& pieces) {
  for (auto& p : pieces) p.is_match = !p.is_match;
}

}  // namespace diffscope
