// The what-if run of a slot (issue 14): the prompt run again with interventions, captured as the clean run was, and
// how the next-token prediction and a target's log-probability moved against the clean run. Plain C++ over
// SlotModel; the thread that owns the model (the inference worker's).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "intervention.h"
#include "prediction_shift.h"
#include "slot_model.h"
#include "snapshot.h"

namespace diffscope {

constexpr int kWhatIfTopTokens = 10;

struct WhatIf {
  std::vector<Intervention> interventions;
  SnapshotPtr changed;  // the intervened run, with the maps and statistics the clean run captured
  // The next token after the prompt: the top kWhatIfTopTokens of each run and KL(clean || changed). Its target is the
  // answer's first token (rank: of that token), its log-probabilities the answer's summed over its tokens, each
  // teacher-forced after the prompt and the answer's tokens before it; without an answer text, the clean run's most
  // likely next token (the sum is that one token's).
  PredictionShift shift;
  std::string target_text;        // the answer text asked for ("" : the clean run's most likely next token)
  // Or answer tokens the prompt holds (the app's span R): their summed log-probability, each given the prompt's tokens
  // before it, and the rank of the first in its row, from the same two runs (span_target.h). The top tokens and KL
  // stay the next token's.
  std::optional<TokenSpan> target_span;
  std::vector<int64_t> target_ids;  // the answer's ids (or that one token)
  std::map<int64_t, std::string> token_text;  // the top tokens' and the target's text, escaped for display
};
using WhatIfPtr = std::shared_ptr<const WhatIf>;

// Runs `tokens` with `interventions` (capture as `capture`), then the clean and changed runs' logits over the prompt
// (and the answer's tokens but the last, for a target text). `target_span`, when given, is the target instead of the
// text. Throws InputError naming what is wrong (an intervention the model cannot take, a target text that gives no
// tokens or does not fit the context, a span that starts at the first token), Cancelled.
WhatIf run_what_if(const SlotModel& model, const std::vector<Token>& tokens, const CaptureRequest& capture,
                   const std::vector<Intervention>& interventions, const std::string& target_text,
                   const std::function<bool()>& should_stop, std::optional<TokenSpan> target_span = std::nullopt);

}  // namespace diffscope
