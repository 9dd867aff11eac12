// A compiled Unicode-aware regular expression (PCRE2 with UTF and Unicode properties), used by the HF tokenizer's
// split patterns. Any thread: matching allocates its own match data, the compiled pattern is never modified.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace diffscope {

class UnicodeRegex {
 public:
  enum class Syntax { Regex, Literal };
  // Throws std::invalid_argument naming the pattern and PCRE2's message when it does not compile.
  explicit UnicodeRegex(const std::string& pattern, Syntax syntax = Syntax::Regex);
  ~UnicodeRegex();
  UnicodeRegex(UnicodeRegex&&) noexcept;
  UnicodeRegex& operator=(UnicodeRegex&&) noexcept;

  // Byte ranges [begin, end) of the successive non-overlapping leftmost matches in `text` (valid UTF-8), scanning
  // like Rust's and Oniguruma's find_iter: an empty match right where the previous match ended is skipped.
  std::vector<std::pair<size_t, size_t>> find_all(const std::string& text) const;
  // Whether the pattern matches starting exactly at byte `pos` of `text`.
  bool matches_at(const std::string& text, size_t pos) const;

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
};

// Unicode character tests shared by the tokenizer steps, answered by PCRE2's property tables.
bool is_unicode_whitespace(char32_t cp);  // the White_Space property (Rust's char::is_whitespace)
bool is_unicode_word(char32_t cp);        // Rust regex's \w: Alphabetic, marks, decimal digits, connectors, joiners
bool is_unicode_numeric(char32_t cp);     // general category N (Rust's char::is_numeric)

}  // namespace diffscope
