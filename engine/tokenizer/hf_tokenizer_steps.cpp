// Normalizers, pre-tokenizers and display decoding of HF tokenizer.json, as the Llama, Mistral and GPT-2 families
// use them. Each follows the HF tokenizers rule it is named after, so ids and spans come out the same. Any thread.
#include "tokenizer/hf_tokenizer_steps.h"

#include <nlohmann/json.hpp>

#include "errors.h"
#include "tokenizer/hf_tokenizer_unicode_forms.h"
#include "tokenizer/hf_tokenizer_utf8.h"
#include "tokenizer/unicode_regex.h"

namespace diffscope {
namespace {

using json = nlohmann::json;

std::string type_of(const json& spec, const std::string& what, const std::string& source) {
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string()) {
    throw FileError(source + ": a " + what + " has no \"type\": " + spec.dump().substr(0, 200));
  }
  return spec["type"].get<std::string>();
}

bool bool_field(const json& spec, const char* key, bool fallback) {
  return spec.contains(key) && spec[key].is_boolean() ? spec[key].get<bool>() : fallback;
}

std::string string_field(const json& spec, const char* key, const std::string& source) {
  if (!spec.contains(key) || !spec[key].is_string()) {
    throw FileError(source + ": " + spec.value("type", std::string("a step")) + " needs a string \"" + key + "\"");
  }
  return spec[key].get<std::string>();
}

// {"String": "..."} or {"Regex": "..."}, as Split and Replace write their pattern.
UnicodeRegex pattern_field(const json& spec, const std::string& source) {
  const json& pattern = spec.contains("pattern") ? spec["pattern"] : json();
  try {
    if (pattern.contains("String") && pattern["String"].is_string()) {
      return UnicodeRegex(pattern["String"].get<std::string>(), UnicodeRegex::Syntax::Literal);
    }
    if (pattern.contains("Regex") && pattern["Regex"].is_string()) {
      return UnicodeRegex(pattern["Regex"].get<std::string>());
    }
  } catch (const std::invalid_argument& e) {
    throw EngineError(source + ": " + spec.value("type", std::string("step")) + " pattern is not supported: " +
                      e.what());
  }
  throw FileError(source + ": " + spec.value("type", std::string("step")) +
                  " needs a pattern {\"String\": ...} or {\"Regex\": ...}");
}

bool is_ascii(const std::string& s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// ---- normalizers ----

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void normalize(NormalizedText& text) const override {
    for (const auto& step : steps_) step->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(NormalizedText& text) const override {
    if (!text.empty()) text.prepend(prefix_);
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(UnicodeRegex pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(NormalizedText& text) const override { text.replace(regex_pieces(pattern_, text.text()), content_); }

 private:
  UnicodeRegex pattern_;
  std::string content_;
};

class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(NormalizedText& text) const override { text.strip(left_, right_); }

 private:
  bool left_, right_;
};

class ByteLevelNormalizer : public Normalizer {
 public:
  void normalize(NormalizedText& text) const override {
    if (!text.empty()) map_to_byte_level(text);
  }
};

// NFC, NFD, NFKC and NFKD through libutf8proc. The text is cut into pieces that normalize independently (a letter
// with its combining marks, a Hangul syllable's jamo) and each changed piece's result maps to all of the piece's
// input bytes, so token spans stay whole characters of the prompt.
class UnicodeFormNormalizer : public Normalizer {
 public:
  explicit UnicodeFormNormalizer(UnicodeForm form) : form_(form) {}
  void normalize(NormalizedText& text) const override {
    std::vector<NormalizedText::PieceRewrite> rewrites;
    for (NormalizedPiece& p : unicode_form_pieces(text.text(), form_)) {
      rewrites.push_back({p.begin, p.end, std::move(p.normalized)});
    }
    text.rewrite_pieces(rewrites);
  }

 private:
  UnicodeForm form_;
};

class LowercaseNormalizer : public Normalizer {
 public:
  void normalize(NormalizedText& text) const override {
    if (!is_ascii(text.text())) {
      throw EngineError("tokenizer.json normalizer Lowercase on non-ASCII text is not supported (DiffScope "
                        "lowercases ASCII only)");
    }
    std::vector<CharChange> dest;
    for (char c : text.text()) dest.push_back({static_cast<char32_t>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c), 0});
    text.transform(dest, 0);
  }
};

// ---- pre-tokenizers ----

void keep_non_empty(std::vector<NormalizedText>& parts, std::vector<NormalizedText>&& more) {
  for (auto& p : more) {
    if (!p.empty()) parts.push_back(std::move(p));
  }
}

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  std::vector<NormalizedText> split(NormalizedText text) const override {
    std::vector<NormalizedText> parts;
    parts.push_back(std::move(text));
    for (const auto& step : steps_) {
      std::vector<NormalizedText> next;
      for (auto& p : parts) keep_non_empty(next, step->split(std::move(p)));
      parts = std::move(next);
    }
    return parts;
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

// GPT-2's word pattern, fixed inside HF's ByteLevel pre-tokenizer.
const char* const kGpt2Pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex), words_(kGpt2Pattern) {}
  std::vector<NormalizedText> split(NormalizedText text) const override {
    if (add_prefix_space_ && text.text().rfind(' ', 0) != 0) text.prepend(" ");
    std::vector<NormalizedText> parts;
    if (use_regex_) {
      keep_non_empty(parts, text.split(regex_pieces(words_, text.text()), SplitBehavior::Isolated));
    } else {
      keep_non_empty(parts, {std::move(text)});
    }
    for (auto& p : parts) map_to_byte_level(p);
    return parts;
  }

 private:
  bool add_prefix_space_, use_regex_;
  UnicodeRegex words_;
};

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(UnicodeRegex pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  std::vector<NormalizedText> split(NormalizedText text) const override {
    auto pieces = regex_pieces(pattern_, text.text());
    if (invert_) invert_pieces(pieces);
    return text.split(pieces, behavior_);
  }

 private:
  UnicodeRegex pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  enum class Prepend { Always, First, Never };
  MetaspacePreTokenizer(char32_t replacement, Prepend prepend, bool split_words)
      : replacement_(replacement), replacement_text_(utf8::encode(replacement)), prepend_(prepend),
        split_words_(split_words) {}
  std::vector<NormalizedText> split(NormalizedText text) const override {
    text.replace(char_pieces(text.text(), [](char32_t c) { return c == U' '; }), replacement_text_);
    const bool starts_with_replacement = text.text().rfind(replacement_text_, 0) == 0;
    // "first" prepends only to the piece that starts the prompt, not to text after an added token.
    if (!starts_with_replacement &&
        (prepend_ == Prepend::Always || (prepend_ == Prepend::First && text.original_range().begin == 0))) {
      text.prepend(replacement_text_);
    }
    if (!split_words_) return {std::move(text)};
    const char32_t r = replacement_;
    return text.split(char_pieces(text.text(), [r](char32_t c) { return c == r; }), SplitBehavior::MergedWithNext);
  }

 private:
  char32_t replacement_;
  std::string replacement_text_;
  Prepend prepend_;
  bool split_words_;
};

class CharClassPreTokenizer : public PreTokenizer {
 public:
  CharClassPreTokenizer(bool (*is_delimiter)(char32_t), SplitBehavior behavior)
      : is_delimiter_(is_delimiter), behavior_(behavior) {}
  std::vector<NormalizedText> split(NormalizedText text) const override {
    return text.split(char_pieces(text.text(), is_delimiter_), behavior_);
  }

 private:
  bool (*is_delimiter_)(char32_t);
  SplitBehavior behavior_;
};

SplitBehavior behavior_from(const json& spec, const std::string& source) {
  const std::string name = string_field(spec, "behavior", source);
  if (name == "Removed") return SplitBehavior::Removed;
  if (name == "Isolated") return SplitBehavior::Isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (name == "Contiguous") return SplitBehavior::Contiguous;
  throw FileError(source + ": Split behavior \"" + name + "\" is unknown");
}

std::unique_ptr<PreTokenizer> metaspace_from(const json& spec, const std::string& source) {
  const std::string replacement = string_field(spec, "replacement", source);
  if (replacement.empty() || utf8::encoded_length(utf8::decode_at(replacement, 0)) != replacement.size()) {
    throw FileError(source + ": Metaspace replacement must be one character, not \"" + replacement + "\"");
  }
  auto prepend = MetaspacePreTokenizer::Prepend::Always;
  if (spec.contains("prepend_scheme") && spec["prepend_scheme"].is_string()) {
    const std::string scheme = spec["prepend_scheme"].get<std::string>();
    if (scheme == "first") prepend = MetaspacePreTokenizer::Prepend::First;
    else if (scheme == "never") prepend = MetaspacePreTokenizer::Prepend::Never;
    else if (scheme != "always") throw FileError(source + ": Metaspace prepend_scheme \"" + scheme + "\" is unknown");
  }
  if (!bool_field(spec, "add_prefix_space", true)) prepend = MetaspacePreTokenizer::Prepend::Never;  // older files
  return std::make_unique<MetaspacePreTokenizer>(utf8::decode_at(replacement, 0), prepend,
                                                 bool_field(spec, "split", true));
}

}  // namespace

std::unique_ptr<Normalizer> normalizer_from_json(const json& spec, const std::string& source) {
  if (spec.is_null()) return nullptr;
  const std::string type = type_of(spec, "normalizer", source);
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (const auto& s : spec.value("normalizers", json::array())) {
      if (auto step = normalizer_from_json(s, source)) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(string_field(spec, "prepend", source));
  if (type == "Replace") {
    return std::make_unique<ReplaceNormalizer>(pattern_field(spec, source), string_field(spec, "content", source));
  }
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(bool_field(spec, "strip_left", true), bool_field(spec, "strip_right", true));
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
  if (const auto form = unicode_form_named(type)) return std::make_unique<UnicodeFormNormalizer>(*form);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  throw EngineError(source + ": tokenizer.json normalizer \"" + type +
                    "\" is not supported (DiffScope supports Sequence, Prepend, Replace, Strip, ByteLevel, Lowercase, "
                    "NFC, NFD, NFKC and NFKD)");
}

std::unique_ptr<PreTokenizer> pre_tokenizer_from_json(const json& spec, const std::string& source) {
  if (spec.is_null()) return nullptr;
  const std::string type = type_of(spec, "pre_tokenizer", source);
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (const auto& s : spec.value("pretokenizers", json::array())) {
      if (auto step = pre_tokenizer_from_json(s, source)) steps.push_back(std::move(step));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelPreTokenizer>(bool_field(spec, "add_prefix_space", true),
                                                   bool_field(spec, "use_regex", true));
  }
  if (type == "Split") {
    return std::make_unique<SplitPreTokenizer>(pattern_field(spec, source), behavior_from(spec, source),
                                               bool_field(spec, "invert", false));
  }
  if (type == "Metaspace") return metaspace_from(spec, source);
  if (type == "Digits") {
    return std::make_unique<CharClassPreTokenizer>(
        is_unicode_numeric,
        bool_field(spec, "individual_digits", false) ? SplitBehavior::Isolated : SplitBehavior::Contiguous);
  }
  if (type == "WhitespaceSplit") {
    return std::make_unique<CharClassPreTokenizer>(is_unicode_whitespace, SplitBehavior::Removed);
  }
  throw EngineError(source + ": tokenizer.json pre_tokenizer \"" + type +
                    "\" is not supported (DiffScope supports Sequence, ByteLevel, Split, Metaspace, Digits and "
                    "WhitespaceSplit)");
}

// ---- byte-level alphabet ----

namespace {

struct ByteLevelTables {
  char32_t to_char[256];
  std::vector<int> to_byte;  // indexed by code point, up to U+0143
  ByteLevelTables() : to_byte(0x144, -1) {
    // Printable bytes stand for themselves; the others take code points from U+0100 upwards, in byte order.
    const auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE; };
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      to_char[b] = printable(b) ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next++);
      to_byte[to_char[b]] = b;
    }
  }
};

const ByteLevelTables& byte_level_tables() {
  static const ByteLevelTables tables;
  return tables;
}

}  // namespace

char32_t byte_level_char(unsigned char byte) { return byte_level_tables().to_char[byte]; }

int byte_level_byte(char32_t cp) {
  const auto& t = byte_level_tables();
  return cp < t.to_byte.size() ? t.to_byte[cp] : -1;
}

void map_to_byte_level(NormalizedText& text) {
  // Each byte becomes one character: the first replaces the character, the others are inserted after it.
  std::vector<CharChange> dest;
  const std::string& s = text.text();
  for (size_t i = 0; i < s.size();) {
    const size_t len = utf8::sequence_length(static_cast<unsigned char>(s[i]));
    for (size_t k = 0; k < len; ++k) dest.push_back({byte_level_char(static_cast<unsigned char>(s[i + k])), k > 0});
    i += len;
  }
  text.transform(dest, 0);
}

// ---- display decoding ----

DisplayDecoder DisplayDecoder::from_json(const json& spec) {
  DisplayDecoder d;
  if (!spec.is_object()) return d;
  const std::string type = spec.value("type", std::string());
  if (type == "Sequence") {
    for (const auto& s : spec.value("decoders", json::array())) {
      const DisplayDecoder inner = from_json(s);
      d.byte_level_ = d.byte_level_ || inner.byte_level_;
      d.replacements_.insert(d.replacements_.end(), inner.replacements_.begin(), inner.replacements_.end());
    }
  } else if (type == "ByteLevel") {
    d.byte_level_ = true;
  } else if (type == "Metaspace" && spec.contains("replacement") && spec["replacement"].is_string()) {
    d.replacements_.emplace_back(spec["replacement"].get<std::string>(), " ");
  } else if (type == "Replace" && spec.contains("pattern") && spec["pattern"].contains("String") &&
             spec.contains("content") && spec["content"].is_string()) {
    d.replacements_.emplace_back(spec["pattern"]["String"].get<std::string>(), spec["content"].get<std::string>());
  }
  // Other decoders (ByteFallback, Fuse, Strip) only matter when joining a whole sequence, not per token.
  return d;
}

std::string DisplayDecoder::bytes_of(const std::string& piece) const {
  std::string out = piece;
  if (byte_level_) {
    std::string bytes;
    bool all_mapped = true;
    for (size_t i = 0; i < piece.size() && all_mapped;) {
      const size_t len = utf8::sequence_length(static_cast<unsigned char>(piece[i]));
      const int b = i + len <= piece.size() ? byte_level_byte(utf8::decode_at(piece, i)) : -1;
      all_mapped = b >= 0;
      bytes += static_cast<char>(b);
      i += len;
    }
    if (all_mapped) out = bytes;  // as HF: a token outside the alphabet is shown as written
  }
  for (const auto& [from, to] : replacements_) {
    if (from.empty()) continue;
    std::string replaced;
    size_t start = 0;
    for (size_t hit; (hit = out.find(from, start)) != std::string::npos; start = hit + from.size()) {
      replaced.append(out, start, hit - start);
      replaced += to;
    }
    replaced.append(out, start, std::string::npos);
    out = std::move(replaced);
  }
  return out;
}

}  // namespace diffscope
