// Interventions in the forward pass (engine/intervention.h): the --intervene syntax and its messages; and each
// intervention against a checkpoint changed so that the plain model computes the same thing (hand-derived): ablating
// a head's output = zeroing its o_proj columns; lambda = v for every head of a Diff V1 layer = lambda_q1/k1/q2/k2 set
// so that exp(q1.k1) - exp(q2.k2) + lambda_init = v; only=A1 = lambda 0. Per-head changes leave the other heads'
// maps alone; a 1-token prompt's mean ablation changes nothing. Main thread; device from $DIFFSCOPE_TEST_DEVICE.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "errors.h"
#include "intervention.h"
#include "model.h"
#include "temp_dir.h"
#include "test_device.h"
#include "tiny_v2_checkpoint.h"
#include "tokenizer.h"

using namespace diffscope;
using namespace diffscope::testing;

namespace {

std::string fixture(const std::string& name) { return std::string(DIFFSCOPE_FIXTURES) + "/hf/" + name; }

double max_abs_diff(const Matrix& a, const Matrix& b) {
  if (a.rows != b.rows || a.cols != b.cols) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < a.values.size(); ++i) worst = std::max(worst, std::fabs(double(a.values[i]) - b.values[i]));
  return worst;
}

const std::vector<int64_t> kIds = {5, 17, 200, 3, 3, 99, 42, 7, 150, 1, 64, 8};

AttentionSnapshot run(const Model& model, std::vector<Intervention> interventions,
                      CaptureRequest::Attention attention = CaptureRequest::Attention::Explicit) {
  CaptureRequest r;
  r.attention = attention;
  r.interventions = std::move(interventions);
  return model.run(tokens_from_ids(kIds), r);
}

// Zeroes columns [begin, end) of a [rows, cols] weight.
void zero_columns(Weights& w, const std::string& name, int64_t begin, int64_t end) {
  const int64_t rows = w.shapes.at(name)[0], cols = w.shapes.at(name)[1];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = begin; c < end; ++c) w.values.at(name)[static_cast<size_t>(r * cols + c)] = 0.0f;
}

}  // namespace

TEST_CASE("the --intervene syntax: every kind, and messages that name the bad part", "[interventions]") {
  Intervention iv = parse_intervention("L3.H2:lambda=0.25");
  CHECK(iv.layer == 3);
  CHECK(iv.head == 2);
  CHECK(iv.what == Intervention::What::Lambda);
  CHECK(iv.value == 0.25);
  CHECK(parse_intervention("L0.H*:lambda_scale=-1.5").head == -1);
  CHECK(parse_intervention("L0.H*:lambda_scale=-1.5").value == -1.5);
  CHECK(parse_intervention("L1.H0:only=A1").what == Intervention::What::OnlyA1);
  CHECK(parse_intervention("L1.H0:only=A2").what == Intervention::What::OnlyA2);
  CHECK(parse_intervention("L12.H31:ablate=zero").what == Intervention::What::AblateZero);
  CHECK(parse_intervention("L12.H31:ablate=mean").what == Intervention::What::AblateMean);
  for (const char* spec : {"L3.H2:lambda=0.25", "L0.H*:lambda_scale=-1.5", "L1.H0:only=A2", "L2.H5:ablate=mean"}) {
    CHECK(intervention_spec(parse_intervention(spec)) == spec);  // round trip
  }
  auto says = [](const std::string& spec, const std::string& part) {
    CHECK_THROWS_WITH(parse_intervention(spec), Catch::Contains(part));
  };
  says("L3.H2", "missing \":<what>\"");
  says("3.H2:ablate=zero", "\"3.H2\" is not L<layer>.H<head>");
  says("Lx.H2:ablate=zero", "layer \"x\" is not a number");
  says("L3.2:ablate=zero", "\"2\" is not H<head> or H*");
  says("L3.Hq:ablate=zero", "head \"q\" is not a number or *");
  says("L3.H2:lambda=abc", "lambda \"abc\" is not a finite number");
  says("L3.H2:lambda=nan", "is not a finite number");
  says("L3.H2:lambda=", "lambda \"\" is not a finite number");
  says("L3.H2:only=A3", "\"only=A3\" is not an intervention");
  says("L3.H2:ablate=half", "\"ablate=half\" is not an intervention");
}

TEST_CASE("ablating a head's output equals zeroing its o_proj columns (standard and Diff V1)", "[interventions]") {
  for (const auto& [name, layer, head, width] : std::vector<std::tuple<std::string, int, int, int64_t>>{
           {"llama_gqa_tied", 1, 2, 16}, {"diffllama_gqa_tied", 2, 1, 16}}) {  // V1: a Diff head is 2 head_dim wide
    INFO(name << " on " << test_device_name());
    std::string config;
    Weights w = read_checkpoint(fixture(name), &config);
    zero_columns(w, "model.layers." + std::to_string(layer) + ".self_attn.o_proj.weight", head * width,
                 (head + 1) * width);
    const TempDir dir("ablated");
    write_checkpoint(dir.path(), config, w);
    const auto model = Model::load(fixture(name), test_load_options());
    const auto changed = Model::load(dir.path(), test_load_options());
    const std::string spec = "L" + std::to_string(layer) + ".H" + std::to_string(head) + ":ablate=zero";
    const AttentionSnapshot ablated = run(*model, {parse_intervention(spec)});
    const AttentionSnapshot want = run(*changed, {});
    CHECK(max_abs_diff(ablated.logits, want.logits) <= 1e-5);
    CHECK(max_abs_diff(run(*model, {}).logits, want.logits) > 1e-3);  // the head mattered
    // The fused forward agrees.
    CHECK(max_abs_diff(run(*model, {parse_intervention(spec)}, CaptureRequest::Attention::Fused).logits, want.logits) <=
          1e-5);
  }
}

TEST_CASE("lambda = v and only=A1 for every Diff V1 head of a layer equal a checkpoint whose lambda is v (or 0)",
          "[interventions]") {
  std::string config;
  const Weights base = read_checkpoint(fixture("diffllama_gqa_tied"), &config);
  const auto model = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const int layer = 1;
  const double lambda_init = 0.8 - 0.6 * std::exp(-0.3 * layer);
  for (const auto& [spec, v] : std::vector<std::pair<std::string, double>>{{"L1.H*:lambda=0.55", 0.55},
                                                                           {"L1.H*:only=A1", 0.0}}) {
    INFO(spec);
    // lambda = exp(q1 . k1) - exp(q2 . k2) + lambda_init with k1 = e0, q1 = ln(v - lambda_init + 1) e0, q2 = k2 = 0.
    Weights w = base;
    const std::string p = "model.layers." + std::to_string(layer) + ".self_attn.";
    for (const char* n : {"lambda_q1", "lambda_k1", "lambda_q2", "lambda_k2"}) {
      for (float& x : w.values.at(p + n)) x = 0.0f;
    }
    w.values.at(p + "lambda_k1")[0] = 1.0f;
    w.values.at(p + "lambda_q1")[0] = static_cast<float>(std::log(v - lambda_init + 1.0));
    const TempDir dir("lambda");
    write_checkpoint(dir.path(), config, w);
    const auto changed = Model::load(dir.path(), test_load_options());
    const AttentionSnapshot got = run(*model, {parse_intervention(spec)});
    const AttentionSnapshot want = run(*changed, {});
    CHECK(max_abs_diff(got.logits, want.logits) <= 1e-5);
    const LayerCapture& g = got.layers[layer];
    for (int64_t h = 0; h < g.lambda.rows; ++h) CHECK(g.lambda.at(h, 0) == Approx(v).margin(1e-6));
    for (size_t h = 0; h < g.diff.size(); ++h) CHECK(max_abs_diff(g.diff[h], want.layers[layer].diff[h]) <= 1e-5);
  }
}

TEST_CASE("a per-head change moves that head's lambda and D only; only=A2 and ablations keep the maps",
          "[interventions]") {
  const auto model = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const AttentionSnapshot clean = run(*model, {});
  const AttentionSnapshot got = run(*model, {parse_intervention("L0.H0:lambda=0.3")});
  const LayerCapture& g = got.layers[0];
  const LayerCapture& c = clean.layers[0];
  CHECK(g.lambda.at(0, 5) == Approx(0.3));
  CHECK(g.lambda.at(1, 5) == c.lambda.at(1, 5));
  // D_0 = A1_0 - 0.3 A2_0, from the same run's softmax maps (which the intervention does not change).
  CHECK(max_abs_diff(g.attn1[0], c.attn1[0]) == 0.0);
  Matrix want = g.attn1[0];
  for (size_t i = 0; i < want.values.size(); ++i) want.values[i] -= 0.3f * g.attn2[0].values[i];
  CHECK(max_abs_diff(g.diff[0], want) <= 1e-6);
  CHECK(max_abs_diff(g.diff[1], c.diff[1]) == 0.0);  // the other heads of the layer
  CHECK(max_abs_diff(got.logits, clean.logits) > 1e-4);
  // only=A2 changes the output (A2 V), not the maps; a later layer sees it.
  const AttentionSnapshot a2 = run(*model, {parse_intervention("L0.H1:only=A2")});
  CHECK(max_abs_diff(a2.layers[0].diff[1], c.diff[1]) == 0.0);
  CHECK(max_abs_diff(a2.layers[1].attn1[0], clean.layers[1].attn1[0]) > 1e-6);
}

TEST_CASE("mean ablation of a 1-token prompt changes nothing; of a longer one it does; bad targets are refused",
          "[interventions]") {
  const auto model = Model::load(fixture("llama_gqa_tied"), test_load_options());
  CaptureRequest r;
  r.attention = CaptureRequest::Attention::Explicit;
  const AttentionSnapshot one = model->run(tokens_from_ids({17}), r);
  r.interventions = {parse_intervention("L0.H*:ablate=mean")};
  const AttentionSnapshot one_mean = model->run(tokens_from_ids({17}), r);
  CHECK(max_abs_diff(one_mean.logits, one.logits) <= 1e-6);  // the mean over one position is that position
  CHECK(max_abs_diff(run(*model, {parse_intervention("L0.H*:ablate=mean")}).logits, run(*model, {}).logits) > 1e-4);
  CHECK_THROWS_WITH(run(*model, {parse_intervention("L0.H1:lambda=0")}),
                    Catch::Contains("L0.H1:lambda=0: lambda and only= act on Diff heads, and this model is standard"));
  CHECK_THROWS_WITH(run(*model, {parse_intervention("L2.H0:ablate=zero")}), Catch::Contains("the model has 2 layers"));
  CHECK_THROWS_WITH(run(*model, {parse_intervention("L0.H4:ablate=zero")}), Catch::Contains("H0..3"));
}
