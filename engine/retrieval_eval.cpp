// Retrieval episodes and held-out loss for `diffscope-cli eval-retrieval`. Called by the thread that owns the Model.
#include "retrieval_eval.h"

#include <cmath>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "errors.h"

namespace diffscope {
namespace {

std::pair<int64_t, int64_t> byte_range(const nlohmann::json& j) {
  if (!j.is_array() || j.size() != 2) throw std::runtime_error("expected [begin, end]");
  return {j[0].get<int64_t>(), j[1].get<int64_t>()};
}

// Mean over layers of the head-mean statistics of the map that matters for the model's kind.
void mean_signal_noise(const AttentionSnapshot& snap, QueryScore& score) {
  const MapKind kind = snap.model.kind == AttentionKind::Differential ? MapKind::Diff : MapKind::Standard;
  double signal = 0, noise = 0, noise_abs = 0;
  for (const LayerCapture& layer : snap.layers) {
    const HeadStats mean = mean_over_heads(layer.stats(kind));
    signal += mean.signal;
    noise += mean.noise;
    noise_abs += mean.noise_abs;
  }
  const double n = static_cast<double>(snap.layers.size());
  score.signal = signal / n;
  score.noise = noise / n;
  score.noise_abs = noise_abs / n;
}

int64_t argmax_row(const Matrix& logits, int64_t row) {
  const float* v = logits.values.data() + row * logits.cols;
  int64_t best = 0;
  for (int64_t j = 1; j < logits.cols; ++j) {
    if (v[j] > v[best]) best = j;
  }
  return best;
}

}  // namespace

std::vector<RetrievalEpisode> read_retrieval_episodes(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw FileError(path + ": cannot open (make it with scripts/training/make_eval_set.py)");
  std::vector<RetrievalEpisode> episodes;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      RetrievalEpisode e;
      e.id = j.value("id", line_number - 1);
      e.set = j.value("set", "");
      e.text = j.at("text").get<std::string>();
      e.context_bytes = byte_range(j.at("context_bytes"));
      e.n_needles = j.at("n_needles").get<int>();
      e.n_queries = j.at("n_queries").get<int>();
      e.haystack_chars = j.value("haystack_chars", 0);
      if (j.contains("depth_target") && j["depth_target"].is_number()) e.depth_target = j["depth_target"].get<double>();
      for (const auto& q : j.at("queries")) {
        e.queries.push_back({byte_range(q.at("answer_bytes")), byte_range(q.at("needle_number_bytes")),
                             q.value("depth", 0.0)});
      }
      episodes.push_back(std::move(e));
    } catch (const std::exception& ex) {
      throw FileError(path + ":" + std::to_string(line_number) + ": not a retrieval episode (" + ex.what() + ")");
    }
  }
  if (episodes.empty()) throw FileError(path + ": no episodes");
  return episodes;
}

std::vector<QueryScore> score_episode(const Model& model, const Tokenizer& tokenizer, const RetrievalEpisode& episode) {
  const std::vector<Token> tokens = tokenizer.encode(episode.text);
  std::vector<QueryScore> scores;
  // Every answer needs the row before it (its prediction): check them all before the first pass reads any.
  for (const RetrievalEpisode::Query& query : episode.queries) {
    if (tokens_overlapping(tokens, query.answer_bytes.first, query.answer_bytes.second).begin < 1) {
      throw InputError("episode " + std::to_string(episode.id) + ": an answer starts the text (no token before it "
                       "predicts it)");
    }
  }
  for (size_t q = 0; q < episode.queries.size(); ++q) {
    const RetrievalEpisode::Query& query = episode.queries[q];
    const TokenSpan answer = tokens_overlapping(tokens, query.answer_bytes.first, query.answer_bytes.second);
    CaptureRequest request;
    request.maps = CaptureRequest::Maps::None;
    request.overviews = false;   // statistics only: no pooled maps, no store for windows
    request.keep_store = false;
    request.logits = q == 0;  // one pass gives every query's predictions
    request.span = tokens_overlapping(tokens, query.needle_number_bytes.first, query.needle_number_bytes.second);
    // The context without the first token: sink attention is neither signal nor noise.
    const TokenSpan context = tokens_overlapping(tokens, episode.context_bytes.first, episode.context_bytes.second);
    request.context = TokenSpan{std::max<int64_t>(context.begin, 1), context.end};
    request.query_rows = {answer.begin - 1};
    const AttentionSnapshot snap = model.run(tokens, request);
    if (q == 0) {
      for (const RetrievalEpisode::Query& each : episode.queries) {
        const TokenSpan a = tokens_overlapping(tokens, each.answer_bytes.first, each.answer_bytes.second);
        bool correct = true;
        for (int64_t t = a.begin; t < a.end; ++t) correct = correct && argmax_row(snap.logits, t - 1) == tokens[static_cast<size_t>(t)].id;
        scores.push_back({correct, 0, 0, 0});
      }
    }
    mean_signal_noise(snap, scores[q]);
  }
  return scores;
}

double heldout_loss(const Model& model, const Tokenizer& tokenizer, const std::string& text) {
  double total = 0;
  int64_t count = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find("\n\n", start);
    if (end == std::string::npos) end = text.size();
    const std::string doc = text.substr(start, end - start);
    start = end + 2;
    if (doc.empty()) continue;
    std::vector<Token> tokens = tokenizer.encode(doc);
    if (static_cast<int64_t>(tokens.size()) > model.info().max_positions) tokens.resize(static_cast<size_t>(model.info().max_positions));
    if (tokens.size() < 2) continue;
    CaptureRequest request;
    request.maps = CaptureRequest::Maps::None;
    request.statistics = false;
    const AttentionSnapshot snap = model.run(tokens, request);
    const int64_t V = snap.logits.cols;
    for (size_t t = 0; t + 1 < tokens.size(); ++t) {
      const float* row = snap.logits.values.data() + static_cast<int64_t>(t) * V;
      double max = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < V; ++j) max = std::max(max, static_cast<double>(row[j]));
      double sum = 0;
      for (int64_t j = 0; j < V; ++j) sum += std::exp(row[j] - max);
      total += max + std::log(sum) - row[tokens[t + 1].id];
      ++count;
    }
  }
  if (count == 0) throw InputError("held-out text has no document of two tokens or more");
  return total / static_cast<double>(count);
}

}  // namespace diffscope
