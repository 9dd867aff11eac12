// Next-token shift between two runs (prediction_shift.h). Any thread.
#include "prediction_shift.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "errors.h"

namespace diffscope {

namespace {

std::vector<TokenProbability> top_tokens(const std::vector<double>& logp, int top) {
  std::vector<int64_t> order(logp.size());
  std::iota(order.begin(), order.end(), 0);
  const size_t k = std::min(order.size(), static_cast<size_t>(std::max(top, 0)));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), [&](int64_t a, int64_t b) {
    return logp[static_cast<size_t>(a)] > logp[static_cast<size_t>(b)] || (logp[static_cast<size_t>(a)] == logp[static_cast<size_t>(b)] && a < b);
  });
  std::vector<TokenProbability> out;
  for (size_t i = 0; i < k; ++i) out.push_back({order[i], std::exp(logp[static_cast<size_t>(order[i])])});
  return out;
}

}  // namespace

std::vector<double> log_softmax(const float* logits, int64_t n) {
  const double top = *std::max_element(logits, logits + n);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i]) - top);
  const double log_z = top + std::log(sum);
  std::vector<double> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = static_cast<double>(logits[i]) - log_z;
  return out;
}

int64_t rank_of(const std::vector<double>& logp, int64_t id) {
  int64_t above = 0;
  for (double v : logp) above += v > logp[static_cast<size_t>(id)] ? 1 : 0;
  return above + 1;
}

PredictionShift next_token_shift(const float* clean, const float* changed, int64_t vocab, std::optional<int64_t> target,
                                 int top) {
  if (vocab <= 0) throw InputError("next-token shift: no logits");
  if (target && (*target < 0 || *target >= vocab)) {
    throw InputError("target token " + std::to_string(*target) + " is outside the vocabulary of " +
                     std::to_string(vocab));
  }
  const std::vector<double> p = log_softmax(clean, vocab), q = log_softmax(changed, vocab);
  PredictionShift s;
  s.top_clean = top_tokens(p, top);
  s.top_changed = top_tokens(q, top);
  for (size_t i = 0; i < p.size(); ++i) s.kl += std::exp(p[i]) * (p[i] - q[i]);
  s.kl = std::max(0.0, s.kl);  // rounding can leave a tiny negative for equal distributions
  if (target) {
    s.target = target;
    s.target_logprob_clean = p[static_cast<size_t>(*target)];
    s.target_logprob_changed = q[static_cast<size_t>(*target)];
    s.target_rank_clean = rank_of(p, *target);
    s.target_rank_changed = rank_of(q, *target);
  }
  return s;
}

double teacher_forced_logprob(const Matrix& logits, int64_t first_row, const std::vector<int64_t>& answer) {
  const int64_t n = static_cast<int64_t>(answer.size());
  if (n == 0 || first_row < 0 || first_row + n > logits.rows) {
    throw InputError("teacher-forced target: rows " + std::to_string(first_row) + ".." +
                     std::to_string(first_row + n - 1) + " are not inside the " + std::to_string(logits.rows) +
                     " rows of logits");
  }
  double sum = 0;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t id = answer[static_cast<size_t>(k)];
    if (id < 0 || id >= logits.cols) {
      throw InputError("target token " + std::to_string(id) + " is outside the vocabulary of " +
                       std::to_string(logits.cols));
    }
    sum += log_softmax(logits.values.data() + (first_row + k) * logits.cols, logits.cols)[static_cast<size_t>(id)];
  }
  return sum;
}

}  // namespace diffscope
