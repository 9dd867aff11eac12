// `diffscope-cli eval-interventions` (cli_eval_interventions.h): builds the conditions for each model (Diff: lambda =
// 0 and lambda x 2 at every head; any model: K random heads zero-ablated, one draw per seed), runs them over the
// episodes and prints the table. Main thread.
#include "cli_eval_interventions.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli_options.h"
#include "errors.h"
#include "intervention_eval.h"
#include "model.h"
#include "retrieval_eval.h"

using namespace diffscope;

namespace {

const char* kUsage =
    "usage: diffscope-cli eval-interventions [--model DIR] [--model-b DIR|none] [--episodes FILE.jsonl] [--limit N]\n"
    "                                        [--seeds S] [--seed X] [--knockouts K,K..] [--lambda-scales F,F..]\n"
    "                                        [--out FILE.md] [--device cpu|cuda] [--dtype f32|bf16]\n"
    "  On each episode (one forward scores every answer inside it: each answer token from the token before it), the\n"
    "  answer's log-probability (summed over its tokens) and accuracy (every answer token the top prediction):\n"
    "  clean; for a Diff model lambda = 0 at every head (only A1) and lambda x F at every head (default 0.5 and 2:\n"
    "  half of lambda = 0's change, and one as large the other way); for each model K random heads zero-ablated,\n"
    "  one draw per seed X, X+1, .. (S draws, default 5; one draw when K is every head). Drops are paired with the\n"
    "  clean run, averaged over the answers, then over the draws (sd and min..max over draws).\n"
    "  defaults: assets/models/diff and assets/models/standard, assets/eval/retrieval.jsonl, every episode,\n"
    "  --knockouts: half and all of the Diff model's heads (the number of heads lambda = 0 changes)\n";

struct Options {
  std::string model = "assets/models/diff", model_b = "assets/models/standard";
  std::string episodes = "assets/eval/retrieval.jsonl";
  std::string out, device = "cpu", dtype = "f32";
  int limit = 0, seeds = 5;
  int64_t seed = 1;
  std::vector<double> lambda_scales{0.5, 2.0};
  std::vector<int> knockouts;  // empty: half and all of the Diff model's heads
  bool help = false;           // --help (or -h) where an option stands: print the usage, check nothing else
};

Options parse(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    auto value = [&]() -> std::string { return flag_value(args, i); };
    if (flag == "--model") o.model = value();
    else if (flag == "--model-b") o.model_b = value();
    else if (flag == "--episodes") o.episodes = value();
    else if (flag == "--limit") o.limit = parse_int(flag, value());
    else if (flag == "--seeds") o.seeds = parse_int(flag, value());
    else if (flag == "--seed") o.seed = parse_integer(flag, value());
    else if (flag == "--lambda-scales") {
      o.lambda_scales.clear();
      std::stringstream in(value());
      std::string part;
      while (std::getline(in, part, ',')) o.lambda_scales.push_back(parse_real(flag, part));
    }
    else if (flag == "--knockouts") {
      const std::string text = value();
      std::stringstream in(text);
      std::string part;
      while (std::getline(in, part, ',')) {
        const int k = parse_int(flag, part);
        if (k < 1) throw UsageError("--knockouts " + text + ": each count must be at least 1");
        o.knockouts.push_back(k);
      }
      if (o.knockouts.empty()) throw UsageError("--knockouts: give head counts as K,K.., e.g. 12,24");
    }
    else if (flag == "--out") o.out = value();
    else if (flag == "--device") o.device = value();
    else if (flag == "--dtype") o.dtype = value();
    else if (flag == "--help" || flag == "-h") {
      o.help = true;
      return o;
    } else throw UsageError("unknown option \"" + flag + "\"");
  }
  if (o.limit < 0) throw UsageError("--limit must be at least 1 (leave it out for every episode)");
  if (o.seeds < 1) throw UsageError("--seeds must be at least 1");
  if (o.seed < 0) throw UsageError("--seed must be 0 or more");
  return o;
}

std::string fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The conditions run on one model: `knockouts` head counts (those larger than the model's heads are left out).
std::vector<EvalCondition> conditions_for(const ModelInfo& info, const Options& o, const std::vector<int>& knockouts) {
  const int total = info.num_layers * info.num_heads;
  std::vector<EvalCondition> out;
  if (info.kind == AttentionKind::Differential) {
    out.push_back({"lambda = 0 at every head (" + std::to_string(total) + ")",
                   {every_head(info.num_layers, Intervention::What::Lambda, 0)}});
    for (double f : o.lambda_scales) {
      out.push_back({"lambda x " + fixed(f, 2) + " at every head (" + std::to_string(total) + ")",
                     {every_head(info.num_layers, Intervention::What::LambdaScale, f)}});
    }
  }
  for (int k : knockouts) {
    if (k > total) continue;
    EvalCondition c;
    c.name = std::to_string(k) + " of " + std::to_string(total) + " heads zero-ablated" +
             (k == total ? " (all)" : " at random");
    const int draws = k == total ? 1 : o.seeds;
    for (int s = 0; s < draws; ++s) {
      c.draws.push_back(random_knockout(info.num_layers, info.num_heads, k, static_cast<uint64_t>(o.seed + s)));
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

int command_eval_interventions(const std::vector<std::string>& args) {
  try {
    const Options o = parse(args);  // `--out --help` is a file name, `--limit 3 --help` asks for the usage
    if (o.help) {
      std::cout << kUsage;
      return 0;
    }
    std::vector<std::string> dirs{o.model};
    if (!o.model_b.empty() && o.model_b != "none") dirs.push_back(o.model_b);
    const std::vector<RetrievalEpisode> all = read_retrieval_episodes(o.episodes);
    const std::vector<RetrievalEpisode> episodes = every_kth_episode(all, o.limit);
    std::vector<std::unique_ptr<Model>> models;
    for (const std::string& dir : dirs) models.push_back(Model::load(dir, LoadOptions{o.device, o.dtype, {}}));
    // The knockout counts: by default half and all of the (first) Diff model's heads, the number lambda = 0 changes.
    std::vector<int> knockouts = o.knockouts;
    if (knockouts.empty()) {
      for (const auto& m : models) {
        if (m->info().kind != AttentionKind::Differential) continue;
        const int total = m->info().num_layers * m->info().num_heads;
        knockouts = {std::max(1, total / 2), total};
        break;
      }
      if (knockouts.empty()) {
        const int total = models[0]->info().num_layers * models[0]->info().num_heads;
        knockouts = {std::max(1, total / 2), total};
      }
    }
    std::ostringstream md;
    int answers = 0;
    for (const RetrievalEpisode& e : episodes) answers += static_cast<int>(e.queries.size());
    md << "Answer log-probability under interventions: " << episodes.size() << " of the " << all.size()
       << " episodes of " << o.episodes
       << (episodes.size() < all.size() ? " (every " + std::to_string(all.size() / episodes.size()) + "th)" : "")
       << ", " << answers << " answers, " << o.device << ", " << o.dtype << "; random draws seeded " << o.seed << ".."
       << o.seed + o.seeds - 1 << ".\n\n"
       << "log p: the answer's tokens' summed log-probability, each given the text before it (one forward per episode,\n"
          "gold answers in the text). drop: clean log p - changed log p per answer, mean over answers (positive: the\n"
          "answer lost); for random knockouts the mean over draws, sd and min..max over draws; se: the standard error\n"
          "of the mean drop over the answers (each answer's drop averaged over the draws). accuracy: every answer\n"
          "token is the top prediction.\n\n"
       << "| model | condition | draws | mean log p | mean drop (nats) | se over answers | drop sd over draws | "
          "drop min..max | accuracy |\n"
       << "|---|---|---|---|---|---|---|---|---|\n";
    for (size_t i = 0; i < models.size(); ++i) {
      const Model& model = *models[i];
      const ModelInfo& info = model.info();
      const auto start = std::chrono::steady_clock::now();
      auto tokenizer = tokenizer_for_model(dirs[i], info.vocab_size);
      std::vector<EpisodeAnswers> prepared;
      for (const RetrievalEpisode& e : episodes) prepared.push_back(episode_answers(*tokenizer, e, info.max_positions));
      const std::vector<EvalCondition> conditions = conditions_for(info, o, knockouts);
      int64_t last_shown = -1;
      const auto summaries = evaluate_conditions(model, prepared, conditions, [&](int64_t done, int64_t due) {
        const int64_t tenth = done * 10 / due;
        if (tenth != last_shown) {
          last_shown = tenth;
          std::cerr << "eval-interventions: " << info.name << " " << done << "/" << due << " forwards\n";
        }
      });
      for (const ConditionSummary& s : summaries) {
        const bool spread = s.draws > 1;
        md << "| " << info.name << " (" << info.model_type << ") | " << s.name << " | " << s.draws << " | "
           << fixed(s.mean_logprob, 3) << " | " << fixed(s.mean_drop, 3) << " | " << fixed(s.drop_se, 3) << " | "
           << (spread ? fixed(s.drop_sd, 3) : "-") << " | "
           << (spread ? fixed(s.drop_min, 3) + ".." + fixed(s.drop_max, 3) : "-") << " | " << fixed(s.accuracy, 3)
           << (spread ? " (sd " + fixed(s.accuracy_sd, 3) + ")" : "") << " |\n";
      }
      std::cerr << "eval-interventions: " << info.name << " done in "
                << static_cast<int>(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count())
                << " s\n";
    }
    std::cout << md.str();
    if (!o.out.empty()) {
      std::ofstream out(o.out);
      if (!(out << md.str())) throw FileError("cannot write " + o.out);
      std::cout << "wrote " << o.out << "\n";
    }
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "diffscope-cli eval-interventions: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "diffscope-cli eval-interventions: " << e.what() << "\n";
    return 1;
  }
}
