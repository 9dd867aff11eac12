// The paper's question on held-out needle episodes (issue 14): how far the answer's log-probability falls when every
// Diff head's lambda is set to 0, against zero-ablating as many heads chosen at random, with the clean run and answer
// accuracy as controls. Plain C++ over Model and Tokenizer (answers scored inside each episode's one forward,
// span_target.h); the thread that owns the Model calls it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "intervention.h"
#include "model.h"
#include "retrieval_eval.h"
#include "span_target.h"
#include "tokenizer.h"

namespace diffscope {

// An episode's tokens and its answers' token spans (the gold answers are part of the text, so one forward scores them
// all). Throws InputError when an answer starts the text (no token before it predicts it) or the text is longer than
// `context` tokens.
struct EpisodeAnswers {
  int episode = 0;
  std::vector<Token> tokens;
  std::vector<TokenSpan> answers;
};
EpisodeAnswers episode_answers(const Tokenizer& tokenizer, const RetrievalEpisode& episode, int64_t context);

// Every answer's score from one forward of the episode with `interventions` applied.
std::vector<SpanScore> score_answers(const Model& model, const EpisodeAnswers& episode,
                                     const std::vector<Intervention>& interventions);

// `count` distinct heads of a layers x heads model, each zero-ablated, drawn by a partial Fisher-Yates shuffle driven
// by std::mt19937_64(seed) (index = draw mod remaining, so the same heads on every platform), ordered by (layer,
// head). Throws InputError unless 0 <= count <= layers x heads.
std::vector<Intervention> random_knockout(int layers, int heads, int count, uint64_t seed);

// One intervention per layer covering all its heads ("L<l>.H*:<what>").
std::vector<Intervention> every_head(int layers, Intervention::What what, double value = 0);

// A named condition: one set of interventions per draw (one draw for a fixed set, one per seed for a random one).
struct EvalCondition {
  std::string name;
  std::vector<std::vector<Intervention>> draws;
};

// A condition over every answer: means over the answers for each draw, then the mean and the spread over the draws.
struct ConditionSummary {
  std::string name;
  int draws = 0;
  int answers = 0;
  double mean_logprob = 0;             // mean over draws of the mean answer log-probability (summed over its tokens)
  double mean_drop = 0, drop_sd = 0;   // drop = clean log p - changed log p per answer (positive: the answer lost)
  double drop_min = 0, drop_max = 0;   // of the draws' mean drops
  double drop_se = 0;  // standard error of mean_drop over the answers (each answer's drop averaged over the draws)
  double accuracy = 0, accuracy_sd = 0;  // every answer token the top prediction
};

// Runs the clean model and every draw of every condition over the episodes and summarizes each against the clean
// run (the first summary is the clean run itself: drop 0). `progress` (may be empty) gets the forwards done and due.
std::vector<ConditionSummary> evaluate_conditions(const Model& model, const std::vector<EpisodeAnswers>& episodes,
                                                  const std::vector<EvalCondition>& conditions,
                                                  const std::function<void(int64_t, int64_t)>& progress = {});

// Summary of per-draw means: the mean and the sample standard deviation (0 for one draw).
void mean_and_sd(const std::vector<double>& values, double& mean, double& sd);

// Every k-th of the episodes (k = size / limit) so each cell of the set stays represented; all when limit <= 0 or
// limit >= size.
std::vector<RetrievalEpisode> every_kth_episode(const std::vector<RetrievalEpisode>& episodes, int limit);

}  // namespace diffscope
