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

namespace {

// A cell of `pool` x `pool` entries of `m` starting at (r0, c0), clipped to (r1, c1): the entry of largest |value|,
// the positive one on a tie (as the engine's pooling).
float pooled_cell(const Matrix& m, int64_t r0, int64_t c0, int64_t r1, int64_t c1) {
  float high = 0, low = 0;
  bool any = false;
  for (int64_t i = r0; i < r1; ++i) {
    for (int64_t j = c0; j < c1; ++j) {
      const float v = m.at(i, j);
      high = any ? std::max(high, v) : v;
      low = any ? std::min(low, v) : v;
      any = true;
    }
  }
  return high >= -low ? high : low;
}

}  // namespace

TEST_CASE("a long prompt's rollout stays on the device: its windows and overview equal the dense rollout",
          "[model][rollout]") {
  for (const std::string name : {"llama_gqa_tied", "diffllama_gqa_tied"}) {
    INFO("fixture " << name);
    auto model = Model::load(fixture(name), test_load_options());
    const std::vector<Token> tokens = ByteTokenizer().encode("Rollout of a long prompt, kept for windows; 54 bytes.");
    CaptureRequest dense_request;
    dense_request.rollout = true;
    const AttentionSnapshot dense = model->run(tokens, dense_request);
    CaptureRequest long_request;  // as the app asks for a long prompt: no dense maps, overviews and a store
    long_request.maps = CaptureRequest::Maps::None;
    long_request.rollout = true;
    long_request.overview_size = 4;  // cells of 16 tokens
    const AttentionSnapshot windowed = model->run(tokens, long_request);
    REQUIRE(windowed.store);
    CHECK(windowed.rollout_refused.empty());
    const int64_t T = static_cast<int64_t>(tokens.size());
    for (size_t l = 0; l < dense.layers.size(); ++l) {
      INFO("layer " << l);
      const Matrix& expected = dense.layers[l].rollout;
      CHECK(windowed.layers[l].rollout.empty());  // nothing T x T on the host
      MapWindow whole;
      whole.layer = static_cast<int>(l);
      whole.head = kRollout;
      const Matrix all = windowed.store->window(whole);
      REQUIRE(all.rows == T);
      REQUIRE(all.cols == T);
      for (size_t k = 0; k < all.values.size(); ++k) CHECK(all.values[k] == Approx(expected.values[k]).margin(1e-6));
      MapWindow part = whole;  // rows 5..50, keys 3..44, pooled 4 x 4
      part.row_begin = 5, part.row_end = 50, part.col_begin = 3, part.col_end = 44, part.pool = 4;
      const Matrix pooled = windowed.store->window(part);
      REQUIRE(pooled.rows == 12);
      REQUIRE(pooled.cols == 11);
      for (int64_t r = 0; r < pooled.rows; ++r) {
        for (int64_t c = 0; c < pooled.cols; ++c) {
          const float want = pooled_cell(expected, 5 + 4 * r, 3 + 4 * c, std::min<int64_t>(50, 9 + 4 * r),
                                         std::min<int64_t>(44, 7 + 4 * c));
          CHECK(pooled.at(r, c) == Approx(want).margin(1e-6));
        }
      }
      const MapOverview& overview = windowed.layers[l].overview;
      REQUIRE(overview.cell == 16);
      REQUIRE(overview.rollout.rows == 4);
      for (int64_t r = 0; r < 4; ++r) {
        for (int64_t c = 0; c < 4; ++c) {
          const float want = pooled_cell(expected, 16 * r, 16 * c, std::min<int64_t>(T, 16 * r + 16),
                                         std::min<int64_t>(T, 16 * c + 16));
          CHECK(overview.rollout.at(r, c) == Approx(want).margin(1e-6));
        }
      }
    }
    // A run without rollout keeps none: its windows say so.
    long_request.rollout = false;
    const AttentionSnapshot plain = model->run(tokens, long_request);
    MapWindow w;
    w.head = kRollout;
    CHECK_THROWS_WITH(plain.store->window(w), Catch::Contains("kept no attention rollout"));
    CHECK(plain.layers[0].overview.rollout.empty());
  }
}
