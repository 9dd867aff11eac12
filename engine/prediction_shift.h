// How an intervention moved the next-token prediction (issue 14): the top tokens before and after, the KL divergence
// of the next-token distributions, and a target token's log-probability and rank in each. Plain C++; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "snapshot.h"

namespace diffscope {

struct TokenProbability {
  int64_t id = 0;
  double probability = 0;
};

struct PredictionShift {
  std::vector<TokenProbability> top_clean, top_changed;  // most likely first
  double kl = 0;  // KL(clean || changed) of the next-token distributions, in nats
  std::optional<int64_t> target;
  double target_logprob_clean = 0, target_logprob_changed = 0;
  int64_t target_rank_clean = 0, target_rank_changed = 0;  // 1 + the number of more likely tokens
};

// log softmax of a row of `n` logits, in double (the largest subtracted first).
std::vector<double> log_softmax(const float* logits, int64_t n);
// 1 + the number of entries of `logp` larger than logp[id].
int64_t rank_of(const std::vector<double>& logp, int64_t id);

// From the two runs' logits for the next token (`vocab` of each); `top` tokens listed; `target` (when given) must be
// inside the vocabulary (InputError otherwise).
PredictionShift next_token_shift(const float* clean, const float* changed, int64_t vocab,
                                 std::optional<int64_t> target = std::nullopt, int top = 10);

// The log-probability of an answer teacher-forced after a prompt: the sum over k of log softmax(logits row
// first_row + k)[answer[k]] (first_row: the prompt's last token; logits [T, V] of the prompt and the answer's tokens
// but the last). Throws InputError when a row or an id is out of range.
double teacher_forced_logprob(const Matrix& logits, int64_t first_row, const std::vector<int64_t>& answer);

}  // namespace diffscope
