// Per-layer statistic series: head means computed by hand from the snapshot's HeadStats. Test thread.
#include <catch2/catch.hpp>

#include <cmath>

#include "demo_snapshot.h"
#include "layer_series.h"

using namespace diffscope;
using namespace diffscope::ui;

TEST_CASE("per-head statistics become layer means") {
  AttentionSnapshot s;
  s.model.kind = AttentionKind::Differential;
  s.layers.resize(2);
  s.layers[0].stats_diff = {HeadStats{0.2, 0.5, 0.3, 1.0}, HeadStats{0.4, 0.1, 0.5, 3.0}};
  s.layers[1].stats_diff = {HeadStats{0.6, 0.0, 0.9, 2.0}, HeadStats{0.8, 0.2, 0.7, 4.0}};
  s.layers[0].lambda = Matrix{2, 1, {0.2f, 0.2f}};
  s.layers[1].lambda = Matrix{2, 1, {0.4f, 0.4f}};
  s.layers[1].attn_logits.top1 = 38.8;

  const auto entropy = layer_series(s, Stat::Entropy, MapKind::Diff);
  REQUIRE(entropy.size() == 2);
  CHECK(entropy[0] == Approx(0.3));
  CHECK(entropy[1] == Approx(0.7));
  CHECK(layer_series(s, Stat::SinkMass, MapKind::Diff)[0] == Approx(0.3));
  CHECK(layer_series(s, Stat::Distance, MapKind::Diff, 1)[1] == Approx(4.0));  // one head
  const LambdaSummary summary = summarize_lambda(s);
  const auto lambda = layer_series(s, Stat::Lambda, MapKind::Diff, -1, &summary);
  CHECK(lambda[0] == Approx(0.2));
  CHECK(lambda[1] == Approx(0.4));
  CHECK(layer_series(s, Stat::LogitTop1, MapKind::Diff)[1] == Approx(38.8));
  // No span marked: signal is NaN (HeadStats default), and stays NaN in the mean.
  CHECK(std::isnan(layer_series(s, Stat::Signal, MapKind::Diff)[0]));
  CHECK(primary_kind(s) == MapKind::Diff);
  CHECK(head_stat(s, Stat::MaxAttention, MapKind::Diff, 1, 0) == Approx(0.9));
  CHECK(std::isnan(head_stat(s, Stat::MaxAttention, MapKind::Diff, 2, 0)));
}

TEST_CASE("|noise| is its own series next to the signed noise") {
  AttentionSnapshot s;
  s.model.kind = AttentionKind::Differential;
  s.layers.resize(1);
  HeadStats cancelling{0.5, 0.1, 0.4, 2.0, 0.3, 0.02, 0.6};  // signed noise 0.02 made of entries summing to 0.6
  HeadStats plain{0.5, 0.1, 0.4, 2.0, 0.3, 0.10, 0.1};
  s.layers[0].stats_diff = {cancelling, plain};
  CHECK(layer_series(s, Stat::Noise, MapKind::Diff)[0] == Approx(0.06));
  CHECK(layer_series(s, Stat::NoiseAbs, MapKind::Diff)[0] == Approx(0.35));
  CHECK(head_stat(s, Stat::NoiseAbs, MapKind::Diff, 0, 0) == Approx(0.6));
  CHECK(stat_is_per_head(Stat::NoiseAbs));
  CHECK(std::string(stat_name(Stat::NoiseAbs)) == "|noise|");
}

TEST_CASE("Diff V2's lambda series is the mean over heads and rows, or over one head's rows") {
  AttentionSnapshot s;
  s.model.kind = AttentionKind::Differential;
  s.layers.resize(1);
  s.layers[0].lambda = Matrix{2, 3, {0.2f, 0.5f, 0.8f, 0.4f, 0.4f, 0.4f}};  // [heads, T]
  const LambdaSummary l = summarize_lambda(s);
  CHECK(layer_series(s, Stat::Lambda, MapKind::Diff, -1, &l)[0] == Approx(0.45));  // 2.7 / 6
  CHECK(layer_series(s, Stat::Lambda, MapKind::Diff, 0, &l)[0] == Approx(0.5));    // 1.5 / 3
  CHECK(layer_series(s, Stat::Lambda, MapKind::Diff, 1, &l)[0] == Approx(0.4));
  CHECK(std::isnan(layer_series(s, Stat::Lambda, MapKind::Diff, 2, &l)[0]));       // no such head
  CHECK(std::isnan(layer_series(s, Stat::Lambda, MapKind::Diff)[0]));  // no summary: not walked per call
}

TEST_CASE("a standard model has no lambda") {
  DemoSpec spec;
  spec.kind = AttentionKind::Standard;
  spec.layers = 3;
  const AttentionSnapshot s = make_demo_snapshot(spec);
  CHECK(primary_kind(s) == MapKind::Standard);
  const LambdaSummary summary = summarize_lambda(s);
  const auto lambda = layer_series(s, Stat::Lambda, MapKind::Standard, -1, &summary);
  REQUIRE(lambda.size() == 3);
  CHECK(std::isnan(lambda[0]));
  for (int k = 0; k < kNumStats; ++k) CHECK(std::string(stat_definition(static_cast<Stat>(k))).size() > 20);
}

TEST_CASE("layer ticks thin out so that deep models' ticks stay apart (hand-derived)") {
  CHECK(layer_tick_step(6, 100) == 1);     // 20 px per layer
  CHECK(layer_tick_step(36, 100) == 5);    // 2.86 px per layer: 2 layers = 5.7 px < 6, 5 layers = 14.3 px
  CHECK(layer_tick_step(36, 300) == 1);    // 8.6 px per layer
  CHECK(layer_tick_step(100, 100) == 10);  // 1.01 px per layer: 5 -> 5.05 px, 10 -> 10.1 px
  CHECK(layer_tick_step(1, 100) == 1);     // one layer: nothing to space
  CHECK(layer_tick_step(10, 0) == 1);
}

TEST_CASE("the statistics table copies as tab-separated text, a row or all of it (hand-derived)") {
  const std::vector<Stat> stats = {Stat::Entropy, Stat::Signal};
  const std::vector<std::vector<float>> a = {{0.5f, 0.25f}, {NAN, 1e-7f}};  // 2 layers; signal missing in layer 0
  const std::vector<std::vector<float>> b = {{0.75f}, {2.0f}};              // 1 layer
  CHECK(stats_table_tsv(stats, a, b) ==
        "layer\tentropy\tsignal\n"
        "A L0\t0.5\t\n"
        "A L1\t0.25\t1.00000001e-07\n"
        "B L0\t0.75\t2\n");
  CHECK(stats_table_tsv(stats, a, b, 2) == "layer\tentropy\tsignal\nB L0\t0.75\t2\n");
  CHECK(stats_table_tsv(stats, {}, b) == "layer\tentropy\tsignal\nB L0\t0.75\t2\n");
}
