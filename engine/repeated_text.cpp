// Natural text repeated and cut to a token count (repeated_text.h). Any thread.
#include "repeated_text.h"

#include <algorithm>

#include "errors.h"

namespace diffscope {

std::string repeated_text(const std::string& source, int64_t max_tokens,
                          const std::vector<const Tokenizer*>& tokenizers) {
  if (source.empty()) throw InputError("repeated_text: the source text is empty");
  if (max_tokens < 1) throw InputError("repeated_text: max_tokens must be at least 1");
  if (tokenizers.empty()) throw InputError("repeated_text: no tokenizer to count with");
  const std::string unit = source + "\n\n";
  // Copies enough for every tokenizer, from its count of one copy (+1: tokens merge across copies' seams); long texts
  // are tokenized only a few times this way instead of once per added copy.
  int64_t copies = 1;
  for (const Tokenizer* t : tokenizers) {
    const int64_t per_copy = std::max<int64_t>(1, static_cast<int64_t>(t->encode(unit).size()));
    copies = std::max(copies, (max_tokens + per_copy - 1) / per_copy + 1);
  }
  std::string text;
  const auto add_copies = [&](int64_t n) {
    for (int64_t i = 0; i < n; ++i) text += unit;
  };
  add_copies(copies);
  for (const Tokenizer* t : tokenizers) {
    while (static_cast<int64_t>(t->encode(text).size()) < max_tokens) add_copies(copies);
  }
  // Cut at the start of token max_tokens of each tokenizer in turn until none counts more: each cut shortens the text,
  // so this ends.
  for (bool cut = true; cut;) {
    cut = false;
    for (const Tokenizer* t : tokenizers) {
      const std::vector<Token> tokens = t->encode(text);
      if (static_cast<int64_t>(tokens.size()) <= max_tokens) continue;
      size_t at = static_cast<size_t>(std::clamp<int64_t>(tokens[static_cast<size_t>(max_tokens)].byte_begin, 0,
                                                          static_cast<int64_t>(text.size()) - 1));
      while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;  // a continuation byte
      if (at == 0) throw InputError("repeated_text: cannot cut the text to " + std::to_string(max_tokens) + " tokens");
      text.resize(at);
      cut = true;
    }
  }
  return text;
}

}  // namespace diffscope
