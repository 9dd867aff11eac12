// Scores a model on held-out key-information retrieval episodes (the paper's needle test) and held-out text:
// answer accuracy, attention on the answer span vs the noise context, LM loss. Plain C++ over Model and Tokenizer;
// the thread that owns the Model calls it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model.h"
#include "tokenizer.h"

namespace diffscope {

struct RetrievalEpisode {
  struct Query {
    std::pair<int64_t, int64_t> answer_bytes;         // the answer the model must produce, e.g. " 4721"
    std::pair<int64_t, int64_t> needle_number_bytes;  // the number inside its needle sentence
    double depth = 0;                                  // where the needle sits in the context, 0..1
  };
  int id = 0;
  std::string set;                  // "depth" or "multi"
  std::string text;
  std::pair<int64_t, int64_t> context_bytes;  // the haystack with the needles, before the questions
  int n_needles = 0;
  int n_queries = 0;
  int haystack_chars = 0;
  std::optional<double> depth_target;
  std::vector<Query> queries;
};

// Reads episodes written by scripts/training/make_eval_set.py (JSON lines). Throws FileError naming the line.
std::vector<RetrievalEpisode> read_retrieval_episodes(const std::string& path);

struct QueryScore {
  bool correct = false;  // every answer token is the model's top prediction (what greedy decoding would produce)
  double signal = 0;     // attention of the last token before the answer on the needle's number, mean over
                         // layers and heads (D for a Diff model, the softmax map for a standard one)
  double noise = 0;      // the same on the rest of the context (the first token, the sink, is left out)
  double noise_abs = 0;  // the same over |entries| (D's negative entries cannot cancel positive ones)
};

// One forward pass per query (with the gold answers of earlier queries in the text, as the model would see them).
std::vector<QueryScore> score_episode(const Model& model, const Tokenizer& tokenizer, const RetrievalEpisode& episode);

// Mean next-token negative log-likelihood (nats) over the documents of `text` (separated by blank lines), each
// tokenized on its own and cut to the model's context.
double heldout_loss(const Model& model, const Tokenizer& tokenizer, const std::string& text);

}  // namespace diffscope
