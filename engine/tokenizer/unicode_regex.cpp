// PCRE2-backed Unicode regular expressions and character-property tests for the HF tokenizer. Any thread.
#include "tokenizer/unicode_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdexcept>

#include "errors.h"
#include "tokenizer/hf_tokenizer_utf8.h"

namespace diffscope {

struct UnicodeRegex::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

namespace {

std::string pcre2_message(int error) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(error, buffer, sizeof buffer);
  return reinterpret_cast<const char*>(buffer);
}

// Match data sized for the pattern, freed on scope exit.
struct MatchData {
  pcre2_match_data* data;
  explicit MatchData(const pcre2_code* code) : data(pcre2_match_data_create_from_pattern(code, nullptr)) {
    if (!data) throw std::bad_alloc();
  }
  ~MatchData() { pcre2_match_data_free(data); }
};

}  // namespace

UnicodeRegex::UnicodeRegex(const std::string& pattern, Syntax syntax) : compiled_(std::make_unique<Compiled>()) {
  // PCRE2 refuses UCP with LITERAL; a literal needs no character classes anyway. \C matches one code unit even in UTF
  // mode, so a pattern with it could cut a character in two (and read past it): refused (issue 12).
  const uint32_t options = syntax == Syntax::Literal ? (PCRE2_UTF | PCRE2_LITERAL)
                                                     : (PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C);
  int error = 0;
  PCRE2_SIZE offset = 0;
  compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &error,
                                  &offset, nullptr);
  if (!compiled_->code) {
    throw std::invalid_argument("regex \"" + pattern + "\" does not compile: " + pcre2_message(error) +
                                " at offset " + std::to_string(offset));
  }
  // JIT makes long prompts fast; when it is unavailable PCRE2 falls back to its interpreter by itself.
  pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE);
}

UnicodeRegex::~UnicodeRegex() = default;
UnicodeRegex::UnicodeRegex(UnicodeRegex&&) noexcept = default;
UnicodeRegex& UnicodeRegex::operator=(UnicodeRegex&&) noexcept = default;

std::vector<std::pair<size_t, size_t>> UnicodeRegex::find_all(const std::string& text) const {
  std::vector<std::pair<size_t, size_t>> matches;
  MatchData md(compiled_->code);
  const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t search_from = 0;
  bool have_last_end = false;
  size_t last_match_end = 0;
  uint32_t options = 0;  // the first call checks the UTF-8 of the whole subject; later calls skip it
  while (search_from <= text.size()) {
    int rc = pcre2_match(compiled_->code, subject, text.size(), search_from, options, md.data, nullptr);
    // The JIT's stack is small; the interpreter keeps its backtracking on the heap and copes with huge runs.
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      rc = pcre2_match(compiled_->code, subject, text.size(), search_from, options | PCRE2_NO_JIT, md.data, nullptr);
    }
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) throw EngineError("tokenizer split pattern failed on this text: " + pcre2_message(rc));
    options = PCRE2_NO_UTF_CHECK;
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(md.data);
    const size_t begin = ovector[0], end = ovector[1];
    if (begin == end && have_last_end && last_match_end == end) {
      search_from += search_from < text.size() ? utf8::sequence_length(static_cast<unsigned char>(text[search_from])) : 1;
      continue;
    }
    search_from = end;
    last_match_end = end;
    have_last_end = true;
    matches.emplace_back(begin, end);
  }
  return matches;
}

bool UnicodeRegex::matches_at(const std::string& text, size_t pos) const {
  MatchData md(compiled_->code);
  const int rc = pcre2_match(compiled_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), pos,
                             PCRE2_ANCHORED, md.data, nullptr);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) throw EngineError("tokenizer pattern failed on this text: " + pcre2_message(rc));
  return true;
}

namespace {

bool code_point_matches(const UnicodeRegex& cls, char32_t cp) { return cls.matches_at(utf8::encode(cp), 0); }

}  // namespace

bool is_unicode_whitespace(char32_t cp) {
  static const UnicodeRegex cls("\\p{White_Space}");
  return code_point_matches(cls, cp);
}

bool is_unicode_word(char32_t cp) {
  static const UnicodeRegex cls("[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}]");
  return code_point_matches(cls, cp);
}

bool is_unicode_numeric(char32_t cp) {
  static const UnicodeRegex cls("\\p{N}");
  return code_point_matches(cls, cp);
}

}  // namespace diffscope
