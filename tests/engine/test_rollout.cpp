// Tests of attention rollout (CaptureRequest::rollout): the engine's rollout of every layer against a naive
// double-precision loop over the captured maps, for a standard and a Diff checkpoint. Test thread.
#include <catch2/catch.hpp>

#include <cmath>

#include "model.h"
#include "test_device.h"
#include "tokenizer.h"

using namespace diffscope;

namespace {

std::string fixture(const std::string& name) { return std::string(DIFFSCOPE_FIXTURES) + "/hf/" + name; }

using Dense = std::vector<std::vector<double>>;

// Abnar & Zuidema with the engine's convention for signed maps: head mean, rows divided by their sums, half identity.
Dense mixed_layer(const std::vector<Matrix>& heads) {
  const int64_t T = heads.front().rows;
  Dense a(static_cast<size_t>(T), std::vector<double>(static_cast<size_t>(T), 0.0));
  for (int64_t i = 0; i < T; ++i) {
    double sum = 0;
    for (int64_t j = 0; j < T; ++j) {
      double mean = 0;
      for (const Matrix& m : heads) mean += m.at(i, j);
      mean /= static_cast<double>(heads.size());
      a[static_cast<size_t>(i)][static_cast<size_t>(j)] = mean;
      sum += mean;
    }
    for (int64_t j = 0; j < T; ++j) {
      double& v = a[static_cast<size_t>(i)][static_cast<size_t>(j)];
      v = 0.5 * (std::fabs(sum) > 1e-6 ? v / sum : 0.0) + (i == j ? 0.5 : 0.0);
    }
  }
  return a;
}

Dense multiply(const Dense& a, const Dense& b) {
  const size_t T = a.size();
  Dense c(T, std::vector<double>(T, 0.0));
  for (size_t i = 0; i < T; ++i)
    for (size_t k = 0; k < T; ++k)
      for (size_t j = 0; j < T; ++j) c[i][j] += a[i][k] * b[k][j];
  return c;
}

void check_rollout(const std::string& name) {
  INFO("fixture " << name);
  auto model = Model::load(fixture(name), test_load_options());
  const bool diff = model->info().kind == AttentionKind::Differential;
  CaptureRequest request;
  request.rollout = true;
  const AttentionSnapshot snap = model->run(ByteTokenizer().encode("The cat sat on the mat."), request);
  Dense expected;
  for (size_t l = 0; l < snap.layers.size(); ++l) {
    INFO("layer " << l);
    const LayerCapture& layer = snap.layers[l];
    const Dense mixed = mixed_layer(layer.maps(diff ? MapKind::Diff : MapKind::Standard));
    expected = l == 0 ? mixed : multiply(mixed, expected);
    const int64_t T = static_cast<int64_t>(expected.size());
    REQUIRE(layer.rollout.rows == T);
    REQUIRE(layer.rollout.cols == T);
    double worst = 0;
    for (int64_t i = 0; i < T; ++i) {
      double row_sum = 0;
      for (int64_t j = 0; j < T; ++j) {
        worst = std::max(worst, std::fabs(layer.rollout.at(i, j) - expected[static_cast<size_t>(i)][static_cast<size_t>(j)]));
        row_sum += layer.rollout.at(i, j);
        if (j > i) CHECK(layer.rollout.at(i, j) == 0.0f);  // causal: no token mixes in a later one
      }
      CHECK(row_sum == Approx(1.0).margin(1e-4));  // a product of row-stochastic (signed) matrices
    }
    CHECK(worst <= 1e-5);
  }
}

}  // namespace

TEST_CASE("rollout of a standard model equals the naive product of half-identity head means", "[model][rollout]") {
  check_rollout("llama_gqa_tied");
}

TEST_CASE("rollout of a Diff model uses D with rows scaled to sum 1, negative entries kept", "[model][rollout]") {
  check_rollout("diffllama_gqa_tied");
}

TEST_CASE("rollout is only computed on request", "[model][rollout]") {
  auto model = Model::load(fixture("llama_gqa_tied"), test_load_options());
  const AttentionSnapshot snap = model->run(ByteTokenizer().encode("abc"), CaptureRequest{});
  for (const LayerCapture& layer : snap.layers) CHECK(layer.rollout.empty());
}
