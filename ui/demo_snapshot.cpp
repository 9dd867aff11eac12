// Synthetic snapshots for tests, the benchmark and view development. Any thread.
#include "demo_snapshot.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace diffscope::ui {

namespace {

// Causal softmax attention with a sink on key 0, a preference for recent keys, and a spike on key `spike` for the last
// rows (what a retrieval head does).
Matrix demo_softmax(int64_t t, std::mt19937& rng, float sink, float locality, int64_t spike, float noise_level) {
  std::normal_distribution<float> noise(0.0f, noise_level);
  Matrix m;
  m.rows = m.cols = t;
  m.values.assign(static_cast<size_t>(t * t), 0.0f);
  std::vector<float> logits(static_cast<size_t>(t));
  for (int64_t i = 0; i < t; ++i) {
    float peak = -1e30f;
    for (int64_t j = 0; j <= i; ++j) {
      float l = noise(rng) - locality * std::log1p(static_cast<float>(i - j));
      if (j == 0) l += sink;
      if (j == spike && i > t * 3 / 4) l += 4.0f;
      logits[static_cast<size_t>(j)] = l;
      peak = std::max(peak, l);
    }
    double sum = 0;
    for (int64_t j = 0; j <= i; ++j) sum += std::exp(logits[static_cast<size_t>(j)] - peak);
    for (int64_t j = 0; j <= i; ++j) {
      m.values[static_cast<size_t>(i * t + j)] =
          static_cast<float>(std::exp(logits[static_cast<size_t>(j)] - peak) / sum);
    }
  }
  return m;
}

HeadStats demo_stats(const Matrix& a) {
  HeadStats s;
  const int64_t t = a.rows;
  double entropy = 0, sink = 0, max_att = 0, distance = 0;
  for (int64_t i = 0; i < t; ++i) {
    double pos_sum = 0;
    for (int64_t j = 0; j <= i; ++j) pos_sum += std::max(0.0f, a.at(i, j));
    double h = 0, row_max = 0;
    for (int64_t j = 0; j <= i; ++j) {
      const double p = pos_sum > 0 ? std::max(0.0f, a.at(i, j)) / pos_sum : 0.0;
      if (p > 0) h -= p * std::log(p);
      row_max = std::max(row_max, p);
      distance += a.at(i, j) * static_cast<double>(i - j);
    }
    if (i >= 1) entropy += h / std::log(static_cast<double>(i + 1));
    sink += a.at(i, 0);
    max_att += row_max;
  }
  s.entropy = t > 1 ? entropy / static_cast<double>(t - 1) : 0.0;
  s.sink_mass = sink / static_cast<double>(t);
  s.max_attention = max_att / static_cast<double>(t);
  s.distance = distance / static_cast<double>(t);
  return s;
}

}  // namespace

AttentionSnapshot make_demo_snapshot(const DemoSpec& spec) {
  std::mt19937 rng(spec.seed);
  AttentionSnapshot s;
  std::string text = spec.text;
  if (text.empty()) {
    const std::string filler = "The magic number of Paris is 4721. The grass is green and the sky is blue. ";
    while (static_cast<int64_t>(text.size()) < spec.tokens) text += filler;
    text.resize(static_cast<size_t>(spec.tokens));
  }
  const int64_t t = static_cast<int64_t>(text.size());
  for (int64_t i = 0; i < t; ++i) {
    Token tok;
    tok.id = static_cast<unsigned char>(text[static_cast<size_t>(i)]);
    tok.text = std::string(1, text[static_cast<size_t>(i)]);
    tok.byte_begin = i;
    tok.byte_end = i + 1;
    s.tokens.push_back(tok);
  }
  const bool diff = spec.kind == AttentionKind::Differential;
  s.model.kind = spec.kind;
  s.model.model_type = diff ? "diffllama" : "llama";
  s.model.attention_variant = !diff ? "standard" : spec.lambda_per_row ? "diff-v2" : "diff-v1";
  s.model.name = diff ? "demo-diff" : "demo-standard";
  s.model.num_layers = spec.layers;
  s.model.num_heads = spec.heads;
  s.model.num_sub_heads = diff ? 2 * spec.heads : spec.heads;
  s.model.device = "cpu";
  const int64_t spike = t / 3;
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (int l = 0; l < spec.layers; ++l) {
    LayerCapture layer;
    const double lambda_init = 0.8 - 0.6 * std::exp(-0.3 * l);
    const float lambda = static_cast<float>(lambda_init + 0.1 * (unit(rng) - 0.5));  // V1: one value per layer
    if (diff) {
      layer.lambda.rows = spec.heads;
      layer.lambda.cols = t;
      layer.lambda.values.assign(static_cast<size_t>(spec.heads * t), lambda);
      if (spec.lambda_per_row) {  // V2: sigmoid of a slow wave plus noise, per head and row
        std::normal_distribution<float> noise(0.0f, 0.3f);
        for (int h = 0; h < spec.heads; ++h) {
          for (int64_t r = 0; r < t; ++r) {
            const float z = 1.2f * std::sin(0.25f * static_cast<float>(r) + static_cast<float>(h)) + noise(rng);
            layer.lambda.values[static_cast<size_t>(h * t + r)] = 1.0f / (1.0f + std::exp(-z));
          }
        }
      }
    }
    for (int h = 0; h < spec.heads; ++h) {
      const float locality = 0.5f + 1.5f * unit(rng);
      if (diff) {
        Matrix a1 = demo_softmax(t, rng, 3.0f, locality, spike, 1.0f);
        Matrix a2 = demo_softmax(t, rng, 3.0f, locality, -1, 1.0f);  // same sink, no spike: the noise D cancels
        Matrix d = a1;
        for (size_t k = 0; k < d.values.size(); ++k) {
          d.values[k] = a1.values[k] - layer.lambda.values[static_cast<size_t>(h * t) + k / static_cast<size_t>(t)] *
                                           a2.values[k];  // row k / t weighs A2 by its lambda
        }
        layer.stats_attn1.push_back(demo_stats(a1));
        layer.stats_attn2.push_back(demo_stats(a2));
        layer.stats_diff.push_back(demo_stats(d));
        layer.attn1.push_back(std::move(a1));
        layer.attn2.push_back(std::move(a2));
        layer.diff.push_back(std::move(d));
      } else {
        Matrix a = demo_softmax(t, rng, 4.0f, locality, spike, 1.2f);
        layer.stats_attn.push_back(demo_stats(a));
        layer.attn.push_back(std::move(a));
      }
    }
    layer.lambda_init = diff && !spec.lambda_per_row ? lambda_init : 0.0;
    layer.attn_logits = OutlierStats{diff ? 6.0 + l : 12.0 + 3 * l, diff ? 5.0 + l : 10.0 + 3 * l, 1.0};
    layer.hidden_states = OutlierStats{diff ? 20.0 + 4 * l : 40.0 + 10 * l, 15.0, 0.8};
    s.layers.push_back(std::move(layer));
  }
  return s;
}

}  // namespace diffscope::ui
