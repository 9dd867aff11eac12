// Per-layer statistic series and their definitions. Any thread.
#include "layer_series.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "lambda_rows.h"

namespace diffscope::ui {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double field(const HeadStats& s, Stat stat) {
  switch (stat) {
    case Stat::Entropy: return s.entropy;
    case Stat::SinkMass: return s.sink_mass;
    case Stat::MaxAttention: return s.max_attention;
    case Stat::Distance: return s.distance;
    case Stat::Signal: return s.signal;
    case Stat::Noise: return s.noise;
    case Stat::NoiseAbs: return s.noise_abs;
    default: return kNaN;
  }
}
}  // namespace

const char* stat_name(Stat stat) {
  switch (stat) {
    case Stat::Entropy: return "entropy";
    case Stat::SinkMass: return "sink mass";
    case Stat::MaxAttention: return "max attention";
    case Stat::Distance: return "distance";
    case Stat::Signal: return "signal";
    case Stat::Noise: return "noise";
    case Stat::NoiseAbs: return "|noise|";
    case Stat::Lambda: return "lambda";
    case Stat::LogitTop1: return "|logit| top-1";
    case Stat::LogitMedian: return "|logit| median";
    case Stat::HiddenTop1: return "|hidden| top-1";
    case Stat::HiddenMedian: return "|hidden| median";
  }
  return "?";
}

const char* stat_definition(Stat stat) {
  switch (stat) {
    case Stat::Entropy:
      return "Normalized entropy: mean over query rows i >= 1 of (-sum_j a_ij log a_ij) / log(i + 1). 0 = each query "
             "looks at one key, 1 = uniform over the keys it sees. For the signed Diff map D the positive part of each "
             "row is renormalized to sum 1 first. Mean over the heads of the layer.";
    case Stat::SinkMass:
      return "Sink mass: mean over query rows of a_i0, the attention on the first token (the 'attention sink'). "
             "Signed sum for D. Mean over the heads of the layer.";
    case Stat::MaxAttention:
      return "Max attention (confidence): mean over query rows of max_j a_ij. For D the positive part of each row, "
             "renormalized. Mean over the heads of the layer.";
    case Stat::Distance:
      return "Attention distance: mean over query rows of sum_j a_ij |i - j|, in tokens. Signed sum for D.";
    case Stat::Signal:
      return "Signal: attention of the query rows (default: the last token) on the marked span R, summed over R and "
             "averaged over the query rows. Drag over tokens in the token strip to mark R. Signed sum for D "
             "(the paper's Table 3: higher is better).";
    case Stat::Noise:
      return "Noise: attention of the query rows on the context outside the marked span (every key the row sees, minus "
             "R). Signed sum for D (lower is better).";
    case Stat::NoiseAbs:
      return "|noise|: like noise, but summing |a_ij| over the context outside R. Equal to noise for softmax maps; "
             "for D it counts negative entries too, so a signed noise near 0 made of large entries that cancel shows "
             "here.";
    case Stat::Lambda:
      return "lambda of the layer (Diff model only): D = A1 - lambda * A2. V1: lambda = exp(lq1.lk1) - exp(lq2.lk2) + "
             "lambda_init, lambda_init = 0.8 - 0.6 exp(-0.3 depth), one value per layer; rows of D sum to 1 - lambda. "
             "V2: lambda[h, t] = sigmoid(x_t . w_h) per head and token, row t of D sums to 1 - lambda[h, t]; the "
             "plot shows the mean over heads and rows (or over the selected head's rows) and a band from the "
             "smallest to the largest lambda.";
    case Stat::LogitTop1:
      return "Activation outliers: the largest |pre-softmax attention score| over the causal entries of every "
             "sub-head of the layer (the paper reports 318 for a 3B Transformer vs 38.8 for Diff).";
    case Stat::LogitMedian:
      return "Median |pre-softmax attention score| over the causal entries of every sub-head of the layer.";
    case Stat::HiddenTop1:
      return "Activation outliers: the largest |hidden state| of the residual stream after the layer (paper: 3608.6 "
             "Transformer vs 1688.2 Diff at 3B).";
    case Stat::HiddenMedian:
      return "Median |hidden state| of the residual stream after the layer.";
  }
  return "";
}

bool stat_is_per_head(Stat stat) {
  switch (stat) {
    case Stat::Entropy:
    case Stat::SinkMass:
    case Stat::MaxAttention:
    case Stat::Distance:
    case Stat::Signal:
    case Stat::Noise:
    case Stat::NoiseAbs: return true;
    default: return false;
  }
}

MapKind primary_kind(const AttentionSnapshot& snapshot) {
  return snapshot.model.kind == AttentionKind::Differential ? MapKind::Diff : MapKind::Standard;
}

double head_stat(const AttentionSnapshot& snapshot, Stat stat, MapKind kind, int layer, int head) {
  if (layer < 0 || layer >= static_cast<int>(snapshot.layers.size())) return kNaN;
  const auto& stats = snapshot.layers[static_cast<size_t>(layer)].stats(kind);
  if (head < 0 || head >= static_cast<int>(stats.size())) return kNaN;
  return field(stats[static_cast<size_t>(head)], stat);
}

std::vector<float> layer_series(const AttentionSnapshot& snapshot, Stat stat, MapKind kind, int head,
                                const LambdaSummary* lambda) {
  std::vector<float> out;
  out.reserve(snapshot.layers.size());
  for (const LayerCapture& layer : snapshot.layers) {
    double v = kNaN;
    if (stat_is_per_head(stat)) {
      const auto& stats = layer.stats(kind);
      if (head >= 0) {
        if (head < static_cast<int>(stats.size())) v = field(stats[static_cast<size_t>(head)], stat);
      } else if (!stats.empty()) {
        double sum = 0;
        for (const HeadStats& s : stats) sum += field(s, stat);  // NaN propagates: no span, no signal
        v = sum / static_cast<double>(stats.size());
      }
    } else {
      switch (stat) {
        case Stat::Lambda:
          if (lambda) v = lambda->mean(static_cast<int>(out.size()), head);  // NaN for a standard model
          break;
        case Stat::LogitTop1: v = layer.attn_logits.top1; break;
        case Stat::LogitMedian: v = layer.attn_logits.median; break;
        case Stat::HiddenTop1: v = layer.hidden_states.top1; break;
        case Stat::HiddenMedian: v = layer.hidden_states.median; break;
        default: break;
      }
    }
    out.push_back(static_cast<float>(v));
  }
  return out;
}

int layer_tick_step(int layers, float width_px, float min_spacing_px) {
  if (layers < 2 || width_px <= 0) return 1;
  const float per_layer = width_px / static_cast<float>(layers - 1);
  for (int step : {1, 2, 5, 10, 20, 50, 100, 200, 500}) {
    if (per_layer * static_cast<float>(step) >= min_spacing_px) return step;
  }
  return 1000;
}

std::string stats_table_tsv(const std::vector<Stat>& stats, const std::vector<std::vector<float>>& series_a,
                            const std::vector<std::vector<float>>& series_b, int only_row) {
  std::string out = "layer";
  for (Stat stat : stats) out += std::string("\t") + stat_name(stat);
  out += "\n";
  int row = 0;
  for (const auto& [series, label] : {std::pair{&series_a, "A"}, std::pair{&series_b, "B"}}) {
    const size_t layers = series->empty() ? 0 : (*series)[0].size();
    for (size_t l = 0; l < layers; ++l, ++row) {
      if (only_row >= 0 && row != only_row) continue;
      out += std::string(label) + " L" + std::to_string(l);
      for (size_t k = 0; k < stats.size(); ++k) {
        out += "\t";
        const float v = k < series->size() && l < (*series)[k].size() ? (*series)[k][l] : NAN;
        if (std::isfinite(v)) {
          char text[32];
          std::snprintf(text, sizeof text, "%.9g", static_cast<double>(v));
          out += text;
        }
      }
      out += "\n";
    }
  }
  return out;
}

}  // namespace diffscope::ui
