// A target inside the prompt (issue 14): answer tokens the prompt already holds (e.g. the needle's number after the
// question), scored from the same forward: each token's log-probability given the prompt's tokens before it. Finds
// the tokens of a text or checks a token range, and scores them from a run's logits. Plain C++; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snapshot.h"

namespace diffscope {

// The tokens overlapping the first occurrence of `text` in `prompt` (byte offsets, as --span and the app's span R
// map bytes to tokens: tokens_overlapping). Throws InputError when `text` is empty or not in the prompt, or when its
// first token is the prompt's first (no row before it predicts it).
TokenSpan target_span_of_text(const std::vector<Token>& tokens, const std::string& prompt, const std::string& text);

// Checks a token range [begin, end) of a prompt of `tokens` tokens as a target: 1 <= begin < end <= tokens. Throws
// InputError saying which bound is wrong.
TokenSpan checked_target_tokens(TokenSpan span, int64_t tokens);

struct SpanScore {
  double logprob = 0;      // sum over the span's tokens t of log softmax(logits row t - 1)[id of t]
  int64_t first_rank = 0;  // of the span's first token in row begin - 1: 1 + the number of more likely tokens
  bool all_top = false;    // every token of the span is its row's most likely (greedy decoding would produce it)
};

// The span's score from one forward's logits [T, V] over `tokens`. Throws InputError when the span is not a target of
// those rows (checked_target_tokens) or an id is outside the vocabulary.
SpanScore score_span(const Matrix& logits, const std::vector<Token>& tokens, TokenSpan span);

// The ids of the span's tokens.
std::vector<int64_t> span_ids(const std::vector<Token>& tokens, TokenSpan span);

}  // namespace diffscope
