// What the head-effect scan should give for one head, computed the plain way: the intervention alone through
// Model::run (the --intervene path) on the prompt and the answer's tokens but the last, log-probabilities in double.
// For test_head_scan and test_model_families. Main thread.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "head_scan.h"
#include "model.h"
#include "prediction_shift.h"
#include "tokenizer.h"

namespace diffscope::testing {

// Row `row` of the run's logits as log-probabilities in double (as next_token_shift and the scan compute them).
inline std::vector<double> log_probs(const Matrix& logits, int64_t row) {
  const float* r = logits.values.data() + row * logits.cols;
  double top = r[0];
  for (int64_t v = 1; v < logits.cols; ++v) top = std::max(top, double(r[v]));
  double sum = 0;
  for (int64_t v = 0; v < logits.cols; ++v) sum += std::exp(double(r[v]) - top);
  std::vector<double> out(static_cast<size_t>(logits.cols));
  for (int64_t v = 0; v < logits.cols; ++v) out[static_cast<size_t>(v)] = double(r[v]) - top - std::log(sum);
  return out;
}

inline Matrix logits_of(const Model& model, const std::vector<int64_t>& ids,
                        std::vector<Intervention> interventions = {}) {
  CaptureRequest r;
  r.maps = CaptureRequest::Maps::None;
  r.statistics = false;
  r.overviews = false;
  r.keep_store = false;
  r.interventions = std::move(interventions);
  return model.run(tokens_from_ids(ids), r).logits;
}

// The scan's numbers for (layer, head), recomputed by running the intervention alone through Model::run on the
// prompt followed by the answer's tokens but the last.
inline HeadEffect scan_reference(const Model& model, const std::vector<int64_t>& prompt,
                                 const std::vector<int64_t>& answer, const Intervention& iv) {
  std::vector<int64_t> seq = prompt;
  seq.insert(seq.end(), answer.begin(), answer.end() - 1);
  const Matrix clean = logits_of(model, seq), changed = logits_of(model, seq, {iv});
  const int64_t P = static_cast<int64_t>(prompt.size()), V = clean.cols;
  HeadEffect e;
  e.layer = iv.layer;
  e.head = iv.head;
  for (size_t k = 0; k < answer.size(); ++k) {
    e.logprob_clean += log_probs(clean, P - 1 + static_cast<int64_t>(k))[static_cast<size_t>(answer[k])];
    e.logprob_changed += log_probs(changed, P - 1 + static_cast<int64_t>(k))[static_cast<size_t>(answer[k])];
  }
  const PredictionShift s = next_token_shift(clean.values.data() + (P - 1) * V, changed.values.data() + (P - 1) * V,
                                             V, answer[0]);
  e.rank_clean = s.target_rank_clean;
  e.rank_changed = s.target_rank_changed;
  e.kl = s.kl;
  return e;
}

}  // namespace diffscope::testing
