// A prompt of a chosen length in tokens made of natural text: the text repeated until every given tokenizer counts
// enough tokens, then cut to at most that many as each of them counts (the app's --benchmark on real models). Any
// thread (tokenizers are immutable).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer.h"

namespace diffscope {

// `source` repeated (copies separated by a blank line) and cut at a token boundary so that every tokenizer in
// `tokenizers` counts at most `max_tokens` tokens, and the first of them (the cut is made at its token boundaries
// first) usually exactly max_tokens: a later tokenizer that counts more cuts again, and re-tokenizing a cut text can
// merge its last tokens. Never cuts inside a UTF-8 character. Throws InputError for an empty source, max_tokens < 1
// or no tokenizer.
std::string repeated_text(const std::string& source, int64_t max_tokens, const std::vector<const Tokenizer*>& tokenizers);

}  // namespace diffscope
