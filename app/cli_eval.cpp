// `diffscope-cli eval-retrieval`: accuracy and answer-span vs noise-context attention on held-out needle episodes,
// and held-out LM loss, for one or two models; prints Markdown tables (and writes them with --out). Main thread.
#include "cli_eval.h"
#include "cli_files.h"
#include "cli_options.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "errors.h"
#include "intervention_eval.h"
#include "model.h"
#include "retrieval_eval.h"

using namespace diffscope;

namespace {

struct EvalOptions {
  std::vector<std::string> models;
  std::string episodes = "assets/eval/retrieval.jsonl";
  std::string heldout = "assets/eval/heldout_text.txt";
  std::string out;
  std::string device = "cpu";
  std::string dtype = "f32";
  int limit = 0;  // 0: all episodes
};

const char* kUsage =
    "usage: diffscope-cli eval-retrieval [--model DIR] [--model-b DIR] [--episodes FILE.jsonl] [--heldout FILE]\n"
    "                                    [--limit N] [--out FILE.md] [--device cpu|cuda] [--dtype f32|bf16]\n"
    "  defaults: assets/models/diff and assets/models/standard, assets/eval/retrieval.jsonl and heldout_text.txt\n";

EvalOptions parse(const std::vector<std::string>& args) {
  EvalOptions o;
  std::string a = "assets/models/diff", b = "assets/models/standard";
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&]() -> std::string { return flag_value(args, i); };
    const std::string& flag = args[i];
    if (flag == "--model") a = value();
    else if (flag == "--model-b") b = value();
    else if (flag == "--episodes") o.episodes = value();
    else if (flag == "--heldout") o.heldout = value();
    else if (flag == "--out") o.out = value();
    else if (flag == "--device") o.device = value();
    else if (flag == "--dtype") o.dtype = value();
    else if (flag == "--limit") o.limit = parse_int(flag, value());
    else throw UsageError("unknown option \"" + flag + "\"");
  }
  o.models = {a};
  if (!b.empty() && b != "none") o.models.push_back(b);
  return o;
}

struct Tally {
  int correct = 0, total = 0;
  double signal = 0, noise = 0, noise_abs = 0;
  void add(const QueryScore& s) {
    correct += s.correct;
    ++total;
    signal += s.signal;
    noise += s.noise;
    noise_abs += s.noise_abs;
  }
  std::string accuracy() const { return total ? fixed(static_cast<double>(correct) / total, 2) : "-"; }
  std::string mean_signal() const { return total ? fixed(signal / total, 3) : "-"; }
  std::string mean_noise() const { return total ? fixed(noise / total, 3) : "-"; }
  std::string mean_noise_abs() const { return total ? fixed(noise_abs / total, 3) : "-"; }
  // The attention columns of the report: answer span, signed noise, |noise|.
  using Column = std::string (Tally::*)() const;
  static constexpr Column kAttention[] = {&Tally::mean_signal, &Tally::mean_noise, &Tally::mean_noise_abs};
  static std::string fixed(double v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
  }
};

struct ModelResult {
  ModelInfo info;
  double loss = 0;
  std::map<int, Tally> by_depth;                  // depth set, percent -> tally
  std::map<int, Tally> by_length;                 // depth set, haystack chars -> tally
  std::map<std::pair<int, int>, Tally> by_needles;  // multi set, (N, R) -> tally
  double seconds = 0;
};

std::string report(const std::vector<ModelResult>& results, size_t n_episodes, const EvalOptions& o) {
  std::ostringstream md;
  md << "Held-out retrieval (" << n_episodes << " episodes of " << o.episodes << ") and LM loss (" << o.heldout
     << "), " << o.device << ", " << o.dtype << ".\n\n";
  md << "Attention of the last token before the answer: on the needle's number (answer span) and on the rest of the\n"
        "context (noise), mean over layers and heads; D = A1 - lambda A2 for the Diff model. N = 1 needle.\n"
        "D is signed: the noise column is its signed sum (the paper's measure); |noise| sums |entries|, so entries\n"
        "of opposite sign cannot cancel (for a softmax map both are the same).\n\n";
  md << "| model | answer span at depth 0 / 25 / 50 / 75 / 100 % | noise context at depth 0 / 25 / 50 / 75 / 100 % "
        "| \\|noise\\| at depth 0 / 25 / 50 / 75 / 100 % |\n|---|---|---|---|\n";
  for (const ModelResult& r : results) {
    md << "| " << r.info.name << " (" << r.info.model_type << ") |";
    for (Tally::Column column : Tally::kAttention) {
      std::string cells;
      for (const auto& [depth, t] : r.by_depth) cells += (cells.empty() ? "" : " ") + (t.*column)();
      md << " " << cells << " |";
    }
    md << "\n";
  }
  md << "\nThe same by haystack length (N = 1, every depth):\n\n| model |";
  for (const char* title : {"answer span", "noise", "\\|noise\\|"}) {
    for (const auto& [length, t] : results[0].by_length) md << " " << title << ", " << length << " chars |";
  }
  md << "\n|---|";
  for (size_t i = 0; i < 3 * results[0].by_length.size(); ++i) md << "---|";
  md << "\n";
  for (const ModelResult& r : results) {
    md << "| " << r.info.name << " (" << r.info.model_type << ") |";
    for (Tally::Column column : Tally::kAttention) {
      for (const auto& [length, t] : r.by_length) md << " " << (t.*column)() << " |";
    }
    md << "\n";
  }
  md << "\nRetrieval accuracy (every answer token is the top prediction):\n\n| model | N=1 by depth 0/25/50/75/100 % |";
  for (const auto& [length, t] : results[0].by_length) md << " N=1, " << length << " chars |";
  for (const auto& [nr, t] : results[0].by_needles) md << " N=" << nr.first << " R=" << nr.second << " |";
  md << " held-out LM loss |\n|---|---|";
  for (size_t i = 0; i < results[0].by_length.size() + results[0].by_needles.size() + 1; ++i) md << "---|";
  md << "\n";
  for (const ModelResult& r : results) {
    std::string by_depth;
    for (const auto& [depth, t] : r.by_depth) by_depth += (by_depth.empty() ? "" : " ") + t.accuracy();
    md << "| " << r.info.name << " | " << by_depth << " |";
    for (const auto& [length, t] : r.by_length) md << " " << t.accuracy() << " |";
    for (const auto& [nr, t] : r.by_needles) md << " " << t.accuracy() << " |";
    md << " " << Tally::fixed(r.loss, 3) << " |\n";
  }
  return md.str();
}

}  // namespace

int command_eval_retrieval(const std::vector<std::string>& args) {
  try {
    const EvalOptions o = parse(args);
    std::vector<RetrievalEpisode> episodes = read_retrieval_episodes(o.episodes);
    episodes = every_kth_episode(episodes, o.limit);  // keeps every cell represented
    const std::string heldout = read_text_file(o.heldout, "held-out text");
    std::vector<ModelResult> results;
    for (const std::string& dir : o.models) {
      const auto start = std::chrono::steady_clock::now();
      auto model = Model::load(dir, LoadOptions{o.device, o.dtype, {}});
      auto tokenizer = tokenizer_for_model(dir, model->info().vocab_size);
      ModelResult r;
      r.info = model->info();
      for (const RetrievalEpisode& e : episodes) {
        const std::vector<QueryScore> scores = score_episode(*model, *tokenizer, e);
        for (const QueryScore& s : scores) {
          if (e.set == "depth") {
            r.by_depth[static_cast<int>(e.depth_target.value_or(0) * 100 + 0.5)].add(s);
            r.by_length[e.haystack_chars].add(s);
          } else {
            r.by_needles[{e.n_needles, e.n_queries}].add(s);
          }
        }
      }
      r.loss = heldout_loss(*model, *tokenizer, heldout);
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::cerr << "eval-retrieval: " << r.info.name << " done in " << static_cast<int>(r.seconds) << " s\n";
      results.push_back(std::move(r));
    }
    const std::string md = report(results, episodes.size(), o);
    std::cout << md;
    if (!o.out.empty()) {
      std::ofstream out(o.out);
      if (!(out << md)) throw FileError("cannot write " + o.out);
    }
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "diffscope-cli eval-retrieval: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "diffscope-cli eval-retrieval: " << e.what() << "\n";
    return 1;
  }
}
