// The intervention evaluation of eval-interventions (engine/intervention_eval.h): the random knockouts (distinct,
// seeded, the same on every platform), every answer scored inside one forward as log_softmax by hand over a plain run
// with the same interventions, and the summaries (paired drops, means and spread over draws) recomputed by a naive
// loop. Fixture Diff and standard models (byte tokenizer). Main thread; device from $DIFFSCOPE_TEST_DEVICE.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "errors.h"
#include "intervention_eval.h"
#include "model.h"
#include "scan_reference.h"
#include "test_device.h"
#include "tokenizer.h"

using namespace diffscope;
using namespace diffscope::testing;

namespace {

std::string fixture(const std::string& name) { return std::string(DIFFSCOPE_FIXTURES) + "/hf/" + name; }

// "The number is 4721. It is 4721." with its second " 4721" as the answer (bytes 25..30), the needle's 14..18.
RetrievalEpisode episode(int id, const std::string& number) {
  RetrievalEpisode e;
  e.id = id;
  e.set = "depth";
  e.text = "The number is " + number + ". It is " + number + ".";
  e.context_bytes = {0, 19};
  e.n_needles = e.n_queries = 1;
  e.queries.push_back({{25, 30}, {14, 18}, 0.5});
  return e;
}

// The answer's summed log-probability by hand: log_softmax of the rows before its tokens in a plain run.
double naive_logprob(const Model& model, const EpisodeAnswers& e, const std::vector<Intervention>& ivs, bool* top) {
  std::vector<int64_t> ids;
  for (const Token& t : e.tokens) ids.push_back(t.id);
  const Matrix logits = logits_of(model, ids, ivs);
  double sum = 0;
  *top = true;
  for (int64_t t = e.answers[0].begin; t < e.answers[0].end; ++t) {
    const std::vector<double> lp = log_probs(logits, t - 1);
    sum += lp[static_cast<size_t>(ids[static_cast<size_t>(t)])];
    *top = *top && std::max_element(lp.begin(), lp.end()) - lp.begin() == ids[static_cast<size_t>(t)];
  }
  return sum;
}

}  // namespace

TEST_CASE("random knockouts are distinct, seeded and fixed across platforms", "[intervention_eval]") {
  const std::vector<Intervention> a = random_knockout(6, 4, 12, 1);
  REQUIRE(a.size() == 12);
  std::set<int> seen;
  for (const Intervention& iv : a) {
    CHECK(iv.what == Intervention::What::AblateZero);
    CHECK(iv.layer >= 0);
    CHECK(iv.layer < 6);
    CHECK(iv.head >= 0);
    CHECK(iv.head < 4);
    seen.insert(iv.layer * 4 + iv.head);
  }
  CHECK(seen.size() == 12);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  auto specs = [](const std::vector<Intervention>& ivs) {
    std::vector<std::string> out;
    for (const Intervention& iv : ivs) out.push_back(intervention_spec(iv));
    return out;
  };
  CHECK(specs(random_knockout(6, 4, 12, 1)) == specs(a));
  CHECK(specs(random_knockout(6, 4, 12, 2)) != specs(a));
  CHECK(random_knockout(6, 4, 24, 9).size() == 24);  // every head
  CHECK(random_knockout(6, 4, 0, 9).empty());
  // The first output of std::mt19937_64 seeded 5489 (its default) is 14514284786278117030 (fixed by the standard's
  // algorithm): mod 7 = 1, mod 10 = 0.
  CHECK(intervention_spec(random_knockout(1, 7, 1, 5489)[0]) == "L0.H1:ablate=zero");
  CHECK(intervention_spec(random_knockout(1, 10, 1, 5489)[0]) == "L0.H0:ablate=zero");
  CHECK_THROWS_AS(random_knockout(6, 4, 25, 1), InputError);
  CHECK_THROWS_AS(random_knockout(6, 4, -1, 1), InputError);
}

TEST_CASE("mean and sample standard deviation, and every k-th episode", "[intervention_eval]") {
  double mean = 0, sd = 0;
  mean_and_sd({1, 2, 3, 4}, mean, sd);
  CHECK(mean == Approx(2.5));
  CHECK(sd == Approx(std::sqrt(5.0 / 3.0)));  // squares 2.25 + 0.25 + 0.25 + 2.25 = 5 over 3
  mean_and_sd({7}, mean, sd);
  CHECK(mean == 7);
  CHECK(sd == 0);
  std::vector<RetrievalEpisode> ten;
  for (int i = 0; i < 10; ++i) ten.push_back(episode(i, "4721"));
  std::vector<int> ids;
  for (const RetrievalEpisode& e : every_kth_episode(ten, 3)) ids.push_back(e.id);
  CHECK(ids == std::vector<int>{0, 3, 6});
  CHECK(every_kth_episode(ten, 0).size() == 10);
  CHECK(every_kth_episode(ten, 50).size() == 10);
}

TEST_CASE("answers are scored inside one forward, as log_softmax by hand over a plain run", "[intervention_eval]") {
  const auto diff = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const ByteTokenizer bytes;
  const EpisodeAnswers e = episode_answers(bytes, episode(0, "4721"), diff->info().max_positions);
  REQUIRE(e.answers.size() == 1);
  CHECK(e.answers[0].begin == 25);  // bytes are tokens: " 4721" is tokens 25..29
  CHECK(e.answers[0].end == 30);
  for (const std::vector<Intervention>& ivs :
       {std::vector<Intervention>{}, every_head(diff->info().num_layers, Intervention::What::Lambda, 0),
        random_knockout(diff->info().num_layers, diff->info().num_heads, 3, 4)}) {
    bool top = false;
    const double want = naive_logprob(*diff, e, ivs, &top);
    const std::vector<SpanScore> got = score_answers(*diff, e, ivs);
    REQUIRE(got.size() == 1);
    CHECK(got[0].logprob == Approx(want).margin(1e-7));
    CHECK(got[0].all_top == top);
  }
  // An answer that starts the text: nothing predicts it.
  RetrievalEpisode first = episode(1, "4721");
  first.queries[0].answer_bytes = {0, 3};
  CHECK_THROWS_WITH(episode_answers(bytes, first, 1024), Catch::Contains("an answer starts the text"));
  CHECK_THROWS_WITH(episode_answers(bytes, episode(2, "4721"), 10), Catch::Contains("more than the model's context"));
}

TEST_CASE("condition summaries: drops paired with the clean run, mean and spread over draws", "[intervention_eval]") {
  const auto diff = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const ModelInfo& info = diff->info();
  const ByteTokenizer bytes;
  const std::vector<EpisodeAnswers> episodes = {episode_answers(bytes, episode(0, "4721"), info.max_positions),
                                                episode_answers(bytes, episode(1, "9036"), info.max_positions)};
  const std::vector<Intervention> lambda0 = every_head(info.num_layers, Intervention::What::Lambda, 0);
  const std::vector<std::vector<Intervention>> knockouts = {random_knockout(info.num_layers, info.num_heads, 4, 1),
                                                            random_knockout(info.num_layers, info.num_heads, 4, 2)};
  int64_t last_done = 0, last_due = 0;
  const std::vector<ConditionSummary> got = evaluate_conditions(
      *diff, episodes, {{"lambda0", {lambda0}}, {"knockout", knockouts}}, [&](int64_t done, int64_t due) {
        last_done = done;
        last_due = due;
      });
  CHECK(last_done == 2 * (1 + 1 + 2));  // clean, lambda0, two draws: one forward per episode each
  CHECK(last_due == last_done);
  REQUIRE(got.size() == 3);
  // The naive loop: each answer's log p clean and under each set.
  std::vector<double> answer_drops;  // of the last call, one per answer
  auto mean_over_answers = [&](const std::vector<Intervention>& ivs, double* drop, double* accuracy) {
    double lp = 0, dr = 0, correct = 0;
    answer_drops.clear();
    for (const EpisodeAnswers& e : episodes) {
      bool top = false, unused = false;
      const double changed = naive_logprob(*diff, e, ivs, &top);
      lp += changed;
      answer_drops.push_back(naive_logprob(*diff, e, {}, &unused) - changed);
      dr += answer_drops.back();
      correct += top ? 1 : 0;
    }
    *drop = dr / 2;
    *accuracy = correct / 2;
    return lp / 2;
  };
  double drop = 0, accuracy = 0;
  CHECK(got[0].name == "clean");
  CHECK(got[0].mean_logprob == Approx(mean_over_answers({}, &drop, &accuracy)).margin(1e-7));
  CHECK(got[0].mean_drop == 0);
  CHECK(got[0].accuracy == accuracy);
  CHECK(got[0].answers == 2);
  CHECK(got[1].mean_logprob == Approx(mean_over_answers(lambda0, &drop, &accuracy)).margin(1e-7));
  CHECK(got[1].mean_drop == Approx(drop).margin(1e-7));
  CHECK(std::fabs(drop) > 1e-3);  // lambda = 0 moved the answers
  // Two answers a, b: sample sd |a - b| / sqrt 2, standard error that over sqrt 2.
  CHECK(got[1].drop_se == Approx(std::fabs(answer_drops[0] - answer_drops[1]) / 2).margin(1e-7));
  CHECK(got[1].draws == 1);
  CHECK(got[1].drop_sd == 0);
  double d1 = 0, d2 = 0, a1 = 0, a2 = 0;
  (void)mean_over_answers(knockouts[0], &d1, &a1);
  const std::vector<double> first_draw = answer_drops;
  (void)mean_over_answers(knockouts[1], &d2, &a2);
  // The standard error is over the answers' drops averaged over the two draws.
  const double a = (first_draw[0] + answer_drops[0]) / 2, b = (first_draw[1] + answer_drops[1]) / 2;
  CHECK(got[2].drop_se == Approx(std::fabs(a - b) / 2).margin(1e-7));
  CHECK(got[2].draws == 2);
  CHECK(got[2].mean_drop == Approx((d1 + d2) / 2).margin(1e-7));
  CHECK(got[2].drop_sd == Approx(std::fabs(d1 - d2) / std::sqrt(2.0)).margin(1e-7));  // sample sd of two values
  CHECK(got[2].drop_min == Approx(std::min(d1, d2)).margin(1e-7));
  CHECK(got[2].drop_max == Approx(std::max(d1, d2)).margin(1e-7));
  CHECK(got[2].accuracy == Approx((a1 + a2) / 2));
}
