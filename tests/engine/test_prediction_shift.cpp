// The next-token shift of an intervention (engine/prediction_shift.h) on hand-derived distributions. Test thread.
#include <catch2/catch.hpp>

#include <cmath>

#include "errors.h"
#include "prediction_shift.h"

using namespace diffscope;

TEST_CASE("next-token shift: top tokens, KL and a target's log-probability and rank, by hand") {
  // clean: softmax(0, ln 2, 0) = (1/4, 1/2, 1/4); changed: softmax(ln 2, 0, 0) = (1/2, 1/4, 1/4).
  const float clean[] = {0.0f, static_cast<float>(std::log(2.0)), 0.0f};
  const float changed[] = {static_cast<float>(std::log(2.0)), 0.0f, 0.0f};
  const PredictionShift s = next_token_shift(clean, changed, 3, int64_t{0}, 2);
  REQUIRE(s.top_clean.size() == 2);
  CHECK(s.top_clean[0].id == 1);
  CHECK(s.top_clean[0].probability == Approx(0.5));
  CHECK(s.top_clean[1].id == 0);  // ties (ids 0 and 2 at 1/4) list the lower id first
  CHECK(s.top_changed[0].id == 0);
  // KL = 1/4 ln(1/2) + 1/2 ln 2 + 1/4 ln 1 = ln 2 / 4
  CHECK(s.kl == Approx(std::log(2.0) / 4).epsilon(1e-6));
  CHECK(s.target_logprob_clean == Approx(std::log(0.25)).epsilon(1e-6));
  CHECK(s.target_logprob_changed == Approx(std::log(0.5)).epsilon(1e-6));
  CHECK(s.target_rank_clean == 2);  // only id 1 is more likely (id 2 ties)
  CHECK(s.target_rank_changed == 1);
  // The same distribution: KL 0 exactly (never negative), ranks unchanged.
  const PredictionShift same = next_token_shift(clean, clean, 3, int64_t{2});
  CHECK(same.kl == 0.0);
  CHECK(same.target_rank_clean == same.target_rank_changed);
  CHECK(same.top_clean.size() == 3);  // top 10 of 3 tokens
  CHECK_THROWS_AS(next_token_shift(clean, changed, 3, int64_t{3}), InputError);
}

TEST_CASE("a teacher-forced target sums the log-probabilities of its tokens row after row") {
  // Rows: softmax(0, ln 2, 0) = (1/4, 1/2, 1/4), then softmax(ln 3, 0, 0) = (3/5, 1/5, 1/5).
  Matrix logits;
  logits.rows = 3;
  logits.cols = 3;
  logits.values = {9.0f, 9.0f, 9.0f, 0.0f, static_cast<float>(std::log(2.0)), 0.0f,
                   static_cast<float>(std::log(3.0)), 0.0f, 0.0f};
  CHECK(teacher_forced_logprob(logits, 1, {1, 0}) == Approx(std::log(0.5 * 0.6)).epsilon(1e-6));
  CHECK(teacher_forced_logprob(logits, 2, {2}) == Approx(std::log(0.2)).epsilon(1e-6));
  CHECK_THROWS_WITH(teacher_forced_logprob(logits, 2, {1, 0}), Catch::Contains("not inside the 3 rows"));
  CHECK_THROWS_WITH(teacher_forced_logprob(logits, 1, {3}), Catch::Contains("outside the vocabulary of 3"));
}
