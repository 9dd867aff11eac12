// The what-if run (what_if.h): the changed run, then the next-token shift and the target's log-probability. The
// inference worker's thread.
#include "what_if.h"

#include <algorithm>

#include "errors.h"
#include "head_scan.h"
#include "span_target.h"
#include "tokenizer.h"

namespace diffscope {

WhatIf run_what_if(const SlotModel& model, const std::vector<Token>& tokens, const CaptureRequest& capture,
                   const std::vector<Intervention>& interventions, const std::string& target_text,
                   const std::function<bool()>& should_stop, std::optional<TokenSpan> target_span) {
  if (tokens.empty()) throw InputError("what-if: the prompt has no tokens");
  WhatIf out;
  out.interventions = interventions;
  out.target_text = target_span ? std::string() : target_text;
  if (target_span) {
    try {
      out.target_span = checked_target_tokens(*target_span, static_cast<int64_t>(tokens.size()));
    } catch (const InputError& e) {
      throw InputError(std::string("the what-if's target span R: ") + e.what());
    }
  }
  CaptureRequest changed = capture;
  changed.interventions = interventions;
  out.changed = std::make_shared<const AttentionSnapshot>(model.run(tokens, changed, should_stop));

  // The logits of the prompt (and a target text's tokens but the last), clean and changed, without maps.
  std::vector<Token> sequence = tokens;
  if (!out.target_text.empty()) {
    try {
      out.target_ids = model.answer_ids(target_text);
      sequence = scan_sequence(tokens, out.target_ids, model.info().max_positions, model.info().vocab_size);
    } catch (const InputError& e) {
      throw InputError(std::string("the what-if's target text: ") + e.what());
    }
  }
  CaptureRequest logits_only;
  logits_only.maps = CaptureRequest::Maps::None;
  logits_only.logits = true;
  logits_only.statistics = false;
  logits_only.overviews = false;
  logits_only.keep_store = false;
  const Matrix clean_logits = model.run(sequence, logits_only, should_stop).logits;
  logits_only.interventions = interventions;
  const Matrix changed_logits = model.run(sequence, logits_only, should_stop).logits;
  const int64_t first = static_cast<int64_t>(tokens.size()) - 1, V = clean_logits.cols;
  if (clean_logits.rows <= first || changed_logits.rows != clean_logits.rows || changed_logits.cols != V || V <= 0) {
    throw InputError("what-if: the model returned no logits for the prompt's last token");
  }
  const float* clean_row = clean_logits.values.data() + first * V;
  const float* changed_row = changed_logits.values.data() + first * V;
  if (out.target_span) {
    // Answer tokens inside the prompt: scored where they stand; the next token's top list and KL as always.
    out.target_ids = span_ids(tokens, *out.target_span);
    out.shift = next_token_shift(clean_row, changed_row, V, std::nullopt, kWhatIfTopTokens);
    const SpanScore clean = score_span(clean_logits, tokens, *out.target_span);
    const SpanScore moved = score_span(changed_logits, tokens, *out.target_span);
    out.shift.target = out.target_ids.front();
    out.shift.target_logprob_clean = clean.logprob;
    out.shift.target_logprob_changed = moved.logprob;
    out.shift.target_rank_clean = clean.first_rank;
    out.shift.target_rank_changed = moved.first_rank;
  } else {
    if (out.target_ids.empty()) {
      out.target_ids = {static_cast<int64_t>(std::max_element(clean_row, clean_row + V) - clean_row)};
    }
    out.shift = next_token_shift(clean_row, changed_row, V, out.target_ids.front(), kWhatIfTopTokens);
    out.shift.target_logprob_clean = teacher_forced_logprob(clean_logits, first, out.target_ids);
    out.shift.target_logprob_changed = teacher_forced_logprob(changed_logits, first, out.target_ids);
  }
  for (const auto* top : {&out.shift.top_clean, &out.shift.top_changed}) {
    for (const TokenProbability& t : *top) out.token_text[t.id] = escape_for_display(model.token_bytes(t.id));
  }
  for (int64_t id : out.target_ids) out.token_text[id] = escape_for_display(model.token_bytes(id));
  return out;
}

}  // namespace diffscope
