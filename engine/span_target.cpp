// Targets inside the prompt (span_target.h). Any thread.
#include "span_target.h"

#include <algorithm>

#include "errors.h"
#include "prediction_shift.h"
#include "tokenizer.h"

namespace diffscope {

namespace {

std::string range_text(TokenSpan span) { return std::to_string(span.begin) + ":" + std::to_string(span.end); }

}  // namespace

TokenSpan target_span_of_text(const std::vector<Token>& tokens, const std::string& prompt, const std::string& text) {
  if (text.empty()) throw InputError("the target span's text is empty: give the answer as it appears in the prompt");
  const size_t at = prompt.find(text);
  if (at == std::string::npos) {
    throw InputError("\"" + escape_for_display(text) + "\" is not in the prompt (the target span must be a part of "
                     "the prompt's text, e.g. the answer after the question)");
  }
  const TokenSpan span =
      tokens_overlapping(tokens, static_cast<int64_t>(at), static_cast<int64_t>(at + text.size()));
  if (span.begin < 1) {
    throw InputError("\"" + escape_for_display(text) + "\" starts at the prompt's first token, which no earlier token "
                     "predicts: choose a span after it");
  }
  return span;
}

TokenSpan checked_target_tokens(TokenSpan span, int64_t tokens) {
  if (span.begin >= span.end) {
    throw InputError("target tokens " + range_text(span) + " are empty: give A:B with A < B");
  }
  if (span.begin < 1) {
    throw InputError("target tokens " + range_text(span) + " start at token 0, which no earlier token predicts: "
                     "start at 1 or later");
  }
  if (span.end > tokens) {
    throw InputError("target tokens " + range_text(span) + " reach past the prompt's " + std::to_string(tokens) +
                     " tokens");
  }
  return span;
}

std::vector<int64_t> span_ids(const std::vector<Token>& tokens, TokenSpan span) {
  span = checked_target_tokens(span, static_cast<int64_t>(tokens.size()));
  std::vector<int64_t> ids;
  for (int64_t t = span.begin; t < span.end; ++t) ids.push_back(tokens[static_cast<size_t>(t)].id);
  return ids;
}

SpanScore score_span(const Matrix& logits, const std::vector<Token>& tokens, TokenSpan span) {
  span = checked_target_tokens(span, std::min<int64_t>(logits.rows, static_cast<int64_t>(tokens.size())));
  SpanScore score;
  score.all_top = true;
  const int64_t V = logits.cols;
  for (int64_t t = span.begin; t < span.end; ++t) {
    const int64_t id = tokens[static_cast<size_t>(t)].id;
    if (id < 0 || id >= V) {
      throw InputError("target token " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(V));
    }
    const std::vector<double> logp = log_softmax(logits.values.data() + (t - 1) * V, V);
    const int64_t rank = rank_of(logp, id);
    score.logprob += logp[static_cast<size_t>(id)];
    if (t == span.begin) score.first_rank = rank;
    score.all_top = score.all_top && rank == 1;
  }
  return score;
}

}  // namespace diffscope
