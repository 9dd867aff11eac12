// The bundled pair's intervention evaluation (intervention_eval.h). Called by the thread that owns the Model.
#include "intervention_eval.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "errors.h"

namespace diffscope {

EpisodeAnswers episode_answers(const Tokenizer& tokenizer, const RetrievalEpisode& episode, int64_t context) {
  EpisodeAnswers out;
  out.episode = episode.id;
  out.tokens = tokenizer.encode(episode.text);
  if (static_cast<int64_t>(out.tokens.size()) > context) {
    throw InputError("episode " + std::to_string(episode.id) + ": " + std::to_string(out.tokens.size()) +
                     " tokens, more than the model's context of " + std::to_string(context));
  }
  for (const RetrievalEpisode::Query& query : episode.queries) {
    const TokenSpan span = tokens_overlapping(out.tokens, query.answer_bytes.first, query.answer_bytes.second);
    if (span.begin < 1) {
      throw InputError("episode " + std::to_string(episode.id) + ": an answer starts the text (no token before it "
                       "predicts it)");
    }
    out.answers.push_back(span);
  }
  return out;
}

std::vector<SpanScore> score_answers(const Model& model, const EpisodeAnswers& episode,
                                     const std::vector<Intervention>& interventions) {
  CaptureRequest request;
  request.maps = CaptureRequest::Maps::None;
  request.statistics = false;
  request.overviews = false;
  request.keep_store = false;
  request.interventions = interventions;
  const Matrix logits = model.run(episode.tokens, request).logits;
  std::vector<SpanScore> scores;
  for (const TokenSpan& answer : episode.answers) scores.push_back(score_span(logits, episode.tokens, answer));
  return scores;
}

std::vector<Intervention> random_knockout(int layers, int heads, int count, uint64_t seed) {
  const int total = layers * heads;
  if (layers < 1 || heads < 1 || count < 0 || count > total) {
    throw InputError("cannot knock out " + std::to_string(count) + " of " + std::to_string(total) + " heads (" +
                     std::to_string(layers) + " layers x " + std::to_string(heads) + ")");
  }
  std::vector<int> order(static_cast<size_t>(total));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);  // its sequence is fixed by the standard; the distributions' are not, hence the modulo
  for (int i = 0; i < count; ++i) {
    const int j = i + static_cast<int>(rng() % static_cast<uint64_t>(total - i));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  std::sort(order.begin(), order.begin() + count);
  std::vector<Intervention> out;
  for (int i = 0; i < count; ++i) {
    Intervention iv;
    iv.layer = order[static_cast<size_t>(i)] / heads;
    iv.head = order[static_cast<size_t>(i)] % heads;
    iv.what = Intervention::What::AblateZero;
    out.push_back(iv);
  }
  return out;
}

std::vector<Intervention> every_head(int layers, Intervention::What what, double value) {
  std::vector<Intervention> out;
  for (int l = 0; l < layers; ++l) {
    Intervention iv;
    iv.layer = l;
    iv.head = -1;
    iv.what = what;
    iv.value = value;
    out.push_back(iv);
  }
  return out;
}

void mean_and_sd(const std::vector<double>& values, double& mean, double& sd) {
  mean = sd = 0;
  if (values.empty()) return;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  if (values.size() < 2) return;
  for (double v : values) sd += (v - mean) * (v - mean);
  sd = std::sqrt(sd / static_cast<double>(values.size() - 1));
}

std::vector<ConditionSummary> evaluate_conditions(const Model& model, const std::vector<EpisodeAnswers>& episodes,
                                                  const std::vector<EvalCondition>& conditions,
                                                  const std::function<void(int64_t, int64_t)>& progress) {
  int64_t due = static_cast<int64_t>(episodes.size()), done = 0;
  for (const EvalCondition& c : conditions) due += static_cast<int64_t>(c.draws.size() * episodes.size());
  auto tick = [&] {
    ++done;
    if (progress) progress(done, due);
  };
  // The clean run's scores, answer by answer (every condition's drop is paired with them).
  std::vector<SpanScore> clean;
  for (const EpisodeAnswers& e : episodes) {
    for (const SpanScore& s : score_answers(model, e, {})) clean.push_back(s);
    tick();
  }
  const int answers = static_cast<int>(clean.size());
  if (answers == 0) throw InputError("the episodes hold no answers to score");
  auto summarize = [&](const std::string& name, const std::vector<std::vector<SpanScore>>& draws) {
    ConditionSummary s;
    s.name = name;
    s.draws = static_cast<int>(draws.size());
    s.answers = answers;
    std::vector<double> logprob, drop, accuracy, answer_drop(static_cast<size_t>(answers), 0.0);
    for (const std::vector<SpanScore>& draw : draws) {
      double lp = 0, dr = 0, correct = 0;
      for (size_t i = 0; i < draw.size(); ++i) {
        lp += draw[i].logprob;
        dr += clean[i].logprob - draw[i].logprob;
        answer_drop[i] += (clean[i].logprob - draw[i].logprob) / static_cast<double>(draws.size());
        correct += draw[i].all_top ? 1 : 0;
      }
      logprob.push_back(lp / answers);
      drop.push_back(dr / answers);
      accuracy.push_back(correct / answers);
    }
    double unused = 0;
    mean_and_sd(logprob, s.mean_logprob, unused);
    mean_and_sd(drop, s.mean_drop, s.drop_sd);
    mean_and_sd(accuracy, s.accuracy, s.accuracy_sd);
    double answer_mean = 0, answer_sd = 0;
    mean_and_sd(answer_drop, answer_mean, answer_sd);
    s.drop_se = answer_sd / std::sqrt(static_cast<double>(answers));
    s.drop_min = *std::min_element(drop.begin(), drop.end());
    s.drop_max = *std::max_element(drop.begin(), drop.end());
    return s;
  };
  std::vector<ConditionSummary> out{summarize("clean", {clean})};
  for (const EvalCondition& c : conditions) {
    if (c.draws.empty()) throw InputError("condition \"" + c.name + "\" has no draws");
    std::vector<std::vector<SpanScore>> draws;
    for (const std::vector<Intervention>& draw : c.draws) {
      std::vector<SpanScore> scores;
      for (const EpisodeAnswers& e : episodes) {
        for (const SpanScore& s : score_answers(model, e, draw)) scores.push_back(s);
        tick();
      }
      draws.push_back(std::move(scores));
    }
    out.push_back(summarize(c.name, draws));
  }
  return out;
}

std::vector<RetrievalEpisode> every_kth_episode(const std::vector<RetrievalEpisode>& episodes, int limit) {
  if (limit <= 0 || static_cast<size_t>(limit) >= episodes.size()) return episodes;
  std::vector<RetrievalEpisode> picked;
  const size_t step = episodes.size() / static_cast<size_t>(limit);
  for (size_t i = 0; i < episodes.size() && picked.size() < static_cast<size_t>(limit); i += step) {
    picked.push_back(episodes[i]);
  }
  return picked;
}

}  // namespace diffscope
